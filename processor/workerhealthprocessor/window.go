package workerhealthprocessor

import "time"

// slotsPerWindow is how finely a window is kept: a window of length W is the last
// slotsPerWindow slots of W/slotsPerWindow, the newest one still filling, so it covers
// between (slotsPerWindow-1)/slotsPerWindow × W and W of history.
const slotsPerWindow = 12

// slot holds what was observed during one slot of a window.
type slot struct {
	id        int64 // now / width; which slot of time this is
	successes float64
	errors    float64
	durCount  float64
	// durSumCount is how many of durCount came with a duration sum; avg = durSum / durSumCount.
	durSumCount float64
	durSum      float64 // seconds
	buckets     []uint64
}

func (s *slot) clear(id int64) {
	s.id = id
	s.successes, s.errors, s.durCount, s.durSumCount, s.durSum = 0, 0, 0, 0, 0
	clear(s.buckets)
}

// ring is a sliding window of fixed slots; memory does not grow with traffic.
type ring struct {
	width int64
	slots [slotsPerWindow]slot
}

func newRing(window time.Duration) ring {
	r := ring{width: max(int64(window)/slotsPerWindow, 1)}
	for i := range r.slots {
		r.slots[i].id = -1
	}
	return r
}

// at returns the slot that now falls into, recycling it when it last held an older slot.
func (r *ring) at(now int64) *slot {
	id := now / r.width
	s := &r.slots[id%slotsPerWindow]
	if s.id != id {
		s.clear(id)
	}
	return s
}

// resetBuckets drops every slot's bucket counts and sizes them for a new bucket layout.
func (r *ring) resetBuckets(n int) {
	for i := range r.slots {
		s := &r.slots[i]
		if cap(s.buckets) >= n {
			s.buckets = s.buckets[:n]
		} else {
			s.buckets = make([]uint64, n)
		}
		clear(s.buckets)
	}
}

// windowTotals is the sum of a window's slots.
type windowTotals struct {
	successes   float64
	errors      float64
	durCount    float64
	durSumCount float64
	durSum      float64
	buckets     []uint64 // histogram of durations over the window, in the worker's layout
}

func (t *windowTotals) executions() float64 { return t.successes + t.errors }

// sum adds up the slots that are still inside the window at now into t (reusing t's buckets).
func (r *ring) sum(now int64, nBuckets int, t *windowTotals) {
	t.successes, t.errors, t.durCount, t.durSumCount, t.durSum = 0, 0, 0, 0, 0
	if cap(t.buckets) < nBuckets {
		t.buckets = make([]uint64, nBuckets)
	}
	t.buckets = t.buckets[:nBuckets]
	clear(t.buckets)
	newest := now / r.width
	for i := range r.slots {
		s := &r.slots[i]
		if s.id <= newest-slotsPerWindow || s.id > newest {
			continue
		}
		t.successes += s.successes
		t.errors += s.errors
		t.durCount += s.durCount
		t.durSumCount += s.durSumCount
		t.durSum += s.durSum
		if len(s.buckets) == nBuckets {
			for j, c := range s.buckets {
				t.buckets[j] += c
			}
		}
	}
}

// heldRate is a window's error rate as last judged. Windows age evenly: while no new
// executions arrive, the rate may only fall (min of the held and the recomputed rate), so a
// worker's rate never rises just because older successes left the window before newer
// failures did. New executions replace it with the recomputed rate.
type heldRate struct {
	judgedAt uint64 // the worker's executionSeq when the rate was last judged
	has      bool
	rate     float64
}

// judge returns the window's error rate, or false when the window holds fewer than
// minExecutions executions (too little evidence for a rate).
func (h *heldRate) judge(t *windowTotals, executionSeq uint64, minExecutions float64) (float64, bool) {
	n := t.executions()
	fresh := executionSeq != h.judgedAt
	h.judgedAt = executionSeq
	if n == 0 || n < minExecutions {
		h.has = false
		return 0, false
	}
	r := t.errors / n
	if h.has && !fresh {
		r = min(r, h.rate)
	}
	h.has, h.rate = true, r
	return r, true
}
