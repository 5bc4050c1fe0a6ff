package multiagentsreceiver

import (
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/metricnames"
)

// Per-workflow gauges of open runs: the contract in docs/architecture.md.
const (
	metricWorkflowOpen    = metricnames.WorkflowOpen
	metricWorkflowIdleAge = metricnames.WorkflowIdleAge
	metricWorkflowStuck   = metricnames.WorkflowStuck

	// runHistorySize is how many completed run durations per workflow id the p95 is taken
	// from: enough for a stable p95 (the 4th-longest of 64), small enough to keep 2000 of.
	runHistorySize = 64
)

// runHistory is a ring of the newest completed run durations of one workflow id.
type runHistory struct {
	seconds [runHistorySize]float64
	n, next int
}

func (h *runHistory) add(d time.Duration) {
	h.seconds[h.next] = d.Seconds()
	h.next = (h.next + 1) % runHistorySize
	if h.n < runHistorySize {
		h.n++
	}
}

// p95 is the nearest-rank 95th percentile of the kept durations; ok is false without any.
func (h *runHistory) p95() (time.Duration, bool) {
	if h == nil || h.n == 0 {
		return 0, false
	}
	s := make([]float64, h.n)
	copy(s, h.seconds[:h.n])
	sort.Float64s(s)
	rank := (95*h.n + 99) / 100 // ceil(0.95 n), 1-based
	return time.Duration(s[rank-1] * float64(time.Second)), true
}

// workflowRuns remembers, per workflow id, the durations of its completed runs (for the
// stuck threshold) and that it exists (so its gauges keep reporting 0 once nothing is open,
// which resolves an alert). Bounded by maxSeriesPerMetric ids; later ids share the
// overflow entry, written as the otel.metric.overflow point like every other per-label
// metric of the receiver (their completed runs are counted by the caller). Guarded by the
// assembler's lock.
type workflowRuns struct {
	byID map[string]*runHistory
}

func newWorkflowRuns() *workflowRuns {
	return &workflowRuns{byID: map[string]*runHistory{}}
}

// entry returns the history of workflowID, or of the overflow entry past the cap.
func (w *workflowRuns) entry(workflowID string) (string, *runHistory) {
	if h, ok := w.byID[workflowID]; ok {
		return workflowID, h
	}
	if len(w.byID) >= maxSeriesPerMetric {
		workflowID = overflowKey
		if h, ok := w.byID[workflowID]; ok {
			return workflowID, h
		}
	}
	h := &runHistory{}
	w.byID[workflowID] = h
	return workflowID, h
}

// completed records a run's duration and reports whether its workflow id is past the cap.
func (w *workflowRuns) completed(workflowID string, d time.Duration) (untracked bool) {
	if d < 0 {
		return false
	}
	id, h := w.entry(workflowID)
	h.add(d)
	return id == overflowKey && workflowID != overflowKey
}

// stuckThreshold is how long an open run of a workflow may go without an event before it
// counts as stuck: max(stuck_floor, stuck_factor × p95 of its completed runs), capped at
// half of retention so a stuck run is reported for at least that long before the sweep
// flushes it as incomplete.
func stuckThreshold(cfg TransactionsConfig, h *runHistory) time.Duration {
	t := cfg.StuckFloor
	if p95, ok := h.p95(); ok {
		t = max(t, time.Duration(cfg.StuckFactor*float64(p95)))
	}
	return min(t, cfg.Retention/2)
}

// workflowGauge is what the per-workflow gauges say about one workflow id.
type workflowGauge struct {
	open    int
	idleAge time.Duration // the longest time since the last event of an open run
	stuck   int
	// newestStuck are the stuck runs that last had an event most recently, newest first.
	newestStuck []failureRef
}

// workflowGauges computes the per-workflow gauges from the open transactions. A run's idle
// time is measured on the receiver's clock from the last event it received (or, for a run
// restored from saga:*, from the saga's updated_at), so publisher clock skew does not count.
func (a *assembler) workflowGauges(now time.Time) map[string]*workflowGauge {
	out := make(map[string]*workflowGauge, len(a.runs.byID))
	thresholds := make(map[string]time.Duration, len(a.runs.byID))
	for id, h := range a.runs.byID {
		out[id] = &workflowGauge{}
		thresholds[id] = stuckThreshold(a.cfg.Transactions, h)
	}
	for e := a.order.Front(); e != nil; e = e.Next() {
		tx := e.Value.(*transaction)
		id, h := a.runs.entry(workerOrUnknown(tx.workflowID))
		g := out[id]
		if g == nil {
			g = &workflowGauge{}
			out[id] = g
			thresholds[id] = stuckThreshold(a.cfg.Transactions, h)
		}
		g.open++
		idle := max(now.Sub(tx.lastSeen), 0)
		g.idleAge = max(g.idleAge, idle)
		if idle <= thresholds[id] {
			a.noteGaugeChange(tx.lastSeen.Add(thresholds[id]))
		} else {
			g.stuck++
			tx.wasStuck = true
			g.newestStuck = newestRefs(g.newestStuck, failureRef{
				traceID: tx.traceID, spanID: spanIDFor(spanRoleRoot, tx.id), at: tx.lastSeen,
			})
		}
	}
	return out
}

// newestRefs keeps ref among refs' newest maxExemplarsPerSeries, newest first.
func newestRefs(refs []failureRef, ref failureRef) []failureRef {
	m := map[labelPair][]failureRef{{}: refs}
	recordFailure(m, labelPair{}, ref)
	return m[labelPair{}]
}

// buildWorkflowGauges writes multiagents.workflow.open, .idle_age and .stuck, one point per
// workflow id; the stuck point carries the newest stuck runs' traces as exemplars.
func buildWorkflowGauges(ms pmetric.MetricSlice, gauges map[string]*workflowGauge, ts pcommon.Timestamp) {
	if len(gauges) == 0 {
		return
	}
	ids := make([]string, 0, len(gauges))
	for id := range gauges {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	open := newGauge(ms, metricWorkflowOpen, "Open runs (transactions) of the workflow.", "{workflow}")
	idle := newGauge(ms, metricWorkflowIdleAge, "The longest time since the last event of an open run of the workflow; 0 when none is open.", "s")
	stuck := newGauge(ms, metricWorkflowStuck, "Open runs of the workflow with no event for longer than max(stuck_floor, stuck_factor × p95 of its completed runs).", "{workflow}")
	for _, id := range ids {
		g := gauges[id]
		dp := open.DataPoints().AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetIntValue(int64(g.open))
		putOverflowOr(dp.Attributes(), attrWorkflowID, id)

		dp = idle.DataPoints().AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetDoubleValue(g.idleAge.Seconds())
		putOverflowOr(dp.Attributes(), attrWorkflowID, id)

		dp = stuck.DataPoints().AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetIntValue(int64(g.stuck))
		putExemplars(dp.Exemplars(), g.newestStuck)
		putOverflowOr(dp.Attributes(), attrWorkflowID, id)
	}
}

func newGauge(ms pmetric.MetricSlice, name, desc, unit string) pmetric.Gauge {
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetDescription(desc)
	m.SetUnit(unit)
	return m.SetEmptyGauge()
}
