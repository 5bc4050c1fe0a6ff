package sourceinterval

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestNextTakesLongerGapsAtOnceAndShorterOnesSlowly(t *testing.T) {
	s := int64(time.Second)
	assert.Equal(t, 10*s, Next(0, 10*s), "the first gap is the estimate")
	assert.Equal(t, 30*s, Next(10*s, 30*s), "a longer gap at once")
	assert.Equal(t, 30*s-(28*s)/8, Next(30*s, 2*s), "a shorter one by an eighth of the difference")
	interval := 30 * s
	for range 100 {
		interval = Next(interval, s)
	}
	assert.Less(t, interval, 2*s, "a source that really sends faster is followed in the end")
	assert.GreaterOrEqual(t, interval, s)
}
