package multiagentsreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/eventcodec"
)

const (
	ecomTx       = "3f2b8c4e-9a1d-4e7b-b0c2-5d6e7f809a1b"
	ecomWorkflow = "ecommerce_order_processing"
	ch           = "multiagent:"
)

func ts(t *testing.T, s string) pcommon.Timestamp {
	t.Helper()
	v, err := eventcodec.ParseTimestamp(s)
	require.NoError(t, err)
	return pcommon.NewTimestampFromTime(v)
}

func stepAttrs(worker, step, commandID string) map[string]any {
	return map[string]any{
		"worker.name":             worker,
		"workflow.transaction_id": ecomTx,
		"workflow.step":           step,
		"multiagents.command_id":  commandID,
	}
}

func TestEcommerceSuccessFlow(t *testing.T) {
	h := startHarness(t)
	steps := []struct{ name, cmd, res, start, end string }{
		{"validate_order", "c0000001-0000-4000-8000-000000000001", "r1", "2025-08-05T00:46:10.415902", "2025-08-05T00:46:10.921554"},
		{"check_inventory", "c0000001-0000-4000-8000-000000000002", "r2", "2025-08-05T00:46:10.930000", "2025-08-05T00:46:11.430000"},
		{"process_payment", "c0000001-0000-4000-8000-000000000003", "r3", "2025-08-05T00:46:11.440000", "2025-08-05T00:46:12.440000"},
		{"send_confirmation", "c0000001-0000-4000-8000-000000000004", "r4", "2025-08-05T00:46:12.450000", "2025-08-05T00:46:12.700000"},
	}
	h.publish(ch+"status.workflow", statusEvent("s1", ecomTx, ecomWorkflow, "2025-08-05T00:46:10.412233", "running", "Workflow started"))
	for _, s := range steps {
		payload := `{"order": {"id": "ORDER-1754354770", "total_amount": 1059.97}, "customer_name": "John Doe"}`
		if s.name == "process_payment" {
			payload = `{"amount": 1059.97, "credit_card": "4111111111111111", "nested": {"API_KEY": "abc"}}`
		}
		h.publish(ch+"command."+s.name, commandEvent(s.cmd, ecomTx, ecomWorkflow, s.name, s.name, s.start, 30, payload))
		h.publish(ch+"result."+s.name, resultEvent(s.res, ecomTx, s.name, s.name, s.cmd, s.end, true, "", `{"ok": true}`))
	}
	h.publish(ch+"status.workflow", statusEvent("s2", ecomTx, ecomWorkflow, "2025-08-05T00:46:12.712233", "completed", "Workflow completed"))

	spans := h.waitSpans(5)
	require.Len(t, spans, 5)
	root := spanByName(t, spans, "workflow."+ecomWorkflow)
	assert.Equal(t, "3f2b8c4e9a1d4e7bb0c25d6e7f809a1b", root.TraceID().String())
	assert.True(t, root.ParentSpanID().IsEmpty())
	assert.Equal(t, map[string]any{
		"workflow.id":             ecomWorkflow,
		"workflow.transaction_id": ecomTx,
		"workflow.status":         "completed",
	}, attrsOf(root.Attributes()))
	assert.Equal(t, ptrace.StatusCodeUnset, root.Status().Code())
	assert.Equal(t, ts(t, "2025-08-05T00:46:10.412233"), root.StartTimestamp())
	assert.Equal(t, ts(t, "2025-08-05T00:46:12.712233"), root.EndTimestamp())
	require.Equal(t, 2, root.Events().Len())
	assert.Equal(t, "running", root.Events().At(0).Attributes().AsRaw()["workflow.status"])
	assert.Equal(t, "completed", root.Events().At(1).Attributes().AsRaw()["workflow.status"])

	for _, s := range steps {
		span := spanByName(t, spans, "worker."+s.name)
		assert.Equal(t, root.TraceID(), span.TraceID())
		assert.Equal(t, root.SpanID(), span.ParentSpanID(), s.name)
		assert.Equal(t, stepAttrs(s.name, s.name, s.cmd), attrsOf(span.Attributes()))
		assert.Equal(t, ptrace.StatusCodeUnset, span.Status().Code())
		assert.Equal(t, ts(t, s.start), span.StartTimestamp())
		assert.Equal(t, ts(t, s.end), span.EndTimestamp())
	}

	md := h.emitMetrics()
	assert.Equal(t, map[string]int64{
		"event_type=CommandEvent,status=success": 4,
		"event_type=ResultEvent,status=success":  4,
		"event_type=StatusEvent,status=success":  2,
	}, sumValues(t, md, metricEvents))
	assert.Equal(t, map[string]int64{
		"worker.name=check_inventory,status=success":   1,
		"worker.name=process_payment,status=success":   1,
		"worker.name=send_confirmation,status=success": 1,
		"worker.name=validate_order,status=success":    1,
	}, sumValues(t, md, metricWorkerExecutions))
	assert.Equal(t, map[string]int64{"workflow.id=ecommerce_order_processing,status=completed": 1}, sumValues(t, md, metricWorkflows))
	wd := histValues(t, md, metricWorkerDuration)
	assert.Equal(t, uint64(1), wd["worker.name=validate_order"].count)
	assert.InDelta(t, 0.505652, wd["worker.name=validate_order"].sum, 1e-9)
	assert.InDelta(t, 1.0, wd["worker.name=process_payment"].sum, 1e-9)
	fd := histValues(t, md, metricWorkflowDuration)
	assert.Equal(t, uint64(1), fd["workflow.id=ecommerce_order_processing"].count)
	assert.InDelta(t, 2.3, fd["workflow.id=ecommerce_order_processing"].sum, 1e-9)
	ed := histValues(t, md, metricEventDuration)
	assert.Equal(t, uint64(4), ed["event_type=CommandEvent"].count)
	assert.Equal(t, uint64(1), ed["event_type=StatusEvent"].count)
	active := findMetric(t, md, metricActiveWorkflows)
	assert.Equal(t, int64(0), active.Gauge().DataPoints().At(0).IntValue())
	cpu := findMetric(t, md, metricSystemCPU)
	assert.Equal(t, "%", cpu.Unit())
	v := cpu.Gauge().DataPoints().At(0).DoubleValue()
	assert.True(t, v >= 0 && v <= 100, "cpu %v", v)
	mem := findMetric(t, md, metricSystemMemory)
	v = mem.Gauge().DataPoints().At(0).DoubleValue()
	assert.True(t, v > 0 && v <= 100, "memory %v", v)

	// Logs: one per event, in the trace, payload redacted.
	logs := h.allLogs()
	require.Len(t, logs, 10)
	var paymentCmd plog.LogRecord
	for _, lr := range logs {
		assert.Equal(t, root.TraceID(), lr.TraceID())
		if lr.Attributes().AsRaw()["multiagents.event.id"] == steps[2].cmd {
			paymentCmd = lr
		}
	}
	require.NotEqual(t, plog.LogRecord{}, paymentCmd)
	body := paymentCmd.Body().Str()
	assert.NotContains(t, body, "4111111111111111")
	assert.NotContains(t, body, "abc")
	assert.Contains(t, body, `"credit_card":"***REDACTED***"`)
	assert.Contains(t, body, `"API_KEY":"***REDACTED***"`)
	assert.Equal(t, spanByName(t, spans, "worker.process_payment").SpanID(), paymentCmd.SpanID())
	assert.Equal(t, plog.SeverityNumberInfo, paymentCmd.SeverityNumber())
	assert.Equal(t, "CommandEvent", paymentCmd.Attributes().AsRaw()["multiagents.event.type"])
}

func TestFailureWithTwoCompensations(t *testing.T) {
	h := startHarness(t)
	const (
		cValidate  = "c0000002-0000-4000-8000-000000000001"
		cInventory = "c0000002-0000-4000-8000-000000000002"
		cPayment   = "c0000002-0000-4000-8000-000000000003"
	)
	h.publish(ch+"status.workflow", statusEvent("s1", ecomTx, ecomWorkflow, "2025-08-05T00:46:10", "running", "Workflow started"))
	h.publish(ch+"command.validate_order", commandEvent(cValidate, ecomTx, ecomWorkflow, "validate_order", "validate_order", "2025-08-05T00:46:10.100000", 30, `{}`))
	h.publish(ch+"result.validate_order", resultEvent("r1", ecomTx, "validate_order", "validate_order", cValidate, "2025-08-05T00:46:10.200000", true, "", `{}`))
	h.publish(ch+"command.check_inventory", commandEvent(cInventory, ecomTx, ecomWorkflow, "check_inventory", "check_inventory", "2025-08-05T00:46:10.300000", 30, `{}`))
	h.publish(ch+"result.check_inventory", resultEvent("r2", ecomTx, "check_inventory", "check_inventory", cInventory, "2025-08-05T00:46:10.400000", true, "", `{}`))
	h.publish(ch+"command.process_payment", commandEvent(cPayment, ecomTx, ecomWorkflow, "process_payment", "process_payment", "2025-08-05T00:46:10.500000", 60, `{}`))
	h.publish(ch+"result.process_payment", resultEvent("r3", ecomTx, "process_payment", "process_payment", cPayment, "2025-08-05T00:46:11.500000", false, "Worker process_payment failed: Payment gateway unreachable", `{}`))
	// Newest first, as the orchestrator orders them.
	h.publish(ch+"compensation.release_inventory", compensationEvent("k1", ecomTx, ecomWorkflow, "check_inventory", "release_inventory", cInventory, "2025-08-05T00:46:11.510000"))
	h.publish(ch+"compensation.cancel_validation", compensationEvent("k2", ecomTx, ecomWorkflow, "validate_order", "cancel_validation", cValidate, "2025-08-05T00:46:11.520000"))
	h.publish(ch+"status.workflow", statusEvent("s2", ecomTx, ecomWorkflow, "2025-08-05T00:46:11.530000", "compensated", "Workflow compensated"))

	// Steps and compensations go out as they end; the root waits for the cancel linger.
	h.waitProcessed(10)
	h.clock.Advance(cancelLinger)
	h.recv.sweepNow()
	spans := h.waitSpans(6)
	require.Len(t, spans, 6)

	root := spanByName(t, spans, "workflow."+ecomWorkflow)
	assert.Equal(t, ptrace.StatusCodeError, root.Status().Code())
	assert.Equal(t, "workflow compensated", root.Status().Message())
	assert.Equal(t, "compensated", root.Attributes().AsRaw()["workflow.status"])
	assert.Equal(t, ts(t, "2025-08-05T00:46:11.530000"), root.EndTimestamp())

	pay := spanByName(t, spans, "worker.process_payment")
	assert.Equal(t, root.SpanID(), pay.ParentSpanID())
	assert.Equal(t, ptrace.StatusCodeError, pay.Status().Code())
	assert.Equal(t, "Worker process_payment failed: Payment gateway unreachable", pay.Status().Message())
	assert.Equal(t, "WorkerException", pay.Attributes().AsRaw()["error.type"])
	for _, name := range []string{"worker.validate_order", "worker.check_inventory"} {
		s := spanByName(t, spans, name)
		assert.Equal(t, ptrace.StatusCodeUnset, s.Status().Code(), name)
		assert.Equal(t, root.SpanID(), s.ParentSpanID(), name)
	}
	for _, c := range []struct{ name, step, original string }{
		{"compensation.release_inventory", "check_inventory", cInventory},
		{"compensation.cancel_validation", "validate_order", cValidate},
	} {
		s := spanByName(t, spans, c.name)
		assert.Equal(t, root.SpanID(), s.ParentSpanID(), c.name)
		require.Equal(t, 1, s.Links().Len(), c.name)
		undone := spanByName(t, spans, "worker."+c.step)
		assert.Equal(t, undone.SpanID(), s.Links().At(0).SpanID(), "%s links the step it undoes", c.name)
		assert.Equal(t, undone.TraceID(), s.Links().At(0).TraceID())
		assert.Equal(t, c.step, s.Attributes().AsRaw()["workflow.step"])
		assert.Equal(t, c.original, s.Attributes().AsRaw()["multiagents.original_command_id"])
	}

	md := h.emitMetrics()
	assert.Equal(t, map[string]int64{
		"event_type=CommandEvent,status=success":      3,
		"event_type=ResultEvent,status=success":       2,
		"event_type=ResultEvent,status=error":         1,
		"event_type=CompensationEvent,status=success": 2,
		"event_type=StatusEvent,status=success":       1,
		"event_type=StatusEvent,status=error":         1,
	}, sumValues(t, md, metricEvents))
	assert.Equal(t, map[string]int64{
		"worker.name=check_inventory,status=success": 1,
		"worker.name=process_payment,status=error":   1,
		"worker.name=validate_order,status=success":  1,
	}, sumValues(t, md, metricWorkerExecutions))
	assert.Equal(t, map[string]int64{"workflow.id=ecommerce_order_processing,status=compensated": 1}, sumValues(t, md, metricWorkflows))
	assert.InDelta(t, 1.53, histValues(t, md, metricWorkflowDuration)["workflow.id=ecommerce_order_processing"].sum, 1e-9)

	var failedResult plog.LogRecord
	for _, lr := range h.allLogs() {
		if lr.Attributes().AsRaw()["multiagents.event.id"] == "r3" {
			failedResult = lr
		}
	}
	assert.Equal(t, plog.SeverityNumberError, failedResult.SeverityNumber())
	assert.Equal(t, pay.SpanID(), failedResult.SpanID())
}

func TestCancelledWorkflow(t *testing.T) {
	h := startHarness(t)
	const tx = "5a1b2c3d-0000-4000-8000-00000000ca11"
	const cmd = "c0000003-0000-4000-8000-000000000001"
	h.publish(ch+"status.workflow", statusEvent("s1", tx, "refund", "2025-08-05T01:00:00", "running", "Workflow started"))
	h.publish(ch+"command.lookup", commandEvent(cmd, tx, "refund", "lookup", "lookup", "2025-08-05T01:00:00.500000", 30, `{}`))
	h.publish(ch+"result.lookup", resultEvent("r1", tx, "lookup", "lookup", cmd, "2025-08-05T01:00:01", true, "", `{}`))
	h.publish(ch+"status.workflow", statusEvent("s2", tx, "refund", "2025-08-05T01:00:02", "compensated", "Workflow compensated"))
	h.publish(ch+"status.workflow", statusEvent("s3", tx, "refund", "2025-08-05T01:00:02.100000", "cancelled", "Workflow cancelled"))

	spans := h.waitSpans(2) // no clock move: the cancel ends the workflow at once
	require.Len(t, spans, 2)
	root := spanByName(t, spans, "workflow.refund")
	assert.Equal(t, "cancelled", root.Attributes().AsRaw()["workflow.status"])
	assert.Equal(t, ptrace.StatusCodeError, root.Status().Code())
	assert.Equal(t, "workflow cancelled", root.Status().Message())
	assert.Equal(t, ts(t, "2025-08-05T01:00:02.100000"), root.EndTimestamp())
	require.Equal(t, 3, root.Events().Len())
	assert.Equal(t, "Workflow cancelled", root.Events().At(2).Attributes().AsRaw()["message"])
	lookup := spanByName(t, spans, "worker.lookup")
	assert.Equal(t, root.SpanID(), lookup.ParentSpanID())

	md := h.emitMetrics()
	assert.Equal(t, map[string]int64{"workflow.id=refund,status=cancelled": 1}, sumValues(t, md, metricWorkflows))
	assert.Equal(t, map[string]int64{
		"event_type=CommandEvent,status=success": 1,
		"event_type=ResultEvent,status=success":  1,
		"event_type=StatusEvent,status=success":  1,
		"event_type=StatusEvent,status=error":    2,
	}, sumValues(t, md, metricEvents))
}

func TestStepWithoutResultTimesOut(t *testing.T) {
	h := startHarness(t)
	const tx = "6b000000-0000-4000-8000-0000000071e0"
	const cmd = "c0000004-0000-4000-8000-000000000001"
	h.publish(ch+"status.workflow", statusEvent("s1", tx, "ship", "2025-08-05T02:00:00", "running", "Workflow started"))
	h.publish(ch+"command.courier.eu", commandEvent(cmd, tx, "ship", "book_courier", "courier.eu", "2025-08-05T02:00:01", 30, `{}`))
	h.waitProcessed(2)

	h.clock.Advance(34 * time.Second) // timeout 30 s + grace 5 s not reached yet
	h.recv.sweepNow()
	assert.Empty(t, h.allSpans())
	h.clock.Advance(time.Second)
	h.recv.sweepNow()

	spans := h.waitSpans(1)
	require.Len(t, spans, 1, "only the step: the workflow itself is still open")
	step := spans[0]
	assert.Equal(t, "worker.courier.eu", step.Name())
	assert.Equal(t, ptrace.StatusCodeError, step.Status().Code())
	assert.Equal(t, "timed out", step.Status().Message())
	assert.Equal(t, map[string]any{
		"worker.name":             "courier.eu",
		"workflow.transaction_id": tx,
		"workflow.step":           "book_courier",
		"multiagents.command_id":  cmd,
		"multiagents.timed_out":   true,
	}, attrsOf(step.Attributes()))
	assert.Equal(t, spanIDFor(spanRoleRoot, tx), step.ParentSpanID())
	assert.Equal(t, ts(t, "2025-08-05T02:00:36"), step.EndTimestamp(), "ended at timeout_seconds + grace")
	assert.Equal(t, 1.0, h.counterValue("otelcol_receiver_multiagents_timed_out_steps", nil))

	// A result after the timeout is late: ignored and counted.
	h.publish(ch+"result.courier.eu", resultEvent("r1", tx, "book_courier", "courier.eu", cmd, "2025-08-05T02:00:50", true, "", `{}`))
	require.Eventually(t, func() bool {
		return h.counterValue("otelcol_receiver_multiagents_duplicate_results", map[string]string{"kind": "late"}) == 1
	}, 5*time.Second, 10*time.Millisecond)

	md := h.emitMetrics()
	assert.Equal(t, map[string]int64{"worker.name=courier.eu,status=error": 1}, sumValues(t, md, metricWorkerExecutions))
	assert.Equal(t, int64(1), findMetric(t, md, metricActiveWorkflows).Gauge().DataPoints().At(0).IntValue())
	var timeoutLog bool
	for _, lr := range h.allLogs() {
		if lr.EventName() == "multiagents.step.timeout" {
			timeoutLog = true
			assert.Equal(t, plog.SeverityNumberError, lr.SeverityNumber())
			assert.Equal(t, step.SpanID(), lr.SpanID())
		}
	}
	assert.True(t, timeoutLog)
}

func TestQuirksAndMalformedMidStream(t *testing.T) {
	h := startHarness(t)
	const tx = "7c000000-0000-4000-8000-00000000a0a0"
	const cmd = "c0000005-0000-4000-8000-000000000001"
	h.publish(ch+"status.workflow", statusEvent("s1", tx, "score", "2025-08-05T03:00:00", "running", "Workflow started"))
	h.publish(ch+"command.scorer", commandEvent(cmd, tx, "score", "score", "scorer", "2025-08-05T03:00:01", 30, `{"input": [1, 2]}`))
	h.publish(ch+"result.scorer", `{"id": "broken", "type": "result", "metadata": {"transaction_id": `) // malformed, mid-stream
	h.publish(ch+"result.scorer", `{"type": "result", "metadata": {"timestamp": "2025-08-05T03:00:01"}, "command_id": "x", "success": true}`)
	h.publish(ch+"result.scorer", resultEvent("r1", tx, "score", "scorer", cmd, "2025-08-05T03:00:02", true, "", `{"score": NaN, "upper": Infinity, "lower": -Infinity, "note": "NaN in text"}`))
	h.publish(ch+"result.scorer", resultEvent("r1-dup", tx, "score", "scorer", cmd, "2025-08-05T03:00:02.5", true, "", `{"score": 1}`))
	h.publish(ch+"status.workflow", statusEvent("s2", tx, "score", "2025-08-05T03:00:03", "completed", "Workflow completed"))

	spans := h.waitSpans(2)
	require.Len(t, spans, 2)
	step := spanByName(t, spans, "worker.scorer")
	assert.Equal(t, ts(t, "2025-08-05T03:00:01"), step.StartTimestamp(), "timestamp without a fraction")
	assert.Equal(t, ts(t, "2025-08-05T03:00:02"), step.EndTimestamp())
	spanByName(t, spans, "workflow.score")

	assert.Equal(t, 1.0, h.counterValue("otelcol_receiver_multiagents_decode_errors", map[string]string{"reason": eventcodec.ReasonInvalidJSON}))
	assert.Equal(t, 1.0, h.counterValue("otelcol_receiver_multiagents_decode_errors", map[string]string{"reason": eventcodec.ReasonMissingTransactionID}))
	assert.Equal(t, 1.0, h.counterValue("otelcol_receiver_multiagents_duplicate_results", map[string]string{"kind": "duplicate"}))

	md := h.emitMetrics()
	assert.Equal(t, map[string]int64{
		"event_type=CommandEvent,status=success": 1,
		"event_type=ResultEvent,status=success":  2, // the duplicate is an event on the bus too
		"event_type=StatusEvent,status=success":  2,
	}, sumValues(t, md, metricEvents))
	assert.Equal(t, map[string]int64{"worker.name=scorer,status=success": 1}, sumValues(t, md, metricWorkerExecutions), "duplicate not counted as an execution")

	var nanBody string
	for _, lr := range h.allLogs() {
		if lr.Attributes().AsRaw()["multiagents.event.id"] == "r1" {
			nanBody = lr.Body().Str()
		}
	}
	assert.JSONEq(t, `{"score": "NaN", "upper": "Infinity", "lower": "-Infinity", "note": "NaN in text"}`, nanBody)
}
