// Package cumulative turns the points of a cumulative series (a monotonic sum or an explicit
// bucket histogram) into increases, across restarts of their source. worker_health counts a
// worker's executions and durations with it, the alert processor the totals its rules read.
//
// The rules, for both kinds:
//   - The first point is a baseline (no increase) unless the caller says the series started
//     while it was watching (countFirst): then its whole value is the increase. Prometheus
//     takes the first point as a baseline; a series born while we watch would lose its first
//     counts (an error counter created at 1 is one error).
//   - A point older than the last one (out of order: a retried batch) is stale: ignored.
//   - A reset (the source restarted) is a start time differing from the series' last known
//     one, or a value, count or bucket that dropped, or (histograms) a change of bucket
//     layout. The point's whole value is the increase. A point without a start time (0) is
//     judged by its values alone.
//   - Otherwise the increase is the difference from the last point.
package cumulative

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// Outcome tells the caller what a point meant besides its increase.
type Outcome uint8

const (
	Counted  Outcome = iota // the increase is the difference from the last point (or the first point counted in full)
	Reset                   // the series restarted; its value is the increase
	Baseline                // the first point of a series that started before we could count it
	Stale                   // older than the last point of the series; ignored
)

// Counter is the last point of a cumulative monotonic sum. The zero value has seen no point.
type Counter struct {
	primed bool
	start  pcommon.Timestamp
	last   pcommon.Timestamp
	value  float64
}

// Increase turns a point (start time, timestamp, value) into the increase it adds.
func (c *Counter) Increase(start, ts pcommon.Timestamp, v float64, countFirst bool) (float64, Outcome) {
	if !c.primed {
		c.primed, c.start, c.last, c.value = true, start, ts, v
		if countFirst {
			return v, Counted
		}
		return 0, Baseline
	}
	if ts < c.last {
		return 0, Stale
	}
	if restarted(c.start, start) || v < c.value {
		c.start, c.last, c.value = start, ts, v
		return v, Reset
	}
	inc := v - c.value
	c.last, c.value = ts, v
	return inc, Counted
}

// restarted says whether a point's start time tells of a restart: it is known and differs
// from the last known one.
func restarted(known, start pcommon.Timestamp) bool {
	return start != 0 && start != known
}

// Histogram is the last point of a cumulative explicit-bucket histogram. The zero value has
// seen no point.
type Histogram struct {
	primed  bool
	start   pcommon.Timestamp
	last    pcommon.Timestamp
	count   uint64
	sum     float64
	bounds  []float64
	buckets []uint64
}

// Increase turns a point into the count, sum and per-bucket counts it adds; the bucket counts
// are written into incBuckets, which must have the point's number of buckets. A histogram
// without buckets (count and sum only) is read the same way.
func (h *Histogram) Increase(dp pmetric.HistogramDataPoint, countFirst bool, incBuckets []uint64) (incCount uint64, incSum float64, outcome Outcome) {
	counts := dp.BucketCounts()
	start, ts := dp.StartTimestamp(), dp.Timestamp()
	whole := func(o Outcome) (uint64, float64, Outcome) {
		h.remember(dp)
		copy(incBuckets, h.buckets)
		return dp.Count(), dp.Sum(), o
	}
	if !h.primed {
		if countFirst {
			return whole(Counted)
		}
		h.remember(dp)
		return 0, 0, Baseline
	}
	if ts < h.last {
		return 0, 0, Stale
	}
	if restarted(h.start, start) || dp.Count() < h.count || !sameBounds(h.bounds, dp.ExplicitBounds()) || counts.Len() != len(h.buckets) {
		return whole(Reset)
	}
	for i := range counts.Len() {
		c := counts.At(i)
		if c < h.buckets[i] {
			return whole(Reset)
		}
		incBuckets[i] = c - h.buckets[i]
	}
	incCount, incSum = dp.Count()-h.count, dp.Sum()-h.sum
	h.last, h.count, h.sum = ts, dp.Count(), dp.Sum()
	for i := range counts.Len() {
		h.buckets[i] = counts.At(i)
	}
	return incCount, incSum, Counted
}

func (h *Histogram) remember(dp pmetric.HistogramDataPoint) {
	h.primed, h.start, h.last, h.count, h.sum = true, dp.StartTimestamp(), dp.Timestamp(), dp.Count(), dp.Sum()
	h.bounds = append(h.bounds[:0], dp.ExplicitBounds().AsRaw()...)
	h.buckets = append(h.buckets[:0], dp.BucketCounts().AsRaw()...)
}

func sameBounds(have []float64, got pcommon.Float64Slice) bool {
	if len(have) != got.Len() {
		return false
	}
	for i, b := range have {
		if got.At(i) != b {
			return false
		}
	}
	return true
}
