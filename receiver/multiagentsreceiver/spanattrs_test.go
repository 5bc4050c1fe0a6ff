package multiagentsreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// frameworkTimeoutResult is a result the framework itself timed out, as its worker manager
// publishes it.
func frameworkTimeoutResult(id, tx, step, worker, commandID, ts string) string {
	return `{"id": "` + id + `", "type": "result", "metadata": {"transaction_id": "` + tx + `", "correlation_id": "` + tx + `.` + step +
		`", "timestamp": "` + ts + `", "source": "` + worker + `", "version": "1.0"}, "payload": {}, "command_id": "` + commandID +
		`", "success": false, "error_message": "Worker ` + worker + ` timed out after 30 seconds", "error_details": {"error_type": "timeout"}}`
}

func spanNamed(t *testing.T, spans ptrace.SpanSlice, name string) ptrace.Span {
	t.Helper()
	for i := range spans.Len() {
		if spans.At(i).Name() == name {
			return spans.At(i)
		}
	}
	require.Failf(t, "span not found", "%s", name)
	return ptrace.Span{}
}

func logOf(t *testing.T, records plog.LogRecordSlice, eventID string) plog.LogRecord {
	t.Helper()
	for i := range records.Len() {
		if v, ok := records.At(i).Attributes().Get(attrEventID); ok && v.Str() == eventID {
			return records.At(i)
		}
	}
	require.Failf(t, "log record not found", "%s", eventID)
	return plog.LogRecord{}
}

// A step the framework itself reports as timed out is marked like one the receiver times out;
// an ordinary failure is not.
func TestFrameworkTimeoutIsMarkedTimedOut(t *testing.T) {
	u := newUnitAssembler(t, nil)
	const tx = "7a000000-0000-4000-8000-000000000001"
	u.feed(
		statusEvent("s", tx, "wf", "2025-08-05T00:00:00", "running", "Workflow started"),
		commandEvent("c-ship", tx, "wf", "ship_order", "ship_order", "2025-08-05T00:00:01", 30, `{}`),
		frameworkTimeoutResult("r-ship", tx, "ship_order", "ship_order", "c-ship", "2025-08-05T00:00:31"),
		commandEvent("c-pay", tx, "wf", "charge_payment", "charge_payment", "2025-08-05T00:00:32", 30, `{}`),
		resultEvent("r-pay", tx, "charge_payment", "charge_payment", "c-pay", "2025-08-05T00:00:33", false, "gateway down", `{}`),
		frameworkTimeoutResult("r-unknown", tx, "restock", "restock", "c-never-seen", "2025-08-05T00:00:34"),
	)
	ship := spanNamed(t, u.out.spans, "worker.ship_order")
	assert.Equal(t, true, ship.Attributes().AsRaw()[attrTimedOut])
	assert.Equal(t, "timeout", ship.Attributes().AsRaw()[attrErrorType])
	assert.Equal(t, ptrace.StatusCodeError, ship.Status().Code())
	assert.Equal(t, true, logOf(t, u.out.records, "r-ship").Attributes().AsRaw()[attrTimedOut])

	pay := spanNamed(t, u.out.spans, "worker.charge_payment")
	assert.NotContains(t, pay.Attributes().AsRaw(), attrTimedOut, "an exception is not a timeout")
	assert.NotContains(t, logOf(t, u.out.records, "r-pay").Attributes().AsRaw(), attrTimedOut)

	assert.Equal(t, true, logOf(t, u.out.records, "r-unknown").Attributes().AsRaw()[attrTimedOut],
		"also for a result whose command was not seen")
	assert.Equal(t, 0.0, u.counter("otelcol_receiver_multiagents_timed_out_steps"), "the receiver did not time these out itself")
}

// A compensation span carries the compensated step's command id as
// multiagents.original_command_id and its own event id as multiagents.event.id, never as
// multiagents.command_id (which names the step itself).
func TestCompensationSpanIDs(t *testing.T) {
	u := newUnitAssembler(t, nil)
	const tx = "7b000000-0000-4000-8000-000000000001"
	u.feed(
		statusEvent("s", tx, "wf", "2025-08-05T00:00:00", "running", "Workflow started"),
		commandEvent("c-inv", tx, "wf", "check_inventory", "check_inventory", "2025-08-05T00:00:01", 30, `{}`),
		resultEvent("r-inv", tx, "check_inventory", "check_inventory", "c-inv", "2025-08-05T00:00:02", true, "", `{}`),
		compensationEvent("k-1", tx, "wf", "check_inventory", "release_inventory", "c-inv", "2025-08-05T00:00:03"),
	)
	comp := spanNamed(t, u.out.spans, "compensation.release_inventory")
	attrs := comp.Attributes().AsRaw()
	assert.NotContains(t, attrs, attrCommandID)
	assert.Equal(t, "k-1", attrs[attrEventID])
	assert.Equal(t, "c-inv", attrs[attrOriginalCommandID])
	assert.Equal(t, "release_inventory", attrs[attrCompensationType])
	require.Equal(t, 1, comp.Links().Len())
	assert.Equal(t, spanIDFor(spanRoleStep, "c-inv"), comp.Links().At(0).SpanID())

	step := spanNamed(t, u.out.spans, "worker.check_inventory")
	assert.Equal(t, "c-inv", step.Attributes().AsRaw()[attrCommandID], "the step keeps its own command id")
}
