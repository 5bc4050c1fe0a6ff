package histquantile

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// spanMetricsBoundsSeconds are the span_metrics connector's default buckets, in seconds.
var spanMetricsBoundsSeconds = []float64{0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.4, 2, 5, 10, 15}

func bucketize(bounds, samples []float64) []uint64 {
	counts := make([]uint64, len(bounds)+1)
	for _, s := range samples {
		counts[sort.SearchFloat64s(bounds, s)]++ // first bound ≥ s: buckets are (prev, bound]
	}
	return counts
}

func exactQuantile(q float64, samples []float64) float64 {
	s := append([]float64(nil), samples...)
	sort.Float64s(s)
	return s[int(math.Ceil(q*float64(len(s))))-1]
}

// bucketWidthAt is the width of the bucket holding v.
func bucketWidthAt(bounds []float64, v float64) float64 {
	i := sort.SearchFloat64s(bounds, v)
	if i == 0 {
		return bounds[0]
	}
	if i == len(bounds) {
		return math.Inf(1)
	}
	return bounds[i] - bounds[i-1]
}

func TestQuantileAgainstKnownDistributions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	distributions := map[string]func() float64{
		"uniform 0..2s":        func() float64 { return 2 * rng.Float64() },
		"exponential mean 0.3": func() float64 { return rng.ExpFloat64() * 0.3 },
		"lognormal around 1s":  func() float64 { return math.Exp(rng.NormFloat64() * 0.5) },
		"bimodal fast/slow":    func() float64 { return map[bool]float64{true: 0.005, false: 3}[rng.IntN(10) < 9] + 0.001*rng.Float64() },
	}
	for name, draw := range distributions {
		t.Run(name, func(t *testing.T) {
			samples := make([]float64, 20000)
			for i := range samples {
				samples[i] = draw()
			}
			exact := exactQuantile(0.95, samples)
			got, ok := Quantile(0.95, spanMetricsBoundsSeconds, bucketize(spanMetricsBoundsSeconds, samples))
			require.True(t, ok)
			assert.LessOrEqual(t, math.Abs(got-exact), bucketWidthAt(spanMetricsBoundsSeconds, exact),
				"p95 %g vs exact %g must be within the width of its bucket", got, exact)
		})
	}
}

func TestQuantileExactForUniformBuckets(t *testing.T) {
	bounds := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}
	counts := []uint64{10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 0}
	got, ok := Quantile(0.95, bounds, counts)
	require.True(t, ok)
	assert.InDelta(t, 0.95, got, 1e-9)
	got, _ = Quantile(0.5, bounds, counts)
	assert.InDelta(t, 0.5, got, 1e-9)
}

func TestQuantileEdges(t *testing.T) {
	bounds := []float64{1, 2, 5}
	_, ok := Quantile(0.95, bounds, []uint64{0, 0, 0, 0})
	assert.False(t, ok, "empty histogram")
	_, ok = Quantile(0.95, nil, []uint64{4})
	assert.False(t, ok, "only a +Inf bucket")
	_, ok = Quantile(0.95, bounds, []uint64{1, 2})
	assert.False(t, ok, "counts not matching bounds")

	got, ok := Quantile(0.95, bounds, []uint64{0, 0, 0, 7})
	require.True(t, ok)
	assert.Equal(t, 5.0, got, "a rank in +Inf reports the highest finite bound")

	got, _ = Quantile(0.95, bounds, []uint64{20, 0, 0, 0})
	assert.InDelta(t, 0.95, got, 1e-9, "first bucket interpolates from 0")

	got, _ = Quantile(0.95, bounds, []uint64{0, 0, 1, 0})
	assert.InDelta(t, 2+3*0.95, got, 1e-9, "single sample")
}

// The alert processor's counts are float64 (increases over a window, merged across series).
func TestQuantileFloatCounts(t *testing.T) {
	bounds := []float64{1, 2, 4}
	tests := []struct {
		name   string
		q      float64
		counts []float64
		want   float64
		ok     bool
	}{
		{"first bucket starts at zero", 0.5, []float64{10, 0, 0, 0}, 0.5, true},
		{"middle bucket", 0.75, []float64{5, 0, 10, 0}, 2 + 2*(11.25-5)/10, true},
		{"overflow bucket reports the highest bound", 0.99, []float64{1, 0, 0, 9}, 4, true},
		{"no observations", 0.5, []float64{0, 0, 0, 0}, 0, false},
		{"malformed", 0.5, []float64{1, 1}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Quantile(tt.q, bounds, tt.counts)
			assert.Equal(t, tt.ok, ok)
			assert.InDelta(t, tt.want, got, 1e-12)
		})
	}
}

// Where the two former copies differed: a first bound of 0 or below is the answer itself
// (worker_health tested < 0, the alert processor <= 0: the same value for a bound of 0), and a
// rank past every observation reports the last non-empty bucket, never an empty one above it.
func TestQuantileBoundsAtOrBelowZero(t *testing.T) {
	got, ok := Quantile(0.5, []float64{0, 1}, []uint64{4, 0, 0})
	require.True(t, ok)
	assert.Equal(t, 0.0, got)
	got, ok = Quantile(0.5, []float64{-2, 1}, []float64{4, 0, 0})
	require.True(t, ok)
	assert.Equal(t, -2.0, got)
	got, ok = Quantile(0.5, []float64{-2, 1}, []uint64{0, 4, 0})
	require.True(t, ok)
	assert.InDelta(t, -2+3*0.5, got, 1e-12, "the second bucket interpolates from the first bound")
}

func TestQuantileRankPastTheLastObservation(t *testing.T) {
	got, ok := Quantile(1.5, []float64{1, 2, 5}, []uint64{3, 1, 0, 0})
	require.True(t, ok)
	assert.Equal(t, 2.0, got, "the last non-empty bucket's bound")
	got, ok = Quantile(1.5, []float64{1, 2, 5}, []float64{3, 0, 0, 2})
	require.True(t, ok)
	assert.Equal(t, 5.0, got, "the +Inf bucket reports the highest finite bound")
	got, ok = Quantile(1, []float64{1, 2, 5}, []float64{0.1, 0.2, 0, 0})
	require.True(t, ok)
	assert.Equal(t, 2.0, got, "q = 1 with counts that do not add up exactly still lands in a bucket")
}
