package cumulative

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

func TestCounterAcrossResets(t *testing.T) {
	const start, restart = pcommon.Timestamp(100), pcommon.Timestamp(5000)
	steps := []struct {
		start pcommon.Timestamp
		v     float64
		inc   float64
		o     Outcome
	}{
		{start, 5, 5, Counted},       // first point of a series that started while we watched
		{start, 8, 3, Counted},       //
		{start, 12, 4, Counted},      //
		{start, 3, 3, Reset},         // value dropped: the 3 are new
		{start, 7, 4, Counted},       //
		{restart, 10, 10, Reset},     // start time moved: a reset even though the value grew
		{restart, 10, 0, Counted},    //
		{0, 11, 1, Counted},          // no start time: judged by the value, the known start kept
		{restart, 12, 1, Counted},    // the known start again: no reset
		{restart + 1, 13, 13, Reset}, // another known start
	}
	var c Counter
	ts := pcommon.Timestamp(1000)
	for i, s := range steps {
		ts += 10
		inc, o := c.Increase(s.start, ts, s.v, true)
		assert.Equal(t, s.inc, inc, "step %d", i)
		assert.Equal(t, s.o, o, "step %d", i)
	}
}

func TestCounterFirstPointIsABaselineUnlessCounted(t *testing.T) {
	var c Counter
	inc, o := c.Increase(100, 1000, 1000, false)
	assert.Equal(t, 0.0, inc)
	assert.Equal(t, Baseline, o)
	inc, o = c.Increase(100, 1010, 1004, false)
	assert.Equal(t, 4.0, inc)
	assert.Equal(t, Counted, o)
}

// An out-of-order point (a retried batch) is ignored: it is neither a reset nor a new baseline.
func TestCounterStalePointIsIgnored(t *testing.T) {
	var c Counter
	c.Increase(100, 2000, 5, true)
	inc, o := c.Increase(100, 1000, 2, true)
	assert.Equal(t, 0.0, inc)
	assert.Equal(t, Stale, o)
	inc, o = c.Increase(100, 3000, 6, true)
	assert.Equal(t, 1.0, inc, "counted from the last point in order")
	assert.Equal(t, Counted, o)
	inc, o = c.Increase(100, 3000, 6, true)
	assert.Equal(t, 0.0, inc, "the same timestamp again is not stale")
	assert.Equal(t, Counted, o)
}

// A series first seen without start time that then reports one restarted.
func TestCounterStartTimeAfterNone(t *testing.T) {
	var c Counter
	c.Increase(0, 1000, 5, false)
	inc, o := c.Increase(900, 1010, 7, false)
	assert.Equal(t, 7.0, inc)
	assert.Equal(t, Reset, o)
}

func histogramPoint(start, ts pcommon.Timestamp, bounds []float64, counts []uint64, sum float64) pmetric.HistogramDataPoint {
	dp := pmetric.NewHistogramDataPoint()
	dp.SetStartTimestamp(start)
	dp.SetTimestamp(ts)
	dp.ExplicitBounds().FromRaw(bounds)
	dp.BucketCounts().FromRaw(counts)
	var n uint64
	for _, c := range counts {
		n += c
	}
	dp.SetCount(n)
	dp.SetSum(sum)
	return dp
}

func TestHistogramAcrossResets(t *testing.T) {
	bounds := []float64{1, 2, 5}
	var h Histogram
	inc := make([]uint64, 4)
	ts := pcommon.Timestamp(1000)
	feed := func(start pcommon.Timestamp, b []float64, counts []uint64, sum float64) (uint64, float64, Outcome) {
		ts += 10
		inc = inc[:len(counts)]
		return h.Increase(histogramPoint(start, ts, b, counts, sum), true, inc)
	}
	n, sum, o := feed(100, bounds, []uint64{1, 0, 0, 0}, 0.5)
	assert.Equal(t, Counted, o)
	assert.Equal(t, []uint64{1, 0, 0, 0}, inc)
	assert.Equal(t, uint64(1), n)
	assert.Equal(t, 0.5, sum)

	n, sum, o = feed(100, bounds, []uint64{3, 1, 0, 0}, 3)
	assert.Equal(t, Counted, o)
	assert.Equal(t, []uint64{2, 1, 0, 0}, inc)
	assert.Equal(t, uint64(3), n)
	assert.Equal(t, 2.5, sum)

	_, _, o = feed(100, bounds, []uint64{0, 0, 5, 0}, 9)
	assert.Equal(t, Reset, o, "a bucket dropped though the count grew")
	assert.Equal(t, []uint64{0, 0, 5, 0}, inc)

	_, _, o = feed(200, bounds, []uint64{0, 0, 6, 0}, 10)
	assert.Equal(t, Reset, o, "start moved")
	assert.Equal(t, []uint64{0, 0, 6, 0}, inc)

	_, _, o = feed(200, []float64{1, 2, 10}, []uint64{0, 0, 7, 0}, 11)
	assert.Equal(t, Reset, o, "bounds changed")
	assert.Equal(t, []uint64{0, 0, 7, 0}, inc)

	_, _, o = feed(200, []float64{1, 2}, []uint64{0, 0, 8}, 12)
	assert.Equal(t, Reset, o, "bucket count changed")
	assert.Equal(t, []uint64{0, 0, 8}, inc)

	ts -= 100
	_, _, o = feed(200, []float64{1, 2}, []uint64{0, 0, 1}, 1)
	assert.Equal(t, Stale, o)
	ts += 100
	n, _, o = feed(200, []float64{1, 2}, []uint64{1, 0, 8}, 13)
	assert.Equal(t, Counted, o, "counted from the last point in order")
	assert.Equal(t, uint64(1), n)
	assert.Equal(t, []uint64{1, 0, 0}, inc)
}

func TestHistogramFirstPointIsABaselineUnlessCounted(t *testing.T) {
	var h Histogram
	inc := []uint64{9, 9}
	n, sum, o := h.Increase(histogramPoint(100, 1000, []float64{1}, []uint64{4, 1}, 7), false, inc)
	assert.Equal(t, Baseline, o)
	assert.Equal(t, uint64(0), n)
	assert.Equal(t, 0.0, sum)
	n, _, o = h.Increase(histogramPoint(100, 1010, []float64{1}, []uint64{5, 1}, 8), false, inc)
	assert.Equal(t, Counted, o)
	assert.Equal(t, uint64(1), n)
	assert.Equal(t, []uint64{1, 0}, inc)
}

// A histogram with count and sum only (no buckets) is read like any other.
func TestHistogramWithoutBuckets(t *testing.T) {
	var h Histogram
	dp := func(ts pcommon.Timestamp, n uint64, sum float64) pmetric.HistogramDataPoint {
		p := pmetric.NewHistogramDataPoint()
		p.SetStartTimestamp(100)
		p.SetTimestamp(ts)
		p.SetCount(n)
		p.SetSum(sum)
		return p
	}
	h.Increase(dp(1000, 3, 1.5), true, nil)
	n, sum, o := h.Increase(dp(1010, 5, 2.5), true, nil)
	assert.Equal(t, Counted, o)
	assert.Equal(t, uint64(2), n)
	assert.Equal(t, 1.0, sum)
	_, _, o = h.Increase(dp(1020, 1, 0.1), true, nil)
	assert.Equal(t, Reset, o)
}
