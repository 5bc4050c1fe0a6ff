package agentsim

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTimestampMatchesPythonIsoformat(t *testing.T) {
	assert.Equal(t, "2025-08-05T00:46:10.412233", Timestamp(time.Date(2025, 8, 5, 0, 46, 10, 412233000, time.UTC)))
	assert.Equal(t, "2025-08-05T00:46:10", Timestamp(time.Date(2025, 8, 5, 0, 46, 10, 0, time.UTC)))
	assert.Equal(t, "2025-08-05T00:46:10", Timestamp(time.Date(2025, 8, 5, 0, 46, 10, 999, time.UTC)), "sub-microsecond parts are not written")
}

func TestCommandAndResultShape(t *testing.T) {
	w := NewWorkflow("multiagent:", "ecommerce_order_processing")
	cmd, id := w.Command("validate_order", 30, nil)
	assert.Equal(t, "multiagent:command.validate_order", cmd.Channel)
	var c map[string]any
	require.NoError(t, json.Unmarshal(cmd.Body, &c))
	assert.Equal(t, id, c["id"])
	assert.Equal(t, "command", c["type"])
	md := c["metadata"].(map[string]any)
	assert.Equal(t, w.TxID, md["transaction_id"])
	assert.Equal(t, w.TxID+".validate_order", md["correlation_id"])
	assert.Equal(t, "ecommerce_order_processing", md["source"])

	res := w.Result("validate_order", id, false, "boom")
	var r map[string]any
	require.NoError(t, json.Unmarshal(res.Body, &r))
	assert.Equal(t, "multiagent:result.validate_order", res.Channel)
	assert.Equal(t, id, r["command_id"])
	assert.Equal(t, false, r["success"])
	assert.Equal(t, "Worker validate_order failed: boom", r["error_message"])
	assert.Equal(t, map[string]any{"error_type": "WorkerException"}, r["error_details"])
}

func TestNewUUIDIsVersion4(t *testing.T) {
	u := NewUUID()
	require.Len(t, u, 36)
	assert.Equal(t, byte('4'), u[14])
	assert.Contains(t, "89ab", string(u[19]))
	assert.NotEqual(t, u, NewUUID())
}
