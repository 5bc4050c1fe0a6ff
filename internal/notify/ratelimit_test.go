package notify

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRateLimiterSpacesNotifications(t *testing.T) {
	l := NewRateLimiter(20) // one per 50ms
	start := time.Now()
	for range 5 {
		require.NoError(t, l.Wait(context.Background()))
	}
	// The first leaves at once, the other four each wait one interval.
	assert.GreaterOrEqual(t, time.Since(start), 4*50*time.Millisecond)
}

func TestRateLimiterNoBurstAfterQuiet(t *testing.T) {
	now := t0
	l := NewRateLimiter(1)
	l.now = func() time.Time { return now }
	require.NoError(t, l.Wait(context.Background()))
	now = now.Add(time.Hour) // a long quiet spell must not store up tokens
	require.NoError(t, l.Wait(context.Background()))
	assert.Equal(t, now.Add(l.interval), l.next)
	assert.Equal(t, 1020*time.Millisecond, l.interval, "1/s with the 2 % spacing margin")
}

func TestRateLimiterLateWakeUpKeepsTheSpacing(t *testing.T) {
	l := NewRateLimiter(20) // 51 ms with the margin
	var late time.Time
	calls := 0
	l.now = func() time.Time {
		calls++
		if calls == 3 { // the second wait's wake-up, 30 ms after its slot
			return late
		}
		return t0
	}
	require.NoError(t, l.Wait(context.Background())) // leaves at t0
	slot := t0.Add(l.interval)
	late = slot.Add(30 * time.Millisecond)
	require.NoError(t, l.Wait(context.Background())) // reserved slot, woke up late
	assert.Equal(t, late.Add(l.interval), l.next, "the next slot counts from when this one really left")
}

func TestRateLimiterCancelledWaitReturnsItsSlot(t *testing.T) {
	l := NewRateLimiter(0.1) // one per 10s
	require.NoError(t, l.Wait(context.Background()))
	next := l.next
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, l.Wait(ctx), context.DeadlineExceeded)
	assert.Equal(t, next, l.next, "the cancelled wait gave its slot back")
}

func TestSharedRateLimiterPerDestination(t *testing.T) {
	a := sharedRateLimiter("https://hooks.example/a", 1)
	assert.Same(t, a, sharedRateLimiter("https://hooks.example/a", 1))
	assert.NotSame(t, a, sharedRateLimiter("https://hooks.example/b", 1))
	assert.NotSame(t, a, sharedRateLimiter("https://hooks.example/a", 2))
}

func TestRateLimiterStop(t *testing.T) {
	l := NewRateLimiter(0.1)
	require.NoError(t, l.Wait(context.Background()))
	stop := make(chan struct{})
	close(stop)
	assert.ErrorIs(t, l.wait(context.Background(), stop), errStopped)
}
