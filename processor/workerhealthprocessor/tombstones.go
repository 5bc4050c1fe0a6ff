package workerhealthprocessor

import "go.opentelemetry.io/collector/pdata/pcommon"

// tombstones remembers the input series of forgotten workers, so that when such a series shows
// up again its cumulative value (already counted once) is taken as a baseline, not as new
// executions. It holds a bounded number of keys; when the oldest has to go, its eviction time
// becomes a watermark: any series first seen afterwards that started before it is treated as
// a baseline too, which is safe at the cost of one interval of counts.
type tombstones struct {
	keys      []uint64
	at        []pcommon.Timestamp
	used      []bool
	next      int
	slotOf    map[uint64]int
	watermark pcommon.Timestamp
}

func newTombstones(capacity int) *tombstones {
	return &tombstones{
		keys:   make([]uint64, capacity),
		at:     make([]pcommon.Timestamp, capacity),
		used:   make([]bool, capacity),
		slotOf: map[uint64]int{},
	}
}

// add remembers key as forgotten at now.
func (t *tombstones) add(key uint64, now pcommon.Timestamp) {
	i := t.next
	t.next = (t.next + 1) % len(t.keys)
	if t.used[i] {
		if slot, ok := t.slotOf[t.keys[i]]; ok && slot == i {
			delete(t.slotOf, t.keys[i])
			t.watermark = max(t.watermark, t.at[i])
		}
	}
	t.keys[i], t.at[i], t.used[i] = key, now, true
	t.slotOf[key] = i
}

// take reports whether key belonged to a forgotten worker, and forgets the tombstone.
func (t *tombstones) take(key uint64) bool {
	if _, ok := t.slotOf[key]; ok {
		delete(t.slotOf, key)
		return true
	}
	return false
}
