package multiagentsreceiver

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// exemplarsOf returns the exemplars of the sum point of name whose attribute key is value
// and whose status is status.
func exemplarsOf(t *testing.T, md pmetric.Metrics, name, key, value, status string) pmetric.ExemplarSlice {
	t.Helper()
	dps := findMetric(t, md, name).Sum().DataPoints()
	for i := 0; i < dps.Len(); i++ {
		attrs := dps.At(i).Attributes()
		k, _ := attrs.Get(key)
		s, _ := attrs.Get(attrStatus)
		if k.Str() == value && s.Str() == status {
			return dps.At(i).Exemplars()
		}
	}
	t.Fatalf("no %s point with %s=%s status=%s", name, key, value, status)
	return pmetric.ExemplarSlice{}
}

// TestFailingPointsCarryExemplarsOfExportedTraces runs five payment failures (one a
// compensated workflow) and one success through a real redis-server: the worker's error
// point and the workflows' unsuccessful points carry the newest three failing transactions,
// each naming a trace the receiver exported and the span of what failed.
func TestFailingPointsCarryExemplarsOfExportedTraces(t *testing.T) {
	h := startHarness(t)
	const workflow = "payments"
	events := 0
	for i := range 6 {
		tx := fmt.Sprintf("7a000000-0000-4000-8000-%012d", i)
		cmd := fmt.Sprintf("c7000000-0000-4000-8000-%012d", i)
		at := func(ms int) string {
			return time.Date(2025, 8, 5, 1, i, 0, ms*int(time.Millisecond), time.UTC).Format("2006-01-02T15:04:05.000000")
		}
		ok := i == 5 // the newest transaction succeeds: it must not push out a failure
		final := "failed"
		if ok {
			final = "completed"
		}
		h.publish(ch+"status.workflow", statusEvent(fmt.Sprintf("s%d", i), tx, workflow, at(0), "running", "started"))
		h.publish(ch+"command.process_payment", commandEvent(cmd, tx, workflow, "process_payment", "process_payment", at(100), 30, `{}`))
		h.publish(ch+"result.process_payment", resultEvent(fmt.Sprintf("r%d", i), tx, "process_payment", "process_payment", cmd, at(200), ok, "gateway unreachable", `{}`))
		h.publish(ch+"status.workflow", statusEvent(fmt.Sprintf("e%d", i), tx, workflow, at(300), final, "ended"))
		events += 4
	}
	h.waitProcessed(int64(events))
	h.clock.Advance(time.Hour) // past any linger
	h.recv.sweepNow()
	spans := h.waitSpans(5 * 2) // the failing transactions' step and root spans
	exported := map[pcommon.SpanID]ptrace.Span{}
	for _, s := range spans {
		exported[s.SpanID()] = s
	}

	md := h.emitMetrics()
	errs := exemplarsOf(t, md, metricWorkerExecutions, attrWorkerName, "process_payment", statusError)
	require.Equal(t, maxExemplarsPerSeries, errs.Len(), "bounded: the newest three of five failures")
	var last pcommon.Timestamp
	for i := 0; i < errs.Len(); i++ {
		ex := errs.At(i)
		step, ok := exported[ex.SpanID()]
		require.True(t, ok, "exemplar %d names an exported span", i)
		assert.Equal(t, "worker.process_payment", step.Name())
		assert.Equal(t, ptrace.StatusCodeError, step.Status().Code())
		assert.Equal(t, step.TraceID(), ex.TraceID(), "the transaction's trace")
		assert.Equal(t, step.EndTimestamp(), ex.Timestamp(), "when the step failed")
		assert.Equal(t, int64(1), ex.IntValue())
		if i > 0 {
			assert.Less(t, ex.Timestamp(), last, "newest first")
		}
		last = ex.Timestamp()
	}
	assert.Equal(t, traceIDFor("7a000000-0000-4000-8000-000000000004"), errs.At(0).TraceID(), "the newest failure first")
	assert.Equal(t, 0, exemplarsOf(t, md, metricWorkerExecutions, attrWorkerName, "process_payment", statusSuccess).Len(), "successes carry none")

	failed := exemplarsOf(t, md, metricWorkflows, attrWorkflowID, workflow, "failed")
	require.Equal(t, maxExemplarsPerSeries, failed.Len())
	for i := 0; i < failed.Len(); i++ {
		root, ok := exported[failed.At(i).SpanID()]
		require.True(t, ok)
		assert.Equal(t, "workflow."+workflow, root.Name(), "a workflow's exemplar is its root span")
		assert.Equal(t, root.TraceID(), failed.At(i).TraceID())
	}
	assert.Equal(t, 0, exemplarsOf(t, md, metricWorkflows, attrWorkflowID, workflow, "completed").Len())
	assert.Equal(t, 0, findMetric(t, md, metricEvents).Sum().DataPoints().At(0).Exemplars().Len(), "other metrics carry none")
}

func TestRecordFailureKeepsNewestFirst(t *testing.T) {
	m := map[labelPair][]failureRef{}
	k := labelPair{"w", statusError}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, sec := range []int{10, 30, 20, 5, 40} {
		recordFailure(m, k, failureRef{traceID: pcommon.TraceID{15: byte(i + 1)}, at: base.Add(time.Duration(sec) * time.Second)})
	}
	recordFailure(m, k, failureRef{at: base.Add(time.Hour)}) // no trace: not kept
	var ids []byte
	for _, r := range m[k] {
		ids = append(ids, r.traceID[15])
	}
	assert.Equal(t, []byte{5, 2, 3}, ids, "40 s, 30 s, 20 s")
}
