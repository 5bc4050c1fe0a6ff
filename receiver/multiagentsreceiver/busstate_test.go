package multiagentsreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
)

// busGauges reads the two bus gauges of one emission: connected and disconnected_since.
func busGauges(t *testing.T, md pmetric.Metrics) (connected, since int64) {
	t.Helper()
	c := findMetric(t, md, metricBusConnected)
	require.Equal(t, pmetric.MetricTypeGauge, c.Type())
	assert.Equal(t, "{state}", c.Unit(), "no _ratio suffix on Prometheus")
	require.Equal(t, 1, c.Gauge().DataPoints().Len())
	s := findMetric(t, md, metricBusDisconnectedSince)
	require.Equal(t, pmetric.MetricTypeGauge, s.Type())
	assert.Equal(t, "s", s.Unit())
	require.Equal(t, 1, s.Gauge().DataPoints().Len())
	return c.Gauge().DataPoints().At(0).IntValue(), s.Gauge().DataPoints().At(0).IntValue()
}

func TestBusStateKeepsTheFirstGapStart(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newBusState(start)
	read := func() (int64, int64) {
		md := pmetric.NewMetrics()
		ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
		b.appendGauges(ms, pcommon.NewTimestampFromTime(start))
		return busGauges(t, md)
	}
	c, s := read()
	assert.Equal(t, int64(0), c, "blind until the first subscription")
	assert.Equal(t, start.Unix(), s)

	b.markConnected()
	c, s = read()
	assert.Equal(t, int64(1), c)
	assert.Equal(t, int64(0), s)

	lost := start.Add(time.Hour)
	b.markDisconnected(lost)
	b.markDisconnected(lost.Add(time.Minute)) // a failed retry does not move the gap's start
	c, s = read()
	assert.Equal(t, int64(0), c)
	assert.Equal(t, lost.Unix(), s)
}

// The gauges keep coming while Redis is down (the metrics loop does not depend on the tap),
// say since when the bus was lost, and go back to connected after the reconnect.
func TestBusGaugesFollowARealRedisOutage(t *testing.T) {
	srv := testredis.Start(t)
	srv.Stop()
	h := startHarnessOn(t, srv, zap.NewNop(), false)
	startedAt := h.clock.Now()

	c, s := busGauges(t, h.emitMetrics())
	assert.Equal(t, int64(0), c, "never subscribed yet: blind")
	assert.Equal(t, startedAt.Unix(), s)

	srv.Restart()
	h.waitSubscribed()
	require.Eventually(t, func() bool {
		c, _ := busGauges(t, h.emitMetrics())
		return c == 1
	}, 5*time.Second, 10*time.Millisecond)
	_, s = busGauges(t, h.emitMetrics())
	assert.Equal(t, int64(0), s)

	h.clock.Advance(time.Hour)
	lostAt := h.clock.Now()
	srv.Stop()
	require.Eventually(t, func() bool {
		c, _ := busGauges(t, h.emitMetrics())
		return c == 0
	}, 5*time.Second, 10*time.Millisecond, "the lost connection shows on the gauge")
	h.clock.Advance(time.Minute) // retries meanwhile keep the gap's start
	c, s = busGauges(t, h.emitMetrics())
	assert.Equal(t, int64(0), c)
	assert.Equal(t, lostAt.Unix(), s)

	srv.Restart()
	h.waitSubscribed()
	require.Eventually(t, func() bool {
		c, s := busGauges(t, h.emitMetrics())
		return c == 1 && s == 0
	}, 5*time.Second, 10*time.Millisecond)
}

// A result published while the tap was down is lost; reconcile finds it in the running
// saga's history and ends the step, so its worker counts as having answered instead of
// looking unresponsive (overdue) once the command's timeout passes.
func TestReconcileCompletesAStepAnsweredDuringTheGap(t *testing.T) {
	h := startHarnessOn(t, testredis.Start(t), zap.NewNop(), true, func(h *harness) {
		h.cfg.Redis.Reconcile = true
		h.recv.reconnectInitial = 1500 * time.Millisecond
		h.recv.reconnectMax = 1500 * time.Millisecond
	})
	const (
		tx       = "8e000000-0000-4000-8000-000000000001"
		cmd      = "c0000007-0000-4000-8000-000000000001"
		workflow = "order_flow"
	)
	now := time.Now()
	h.publish(ch+"status.workflow", statusEvent("s1", tx, workflow, naive(now), "running", "Workflow started"))
	h.publish(ch+"command.payments", commandEvent(cmd, tx, workflow, "charge_card", "payments", naive(now), 60, `{}`))
	h.waitProcessed(2)
	assert.Equal(t, int64(1), commandGaugeValues(t, h.emitMetrics())["payments"].pending)

	h.redis.Stop()
	require.Eventually(t, func() bool {
		c, _ := busGauges(t, h.emitMetrics())
		return c == 0
	}, 5*time.Second, 10*time.Millisecond)
	h.redis.Restart()
	// The worker answered during the gap; the orchestrator recorded it and the saga still runs.
	_, err := h.redis.Do("SET", "saga:"+tx, sagaJSON(tx, workflow, "running", naive(now), naive(now.Add(time.Second)),
		historyEntry("charge_card", "completed", naive(now), naive(now.Add(time.Second)), cmd)))
	require.NoError(t, err)
	h.waitSubscribed()

	require.Eventually(t, func() bool {
		return h.counterValue("otelcol_receiver_multiagents_reconciled_transactions", nil) == 1
	}, 5*time.Second, 10*time.Millisecond)
	h.clock.Advance(2 * time.Minute) // past the command's 60 s timeout
	md := h.emitMetrics()
	assert.Equal(t, commandSeries{}, commandGaugeValues(t, md)["payments"], "nothing pending, nothing overdue")
	assert.Equal(t, map[string]int64{"worker.name=payments,status=success": 1}, sumValues(t, md, metricWorkerExecutions),
		"counted under the command's worker, not the step name")
	steps := 0
	for _, s := range h.allSpans() {
		if !s.ParentSpanID().IsEmpty() {
			steps++
			assert.Equal(t, spanIDFor(spanRoleStep, cmd), s.SpanID(), "the step seen live keeps its span id")
		}
	}
	assert.Equal(t, 1, steps)
}

// Step timeouts are held from a gap's start until the reconcile after its reconnect is done:
// not before the first connection, not while a later gap is still open.
func TestBusStateHoldsTimeoutsUntilTheGapIsRepaired(t *testing.T) {
	b := newBusState(time.Unix(0, 0))
	b.markDisconnected(time.Unix(1, 0))
	assert.False(t, b.timeoutsHeld(), "Redis not reachable at start: nothing to repair, steps pushed over HTTP time out")
	b.markConnected()
	assert.False(t, b.timeoutsHeld())
	b.markDisconnected(time.Unix(2, 0))
	assert.True(t, b.timeoutsHeld(), "a gap: results published now are lost")
	b.markRepaired()
	assert.True(t, b.timeoutsHeld(), "a reconcile that ends while the gap is still open repairs nothing")
	b.markConnected()
	assert.True(t, b.timeoutsHeld(), "reconnected, reconcile not done yet")
	b.markRepaired()
	assert.False(t, b.timeoutsHeld(), "repaired from saga:*")
}

// While timeouts are held a step past its deadline stays open (the reconcile may complete it from
// saga:*), so its worker's command is not closed as timed out; once released it times out.
func TestSweepHoldsStepTimeoutsDuringAGap(t *testing.T) {
	u := newUnitAssembler(t, func(c *Config) { c.Transactions.StepTimeoutGrace = 5 * time.Second })
	held := true
	u.timeoutsHeld = func() bool { return held }
	const tx = "7d200000-0000-4000-8000-000000000001"
	u.feed(commandEvent("c1", tx, "wf", "step", "w", "2025-08-05T00:00:01", 10, `{}`))
	u.clock.Advance(time.Minute) // far past timeout_seconds + step_timeout_grace
	u.sweep(u.out)
	assert.Equal(t, commandGauge{pending: 1, oldestAge: time.Minute, overdue: 1}, u.commandGauges(u.clock.Now())["w"], "still open, not timed out")

	held = false
	u.sweep(u.out)
	assert.Equal(t, commandGauge{overdue: 1}, u.commandGauges(u.clock.Now())["w"], "closed as timed out")
	assert.Equal(t, map[string]int64{"worker.name=w,status=error": 1},
		sumValues(t, u.buildMetrics(hostUtilisation{}), metricWorkerExecutions), "timed out once released")
}
