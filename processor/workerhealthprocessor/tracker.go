package workerhealthprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/histquantile"
)

// tracker is the processor's state: workers, their windows, and the input series feeding them.
// It is not safe for concurrent use; the processor serialises access.
type tracker struct {
	cfg     *Config
	th      thresholds
	routes  map[string]route
	workers *workerTable
	streams map[uint64]*stream
	// startedAt is the processor's start: a cumulative series first seen with a start time at or
	// after it had all of its value happen while we were watching, so its first point counts in
	// full; an older one is a baseline.
	startedAt pcommon.Timestamp
	// forgotten holds the series of evicted workers, whose first point on return is a baseline.
	forgotten *tombstones

	stats ingestStats

	// changed lists the workers whose inputs moved since the last evaluation, so a batch
	// that carries new executions or command readings is judged at once, at a cost in
	// proportion to the batch rather than to all workers.
	changed []*worker

	// scratch space reused across points and evaluations
	incBuckets   []uint64
	scaledBounds []float64
	recent       windowTotals
	report       windowTotals
}

func newTracker(cfg *Config) *tracker {
	return &tracker{
		cfg:     cfg,
		th:      thresholdsOf(cfg),
		routes:  buildRoutes(cfg.Inputs),
		workers: newWorkerTable(cfg),
		streams: map[uint64]*stream{},
		// A worker has a few series (two statuses and a histogram per input, more per span kind).
		forgotten: newTombstones(8 * cfg.MaxWorkers),
	}
}

// forget drops a worker's input series along with it.
func (t *tracker) forget(w *worker, nowNs int64) {
	for _, key := range w.streams {
		delete(t.streams, key)
		t.forgotten.add(key, pcommon.Timestamp(nowNs))
	}
	w.streams = nil
	w.gauges = nil
}

// reclaimAbandoned makes room for a new series of w, which has maxSeriesPerWorker already, by
// forgetting its least recently seen series if that one sent nothing for recent_window: the
// series of a replica that went away or came back under another service.instance.id. It
// reports whether it did. A forgotten series that returns is a baseline (tombstone).
func (t *tracker) reclaimAbandoned(w *worker, nowNs int64) bool {
	oldest, oldestAt := -1, nowNs-int64(t.cfg.RecentWindow)
	for i, key := range w.streams {
		if st := t.streams[key]; st != nil && st.seenAt < oldestAt {
			oldest, oldestAt = i, st.seenAt
		}
	}
	if oldest < 0 {
		return false
	}
	key := w.streams[oldest]
	st := t.streams[key]
	delete(t.streams, key)
	t.forgotten.add(key, pcommon.Timestamp(nowNs))
	w.streams = append(w.streams[:oldest], w.streams[oldest+1:]...)
	for i, g := range w.gauges {
		if g == st {
			w.gauges = append(w.gauges[:i], w.gauges[i+1:]...)
			break
		}
	}
	return true
}

// countFrom is the start time from which a new series' first point counts in full.
func (t *tracker) countFrom() pcommon.Timestamp {
	return max(t.startedAt, t.forgotten.watermark)
}

// drainStats returns and clears the counts gathered since the last call.
func (t *tracker) drainStats() ingestStats {
	s := t.stats
	t.stats = ingestStats{}
	return s
}

// markChanged queues w for evaluation on the current batch.
func (t *tracker) markChanged(w *worker) {
	if !w.pending {
		w.pending = true
		t.changed = append(t.changed, w)
	}
}

// evaluate forgets expired workers, classifies every remaining worker that has something to
// report, and returns the health series for all of them (empty when there are none). It runs on
// the processor's timer, which notices what changes without input: windows ageing, readings
// going stale.
func (t *tracker) evaluate(nowNs int64) pmetric.Metrics {
	t.workers.expire(nowNs-int64(t.cfg.WorkerTTL), func(w *worker) {
		t.forget(w, nowNs)
		t.stats.evictedTTL++
	})
	t.clearChanged()
	out := newHealthBatch(pcommon.Timestamp(nowNs), t.workers.len())
	t.workers.each(func(w *worker) {
		if is, ok := t.judge(w, nowNs); ok {
			out.add(w, is, t.reportWindow(w, nowNs), t.th.minExecutions)
		}
	})
	return out.finish()
}

// evaluateChanged classifies only the workers whose inputs changed since the last evaluation
// and returns the health series of those whose state or issues changed, so that health reaches
// the next consumer together with the data that changed it; ok is false (and nothing is
// allocated) when no state or issue changed.
func (t *tracker) evaluateChanged(nowNs int64) (md pmetric.Metrics, ok bool) {
	var out *healthBatch
	for _, w := range t.changed {
		w.pending = false
		if w.gone {
			continue
		}
		prevState, prevIssues := w.state, w.issues
		is, reported := t.judge(w, nowNs)
		if !reported || (w.state == prevState && is == prevIssues) {
			continue
		}
		if out == nil {
			out = newHealthBatch(pcommon.Timestamp(nowNs), len(t.changed))
		}
		out.add(w, is, t.reportWindow(w, nowNs), t.th.minExecutions)
	}
	clear(t.changed)
	t.changed = t.changed[:0]
	if out == nil {
		return md, false
	}
	return out.finish(), true
}

func (t *tracker) clearChanged() {
	for _, w := range t.changed {
		w.pending = false
	}
	clear(t.changed)
	t.changed = t.changed[:0]
}

// judge classifies w at now and records its new state and issues; ok is false for a worker with
// nothing to report yet (known only from a baseline point, and not unresponsive).
func (t *tracker) judge(w *worker, nowNs int64) (is issues, ok bool) {
	o := observation{wasUnresponsive: w.issues[issueUnresponsive]}
	o.unresponsive = w.unresponsive(nowNs, t.th.unresponsiveAfter, t.cfg.HealthCheckInterval, t.cfg.RecentWindow)
	if w.lastSeen == 0 && !o.unresponsive {
		return is, false
	}
	nBuckets := len(w.bounds) + 1
	w.recent.sum(nowNs, nBuckets, &t.recent)
	o.idle = t.recent.executions() == 0
	o.errorRate, o.hasRate = w.recentRate.judge(&t.recent, w.executionSeq, t.th.minExecutions)
	if t.recent.durCount >= t.th.minExecutions {
		o.p95, o.hasP95 = histquantile.Quantile(0.95, w.bounds, t.recent.buckets)
	}
	w.state, is = classify(w.state, o, t.th)
	w.issues = is
	return is, true
}

// reportWindow sums the window the rate and duration series describe, with its error rate
// judged like the recent one (minimum evidence, even ageing).
func (t *tracker) reportWindow(w *worker, nowNs int64) reportedWindow {
	if t.cfg.ReportWindow == ReportRecent {
		// judge has just summed the recent window into t.recent.
		return reportedWindow{totals: &t.recent, errorRate: w.recentRate.rate, hasRate: w.recentRate.has}
	}
	w.perf.sum(nowNs, len(w.bounds)+1, &t.report)
	r, ok := w.reportRate.judge(&t.report, w.executionSeq, t.th.minExecutions)
	return reportedWindow{totals: &t.report, errorRate: r, hasRate: ok}
}
