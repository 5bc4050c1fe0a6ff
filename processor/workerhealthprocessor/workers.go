package workerhealthprocessor

import (
	"strings"
	"time"
)

// worker is everything the processor keeps about one worker.
type worker struct {
	name   string
	recent ring
	perf   ring
	// bounds is the bucket layout (upper bounds in seconds) of the worker's duration slots.
	bounds []float64

	lastSeen     int64 // unix ns of the last execution observed; 0 = never
	lastActivity int64 // unix ns of the last execution or pending command, or creation; orders eviction
	state        healthState
	issues       issues   // as of the last evaluation, to tell a change
	streams      []uint64 // keys of the input series feeding this worker

	// executionSeq counts the batches that added executions; the held rates compare it with
	// the value they were last judged at to tell new evidence from mere aging.
	executionSeq uint64
	recentRate   heldRate
	reportRate   heldRate

	// gauges are the worker's command-gauge input series, one per metric and reporting
	// instance (at most maxSeriesPerWorker, with the other series).
	gauges []*stream

	// failures are the exemplars (failing transactions) of the worker's newest error
	// executions, newest first, at most maxFailureExemplars: carried onto its health and
	// error-rate points so an alert about the worker can link to them.
	failures []failureExemplar

	// pending: the worker is in the tracker's list of workers to evaluate on the current batch.
	pending bool
	// gone: the worker was evicted; a pending entry for it is skipped.
	gone bool

	newer, older *worker // recency list
}

// Command readings come from every instance that reports the worker (tier-1 replicas each
// count the commands of their own share of the transactions), one input series each. They are
// combined over the readings still fresh: overdue commands add up, the oldest pending age is
// the largest. A reading is fresh for gaugeStaleIntervals times its source's interval between
// points (see sourceinterval.Next), at least health_check_interval (staleness is noticed on the timer anyway, and
// a source refreshed between two ticks must not drop out) and at most recent_window, so a killed
// replica's last reading stops counting soon after its next readings were due, while the
// others still count.
const gaugeStaleIntervals = 3

// minGaugeInterval is the smallest interval a source is assumed to report at, so that two
// readings sent close together (a final flush) do not make its reading go stale at once.
const minGaugeInterval = int64(time.Second)

// unresponsive says whether the worker leaves commands unanswered: some are overdue, or the
// oldest waiting is older than unresponsiveAfter (0: not used), over the fresh readings of
// every instance reporting it (see readingStale for minFresh and maxFresh).
func (w *worker) unresponsive(now int64, unresponsiveAfter, minFresh, maxFresh time.Duration) bool {
	overdue, oldestAge := w.commandReadings(now, minFresh, maxFresh)
	return overdue > 0 || (unresponsiveAfter > 0 && oldestAge >= unresponsiveAfter.Seconds())
}

// commandReadings combines the fresh command readings of the worker's sources: overdue summed,
// oldest pending age (seconds) the maximum.
func (w *worker) commandReadings(now int64, minFresh, maxFresh time.Duration) (overdue, oldestAge float64) {
	for _, st := range w.gauges {
		if st.readingStale(now, minFresh, maxFresh) {
			continue
		}
		if st.kind == kindOverdue {
			overdue += st.reading
		} else {
			oldestAge = max(oldestAge, st.reading)
		}
	}
	return overdue, oldestAge
}

// addExecutions records n executions seen at now.
func (w *worker) addExecutions(now int64, n float64, isError bool) {
	w.executionSeq++
	r, p := w.recent.at(now), w.perf.at(now)
	if isError {
		r.errors += n
		p.errors += n
	} else {
		r.successes += n
		p.successes += n
	}
}

// addDurations records a histogram increase seen at now: count executions, of which sumCount
// came with their total duration sumSeconds; bounds are in seconds. A worker whose bucket
// layout changes starts its bucket counts over in the new layout.
func (w *worker) addDurations(now int64, bounds []float64, count, sumCount, sumSeconds float64, buckets []uint64) {
	if !equalBounds(w.bounds, bounds) {
		w.bounds = append(w.bounds[:0], bounds...)
		w.recent.resetBuckets(len(bounds) + 1)
		w.perf.resetBuckets(len(bounds) + 1)
	}
	for _, s := range [2]*slot{w.recent.at(now), w.perf.at(now)} {
		s.durCount += count
		s.durSumCount += sumCount
		s.durSum += sumSeconds
		for i, c := range buckets {
			s.buckets[i] += c
		}
	}
}

func equalBounds(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// workerTable holds at most max workers, ordered by recency, so the least recently seen is
// found in O(1) when one must go.
type workerTable struct {
	byName map[string]*worker
	newest *worker
	oldest *worker
	max    int
	cfg    *Config
}

func newWorkerTable(cfg *Config) *workerTable {
	return &workerTable{byName: map[string]*worker{}, max: cfg.MaxWorkers, cfg: cfg}
}

func (t *workerTable) len() int { return len(t.byName) }

// getOrAdd returns the named worker, creating it at now; when that exceeds max, the least
// recently seen worker is removed and returned as evicted.
func (t *workerTable) getOrAdd(name string, now int64) (w, evicted *worker) {
	if w = t.byName[name]; w != nil {
		return w, nil
	}
	if len(t.byName) >= t.max {
		evicted = t.oldest
		t.remove(evicted)
	}
	w = &worker{
		name: strings.Clone(name), // not a slice of the input's attribute string

		recent:       newRing(t.cfg.RecentWindow),
		perf:         newRing(t.cfg.PerformanceWindow),
		lastActivity: now,
	}
	t.byName[w.name] = w
	t.pushNewest(w)
	return w, evicted
}

// touch records an execution of w at now.
func (t *workerTable) touch(w *worker, now int64) {
	w.lastSeen = now
	t.keepAlive(w, now)
}

// keepAlive records activity of w at now that is not an execution (commands waiting for it),
// so a worker that is sent commands it never answers is not forgotten.
func (t *workerTable) keepAlive(w *worker, now int64) {
	w.lastActivity = now
	if t.newest == w {
		return
	}
	t.unlink(w)
	t.pushNewest(w)
}

func (t *workerTable) remove(w *worker) {
	t.unlink(w)
	delete(t.byName, w.name)
	w.gone = true
}

// expire removes and returns, oldest first, the workers with no activity since before cutoff.
func (t *workerTable) expire(cutoff int64, gone func(*worker)) {
	for t.oldest != nil && t.oldest.lastActivity < cutoff {
		w := t.oldest
		t.remove(w)
		gone(w)
	}
}

func (t *workerTable) pushNewest(w *worker) {
	w.older, w.newer = t.newest, nil
	if t.newest != nil {
		t.newest.newer = w
	}
	t.newest = w
	if t.oldest == nil {
		t.oldest = w
	}
}

func (t *workerTable) unlink(w *worker) {
	if w.newer != nil {
		w.newer.older = w.older
	} else {
		t.newest = w.older
	}
	if w.older != nil {
		w.older.newer = w.newer
	} else {
		t.oldest = w.newer
	}
	w.newer, w.older = nil, nil
}

// each visits every worker, newest first.
func (t *workerTable) each(f func(*worker)) {
	for w := t.newest; w != nil; w = w.older {
		f(w)
	}
}
