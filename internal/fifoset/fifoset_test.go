package fifoset

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAddEvictsTheOldestOnceFull(t *testing.T) {
	s := New[uint8](3)
	for k := uint64(1); k <= 5; k++ {
		_, _, evicted := s.Add(k, 1)
		assert.Equal(t, k > 3, evicted, "adding %d forgets one only once full", k)
	}
	_, _, evicted := s.Add(5, 1)
	assert.False(t, evicted, "a key held already forgets nothing")
	assert.Equal(t, []uint64{3, 4, 5}, s.Keys(), "oldest first, the evicted ones gone")
}

func TestAddReplacesTheValueInPlace(t *testing.T) {
	s := New[uint8](2)
	s.Add(1, 1)
	s.Add(2, 1)
	s.Add(1, 7) // keeps its place: still the oldest
	v, ok := s.Get(1)
	assert.True(t, ok)
	assert.Equal(t, uint8(7), v)
	key, value, evicted := s.Add(3, 1)
	assert.True(t, evicted)
	assert.Equal(t, uint64(1), key)
	assert.Equal(t, uint8(7), value, "the evicted key comes with its latest value")
	assert.Equal(t, []uint64{2, 3}, s.Keys())
}

// The receiver's keys are hashes: 0 is a key like any other, not an empty slot.
func TestZeroIsAKey(t *testing.T) {
	s := New[uint8](3)
	s.Add(0, 1)
	_, _, evicted := s.Add(9, 1)
	assert.False(t, evicted)
	_, ok := s.Get(0)
	assert.True(t, ok)
	assert.Equal(t, []uint64{0, 9}, s.Keys())
}

func TestDeletedKeysAreNotEvictedAgain(t *testing.T) {
	s := New[int](2)
	s.Add(1, 100)
	s.Add(2, 200)
	key, at, evicted := s.Add(3, 300) // pushes out key 1
	assert.True(t, evicted)
	assert.Equal(t, uint64(1), key)
	assert.Equal(t, 100, at)
	assert.False(t, s.Delete(1))
	assert.True(t, s.Delete(2))
	assert.False(t, s.Delete(2), "deleted once")
	_, _, evicted = s.Add(4, 400) // the slot of the deleted 2: nothing live goes
	assert.False(t, evicted)
	assert.Equal(t, []uint64{3, 4}, s.Keys())

	// A key deleted and added again lives in its new slot only: the ring coming round to its
	// old slot leaves it alone.
	s = New[int](3)
	s.Add(1, 100) // slot 0
	s.Add(2, 200) // slot 1
	assert.True(t, s.Delete(1))
	s.Add(1, 300)                 // slot 2; slot 0 is dead
	_, _, evicted = s.Add(4, 400) // slot 0: nothing live goes
	assert.False(t, evicted)
	v, ok := s.Get(1)
	assert.True(t, ok)
	assert.Equal(t, 300, v)
	assert.Equal(t, []uint64{2, 1, 4}, s.Keys())
	key, _, _ = s.Add(5, 500) // slot 1
	assert.Equal(t, uint64(2), key)
	key, at, _ = s.Add(6, 600) // slot 2
	assert.Equal(t, uint64(1), key)
	assert.Equal(t, 300, at)
	assert.Equal(t, 3, s.Len())
}
