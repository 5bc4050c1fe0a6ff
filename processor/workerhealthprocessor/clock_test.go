package workerhealthprocessor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRealClockIsWallTimeAndNeverGoesBack(t *testing.T) {
	c := newRealClock()
	first := c.Now()
	assert.WithinDuration(t, time.Now(), first, time.Minute)
	for range 1000 {
		next := c.Now()
		assert.False(t, next.Before(first))
		first = next
	}
}
