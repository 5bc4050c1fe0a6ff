package eventcodec

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSplitEvents(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"one object", `{"type":"command"}`, []string{`{"type":"command"}`}},
		{"one object over lines", "{\n \"type\": \"command\"\n}", []string{"{\n \"type\": \"command\"\n}"}},
		{"array", ` [ {"a":"x,]}"} , {"b":[1,{"c":"\"]"}]} ] `, []string{`{"a":"x,]}"}`, `{"b":[1,{"c":"\"]"}]}`}},
		{"array with NaN", `[{"p":NaN},{"q":1}]`, []string{`{"p":NaN}`, `{"q":1}`}},
		{"empty array", `[]`, nil},
		{"ndjson", "{\"a\":1}\n\n{\"b\":2}\n", []string{`{"a":1}`, `{"b":2}`}},
		{"broken array is one bad item", `[{"a":1},]`, []string{`[{"a":1},]`}},
		{"mismatched brackets", `[{"a":1]}`, []string{`[{"a":1]}`}},
		{"text after the array", `[{"a":1}] x`, []string{`[{"a":1}] x`}},
		{"empty", "  ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, item := range SplitEvents([]byte(tt.body)) {
				got = append(got, string(item))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

// FuzzSplitEventsMatchesEncodingJSON: for every body encoding/json accepts as an array, the
// scanner finds exactly the elements encoding/json finds.
func FuzzSplitEventsMatchesEncodingJSON(f *testing.F) {
	for _, seed := range []string{`[]`, `[{"a":1}]`, `[{"a":"]\""}, [1,2], "x"]`, `[{"p":{"q":[{}]}} ,{}]`, `[1,]`, `{"a":1}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := SplitEvents(body) // never panics, whatever the input
		var arr []json.RawMessage
		trimmed := bytes.TrimSpace(body)
		if len(trimmed) == 0 || trimmed[0] != '[' || json.Unmarshal(trimmed, &arr) != nil {
			return
		}
		if len(arr) != len(got) {
			t.Fatalf("encoding/json found %d elements, the scanner %d, in %q", len(arr), len(got), body)
		}
		for i := range arr {
			if !bytes.Equal(bytes.TrimSpace(arr[i]), got[i]) {
				t.Fatalf("element %d: encoding/json %q, scanner %q", i, arr[i], got[i])
			}
		}
	})
}
