package eventcodec

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleCommand = `{"id":"8d3e0f6a-2c4b-4a8e-9f1d-7b6a5c4d3e21","type":"command","metadata":{"transaction_id":"3f2b8c4e-9a1d-4e7b-b0c2-5d6e7f809a1b","correlation_id":"3f2b8c4e-9a1d-4e7b-b0c2-5d6e7f809a1b.validate_order","timestamp":"2025-08-05T00:46:10.415902","source":"ecommerce_order_processing","version":"1.0"},"payload":{"order":{"id":"ORDER-1754354770","total_amount":1059.97,"payment_info":{"method":"credit_card","card_last4":"1234"}},"customer_name":"John Doe","transaction_id":"not-this-one"},"worker_type":"validate_order","timeout_seconds":30,"retry_policy":null,"some_future_key":{"x":[1,2]}}`

func TestDecodeCommand(t *testing.T) {
	ev, err := Decode([]byte(sampleCommand))
	require.NoError(t, err)
	assert.Equal(t, KindCommand, ev.Kind)
	assert.Equal(t, "8d3e0f6a-2c4b-4a8e-9f1d-7b6a5c4d3e21", ev.ID)
	assert.Equal(t, "3f2b8c4e-9a1d-4e7b-b0c2-5d6e7f809a1b", ev.TransactionID, "metadata.transaction_id wins over the payload's own")
	assert.Equal(t, "validate_order", ev.WorkerType)
	assert.Equal(t, 30.0, ev.TimeoutSeconds)
	assert.Equal(t, "ecommerce_order_processing", ev.Source)
	assert.Equal(t, time.Date(2025, 8, 5, 0, 46, 10, 415902000, time.UTC), ev.Timestamp)
	assert.Equal(t, "3f2b8c4e-9a1d-4e7b-b0c2-5d6e7f809a1b.validate_order", ev.CorrelationID) // names_test.go reads its step
}

func TestDecodeQuirks(t *testing.T) {
	t.Run("bare NaN and Infinity in payload", func(t *testing.T) {
		body := `{"type":"result","metadata":{"transaction_id":"t1","timestamp":"2025-08-05T00:46:10"},"payload":{"score":NaN,"hi":Infinity,"lo":-Infinity,"list":[NaN, 1],"text":"NaN stays Infinity in \"strings\" -Infinity"},"command_id":"c1","success":true}`
		ev, err := Decode([]byte(body))
		require.NoError(t, err)
		var p map[string]any
		require.NoError(t, json.Unmarshal(ev.Payload, &p))
		assert.Equal(t, "NaN", p["score"])
		assert.Equal(t, "Infinity", p["hi"])
		assert.Equal(t, "-Infinity", p["lo"])
		assert.Equal(t, []any{"NaN", 1.0}, p["list"])
		assert.Equal(t, `NaN stays Infinity in "strings" -Infinity`, p["text"])
		assert.Equal(t, time.Date(2025, 8, 5, 0, 46, 10, 0, time.UTC), ev.Timestamp, "timestamp without fraction")
	})
	t.Run("unicode escapes", func(t *testing.T) {
		body := `{"type":"status","metadata":{"transaction_id":"t\u00e9"},"status":"running","message":"Workflow started \u2713"}`
		ev, err := Decode([]byte(body))
		require.NoError(t, err)
		assert.Equal(t, "té", ev.TransactionID)
		assert.Equal(t, "Workflow started ✓", ev.Message)
	})
	t.Run("null timeout and RFC3339 timestamp", func(t *testing.T) {
		body := `{"type":"command","metadata":{"transaction_id":"t1","timestamp":"2025-08-05T02:46:10+02:00"},"worker_type":"a.b.c","timeout_seconds":null}`
		ev, err := Decode([]byte(body))
		require.NoError(t, err)
		assert.Equal(t, -1.0, ev.TimeoutSeconds)
		assert.Equal(t, "a.b.c", ev.WorkerType)
		assert.Equal(t, time.Date(2025, 8, 5, 0, 46, 10, 0, time.UTC), ev.Timestamp)
	})
	t.Run("custom business event", func(t *testing.T) {
		body := `{"type":"custom","event_name":"order_completed","transaction_id":"TX-789","data":{"order_id":"ORDER-123","total_value":299.99}}`
		ev, err := Decode([]byte(body))
		require.NoError(t, err)
		assert.Equal(t, KindCustom, ev.Kind)
		assert.Equal(t, "order_completed", ev.EventName)
		assert.Equal(t, "TX-789", ev.TransactionID)
		assert.JSONEq(t, `{"order_id":"ORDER-123","total_value":299.99}`, string(ev.Payload))
	})
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name, body, reason string
	}{
		{"empty", ``, ReasonInvalidJSON},
		{"garbage", `{"type":`, ReasonInvalidJSON},
		{"array", `[1,2]`, ReasonNotObject},
		{"missing type", `{"metadata":{"transaction_id":"t"}}`, ReasonMissingType},
		{"unknown type", `{"type":"gossip","metadata":{"transaction_id":"t"}}`, ReasonUnknownType},
		{"type not a string", `{"type":5,"metadata":{"transaction_id":"t"}}`, ReasonWrongType},
		{"missing metadata", `{"type":"command"}`, ReasonMissingTransactionID},
		{"missing transaction id", `{"type":"command","metadata":{"source":"x"}}`, ReasonMissingTransactionID},
		{"transaction id not a string", `{"type":"command","metadata":{"transaction_id":42}}`, ReasonWrongType},
		{"success not a bool", `{"type":"result","metadata":{"transaction_id":"t"},"command_id":"c","success":"yes"}`, ReasonWrongType},
		{"result without command id", `{"type":"result","metadata":{"transaction_id":"t"},"success":true}`, ReasonMissingCommandID},
		{"bad timestamp", `{"type":"status","metadata":{"transaction_id":"t","timestamp":"yesterday"}}`, ReasonBadTimestamp},
		{"custom without name", `{"type":"custom","transaction_id":"t"}`, ReasonMissingEventName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.body))
			var de *Error
			require.True(t, errors.As(err, &de), "got %v", err)
			assert.Equal(t, tt.reason, de.Reason)
		})
	}
}

func TestSanitizeNonFinite(t *testing.T) {
	tests := map[string]string{
		`{"a":1}`:                               `{"a":1}`,
		`{"a":NaN}`:                             `{"a":"NaN"}`,
		`[NaN,Infinity,-Infinity]`:              `["NaN","Infinity","-Infinity"]`,
		`{"a":"NaN\\\"Infinity"}`:               `{"a":"NaN\\\"Infinity"}`,
		`{"a":"\"NaN"}`:                         `{"a":"\"NaN"}`,
		`{"NaN":NaN}`:                           `{"NaN":"NaN"}`,
		`{"a":-5,"b":NaNx}`:                     `{"a":-5,"b":NaNx}`,
		`{"a": NaN , "b" : -Infinity }`:         `{"a": "NaN" , "b" : "-Infinity" }`,
		`{"a":"x\\\\"  ,"b":Infinity}`:          `{"a":"x\\\\"  ,"b":"Infinity"}`,
		"{\"a\":\"Infinity\\u0022\",\"b\":NaN}": "{\"a\":\"Infinity\\u0022\",\"b\":\"NaN\"}",
	}
	for in, want := range tests {
		assert.Equal(t, want, string(SanitizeNonFinite([]byte(in))), in)
	}
	in := []byte(`{"no":"tokens"}`)
	assert.Same(t, &in[0], &SanitizeNonFinite(in)[0], "input without tokens is not copied")
}
