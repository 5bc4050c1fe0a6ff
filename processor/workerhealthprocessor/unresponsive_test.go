package workerhealthprocessor

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

const (
	overdueName   = "multiagents.worker.commands.overdue"
	oldestAgeName = "multiagents.worker.commands.oldest_pending_age"
)

// addCommandGauges appends the receiver's command gauges for a worker.
func addCommandGauges(md pmetric.Metrics, ts time.Time, worker string, overdue int64, oldestAge time.Duration) {
	for _, g := range []struct {
		name, unit string
		set        func(pmetric.NumberDataPoint)
	}{
		{overdueName, "{command}", func(dp pmetric.NumberDataPoint) { dp.SetIntValue(overdue) }},
		{oldestAgeName, "s", func(dp pmetric.NumberDataPoint) { dp.SetDoubleValue(oldestAge.Seconds()) }},
	} {
		m, ok := metricNamed(md, g.name)
		if !ok {
			m.SetUnit(g.unit)
			m.SetEmptyGauge()
		}
		dp := m.Gauge().DataPoints().AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		dp.Attributes().PutStr("worker.name", worker)
		g.set(dp)
	}
}

// cmds is one reading of a worker's command gauges.
type cmds struct {
	overdue   int64
	oldestAge time.Duration
}

// healthStep is what arrives at one moment (since t0) and what the evaluation then says.
type healthStep struct {
	at       time.Duration
	worker   string
	ok, fail int64 // executions that arrive now (delta)
	commands *cmds // a reading of the command gauges; nil = none in this batch
	// expectations for worker after evaluating at `at`
	state  string
	issues []string // issues that hold; the others must be 0
	noRate bool     // no error_rate series (too little evidence)
}

// runHealthSteps feeds each step through ingest, then evaluates at the same moment and checks
// the worker's state, issues and, where said, the absence of a rate.
func runHealthSteps(t *testing.T, cfg *Config, steps []healthStep) {
	t.Helper()
	tr := newTestTracker(cfg)
	for i, st := range steps {
		now := t0.Add(st.at)
		md := pmetric.NewMetrics()
		if st.ok > 0 {
			addExecutions(md, delta, now, now, st.worker, "success", st.ok)
		}
		if st.fail > 0 {
			addExecutions(md, delta, now, now, st.worker, "error", st.fail)
		}
		if st.commands != nil {
			addCommandGauges(md, now, st.worker, st.commands.overdue, st.commands.oldestAge)
		}
		tr.ingest(md, now.UnixNano())
		s := series(tr.evaluate(now.UnixNano()))
		where := fmt.Sprintf("step %d (t0+%s, %s)", i, st.at, st.worker)
		assert.Equal(t, st.state, stateOf(s, st.worker), where)
		want := map[string]bool{}
		for _, is := range st.issues {
			want[is] = true
		}
		for _, is := range issueNames {
			assert.Equal(t, boolValue(want[is]), s[issueKey(st.worker, is)], where+" issue "+is)
		}
		if st.noRate {
			assert.NotContains(t, s, gaugeKey(metricErrorRate, st.worker), where)
			assert.NotContains(t, s, gaugeKey(metricSuccessRate, st.worker), where)
		}
	}
}

func idleCmds() *cmds { return &cmds{} }

// recentReportConfig reports rates over the recent window, as the shipped configuration does.
func recentReportConfig() *Config {
	cfg := testConfig()
	cfg.ReportWindow = ReportRecent
	return cfg
}

// The idle / unresponsive / failed classification, driven by the receiver's command gauges.
func TestIdleUnresponsiveFailed(t *testing.T) {
	tests := []struct {
		name  string
		steps []healthStep
	}{
		{
			name: "an idle worker is never failed, however long it is silent",
			steps: []healthStep{
				{at: 0, worker: "w", ok: 20, commands: idleCmds(), state: "healthy"},
				{at: 90 * time.Second, worker: "w", commands: idleCmds(), state: "healthy"},
				{at: 10 * time.Minute, worker: "w", commands: idleCmds(), state: "healthy", noRate: true},
				{at: 23 * time.Hour, worker: "w", commands: idleCmds(), state: "healthy", noRate: true},
			},
		},
		{
			name: "an upstream failure leaves the downstream worker idle and healthy",
			steps: []healthStep{
				{at: 0, worker: "ship_order", ok: 15, commands: idleCmds(), state: "healthy"},
				{at: 0, worker: "charge_payment", ok: 15, commands: idleCmds(), state: "healthy"},
				// charge_payment fails every order from now on: ship_order gets no commands.
				{at: 30 * time.Second, worker: "charge_payment", fail: 15, commands: idleCmds(), state: "failed", issues: []string{"high_error_rate"}},
				{at: 60 * time.Second, worker: "ship_order", commands: idleCmds(), state: "healthy"},
				{at: 90 * time.Second, worker: "ship_order", commands: idleCmds(), state: "healthy"},
				{at: 120 * time.Second, worker: "ship_order", commands: idleCmds(), state: "healthy"},
			},
		},
		{
			name: "a dead worker stays failed/unresponsive while commands go unanswered, and recovers when it answers",
			steps: []healthStep{
				{at: 0, worker: "w", ok: 20, commands: idleCmds(), state: "healthy"},
				// It dies; a command waits, within its timeout: not yet a verdict.
				{at: 30 * time.Second, worker: "w", commands: &cmds{oldestAge: 20 * time.Second}, state: "healthy"},
				// Past its timeout_seconds: overdue.
				{at: 60 * time.Second, worker: "w", commands: &cmds{overdue: 1, oldestAge: 50 * time.Second}, state: "failed", issues: []string{"unresponsive"}},
				// The receiver timed it out (an error execution), the next command is young: the closed one still counts.
				{at: 90 * time.Second, worker: "w", fail: 1, commands: &cmds{overdue: 1, oldestAge: 5 * time.Second}, state: "failed", issues: []string{"unresponsive"}},
				{at: 120 * time.Second, worker: "w", commands: &cmds{overdue: 2, oldestAge: 35 * time.Second}, state: "failed", issues: []string{"unresponsive"}},
				{at: 150 * time.Second, worker: "w", fail: 1, commands: &cmds{overdue: 2}, state: "failed", issues: []string{"unresponsive"}},
				// It answers: the receiver resets overdue; 2 timeouts in 25 executions (8 %) raise no issue.
				{at: 180 * time.Second, worker: "w", ok: 3, commands: idleCmds(), state: "healthy"},
			},
		},
		{
			name: "oldest pending command past unresponsive_after (default 5m) before its own long timeout",
			steps: []healthStep{
				{at: 0, worker: "w", ok: 20, commands: idleCmds(), state: "healthy"},
				{at: 4 * time.Minute, worker: "w", commands: &cmds{oldestAge: 4 * time.Minute}, state: "healthy"},
				{at: 5 * time.Minute, worker: "w", commands: &cmds{oldestAge: 5 * time.Minute}, state: "failed", issues: []string{"unresponsive"}, noRate: true},
			},
		},
		{
			name: "a worker never seen executing is reported once it is unresponsive",
			steps: []healthStep{
				{at: 0, worker: "w", commands: &cmds{oldestAge: time.Second}, state: ""},
				{at: time.Minute, worker: "w", commands: &cmds{overdue: 1, oldestAge: time.Minute}, state: "failed", issues: []string{"unresponsive"}, noRate: true},
			},
		},
		{
			name: "a command reading that stops arriving goes stale after recent_window",
			steps: []healthStep{
				{at: 0, worker: "w", ok: 20, commands: &cmds{overdue: 1}, state: "failed", issues: []string{"unresponsive"}},
				{at: 4 * time.Minute, worker: "w", ok: 20, state: "failed", issues: []string{"unresponsive"}},
				{at: 5*time.Minute + time.Second, worker: "w", ok: 20, state: "healthy"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runHealthSteps(t, recentReportConfig(), tt.steps) })
	}
}

// Workers from OTLP spans have no command/result pairs: silence never fails them.
func TestSpanOnlyWorkerIsNeverFailedForSilence(t *testing.T) {
	cfg := testConfig()
	cfg.Inputs = []InputConfig{spanMetricsInput()}
	tr := newTestTracker(cfg)
	md := pmetric.NewMetrics()
	m, _ := metricNamed(md, "traces.span.metrics.calls")
	m.SetEmptySum().SetAggregationTemporality(delta)
	dp := m.Sum().DataPoints().AppendEmpty()
	dp.SetTimestamp(pcommon.NewTimestampFromTime(t0))
	dp.SetIntValue(20)
	dp.Attributes().PutStr("span.name", "worker.agent")
	dp.Attributes().PutStr("status.code", "STATUS_CODE_UNSET")
	tr.ingest(md, t0.UnixNano())
	for _, after := range []time.Duration{0, 90 * time.Second, time.Hour, 23 * time.Hour} {
		s := series(tr.evaluate(t0.Add(after).UnixNano()))
		assert.Equal(t, "healthy", stateOf(s, "agent"), after.String())
		assert.Equal(t, 0.0, s[issueKey("agent", "unresponsive")], after.String())
	}
}

// No verdict on too little evidence: rate states, issues and series need min_executions.
func TestMinimumEvidence(t *testing.T) {
	tests := []struct {
		name     string
		min      int
		ok, fail int64
		state    string
		issues   []string
		noRate   bool
	}{
		{name: "one failure among 4 executions: no verdict", min: 10, ok: 3, fail: 1, state: "healthy", noRate: true},
		{name: "one failure among 5 (the issue-11 case): no verdict", min: 10, ok: 4, fail: 1, state: "healthy", noRate: true},
		{name: "9 of 9 failing: still below the minimum", min: 10, fail: 9, state: "healthy", noRate: true},
		{name: "6 failures in 10: failed", min: 10, ok: 4, fail: 6, state: "failed", issues: []string{"high_error_rate"}},
		{name: "2 failures in 10: degraded", min: 10, ok: 8, fail: 2, state: "degraded", issues: []string{"high_error_rate"}},
		{name: "min_executions 1 judges a single execution", min: 1, fail: 1, state: "failed", issues: []string{"high_error_rate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.MinExecutions = tt.min
			runHealthSteps(t, cfg, []healthStep{{worker: "w", ok: tt.ok, fail: tt.fail, state: tt.state, issues: tt.issues, noRate: tt.noRate}})
		})
	}
}

// Windows age evenly: with no new executions, the error rate never rises because older
// successes leave the window before newer failures do; after traffic stops nothing stays raised.
func TestEvenAgeingAfterTrafficStops(t *testing.T) {
	for _, report := range []string{ReportRecent, ReportPerformance} {
		t.Run("report_window "+report, func(t *testing.T) {
			cfg := testConfig()
			cfg.ReportWindow = report
			tr := newTestTracker(cfg)
			feed := func(at time.Duration, ok, fail int64) {
				md := pmetric.NewMetrics()
				now := t0.Add(at)
				addExecutions(md, delta, now, now, "validate_order", "success", ok)
				if fail > 0 {
					addExecutions(md, delta, now, now, "validate_order", "error", fail)
				}
				tr.ingest(md, now.UnixNano())
			}
			// 30 successes, then 3 failures among the last 10: 3 in 40 over the recent window.
			feed(0, 30, 0)
			feed(200*time.Second, 7, 3)
			var recentRates []float64
			prevRate := 1.0
			for at := 200 * time.Second; at <= 12*time.Minute; at += 10 * time.Second {
				now := t0.Add(at).UnixNano()
				s := series(tr.evaluate(now))
				assert.Equal(t, 0.0, s[issueKey("validate_order", "high_error_rate")], "at %s", at)
				assert.Equal(t, "healthy", stateOf(s, "validate_order"), "at %s", at)
				if r, ok := s[gaugeKey(metricErrorRate, "validate_order")]; ok {
					assert.LessOrEqual(t, r, prevRate, "the emitted error rate never rises without new executions (at %s)", at)
					prevRate = r
				}
				var tot windowTotals
				w := tr.workers.byName["validate_order"]
				w.recent.sum(now, len(w.bounds)+1, &tot)
				if tot.executions() > 0 {
					recentRates = append(recentRates, tot.errors/tot.executions())
				}
			}
			// The raw window did rise to 3 in 10 once the 30 successes left it: that is what the
			// held rate must not follow.
			require.NotEmpty(t, recentRates)
			assert.InDelta(t, 0.3, recentRates[len(recentRates)-1], 1e-9)
		})
	}
}

// A worker failed by its error rate becomes healthy once traffic stops and its recent window
// empties; it holds its state (no flapping) while executions remain in the window.
func TestFailedByRateIsReleasedWhenTrafficStops(t *testing.T) {
	steps := []healthStep{{at: 0, worker: "w", ok: 4, fail: 6, state: "failed", issues: []string{"high_error_rate"}}}
	for at := 30 * time.Second; at < 5*time.Minute-25*time.Second; at += 30 * time.Second {
		steps = append(steps, healthStep{at: at, worker: "w", state: "failed", issues: []string{"high_error_rate"}})
	}
	for at := 5 * time.Minute; at <= 10*time.Minute; at += 30 * time.Second {
		steps = append(steps, healthStep{at: at, worker: "w", state: "healthy", noRate: true})
	}
	runHealthSteps(t, recentReportConfig(), steps)
}

// worker_ttl forgets idle workers, but not one that is sent commands it never answers: its
// state is the incident.
func TestWorkerTTLKeepsAnUnresponsiveWorker(t *testing.T) {
	cfg := recentReportConfig()
	cfg.WorkerTTL = 10 * time.Minute
	tr := newTestTracker(cfg)
	md := pmetric.NewMetrics()
	addExecutions(md, delta, t0, t0, "dead", "success", 20)
	addExecutions(md, delta, t0, t0, "idle", "success", 20)
	tr.ingest(md, t0.UnixNano())
	var s map[string]float64
	for at := time.Minute; at <= 30*time.Minute; at += time.Minute {
		now := t0.Add(at)
		md := pmetric.NewMetrics()
		addCommandGauges(md, now, "dead", 1, time.Minute)
		addCommandGauges(md, now, "idle", 0, 0)
		tr.ingest(md, now.UnixNano())
		s = series(tr.evaluate(now.UnixNano()))
	}
	assert.Equal(t, "failed", stateOf(s, "dead"))
	assert.Equal(t, 1.0, s[issueKey("dead", "unresponsive")])
	assert.NotContains(t, s, healthKey("idle", "healthy"), "the idle worker was forgotten after worker_ttl")
	assert.Equal(t, int64(1), tr.stats.evictedTTL)
}
