package workerhealthprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
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

// evaluate forgets silent workers, classifies every remaining worker that has executed at
// least once, and returns the health series for them (empty when there are none).
func (t *tracker) evaluate(nowNs int64) pmetric.Metrics {
	t.workers.expire(nowNs-int64(t.cfg.WorkerTTL), func(w *worker) {
		t.forget(w, nowNs)
		t.stats.evictedTTL++
	})
	out := newHealthBatch(pcommon.Timestamp(nowNs), t.workers.len())
	t.workers.each(func(w *worker) {
		if w.lastSeen == 0 {
			return // known only from a baseline point: nothing to say yet
		}
		nBuckets := len(w.bounds) + 1
		w.recent.sum(nowNs, nBuckets, &t.recent)
		var o observation
		if n := t.recent.executions(); n > 0 {
			o.hasRate, o.errorRate = true, t.recent.errors/n
		}
		o.p95, o.hasP95 = bucketQuantile(0.95, w.bounds, t.recent.buckets)
		o.inactive = nowNs-w.lastSeen >= int64(t.th.inactiveAfter)
		var is issues
		w.state, is = classify(w.state, o, t.th)

		report := &t.recent
		if t.cfg.ReportWindow == ReportPerformance {
			w.perf.sum(nowNs, nBuckets, &t.report)
			report = &t.report
		}
		out.add(w, is, report)
	})
	return out.finish()
}
