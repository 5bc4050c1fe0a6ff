package multiagentsreceiver

import (
	"encoding/json"
	"testing"
)

// FuzzRedactionPrecheck: whenever a payload holds a sensitive key at any depth, the cheap
// pre-check must send it down the redacting path (a miss would leak a secret).
func FuzzRedactionPrecheck(f *testing.F) {
	for _, s := range []string{`{"password":"x"}`, `{"a":{"B_Token":1}}`, `{"p\u0061ssword":"x"}`, `[{"ssn" : 1}]`, `{"x":"password"}`, `{"K":{"\u212aey":1}}`} {
		f.Add([]byte(s))
	}
	r := newPayloadRenderer(defaultRedactKeys, 1<<20)
	f.Fuzz(func(t *testing.T, raw []byte) {
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return
		}
		if hasSensitiveKey(r, v) && !r.mayContainSensitiveKey(raw) {
			t.Fatalf("pre-check missed a sensitive key in %q", raw)
		}
	})
}

func hasSensitiveKey(r *payloadRenderer, v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if r.sensitive(k) || hasSensitiveKey(r, val) {
				return true
			}
		}
	case []any:
		for _, val := range t {
			if hasSensitiveKey(r, val) {
				return true
			}
		}
	}
	return false
}
