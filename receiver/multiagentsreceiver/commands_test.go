package multiagentsreceiver

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// commandSeries is one worker's three command gauges as emitted.
type commandSeries struct {
	pending, overdue int64
	oldestAge        float64
}

// commandGaugeValues reads the command gauges of one emission per worker, checking their shape.
func commandGaugeValues(t *testing.T, md pmetric.Metrics) map[string]commandSeries {
	t.Helper()
	out := map[string]commandSeries{}
	for _, spec := range []struct{ name, unit string }{
		{metricCommandsPending, "{command}"}, {metricCommandsOldestAge, "s"}, {metricCommandsOverdue, "{command}"},
	} {
		m := findMetric(t, md, spec.name)
		require.Equal(t, pmetric.MetricTypeGauge, m.Type(), spec.name)
		assert.Equal(t, spec.unit, m.Unit(), spec.name)
		dps := m.Gauge().DataPoints()
		for i := range dps.Len() {
			dp := dps.At(i)
			w, ok := dp.Attributes().Get(attrWorkerName)
			require.True(t, ok, "%s point without worker.name", spec.name)
			s := out[w.Str()]
			switch spec.name {
			case metricCommandsPending:
				s.pending = dp.IntValue()
			case metricCommandsOldestAge:
				s.oldestAge = dp.DoubleValue()
			case metricCommandsOverdue:
				s.overdue = dp.IntValue()
			}
			out[w.Str()] = s
		}
	}
	return out
}

// A worker that never answers its commands shows pending and, past each command's own
// timeout_seconds, overdue commands, continuously while commands keep going unanswered (also
// after the receiver closed them as timed out); an idle worker shows 0. The real redis-server
// carries the framework's events as raw JSON on its real channels.
func TestCommandGaugesOverRealRedis(t *testing.T) {
	h := startHarness(t) // step_timeout_grace 5s
	const (
		txIdle  = "7c000000-0000-4000-8000-000000000001"
		txDead1 = "7c000000-0000-4000-8000-000000000002"
		txDead2 = "7c000000-0000-4000-8000-000000000003"
		cmdIdle = "c0000007-0000-4000-8000-000000000001"
		cmdD1   = "c0000007-0000-4000-8000-000000000002"
		cmdD2   = "c0000007-0000-4000-8000-000000000003"
	)
	h.publish(ch+"status.workflow", statusEvent("s1", txIdle, "wf", "2025-08-05T04:00:00", "running", "Workflow started"))
	h.publish(ch+"command.validate_order", commandEvent(cmdIdle, txIdle, "wf", "validate_order", "validate_order", "2025-08-05T04:00:01", 30, `{}`))
	h.publish(ch+"result.validate_order", resultEvent("r1", txIdle, "validate_order", "validate_order", cmdIdle, "2025-08-05T04:00:02", true, "", `{}`))
	h.publish(ch+"status.workflow", statusEvent("s2", txDead1, "wf", "2025-08-05T04:00:00", "running", "Workflow started"))
	h.publish(ch+"command.ship_order", commandEvent(cmdD1, txDead1, "wf", "ship_order", "ship_order", "2025-08-05T04:00:01", 30, `{}`))
	h.waitProcessed(5)

	got := commandGaugeValues(t, h.emitMetrics())
	assert.Equal(t, commandSeries{}, got["validate_order"], "answered its command: nothing pending")
	assert.Equal(t, commandSeries{pending: 1}, got["ship_order"])

	h.clock.Advance(20 * time.Second) // within timeout_seconds (30)
	got = commandGaugeValues(t, h.emitMetrics())
	assert.Equal(t, commandSeries{pending: 1, oldestAge: 20}, got["ship_order"])

	h.clock.Advance(10 * time.Second) // timeout_seconds reached, grace (5 s) not: still open, overdue
	h.recv.sweepNow()
	got = commandGaugeValues(t, h.emitMetrics())
	assert.Equal(t, commandSeries{pending: 1, oldestAge: 30, overdue: 1}, got["ship_order"])

	h.clock.Advance(5 * time.Second) // the receiver closes it as timed out: no longer pending, still overdue
	h.recv.sweepNow()
	require.Equal(t, 1.0, h.counterValue("otelcol_receiver_multiagents_timed_out_steps", nil))
	got = commandGaugeValues(t, h.emitMetrics())
	assert.Equal(t, commandSeries{overdue: 1}, got["ship_order"])

	// The next order's command: young, but the worker has still not answered anything.
	h.publish(ch+"status.workflow", statusEvent("s3", txDead2, "wf", "2025-08-05T04:01:00", "running", "Workflow started"))
	h.publish(ch+"command.ship_order", commandEvent(cmdD2, txDead2, "wf", "ship_order", "ship_order", "2025-08-05T04:01:01", 30, `{}`))
	h.waitProcessed(7)
	h.clock.Advance(10 * time.Second)
	got = commandGaugeValues(t, h.emitMetrics())
	assert.Equal(t, commandSeries{pending: 1, oldestAge: 10, overdue: 1}, got["ship_order"], "no gap while it stays silent")
	h.clock.Advance(30 * time.Second)
	got = commandGaugeValues(t, h.emitMetrics())
	assert.Equal(t, commandSeries{pending: 1, oldestAge: 40, overdue: 2}, got["ship_order"], "one closed, one open past its timeout")
	assert.Equal(t, commandSeries{}, got["validate_order"], "idle all along")

	// It answers: alive, nothing overdue any more.
	h.publish(ch+"result.ship_order", resultEvent("r2", txDead2, "ship_order", "ship_order", cmdD2, "2025-08-05T04:01:45", true, "", `{}`))
	h.waitProcessed(8)
	got = commandGaugeValues(t, h.emitMetrics())
	assert.Equal(t, commandSeries{}, got["ship_order"])
	assert.Equal(t, commandSeries{}, got["validate_order"])
}

// A late result (after the receiver timed the step out) proves the worker alive.
func TestLateResultResetsOverdue(t *testing.T) {
	u := newUnitAssembler(t, nil) // grace 0
	const tx = "7d000000-0000-4000-8000-000000000001"
	u.feed(
		statusEvent("s", tx, "wf", "2025-08-05T00:00:00", "running", "Workflow started"),
		commandEvent("c1", tx, "wf", "step", "w", "2025-08-05T00:00:01", 10, `{}`),
	)
	u.clock.Advance(11 * time.Second)
	u.sweep(u.out)
	assert.Equal(t, commandGauge{overdue: 1}, u.commandGauges(u.clock.Now())["w"])
	u.feed(resultEvent("r1", tx, "step", "w", "c1", "2025-08-05T00:00:15", true, "", `{}`))
	assert.Equal(t, 1.0, u.counter("otelcol_receiver_multiagents_duplicate_results"), "counted late")
	assert.Equal(t, commandGauge{}, u.commandGauges(u.clock.Now())["w"])
}

// Steps restored from saga:* after a gap are tracked like commands seen live.
func TestReconciledOpenStepIsPending(t *testing.T) {
	u := newUnitAssembler(t, nil)
	const tx = "7e000000-0000-4000-8000-000000000001"
	started := "2025-08-05T00:00:01"
	u.reconcileSaga(&sagaState{
		TransactionID: tx, WorkflowID: "wf", State: "running",
		CreatedAt: started, UpdatedAt: started,
		ExecutionHistory: []sagaStep{{StepName: "charge_payment", Status: "running", StartedAt: &started}},
	}, time.Time{}, u.out)
	u.clock.Advance(time.Minute)
	assert.Equal(t, commandGauge{pending: 1, oldestAge: time.Minute}, u.commandGauges(u.clock.Now())["charge_payment"])
	u.clock.Advance(defaultCommandTimeout) // the saga has no timeout_seconds: the framework's default applies
	assert.Equal(t, int64(1), u.commandGauges(u.clock.Now())["charge_payment"].overdue)
}

// The command gauges are bounded like every other series: past maxSeriesPerMetric workers,
// new ones share one overflow series.
func TestCommandGaugesOverflow(t *testing.T) {
	u := newUnitAssembler(t, func(c *Config) { c.Transactions.MaxOpen = maxSeriesPerMetric + 10 })
	for i := range maxSeriesPerMetric + 3 {
		tx := "7f000000-0000-4000-8000-" + leftPad(i)
		u.feed(commandEvent("c-"+tx, tx, "wf", "step", "w"+leftPad(i), "2025-08-05T00:00:01", 30, `{}`))
	}
	g := u.commandGauges(u.clock.Now())
	assert.Len(t, g, maxSeriesPerMetric+1)
	assert.Equal(t, int64(3), g[overflowKey].pending)
	md := u.buildMetrics(hostUtilisation{})
	dps := findMetric(t, md, metricCommandsPending).Gauge().DataPoints()
	require.Equal(t, maxSeriesPerMetric+1, dps.Len())
	overflowed := 0
	for i := range dps.Len() {
		if v, ok := dps.At(i).Attributes().Get("otel.metric.overflow"); ok && v.Bool() {
			overflowed++
			assert.Equal(t, int64(3), dps.At(i).IntValue())
		}
	}
	assert.Equal(t, 1, overflowed)
}

func leftPad(i int) string { return fmt.Sprintf("%012d", i) }

// A command lost by a worker that keeps answering newer ones does not make it overdue: it is
// alive (the lost command's timeout still counts as an error execution). Without this, a live
// worker would flap to unresponsive each time one of its lost commands timed out.
func TestLostCommandOfALiveWorkerIsNotOverdue(t *testing.T) {
	u := newUnitAssembler(t, func(c *Config) { c.Transactions.StepTimeoutGrace = 5 * time.Second })
	const tx1, tx2 = "7d100000-0000-4000-8000-000000000001", "7d100000-0000-4000-8000-000000000002"
	u.feed(commandEvent("lost", tx1, "wf", "step", "w", "2025-08-05T00:00:01", 10, `{}`))
	u.clock.Advance(2 * time.Second)
	u.feed(
		commandEvent("c2", tx2, "wf", "step", "w", "2025-08-05T00:00:03", 10, `{}`),
		resultEvent("r2", tx2, "step", "w", "c2", "2025-08-05T00:00:04", true, "", `{}`),
	)
	u.clock.Advance(9 * time.Second) // the lost command is past its timeout_seconds
	assert.Equal(t, commandGauge{pending: 1}, u.commandGauges(u.clock.Now())["w"], "pending, but sent before the last result")
	u.clock.Advance(5 * time.Second)
	u.sweep(u.out) // and now timed out by the receiver
	assert.Equal(t, commandGauge{}, u.commandGauges(u.clock.Now())["w"])
	assert.Equal(t, map[string]int64{"worker.name=w,status=error": 1, "worker.name=w,status=success": 1},
		sumValues(t, u.buildMetrics(hostUtilisation{}), metricWorkerExecutions), "the lost command still counts as an error")
}
