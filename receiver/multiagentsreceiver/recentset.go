package multiagentsreceiver

import "github.com/otelcol-multiagents/otelcol-multiagents/internal/fifoset"

// recentSet remembers the last capacity keys added (FIFO eviction), each with a small tag.
// It answers "has this command already ended?" and "has this transaction already ended?"
// for events that arrive late or twice, in bounded memory. The ring is fifoset's; this type
// only names the receiver's use of it.
type recentSet struct {
	set *fifoset.Set[uint8]
}

func newRecentSet(capacity int) *recentSet {
	return &recentSet{set: fifoset.New[uint8](capacity)}
}

// add remembers key and reports whether an older key was forgotten to make room.
func (s *recentSet) add(key uint64, tag uint8) (evicted bool) {
	_, _, evicted = s.set.Add(key, tag)
	return evicted
}

func (s *recentSet) get(key uint64) (uint8, bool) { return s.set.Get(key) }

// keys returns the keys held, oldest first, so that adding them in order rebuilds the set.
func (s *recentSet) keys() []uint64 { return s.set.Keys() }
