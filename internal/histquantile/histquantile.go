// Package histquantile estimates a quantile from an explicit-bucket histogram, as Prometheus'
// histogram_quantile does. worker_health uses it for a worker's p95 duration, the alert
// processor for rules with function quantile.
package histquantile

// Quantile estimates the q-quantile (0 < q < 1) of an explicit-bucket histogram: it finds the
// bucket holding the rank q × total and interpolates linearly inside it. bounds are the upper
// bounds; counts has len(bounds)+1 entries, the last one the +Inf bucket. The first bucket's
// lower edge is 0 (durations are not negative), unless its bound is 0 or below: then the bound
// itself is the answer. A rank in the +Inf bucket yields the highest finite bound. ok is false
// when the histogram is empty or malformed (no finite bucket, counts not matching bounds).
func Quantile[C uint64 | float64](q float64, bounds []float64, counts []C) (v float64, ok bool) {
	if len(bounds) == 0 || len(counts) != len(bounds)+1 {
		return 0, false
	}
	// The total is summed like the running count below, in the same order, so a rank of at most
	// the total always falls in a non-empty bucket.
	var total float64
	for _, c := range counts {
		total += float64(c)
	}
	if total <= 0 {
		return 0, false
	}
	rank := q * total
	var below float64
	for i, n := range counts {
		c := float64(n)
		if c <= 0 {
			continue
		}
		if below+c < rank {
			below += c
			continue
		}
		if i == len(bounds) {
			return bounds[len(bounds)-1], true
		}
		upper := bounds[i]
		lower := 0.0
		if i > 0 {
			lower = bounds[i-1]
		} else if upper <= 0 {
			return upper, true
		}
		return lower + (upper-lower)*(rank-below)/c, true
	}
	// Only a q above 1 puts the rank past the last observation: the bound of the last non-empty
	// bucket, not an empty one's.
	for i := len(counts) - 1; i >= 0; i-- {
		if counts[i] > 0 {
			return bounds[min(i, len(bounds)-1)], true
		}
	}
	return 0, false
}
