package alertprocessor

// Snapshots of a series' running totals are kept about window/snapshotsPerWindow apart over
// the longest window a rule reads it with, and never more than maxSnapshots of them: a
// window's start is then found to within that spacing, and memory per series is fixed.
const (
	snapshotsPerWindow = 32
	maxSnapshots       = 2*snapshotsPerWindow + 8
)

// snapshot is a series' totals as of a moment (unix nanoseconds).
type snapshot struct {
	at int64
	totals
}

// snapshotRing holds a series' snapshots, oldest first, in a ring that grows as needed up to
// maxSnapshots. Dropped snapshots keep their bucket arrays for re-use; no two slots share one.
type snapshotRing struct {
	buf  []snapshot
	head int
	n    int
}

func (r *snapshotRing) len() int { return r.n }

// at returns the i-th oldest snapshot.
func (r *snapshotRing) at(i int) *snapshot {
	i += r.head
	if i >= len(r.buf) {
		i -= len(r.buf)
	}
	return &r.buf[i]
}

func (r *snapshotRing) clear() { r.head, r.n = 0, 0 }

func (r *snapshotRing) dropOldest(k int) {
	r.head = (r.head + k) % len(r.buf)
	r.n -= k
}

// push appends a slot for a new snapshot (dropping the oldest when full) and returns it.
func (r *snapshotRing) push() *snapshot {
	if r.n == len(r.buf) {
		if len(r.buf) >= maxSnapshots {
			r.dropOldest(1)
		} else {
			grown := make([]snapshot, min(max(4, 2*len(r.buf)), maxSnapshots))
			for i := range r.n {
				grown[i] = *r.at(i) // moved, not shared: the old array is dropped
			}
			r.buf, r.head = grown, 0
		}
	}
	r.n++
	return r.at(r.n - 1)
}

// search returns the number of snapshots taken at or before t.
func (r *snapshotRing) search(t int64) int {
	lo, hi := 0, r.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r.at(mid).at <= t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
