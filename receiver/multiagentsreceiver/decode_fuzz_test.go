package multiagentsreceiver

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzDecodeEvent feeds arbitrary bytes to the decoder: it must never panic, must either
// return an event or a *decodeError with a known reason, and an accepted event always has
// a type and a transaction id (except custom events, which need an event name).
func FuzzDecodeEvent(f *testing.F) {
	seeds := []string{
		sampleCommand,
		`{"type":"result","metadata":{"transaction_id":"t1","timestamp":"2025-08-05T00:46:10"},"payload":{"score":NaN,"x":-Infinity},"command_id":"c1","success":false,"error_message":"boom","error_details":{"error_type":"WorkerException"}}`,
		`{"type":"status","metadata":{"transaction_id":"t1","correlation_id":"t1","timestamp":"2025-08-05T00:46:10.412233","source":"wf"},"payload":{"workflow_id":"wf","current_step":null,"step_results":{}},"status":"running","progress":null,"message":"Workflow started"}`,
		`{"type":"compensation","metadata":{"transaction_id":"t1","correlation_id":"t1.comp.check_inventory"},"original_command_id":"c0","compensation_type":"release_inventory"}`,
		`{"type":"custom","event_name":"order_completed","transaction_id":"TX-789","data":{"password":"x"}}`,
		`{"type":"command","metadata":{"transaction_id":"t\u00e9"},"worker_type":"a.b","timeout_seconds":null}`,
		`{"type":"error","metadata":{"transaction_id":"t"},"error_code":"E1","recoverable":true}`,
		`{"type":`, `[]`, `"NaN"`, `NaN`, `{"a":"\"NaN\\"}`, ``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	known := map[string]bool{
		reasonInvalidJSON: true, reasonNotObject: true, reasonWrongType: true, reasonMissingType: true,
		reasonUnknownType: true, reasonMissingTransactionID: true, reasonMissingCommandID: true,
		reasonMissingEventName: true, reasonBadTimestamp: true,
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := decodeEvent(body)
		if err != nil {
			var de *decodeError
			if !errors.As(err, &de) || !known[de.reason] {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if ev.kind == 0 {
			t.Fatal("accepted event without a kind")
		}
		if ev.kind != kindCustom && ev.transactionID == "" {
			t.Fatal("accepted event without a transaction id")
		}
		if ev.kind == kindCustom && ev.eventName == "" {
			t.Fatal("accepted custom event without a name")
		}
		if len(ev.payload) > 0 && !json.Valid(ev.payload) {
			t.Fatalf("payload is not valid JSON after sanitising: %q", ev.payload)
		}
	})
}

// FuzzSanitizeNonFinite checks that sanitising never breaks a document that was valid
// JSON, and that whatever it returns for Python-style JSON decodes.
func FuzzSanitizeNonFinite(f *testing.F) {
	for _, s := range []string{`{"a":NaN}`, `["NaN",Infinity]`, `{"a":"\\"}`, `{"x":-Infinity,"y":"-Infinity"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := sanitizeNonFinite(in)
		if json.Valid(in) && string(out) != string(in) {
			t.Fatalf("changed valid JSON %q into %q", in, out)
		}
	})
}

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

// FuzzCanonicalTimestamp holds the hand-written reader of the framework's timestamps to
// time.Parse: whatever it accepts, time.Parse reads the same instant from.
func FuzzCanonicalTimestamp(f *testing.F) {
	for _, s := range []string{"2025-08-05T00:46:10.412233", "2025-08-05T00:46:10", "2025-02-28T23:59:59.999999999",
		"2025-08-05T00:46:10.", "2025-13-05T00:46:10", "2025-08-05T24:00:00", "2025-08-05T00:46:10.1234567890", "0000-01-01T00:00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseCanonicalTimestamp(s)
		if !ok {
			return
		}
		want, err := time.Parse("2006-01-02T15:04:05.999999999", s)
		if err != nil {
			t.Fatalf("accepted %q, which time.Parse rejects: %v", s, err)
		}
		if !got.Equal(want.UTC()) || got.Location() != want.UTC().Location() {
			t.Fatalf("%q: got %v, time.Parse %v", s, got, want.UTC())
		}
	})
}
