package workerhealthprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/histquantile"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/metricnames"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/workerhealthprocessor/internal/metadata"
)

// Names, units and attributes of the worker-health contract in docs/architecture.md.
const (
	metricHealth      = metricnames.WorkerHealth
	metricSuccessRate = metricnames.WorkerSuccessRate
	metricErrorRate   = metricnames.WorkerErrorRate
	metricDurationAvg = metricnames.WorkerDurationAvg
	metricDurationP95 = metricnames.WorkerDurationP95
	metricLastSeen    = metricnames.WorkerLastSeen
	metricIssue       = metricnames.WorkerIssue

	attrWorkerName = "worker.name"
	attrState      = "state"
	attrIssue      = "issue"
)

// healthBatch builds one evaluation's health series: a fresh pmetric.Metrics with its own
// resource and a scope named after this processor.
type healthBatch struct {
	md        pmetric.Metrics
	metrics   pmetric.MetricSlice
	ts        pcommon.Timestamp
	health    pmetric.NumberDataPointSlice
	success   pmetric.NumberDataPointSlice
	errorRate pmetric.NumberDataPointSlice
	avg       pmetric.NumberDataPointSlice
	p95       pmetric.NumberDataPointSlice
	lastSeen  pmetric.NumberDataPointSlice
	issue     pmetric.NumberDataPointSlice
}

func newHealthBatch(ts pcommon.Timestamp, workers int) *healthBatch {
	md := pmetric.NewMetrics()
	sm := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(metadata.ScopeName)
	b := &healthBatch{md: md, metrics: sm.Metrics(), ts: ts}
	gauge := func(name, unit, description string, perWorker int) pmetric.NumberDataPointSlice {
		m := b.metrics.AppendEmpty()
		m.SetName(name)
		m.SetUnit(unit)
		m.SetDescription(description)
		dps := m.SetEmptyGauge().DataPoints()
		dps.EnsureCapacity(workers * perWorker)
		return dps
	}
	b.health = gauge(metricHealth, "{state}", "Worker health state: 1 for the current state, 0 for the others.", len(stateNames))
	b.success = gauge(metricSuccessRate, "1", "Share of the worker's executions that succeeded in the window.", 1)
	b.errorRate = gauge(metricErrorRate, "1", "Share of the worker's executions that failed in the window.", 1)
	b.avg = gauge(metricDurationAvg, "s", "Average execution duration in the window.", 1)
	b.p95 = gauge(metricDurationP95, "s", "95th percentile execution duration in the window, interpolated from histogram buckets.", 1)
	b.lastSeen = gauge(metricLastSeen, "s", "Unix time at which an execution of the worker was last observed.", 1)
	b.issue = gauge(metricIssue, "{issue}", "1 while the issue holds for the worker, else 0.", int(issueCount))
	return b
}

func (b *healthBatch) point(dps pmetric.NumberDataPointSlice, worker string, v float64) pmetric.NumberDataPoint {
	dp := dps.AppendEmpty()
	dp.SetTimestamp(b.ts)
	dp.SetDoubleValue(v)
	dp.Attributes().PutStr(attrWorkerName, worker)
	return dp
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// reportedWindow is what the rate and duration series describe.
type reportedWindow struct {
	totals    *windowTotals
	errorRate float64
	hasRate   bool // the window holds at least min_executions executions
}

// add writes one worker's series; rate and duration series only when the window holds enough
// evidence for them (min_executions executions, or durations).
func (b *healthBatch) add(w *worker, is issues, report reportedWindow, minExecutions float64) {
	for s, name := range stateNames {
		dp := b.point(b.health, w.name, boolValue(healthState(s) == w.state))
		dp.Attributes().PutStr(attrState, name)
		if healthState(s) == w.state && w.state != stateHealthy {
			// The evidence goes on the point an alert on the state reads (value 1).
			putFailures(dp.Exemplars(), w.failures)
		}
	}
	for i, name := range issueNames {
		b.point(b.issue, w.name, boolValue(is[i])).Attributes().PutStr(attrIssue, name)
	}
	if report.hasRate {
		b.point(b.success, w.name, 1-report.errorRate)
		putFailures(b.point(b.errorRate, w.name, report.errorRate).Exemplars(), w.failures)
	}
	t := report.totals
	if t.durSumCount > 0 && t.durSumCount >= minExecutions {
		b.point(b.avg, w.name, t.durSum/t.durSumCount)
	}
	if t.durCount >= minExecutions {
		if p95, ok := histquantile.Quantile(0.95, w.bounds, t.buckets); ok {
			b.point(b.p95, w.name, p95)
		}
	}
	if w.lastSeen != 0 {
		b.point(b.lastSeen, w.name, float64(w.lastSeen)/1e9)
	}
}

// finish drops the metrics that got no points and returns the batch.
func (b *healthBatch) finish() pmetric.Metrics {
	b.metrics.RemoveIf(func(m pmetric.Metric) bool { return m.Gauge().DataPoints().Len() == 0 })
	if b.metrics.Len() == 0 {
		return pmetric.NewMetrics()
	}
	return b.md
}
