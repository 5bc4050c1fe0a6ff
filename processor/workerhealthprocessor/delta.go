package workerhealthprocessor

import (
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/sourceinterval"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/cumulative"
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

	executions cumulative.Counter   // executions: the last cumulative point
	durations  cumulative.Histogram // durations: the last cumulative histogram

	// command gauges: the timestamp of the latest reading, its value, when it arrived
	// (processor clock, unix ns; 0 = never) and the interval between the source's points (ns;
	// 0 = unknown yet; see sourceinterval.Next).
	last     pcommon.Timestamp
	reading  float64
	readAt   int64
	interval int64
}

const maxTimestamp = pcommon.Timestamp(^uint64(0))

// firstCountable says whether the whole value of a series' first cumulative point happened
// while we were watching: it did when the series started after countFrom (the processor's
// start, or later for a series that comes back after its worker was forgotten). Otherwise the first point is only a baseline.
func firstCountable(start pcommon.Timestamp, countFrom pcommon.Timestamp) bool {
	return start != 0 && start >= countFrom
}

// sumIncrease turns a counter point into the number of executions it adds.
// Delta points are increases already; cumulative ones go through cumulative.Counter.
func (s *stream) sumIncrease(temporality pmetric.AggregationTemporality, start, ts pcommon.Timestamp, v float64) (float64, cumulative.Outcome) {
	if temporality == pmetric.AggregationTemporalityDelta {
		return v, cumulative.Counted
	}
	return s.executions.Increase(start, ts, v, firstCountable(start, s.countFrom))
}

// histogramIncrease turns a histogram point into the count, sum and per-bucket counts it adds,
// written into incBuckets (len(dp buckets)). Cumulative points go through cumulative.Histogram.
func (s *stream) histogramIncrease(temporality pmetric.AggregationTemporality, dp pmetric.HistogramDataPoint, incBuckets []uint64) (incCount uint64, incSum float64, outcome cumulative.Outcome) {
	if temporality == pmetric.AggregationTemporalityDelta {
		counts := dp.BucketCounts()
		for i := range counts.Len() {
			incBuckets[i] = counts.At(i)
		}
		return dp.Count(), dp.Sum(), cumulative.Counted
	}
	return s.durations.Increase(dp, firstCountable(dp.StartTimestamp(), s.countFrom), incBuckets)
}

// noteReading records a command-gauge point of value v stamped ts, arriving at now. It returns
// whether the point is newer than the last (older points are ignored).
func (s *stream) noteReading(ts pcommon.Timestamp, v float64, now int64) bool {
	if ts < s.last {
		return false
	}
	if s.readAt != 0 && ts > s.last {
		s.interval = sourceinterval.Next(s.interval, max(int64(ts-s.last), minGaugeInterval))
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
