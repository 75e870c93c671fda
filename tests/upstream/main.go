// Command upstream-harness answers podscale's differential tests with upstream's own code.
//
// It reads one request per line on stdin, {"op": NAME, "case": {...}}, and writes one answer
// per line on stdout: {"result": ...} with upstream's answer (upstream's own errors are part of
// the result), or {"fault": "..."} when the request cannot be run at all (unknown op, a case
// that does not decode). Ops are registered by the family files: hpa.go, cron.go, vpa.go.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

// An op decodes its case and returns upstream's answer; an error is a fault, not an answer.
type op func(raw json.RawMessage) (any, error)

var ops = map[string]op{}

func register(name string, f op) {
	if _, dup := ops[name]; dup {
		panic("op registered twice: " + name)
	}
	ops[name] = f
}

type request struct {
	Op   string          `json:"op"`
	Case json.RawMessage `json:"case"`
}

type answer struct {
	Result any    `json:"result,omitempty"`
	Fault  string `json:"fault,omitempty"`
}

// decode is strict: a field podscale sends that the harness does not know is a fault, so a
// renamed field can never silently fall back to Go's zero value.
func decode(raw json.RawMessage, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(into)
}

func serve(in io.Reader, out io.Writer) error {
	lines := bufio.NewScanner(in)
	lines.Buffer(make([]byte, 1<<20), 64<<20)
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	for lines.Scan() {
		var req request
		var ans answer
		if err := json.Unmarshal(lines.Bytes(), &req); err != nil {
			ans.Fault = "request is not JSON: " + err.Error()
		} else if f, ok := ops[req.Op]; !ok {
			ans.Fault = fmt.Sprintf("unknown op %q; known: %v", req.Op, opNames())
		} else if result, err := f(req.Case); err != nil {
			ans.Fault = fmt.Sprintf("%s: %v", req.Op, err)
		} else {
			ans.Result = result
		}
		if err := enc.Encode(ans); err != nil {
			return err
		}
		// One answer per request: the driver waits for it before sending the next.
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return lines.Err()
}

func opNames() []string {
	names := make([]string, 0, len(ops))
	for name := range ops {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "ops" {
		for _, name := range opNames() {
			fmt.Println(name)
		}
		return
	}
	if err := serve(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "upstream-harness:", err)
		os.Exit(1)
	}
}
