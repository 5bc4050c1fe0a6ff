// Package fifoset is a set of uint64 keys, each with a value, that holds at most a fixed number
// of keys: adding one to a full set forgets the oldest (first in, first out). The receiver uses
// it to remember ended transactions and commands, the worker_health processor to remember the
// series of forgotten workers, both in bounded memory.
package fifoset

// Set is a bounded FIFO set. It is not safe for concurrent use.
type Set[V any] struct {
	entries map[uint64]entry[V]
	ring    []uint64 // keys in the order added; a slot whose key was deleted or re-added elsewhere is dead
	next    int      // the slot the next new key goes to, the oldest one once full
	full    bool
}

type entry[V any] struct {
	value V
	slot  uint32 // where the key sits in ring: a slot holding it elsewhere is dead
}

// New returns an empty set that holds at most capacity keys (capacity ≥ 1).
func New[V any](capacity int) *Set[V] {
	return &Set[V]{entries: make(map[uint64]entry[V], capacity), ring: make([]uint64, capacity)}
}

// Add remembers key with value. A key held already only has its value replaced, keeping its
// place in line. When a new key takes the slot of the oldest live key, that key is forgotten
// and returned with its value (evicted true), so the caller can count it or act on it.
func (s *Set[V]) Add(key uint64, value V) (evictedKey uint64, evictedValue V, evicted bool) {
	if e, ok := s.entries[key]; ok {
		e.value = value
		s.entries[key] = e
		return 0, evictedValue, false
	}
	slot := s.next
	if s.full {
		old := s.ring[slot]
		if e, ok := s.entries[old]; ok && int(e.slot) == slot {
			delete(s.entries, old)
			evictedKey, evictedValue, evicted = old, e.value, true
		}
	}
	s.ring[slot] = key
	s.entries[key] = entry[V]{value: value, slot: uint32(slot)}
	s.next++
	if s.next == len(s.ring) {
		s.next = 0
		s.full = true
	}
	return evictedKey, evictedValue, evicted
}

// Get returns the value of key, and whether the set holds it.
func (s *Set[V]) Get(key uint64) (V, bool) {
	e, ok := s.entries[key]
	return e.value, ok
}

// Delete forgets key and reports whether the set held it. Its slot stays taken until the
// ring comes round to it, so deleting never changes which keys a later Add evicts.
func (s *Set[V]) Delete(key uint64) bool {
	if _, ok := s.entries[key]; !ok {
		return false
	}
	delete(s.entries, key)
	return true
}

// Len is the number of keys held.
func (s *Set[V]) Len() int { return len(s.entries) }

// Keys returns the keys held, oldest first, so that adding them in order rebuilds the set.
func (s *Set[V]) Keys() []uint64 {
	out := make([]uint64, 0, len(s.entries))
	appendLive := func(from, to int) {
		for i := from; i < to; i++ {
			if e, ok := s.entries[s.ring[i]]; ok && int(e.slot) == i {
				out = append(out, s.ring[i])
			}
		}
	}
	if s.full {
		appendLive(s.next, len(s.ring))
	}
	appendLive(0, s.next)
	return out
}
