// Command upstream-harness answers podscale's differential tests with upstream's own code.
//
// It reads one request per line on stdin, {"op": NAME, "case": {...}}, and writes one answer
// per line on stdout: {"result": ...} with upstream's answer (upstream's own errors are part of
// the result), or {"fault": "..."} when the request cannot be run at all (unknown op, a case
// that does not decode, a panic in upstream's code). Ops are registered by the family files
// (hpa*.go, cron.go, vpa*.go); `upstream-harness ops` lists them.
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

// registerCase registers op name: its case decodes strictly into a C, and run answers it.
func registerCase[C, A any](name string, run func(C) (A, error)) {
	if _, dup := ops[name]; dup {
		panic("op registered twice: " + name)
	}
	ops[name] = func(raw json.RawMessage) (any, error) {
		var c C
		if err := decode(raw, &c); err != nil {
			return nil, err
		}
		return run(c)
	}
}

type request struct {
	Op   string          `json:"op"`
	Case json.RawMessage `json:"case"`
}

// answer carries either upstream's result (which may be null) or a fault.
type answer struct {
	Result any    `json:"result"`
	Fault  string `json:"fault,omitempty"`
}

// decode is strict both ways, so that a renamed, misspelt or forgotten field can never
// silently become Go's zero value: a field the harness does not know is a fault, and so is a
// field the harness expects (one without omitempty) that the case leaves out.
func decode(raw json.RawMessage, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return err
	}
	expected, err := json.Marshal(into)
	if err != nil {
		return err
	}
	var sent, wanted any
	if err := json.Unmarshal(raw, &sent); err != nil {
		return err
	}
	if err := json.Unmarshal(expected, &wanted); err != nil {
		return err
	}
	return requireFields(sent, wanted, "case")
}

// requireFields reports the first field present in wanted (the decoded case, encoded again)
// but missing from sent (the case as received), looking into nested objects and arrays.
func requireFields(sent, wanted any, path string) error {
	switch w := wanted.(type) {
	case map[string]any:
		s, ok := sent.(map[string]any)
		if !ok {
			return nil // null or another shape; the decoder already accepted it
		}
		for key, value := range w {
			inner, present := s[key]
			if !present {
				return fmt.Errorf("%s.%s is missing", path, key)
			}
			if err := requireFields(inner, value, path+"."+key); err != nil {
				return err
			}
		}
	case []any:
		s, _ := sent.([]any)
		for i := range min(len(s), len(w)) {
			if err := requireFields(s[i], w[i], fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

// answerOne runs one request; a panic in upstream's code becomes a fault naming it, so the
// driver can report the case instead of losing the harness.
func answerOne(line []byte) (ans answer) {
	defer func() {
		if p := recover(); p != nil {
			ans = answer{Fault: fmt.Sprintf("upstream panicked: %v", p)}
		}
	}()
	var req request
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return answer{Fault: "request is not {\"op\", \"case\"}: " + err.Error()}
	}
	f, ok := ops[req.Op]
	if !ok {
		return answer{Fault: fmt.Sprintf("unknown op %q; known: %v", req.Op, opNames())}
	}
	result, err := f(req.Case)
	if err != nil {
		return answer{Fault: fmt.Sprintf("%s: %v", req.Op, err)}
	}
	return answer{Result: result}
}

func serve(in io.Reader, out io.Writer) error {
	lines := bufio.NewScanner(in)
	lines.Buffer(make([]byte, 1<<20), 64<<20)
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	for lines.Scan() {
		if err := enc.Encode(answerOne(lines.Bytes())); err != nil {
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
