package multiagentsreceiver

// recentSet remembers the last capacity keys added (FIFO eviction), each with a small tag.
// It answers "has this command already ended?" and "has this transaction already ended?"
// for events that arrive late or twice, in bounded memory.
type recentSet struct {
	tags map[uint64]uint8
	ring []uint64
	next int
	full bool
}

func newRecentSet(capacity int) *recentSet {
	return &recentSet{tags: make(map[uint64]uint8, capacity), ring: make([]uint64, capacity)}
}

// add remembers key and reports whether an older key was forgotten to make room.
func (s *recentSet) add(key uint64, tag uint8) (evicted bool) {
	if _, ok := s.tags[key]; ok {
		s.tags[key] = tag
		return false
	}
	if s.full {
		delete(s.tags, s.ring[s.next])
		evicted = true
	}
	s.ring[s.next] = key
	s.tags[key] = tag
	s.next++
	if s.next == len(s.ring) {
		s.next = 0
		s.full = true
	}
	return evicted
}

func (s *recentSet) get(key uint64) (uint8, bool) {
	tag, ok := s.tags[key]
	return tag, ok
}

// keys returns the keys held, oldest first, so that adding them in order rebuilds the set.
func (s *recentSet) keys() []uint64 {
	if !s.full {
		return append([]uint64(nil), s.ring[:s.next]...)
	}
	out := make([]uint64, 0, len(s.ring))
	out = append(out, s.ring[s.next:]...)
	return append(out, s.ring[:s.next]...)
}
