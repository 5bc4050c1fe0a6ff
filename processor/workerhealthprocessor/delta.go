package workerhealthprocessor

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// stream is one input series (metric, resource, attributes): where its points go and, for
// cumulative inputs, the last point, so each new point can be turned into an increase.
type stream struct {
	worker  *worker
	isError bool // executions streams: whether this series counts errors
	kind    metricKind
	// seenAt: unix ns (processor clock) of the last point, to tell an abandoned series (a
	// replica renamed or gone) when the worker's series are at their limit.
	seenAt int64
	// countFrom: the first cumulative point counts in full when the series started at or after it.
	countFrom pcommon.Timestamp

	primed bool
	start  pcommon.Timestamp
	last   pcommon.Timestamp
	value  float64 // executions: last cumulative value

	// command gauges: the latest reading, when it arrived (processor clock, unix ns; 0 = never)
	// and the interval between the source's points (ns; 0 = unknown yet; see nextInterval).
	reading  float64
	readAt   int64
	interval int64

	// durations: last cumulative histogram
	count   uint64
	sum     float64
	bounds  []float64
	buckets []uint64
}

const maxTimestamp = pcommon.Timestamp(^uint64(0))

// increaseOutcome tells the caller what a point meant besides its increase.
type increaseOutcome uint8

const (
	pointCounted  increaseOutcome = iota
	pointReset                    // the series restarted; its value is the increase
	pointBaseline                 // the first point of a series that started before we could count it
	pointStale                    // older than the last point of the series; ignored
)

// firstCountable says whether the whole value of a series' first cumulative point happened
// while we were watching: it did when the series started after countFrom (the processor's
// start, or later for a series that comes back after its worker was forgotten). Otherwise the first point is only a baseline.
func firstCountable(start pcommon.Timestamp, countFrom pcommon.Timestamp) bool {
	return start != 0 && start >= countFrom
}

// sumIncrease turns a counter point into the number of executions it adds.
// Delta points are increases already. Cumulative points are compared with the previous point;
// a drop in value or a new start time is a reset, after which the new value is the increase.
func (s *stream) sumIncrease(temporality pmetric.AggregationTemporality, start, ts pcommon.Timestamp, v float64) (float64, increaseOutcome) {
	if temporality == pmetric.AggregationTemporalityDelta {
		return v, pointCounted
	}
	if !s.primed {
		s.primed, s.start, s.last, s.value = true, start, ts, v
		if firstCountable(start, s.countFrom) {
			return v, pointCounted
		}
		return 0, pointBaseline
	}
	if ts < s.last {
		return 0, pointStale
	}
	if (start != 0 && start != s.start) || v < s.value {
		s.start, s.last, s.value = start, ts, v
		return v, pointReset
	}
	inc := v - s.value
	s.last, s.value = ts, v
	return inc, pointCounted
}

// histogramIncrease turns a histogram point into the count, sum and per-bucket counts it adds,
// written into incBuckets (len(dp buckets)). Resets are detected as for counters, and also when
// any bucket drops or the bucket layout changes.
func (s *stream) histogramIncrease(temporality pmetric.AggregationTemporality, dp pmetric.HistogramDataPoint, incBuckets []uint64) (incCount uint64, incSum float64, outcome increaseOutcome) {
	counts := dp.BucketCounts()
	if temporality == pmetric.AggregationTemporalityDelta {
		for i := range counts.Len() {
			incBuckets[i] = counts.At(i)
		}
		return dp.Count(), dp.Sum(), pointCounted
	}
	start, ts := dp.StartTimestamp(), dp.Timestamp()
	remember := func() {
		s.primed, s.start, s.last, s.count, s.sum = true, start, ts, dp.Count(), dp.Sum()
		s.bounds = append(s.bounds[:0], dp.ExplicitBounds().AsRaw()...)
		s.buckets = append(s.buckets[:0], counts.AsRaw()...)
	}
	whole := func(o increaseOutcome) (uint64, float64, increaseOutcome) {
		remember()
		copy(incBuckets, s.buckets)
		return dp.Count(), dp.Sum(), o
	}
	if !s.primed {
		if firstCountable(start, s.countFrom) {
			return whole(pointCounted)
		}
		remember()
		return 0, 0, pointBaseline
	}
	if ts < s.last {
		return 0, 0, pointStale
	}
	if (start != 0 && start != s.start) || dp.Count() < s.count || !sameLayout(s.bounds, dp.ExplicitBounds()) || counts.Len() != len(s.buckets) {
		return whole(pointReset)
	}
	for i := range counts.Len() {
		c := counts.At(i)
		if c < s.buckets[i] {
			return whole(pointReset)
		}
		incBuckets[i] = c - s.buckets[i]
	}
	incCount, incSum = dp.Count()-s.count, dp.Sum()-s.sum
	s.last, s.count, s.sum = ts, dp.Count(), dp.Sum()
	for i := range counts.Len() {
		s.buckets[i] = counts.At(i)
	}
	return incCount, incSum, pointCounted
}

func sameLayout(have []float64, got pcommon.Float64Slice) bool {
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

// noteReading records a command-gauge point of value v stamped ts, arriving at now. It returns
// whether the point is newer than the last (older points are ignored).
func (s *stream) noteReading(ts pcommon.Timestamp, v float64, now int64) bool {
	if ts < s.last {
		return false
	}
	if s.readAt != 0 && ts > s.last {
		s.interval = nextInterval(s.interval, max(int64(ts-s.last), minGaugeInterval))
	}
	s.last, s.reading, s.readAt = ts, v, now
	return true
}

// readingStale says whether the latest reading no longer counts at now: not refreshed within
// gaugeStaleIntervals of its source's interval, kept within [minFresh, maxFresh].
func (s *stream) readingStale(now int64, minFresh, maxFresh time.Duration) bool {
	if s.readAt == 0 {
		return true
	}
	after := int64(maxFresh)
	if s.interval > 0 {
		after = min(after, max(gaugeStaleIntervals*s.interval, int64(minFresh)))
	}
	return now-s.readAt > after
}

// nextInterval updates a source's interval estimate with a new gap between its points: a longer
// gap is taken at once, a shorter one only by 1/8 per point. Reading a source as slower than it
// is only delays the expiry of a dead one; reading it as faster (after a burst of early points,
// e.g. an exporter's retries) would drop a live one's reading between two of its points.
func nextInterval(interval, gap int64) int64 {
	if gap >= interval {
		return gap
	}
	return interval - (interval-gap)/8
}
