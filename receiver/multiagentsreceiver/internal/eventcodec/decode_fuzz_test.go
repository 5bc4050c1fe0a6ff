package eventcodec

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzDecodeEvent feeds arbitrary bytes to the decoder: it must never panic, must either
// return an event or a *Error with a known reason, and an accepted event always has
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
		ReasonInvalidJSON: true, ReasonNotObject: true, ReasonWrongType: true, ReasonMissingType: true,
		ReasonUnknownType: true, ReasonMissingTransactionID: true, ReasonMissingCommandID: true,
		ReasonMissingEventName: true, ReasonBadTimestamp: true,
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := Decode(body)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) || !known[de.Reason] {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if ev.Kind == 0 {
			t.Fatal("accepted event without a kind")
		}
		if ev.Kind != KindCustom && ev.TransactionID == "" {
			t.Fatal("accepted event without a transaction id")
		}
		if ev.Kind == KindCustom && ev.EventName == "" {
			t.Fatal("accepted custom event without a name")
		}
		if len(ev.Payload) > 0 && !json.Valid(ev.Payload) {
			t.Fatalf("payload is not valid JSON after sanitising: %q", ev.Payload)
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
		out := SanitizeNonFinite(in)
		if json.Valid(in) && string(out) != string(in) {
			t.Fatalf("changed valid JSON %q into %q", in, out)
		}
	})
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
