package multiagentsreceiver

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
	ev, err := decodeEvent([]byte(sampleCommand))
	require.NoError(t, err)
	assert.Equal(t, kindCommand, ev.kind)
	assert.Equal(t, "8d3e0f6a-2c4b-4a8e-9f1d-7b6a5c4d3e21", ev.id)
	assert.Equal(t, "3f2b8c4e-9a1d-4e7b-b0c2-5d6e7f809a1b", ev.transactionID, "metadata.transaction_id wins over the payload's own")
	assert.Equal(t, "validate_order", ev.workerType)
	assert.Equal(t, 30.0, ev.timeoutSeconds)
	assert.Equal(t, "ecommerce_order_processing", ev.source)
	assert.Equal(t, time.Date(2025, 8, 5, 0, 46, 10, 415902000, time.UTC), ev.timestamp)
	assert.Equal(t, "validate_order", stepName(ev.correlationID, ev.transactionID, false))
}

func TestDecodeQuirks(t *testing.T) {
	t.Run("bare NaN and Infinity in payload", func(t *testing.T) {
		body := `{"type":"result","metadata":{"transaction_id":"t1","timestamp":"2025-08-05T00:46:10"},"payload":{"score":NaN,"hi":Infinity,"lo":-Infinity,"list":[NaN, 1],"text":"NaN stays Infinity in \"strings\" -Infinity"},"command_id":"c1","success":true}`
		ev, err := decodeEvent([]byte(body))
		require.NoError(t, err)
		var p map[string]any
		require.NoError(t, json.Unmarshal(ev.payload, &p))
		assert.Equal(t, "NaN", p["score"])
		assert.Equal(t, "Infinity", p["hi"])
		assert.Equal(t, "-Infinity", p["lo"])
		assert.Equal(t, []any{"NaN", 1.0}, p["list"])
		assert.Equal(t, `NaN stays Infinity in "strings" -Infinity`, p["text"])
		assert.Equal(t, time.Date(2025, 8, 5, 0, 46, 10, 0, time.UTC), ev.timestamp, "timestamp without fraction")
	})
	t.Run("unicode escapes", func(t *testing.T) {
		body := `{"type":"status","metadata":{"transaction_id":"t\u00e9"},"status":"running","message":"Workflow started \u2713"}`
		ev, err := decodeEvent([]byte(body))
		require.NoError(t, err)
		assert.Equal(t, "té", ev.transactionID)
		assert.Equal(t, "Workflow started ✓", ev.message)
	})
	t.Run("null timeout and RFC3339 timestamp", func(t *testing.T) {
		body := `{"type":"command","metadata":{"transaction_id":"t1","timestamp":"2025-08-05T02:46:10+02:00"},"worker_type":"a.b.c","timeout_seconds":null}`
		ev, err := decodeEvent([]byte(body))
		require.NoError(t, err)
		assert.Equal(t, -1.0, ev.timeoutSeconds)
		assert.Equal(t, "a.b.c", ev.workerType)
		assert.Equal(t, time.Date(2025, 8, 5, 0, 46, 10, 0, time.UTC), ev.timestamp)
	})
	t.Run("custom business event", func(t *testing.T) {
		body := `{"type":"custom","event_name":"order_completed","transaction_id":"TX-789","data":{"order_id":"ORDER-123","total_value":299.99}}`
		ev, err := decodeEvent([]byte(body))
		require.NoError(t, err)
		assert.Equal(t, kindCustom, ev.kind)
		assert.Equal(t, "order_completed", ev.eventName)
		assert.Equal(t, "TX-789", ev.transactionID)
		assert.JSONEq(t, `{"order_id":"ORDER-123","total_value":299.99}`, string(ev.payload))
	})
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name, body, reason string
	}{
		{"empty", ``, reasonInvalidJSON},
		{"garbage", `{"type":`, reasonInvalidJSON},
		{"array", `[1,2]`, reasonNotObject},
		{"missing type", `{"metadata":{"transaction_id":"t"}}`, reasonMissingType},
		{"unknown type", `{"type":"gossip","metadata":{"transaction_id":"t"}}`, reasonUnknownType},
		{"type not a string", `{"type":5,"metadata":{"transaction_id":"t"}}`, reasonWrongType},
		{"missing metadata", `{"type":"command"}`, reasonMissingTransactionID},
		{"missing transaction id", `{"type":"command","metadata":{"source":"x"}}`, reasonMissingTransactionID},
		{"transaction id not a string", `{"type":"command","metadata":{"transaction_id":42}}`, reasonWrongType},
		{"success not a bool", `{"type":"result","metadata":{"transaction_id":"t"},"command_id":"c","success":"yes"}`, reasonWrongType},
		{"result without command id", `{"type":"result","metadata":{"transaction_id":"t"},"success":true}`, reasonMissingCommandID},
		{"bad timestamp", `{"type":"status","metadata":{"transaction_id":"t","timestamp":"yesterday"}}`, reasonBadTimestamp},
		{"custom without name", `{"type":"custom","transaction_id":"t"}`, reasonMissingEventName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeEvent([]byte(tt.body))
			var de *decodeError
			require.True(t, errors.As(err, &de), "got %v", err)
			assert.Equal(t, tt.reason, de.reason)
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
		assert.Equal(t, want, string(sanitizeNonFinite([]byte(in))), in)
	}
	in := []byte(`{"no":"tokens"}`)
	assert.Same(t, &in[0], &sanitizeNonFinite(in)[0], "input without tokens is not copied")
}

func TestChannelKindSplitsOnFirstDot(t *testing.T) {
	kind, name := channelKind("multiagent:command.billing.v2.charge", "multiagent:")
	assert.Equal(t, "command", kind)
	assert.Equal(t, "billing.v2.charge", name)
}

func TestTraceIDFromUUID(t *testing.T) {
	id := traceIDFor("3f2b8c4e-9a1d-4e7b-b0c2-5d6e7f809a1b")
	assert.Equal(t, "3f2b8c4e9a1d4e7bb0c25d6e7f809a1b", id.String())
	other := traceIDFor("TX-789")
	assert.False(t, other.IsEmpty())
	assert.Equal(t, other, traceIDFor("TX-789"), "stable hash for non-UUID ids")
	assert.NotEqual(t, other, traceIDFor("TX-790"))
}

func TestStepNameShapes(t *testing.T) {
	for _, tt := range []struct {
		corr, tx     string
		compensation bool
		want         string
	}{
		{"t1.validate", "t1", false, "validate"},
		{"t1.", "t1", false, ""},
		{"t1", "t1", false, ""},
		{"t1xvalidate", "t1", false, ""},
		{"t2.validate", "t1", false, ""},
		{"t1.comp.refund", "t1", true, "refund"},
		{"t1.comp.refund", "t1", false, "comp.refund"},
		{"t1.refund", "t1", true, "refund"},
		{".x", "", false, "x"},
		{"", "", false, ""},
	} {
		assert.Equal(t, tt.want, stepName(tt.corr, tt.tx, tt.compensation), "%+v", tt)
	}
}
