package main

import "encoding/json"

// echo answers its case unchanged: a self-test of the JSON-lines protocol for the driver.
func init() {
	register("echo", func(raw json.RawMessage) (any, error) {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		return v, nil
	})
}
