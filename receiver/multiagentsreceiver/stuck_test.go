package multiagentsreceiver

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
)

// workflowGauge point of one workflow id in md: its value and exemplars (found false when absent).
func workflowPoint(t *testing.T, md pmetric.Metrics, name, workflowID string) (pmetric.NumberDataPoint, bool) {
	t.Helper()
	m := findMetric(t, md, name)
	require.Equal(t, pmetric.MetricTypeGauge, m.Type(), name)
	for i := 0; i < m.Gauge().DataPoints().Len(); i++ {
		dp := m.Gauge().DataPoints().At(i)
		if v, ok := dp.Attributes().Get(attrWorkflowID); ok && v.Str() == workflowID {
			return dp, true
		}
	}
	return pmetric.NewNumberDataPoint(), false
}

func stuckOf(t *testing.T, md pmetric.Metrics, workflowID string) (int64, []pcommon.TraceID) {
	t.Helper()
	dp, ok := workflowPoint(t, md, metricWorkflowStuck, workflowID)
	require.True(t, ok, "a stuck point for %s", workflowID)
	var traces []pcommon.TraceID
	for i := 0; i < dp.Exemplars().Len(); i++ {
		traces = append(traces, dp.Exemplars().At(i).TraceID())
	}
	return dp.IntValue(), traces
}

func historyOf(seconds ...float64) *runHistory {
	h := &runHistory{}
	for _, s := range seconds {
		h.add(time.Duration(s * float64(time.Second)))
	}
	return h
}

func TestStuckThresholdFromHistoryAndFloor(t *testing.T) {
	cfg := TransactionsConfig{StuckFloor: 5 * time.Minute, StuckFactor: 3, Retention: 24 * time.Hour}
	// 20 runs of 1..20 minutes: nearest-rank p95 is the 19th, 19 minutes.
	var slow []float64
	for i := 1; i <= 20; i++ {
		slow = append(slow, float64(i*60))
	}
	tests := []struct {
		name string
		cfg  TransactionsConfig
		h    *runHistory
		want time.Duration
	}{
		{"no history: the floor", cfg, nil, 5 * time.Minute},
		{"fast workflow: the floor", cfg, historyOf(10, 20, 30), 5 * time.Minute},
		{"slow workflow: factor × p95", cfg, historyOf(slow...), 57 * time.Minute},
		{"factor 0: the floor only", TransactionsConfig{StuckFloor: 5 * time.Minute, Retention: 24 * time.Hour}, historyOf(slow...), 5 * time.Minute},
		{"capped at half of retention", TransactionsConfig{StuckFloor: 5 * time.Minute, StuckFactor: 3, Retention: time.Hour}, historyOf(slow...), 30 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, stuckThreshold(tc.cfg, tc.h))
		})
	}
}

func TestRunHistoryKeepsTheNewestRuns(t *testing.T) {
	h := &runHistory{}
	for i := 0; i < runHistorySize; i++ {
		h.add(time.Hour) // old, slow runs
	}
	for i := 0; i < runHistorySize; i++ {
		h.add(time.Second)
	}
	p95, ok := h.p95()
	require.True(t, ok)
	assert.Equal(t, time.Second, p95, "the slow runs were overwritten")
}

// completedRun is a run of workflow wf that took d by its own events.
func completedRun(tx, wf string, d time.Duration) []string {
	start := time.Date(2025, 8, 5, 0, 0, 0, 0, time.UTC)
	return []string{
		statusEvent("s-"+tx, tx, wf, naive(start), "running", "Workflow started"),
		statusEvent("e-"+tx, tx, wf, naive(start.Add(d)), "completed", "Workflow completed"),
	}
}

func TestOpenRunWithoutEventsBecomesStuckAndResolvesWhenItEnds(t *testing.T) {
	u := newUnitAssembler(t, func(c *Config) { c.Transactions.StuckFloor = time.Minute })
	// History of "order": p95 of 2-minute runs, so the threshold is 6 minutes, not the floor.
	for i := 0; i < 5; i++ {
		u.feed(completedRun(fmt.Sprintf("done-%d", i), "order", 2*time.Minute)...)
	}
	u.feed(completedRun("other-done", "billing", time.Second)...)
	u.feed(
		statusEvent("s-stuck", "tx-stuck", "order", "2025-08-05T01:00:00", "running", "Workflow started"),
		commandEvent("c-stuck", "tx-stuck", "order", "step", "w", "2025-08-05T01:00:01", 3600, `{}`),
	)
	u.clock.Advance(5 * time.Minute)
	md := u.buildMetrics(hostUtilisation{})
	n, _ := stuckOf(t, md, "order")
	assert.Zero(t, n, "5 minutes idle is within 3 × p95 (6 minutes)")
	open, ok := workflowPoint(t, md, metricWorkflowOpen, "order")
	require.True(t, ok)
	assert.EqualValues(t, 1, open.IntValue())
	idle, _ := workflowPoint(t, md, metricWorkflowIdleAge, "order")
	assert.InDelta(t, 300, idle.DoubleValue(), 0.001)

	u.clock.Advance(90 * time.Second)
	md = u.buildMetrics(hostUtilisation{})
	n, traces := stuckOf(t, md, "order")
	assert.EqualValues(t, 1, n)
	assert.Equal(t, []pcommon.TraceID{traceIDFor("tx-stuck")}, traces, "the stuck run's trace is the evidence")
	n, _ = stuckOf(t, md, "billing")
	assert.Zero(t, n, "another workflow is not stuck")

	u.feed(statusEvent("e-stuck", "tx-stuck", "order", "2025-08-05T01:07:00", "completed", "Workflow completed"))
	md = u.buildMetrics(hostUtilisation{})
	n, traces = stuckOf(t, md, "order")
	assert.Zero(t, n, "resolved when the saga ends; the point stays so an alert resolves")
	assert.Empty(t, traces)
	open, _ = workflowPoint(t, md, metricWorkflowOpen, "order")
	assert.Zero(t, open.IntValue())
}

func TestAnEventResetsTheIdleTime(t *testing.T) {
	u := newUnitAssembler(t, func(c *Config) { c.Transactions.StuckFloor = time.Minute })
	u.feed(statusEvent("s-1", "tx-1", "order", "2025-08-05T01:00:00", "running", "Workflow started"))
	u.clock.Advance(50 * time.Second)
	u.feed(commandEvent("c-1", "tx-1", "order", "step", "w", "2025-08-05T01:00:50", 3600, `{}`))
	u.clock.Advance(50 * time.Second)
	n, _ := stuckOf(t, u.buildMetrics(hostUtilisation{}), "order")
	assert.Zero(t, n, "100 s open but only 50 s idle")
	u.clock.Advance(11 * time.Second)
	n, _ = stuckOf(t, u.buildMetrics(hostUtilisation{}), "order")
	assert.EqualValues(t, 1, n)
}

func TestStuckExemplarsAreTheNewestThree(t *testing.T) {
	u := newUnitAssembler(t, func(c *Config) { c.Transactions.StuckFloor = time.Minute })
	for i := 0; i < 5; i++ {
		tx := fmt.Sprintf("tx-%d", i)
		u.feed(statusEvent("s-"+tx, tx, "order", "2025-08-05T01:00:00", "running", "Workflow started"))
		u.clock.Advance(time.Second)
	}
	u.clock.Advance(time.Hour)
	n, traces := stuckOf(t, u.buildMetrics(hostUtilisation{}), "order")
	assert.EqualValues(t, 5, n)
	assert.Equal(t, []pcommon.TraceID{traceIDFor("tx-4"), traceIDFor("tx-3"), traceIDFor("tx-2")}, traces)
}

func TestRestoredSagaStuckBeforeStartCountsAndResolvesWhenReconciledEnded(t *testing.T) {
	u := newUnitAssembler(t, nil) // default floor
	now := u.clock.Now()
	saga := &sagaState{TransactionID: "tx-old", WorkflowID: "order", State: "running",
		CreatedAt: naive(now.Add(-40 * time.Minute)), UpdatedAt: naive(now.Add(-30 * time.Minute))}
	require.True(t, u.reconcileSaga(saga, time.Time{}, u.out))
	n, traces := stuckOf(t, u.buildMetrics(hostUtilisation{}), "order")
	assert.EqualValues(t, 1, n, "idle since updated_at, 30 minutes, past the 10-minute floor")
	assert.Equal(t, []pcommon.TraceID{traceIDFor("tx-old")}, traces)
	idle, _ := workflowPoint(t, u.buildMetrics(hostUtilisation{}), metricWorkflowIdleAge, "order")
	assert.InDelta(t, 1800, idle.DoubleValue(), 0.001)

	fresh := &sagaState{TransactionID: "tx-fresh", WorkflowID: "order", State: "running",
		CreatedAt: naive(now.Add(-time.Minute)), UpdatedAt: naive(now.Add(-time.Minute))}
	require.True(t, u.reconcileSaga(fresh, time.Time{}, u.out))
	n, _ = stuckOf(t, u.buildMetrics(hostUtilisation{}), "order")
	assert.EqualValues(t, 1, n, "a saga updated a minute ago is not stuck")

	saga.State = workflowFailed
	saga.UpdatedAt = naive(now)
	require.True(t, u.reconcileSaga(saga, time.Time{}, u.out))
	n, _ = stuckOf(t, u.buildMetrics(hostUtilisation{}), "order")
	assert.Zero(t, n, "resolved once reconciliation sees the saga ended")
}

func TestWorkflowRunsAreBoundedAndCounted(t *testing.T) {
	u := newUnitAssembler(t, nil)
	for i := 0; i < maxSeriesPerMetric; i++ {
		assert.False(t, u.runs.completed(fmt.Sprintf("wf-%d", i), time.Second))
	}
	assert.False(t, u.runs.completed("wf-7", time.Second), "a tracked id")
	u.feed(completedRun("one", "one-too-many", time.Second)...)
	u.feed(completedRun("two", "two-too-many", time.Second)...)
	assert.Len(t, u.runs.byID, maxSeriesPerMetric+1, "the cap plus one overflow entry")
	assert.Equal(t, 2, u.runs.byID[overflowKey].n)
	_, ok := u.runs.byID["one-too-many"]
	assert.False(t, ok)
	assert.Equal(t, 2.0, u.counter("otelcol_receiver_multiagents_untracked_workflow_runs"))
	dp, ok := workflowPoint(t, u.buildMetrics(hostUtilisation{}), metricWorkflowOpen, "wf-0")
	require.True(t, ok)
	assert.Zero(t, dp.IntValue(), "a workflow id seen keeps its point at 0")
}

func TestStuckConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		mutate func(*Config)
		want   string
	}{
		{func(c *Config) { c.Transactions.StuckFloor = 0 }, "transactions.stuck_floor: must be positive"},
		{func(c *Config) { c.Transactions.StuckFloor = 13 * time.Hour }, "transactions.stuck_floor: must be at most half of transactions.retention"},
		{func(c *Config) { c.Transactions.StuckFactor = -1 }, "transactions.stuck_factor: must be >= 0"},
	} {
		cfg := createDefaultConfig().(*Config)
		tc.mutate(cfg)
		assert.ErrorContains(t, cfg.Validate(), tc.want)
	}
}

// Integration on a real redis-server: a saga stuck in saga:* before the receiver starts is
// reported at the first emission, and resolves when its live end arrives.
func TestSagaStuckBeforeStartIsReportedAndResolvesLive(t *testing.T) {
	srv := testredis.Start(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // the harness clock
	stuckTx, liveTx := txID(0x16, 1), txID(0x16, 2)
	setSaga(t, srv, stuckTx, "running", now.Add(-time.Hour), now.Add(-45*time.Minute),
		historyEntry("step", "running", naive(now.Add(-time.Hour)), "", "c-"+stuckTx))
	h := startHarnessOn(t, srv, zap.NewNop(), true)
	require.Eventually(t, func() bool {
		return h.counterValue("otelcol_receiver_multiagents_reconciled_transactions", nil) == 1
	}, 10*time.Second, 10*time.Millisecond)

	publishWorkflow(h, liveTx, "order", now)
	h.waitProcessed(4)
	h.publish(ch+"status.workflow", statusEvent("s-other", txID(0x16, 3), "billing", naive(now), "running", "Workflow started"))
	h.waitProcessed(5)

	md := h.emitMetrics()
	n, traces := stuckOf(t, md, "order")
	assert.EqualValues(t, 1, n)
	assert.Equal(t, []pcommon.TraceID{traceIDFor(stuckTx)}, traces)
	n, _ = stuckOf(t, md, "billing")
	assert.Zero(t, n, "a run that just started is not stuck")

	h.publish(ch+"status.workflow", statusEvent("e-"+stuckTx, stuckTx, "order", naive(now), "completed", "Workflow completed"))
	h.waitProcessed(6)
	n, traces = stuckOf(t, h.emitMetrics(), "order")
	assert.Zero(t, n)
	assert.Empty(t, traces)
}

// The stuck point's exemplar names the run's trace, so sampling keeps that trace even when
// the run later completes.
func TestAStuckRunIsKeptBySampling(t *testing.T) {
	u := newUnitAssembler(t, func(c *Config) {
		c.Transactions.StuckFloor = time.Minute
		c.Sampling.Rate = 0
	})
	u.feed(completedRun("fast", "order", time.Second)...)
	u.feed(statusEvent("s-slow", "tx-slow", "order", "2025-08-05T01:00:00", "running", "Workflow started"))
	u.clock.Advance(2 * time.Minute)
	n, _ := stuckOf(t, u.buildMetrics(hostUtilisation{}), "order")
	require.EqualValues(t, 1, n)
	u.feed(statusEvent("e-slow", "tx-slow", "order", "2025-08-05T01:02:00", "completed", "Workflow completed"))
	assert.Equal(t, []string{"workflow.order"}, u.spanNames(), "only the run that was stuck is kept")
}
