package workerhealthprocessor

// bucketQuantile estimates the q-quantile of an explicit-bucket histogram the way
// Prometheus' histogram_quantile does: find the bucket holding the rank and interpolate
// linearly inside it. bounds are the upper bounds; counts has len(bounds)+1 entries, the last
// one the +Inf bucket. The first bucket's lower edge is 0 (durations are not negative) unless
// its bound is negative. A rank in the +Inf bucket yields the highest finite bound. ok is false
// when the histogram is empty or has no finite bucket.
func bucketQuantile(q float64, bounds []float64, counts []uint64) (v float64, ok bool) {
	if len(bounds) == 0 || len(counts) != len(bounds)+1 {
		return 0, false
	}
	var total uint64
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		return 0, false
	}
	rank := q * float64(total)
	var below float64
	for i, c := range counts {
		if c == 0 {
			continue
		}
		if below+float64(c) < rank {
			below += float64(c)
			continue
		}
		if i == len(bounds) {
			return bounds[len(bounds)-1], true
		}
		upper := bounds[i]
		lower := 0.0
		if i > 0 {
			lower = bounds[i-1]
		} else if upper < 0 {
			return upper, true
		}
		return lower + (upper-lower)*(rank-below)/float64(c), true
	}
	// Rounding left the rank past the last non-empty bucket.
	for i := len(counts) - 1; i >= 0; i-- {
		if counts[i] > 0 {
			if i == len(bounds) {
				return bounds[len(bounds)-1], true
			}
			return bounds[i], true
		}
	}
	return 0, false
}
