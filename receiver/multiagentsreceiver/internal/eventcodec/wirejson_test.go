package eventcodec

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// decodeEventReference is the decoder built on encoding/json that wirejson.go replaces
// for speed; the fuzz test below holds the two to the same answers.
func decodeEventReference(body []byte) (*Event, error) {
	body, err := prepareBody(body)
	if err != nil {
		return nil, err
	}
	var w wireEvent
	if err := json.Unmarshal(body, &w); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, &Error{Reason: ReasonWrongType, Detail: typeErr.Field}
		}
		return nil, &Error{Reason: ReasonInvalidJSON, Detail: err.Error()}
	}
	return eventFromWire(&w)
}

func reasonOf(err error) string {
	var de *Error
	if errors.As(err, &de) {
		return de.Reason
	}
	return ""
}

func FuzzWireMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		sampleCommand,
		`{"type":"result","metadata":{"transaction_id":"t1","timestamp":"2025-08-05T00:46:10"},"payload":{"score":NaN},"command_id":"c1","success":false,"error_message":"boom","error_details":{"error_type":"WorkerException"}}`,
		`{"TYPE":"status","Metadata":{"Transaction_ID":"t"},"status":"running"}`,
		`{"type":"command","metadata":{"transaction_id":"t"},"timeout_seconds":1e999}`,
		`{"type":"command","metadata":"x"}`,
		`{"type":"command","metadata":null,"type":"status"}`,
		`{"type":"custom","event_name":"e","data":[1,{"a":-0.5e+3}],"transaction_id":"\ud83d\ude00"}`,
		`{"type":"result","metadata":{"transaction_id":"t"},"command_id":"c","success":1}`,
		`{"type":"status","metadata":{"transaction_id":"t"}} x`,
		`{"a":01}`, `{"a":"\x01"}`, `{"a":"\u12"}`, `{"t\u0079pe":"status","metadata":{"transaction_id":"t"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, gotErr := Decode(body)
		want, wantErr := decodeEventReference(body)
		if reasonOf(gotErr) != reasonOf(wantErr) {
			t.Fatalf("reason %q, encoding/json says %q (%v / %v) for %q", reasonOf(gotErr), reasonOf(wantErr), gotErr, wantErr, body)
		}
		if gotErr != nil {
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded differently:\n got %+v\nwant %+v\nfor %q", got, want, body)
		}
	})
}
