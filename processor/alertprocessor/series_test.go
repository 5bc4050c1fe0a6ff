package alertprocessor

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// With points sparser than the snapshot spacing, a window's increase is exact; this also
// catches snapshots sharing bucket arrays after they are recycled.
func TestWindowTotalsMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const window = time.Minute
	s := newSeries(typeHistogram, testEpoch)
	bounds := []float64{1, 2}
	type point struct {
		at     time.Time
		counts []uint64
	}
	var history []point
	cum := []uint64{0, 0, 0}
	now := testEpoch
	for i := range 2000 {
		now = now.Add(time.Duration(3+rng.IntN(20)) * time.Second)
		inc := []uint64{uint64(rng.IntN(3)), uint64(rng.IntN(3)), uint64(rng.IntN(2))}
		if i%500 == 499 {
			cum = []uint64{0, 0, 0} // producer restart
		}
		for j := range cum {
			cum[j] += inc[j]
		}
		var n uint64
		for _, c := range cum {
			n += c
		}
		s.observeHistogram(now, histogramPoint(n, float64(n), cum, bounds), true, true, make([]uint64, len(cum)))
		s.record(now, window)
		history = append(history, point{now, inc})
		if i%500 == 499 {
			history[len(history)-1].counts = slices.Clone(cum) // after a reset the whole value is new
		}

		want := make([]float64, 3)
		for _, p := range history {
			if p.at.After(now.Add(-window)) {
				for j, c := range p.counts {
					want[j] += float64(c)
				}
			}
		}
		base := s.totalsAt(now.Add(-window))
		for j := range want {
			require.Equal(t, want[j], s.cur.buckets[j]-base.buckets[j], "point %d bucket %d", i, j)
		}
		require.LessOrEqual(t, s.snaps.len(), maxSnapshots)
	}
}

// histogramPoint is a cumulative histogram point without start time or timestamp.
func histogramPoint(count uint64, sum float64, counts []uint64, bounds []float64) pmetric.HistogramDataPoint {
	dp := pmetric.NewHistogramDataPoint()
	dp.SetCount(count)
	dp.SetSum(sum)
	dp.BucketCounts().FromRaw(counts)
	dp.ExplicitBounds().FromRaw(bounds)
	return dp
}
