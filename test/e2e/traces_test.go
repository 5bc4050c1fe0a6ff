//go:build e2e

package e2e

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// traceID is the transaction id's 16 bytes, as the receiver derives it.
func traceID(t *testing.T, txID string) [16]byte {
	b, err := hex.DecodeString(strings.ReplaceAll(txID, "-", ""))
	require.NoError(t, err)
	return [16]byte(b)
}

func spansByName(spans []ptrace.Span) map[string]ptrace.Span {
	out := map[string]ptrace.Span{}
	for _, s := range spans {
		out[s.Name()] = s
	}
	return out
}

// Transactions on the bus arrive at the OTLP backend as trace trees: a root per workflow, a child
// per step ended by its result, compensations linked to the step they undo.
func TestTransactionTracesReachTheOTLPBackend(t *testing.T) {
	d := startDeployment(t)

	ok := agentsim.NewWorkflow(d.prefix, "order_processing")
	d.publish(t, ok.Started())
	cmd, validateID := ok.Command("validate_order", 30, nil)
	d.publish(t, cmd)
	d.publish(t, ok.Result("validate_order", validateID, true, ""))
	cmd, shipID := ok.Command("ship_order", 30, nil)
	d.publish(t, cmd)
	d.publish(t, ok.Result("ship_order", shipID, true, ""))
	d.publish(t, ok.Completed())

	bad := agentsim.NewWorkflow(d.prefix, "order_processing")
	d.publish(t, bad.Started())
	cmd, reserveID := bad.Command("check_inventory", 30, nil)
	d.publish(t, cmd)
	d.publish(t, bad.Result("check_inventory", reserveID, true, ""))
	cmd, payID := bad.Command("process_payment", 30, nil)
	d.publish(t, cmd)
	d.publish(t, bad.Result("process_payment", payID, false, "Payment gateway unreachable"))
	d.publish(t, bad.Compensation("check_inventory", "release_inventory", reserveID))
	d.publish(t, bad.Compensated())

	okID, badID := traceID(t, ok.TxID), traceID(t, bad.TxID)
	require.True(t, collectortest.Eventually(30*time.Second, 200*time.Millisecond, func() bool {
		return len(d.otlp.trace(okID)) == 3 && len(d.otlp.trace(badID)) == 4
	}), "trace trees incomplete: ok %d spans, failed %d spans, %d spans in all\nlogs:\n%s", len(d.otlp.trace(okID)), len(d.otlp.trace(badID)), d.otlp.count(), d.proc.Logs())

	spans := spansByName(d.otlp.trace(okID))
	root := spans["workflow.order_processing"]
	require.NotEqual(t, ptrace.Span{}, root, "no root span: %v", spans)
	assert.True(t, root.ParentSpanID().IsEmpty(), "the root has no parent")
	assert.Equal(t, ptrace.StatusCodeUnset, root.Status().Code(), "a completed workflow is not an error")
	v, _ := root.Attributes().Get("workflow.transaction_id")
	assert.Equal(t, ok.TxID, v.Str())
	for _, name := range []string{"worker.validate_order", "worker.ship_order"} {
		step, found := spans[name]
		require.True(t, found, "no %s span: %v", name, spans)
		assert.Equal(t, root.SpanID(), step.ParentSpanID(), "%s is a child of the root", name)
		assert.NotEqual(t, ptrace.StatusCodeError, step.Status().Code())
		assert.False(t, step.EndTimestamp() < step.StartTimestamp(), "%s ends before it starts", name)
	}

	spans = spansByName(d.otlp.trace(badID))
	root = spans["workflow.order_processing"]
	assert.Equal(t, ptrace.StatusCodeError, root.Status().Code(), "a compensated workflow is an error")
	pay := spans["worker.process_payment"]
	assert.Equal(t, root.SpanID(), pay.ParentSpanID())
	assert.Equal(t, ptrace.StatusCodeError, pay.Status().Code())
	assert.Contains(t, pay.Status().Message(), "Payment gateway unreachable")
	reserve := spans["worker.check_inventory"]
	comp, found := spans["compensation.release_inventory"]
	require.True(t, found, "no compensation span: %v", spans)
	assert.Equal(t, root.SpanID(), comp.ParentSpanID())
	require.Equal(t, 1, comp.Links().Len(), "a compensation links the step it undoes")
	assert.Equal(t, reserve.SpanID(), comp.Links().At(0).SpanID())
}
