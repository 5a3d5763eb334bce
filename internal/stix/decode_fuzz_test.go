package stix

import (
	"encoding/json"
	"testing"
)

// FuzzDecode checks that no input panics Decode, that it rejects exactly what is not one
// JSON object, and that a rejection always names its problems. Seeds: the valid objects
// and testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	for _, raw := range validObjects {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, err := Decode(raw)
		var m map[string]json.RawMessage
		isObject := json.Unmarshal(raw, &m) == nil && m != nil
		if o == nil && isObject {
			t.Fatalf("a JSON object was not read: %v", err)
		}
		if o != nil && !isObject {
			t.Fatalf("%q is not a JSON object but was read", raw)
		}
		if err != nil {
			ve, ok := err.(*ValidationError)
			if !ok || len(ve.Problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
		}
	})
}
