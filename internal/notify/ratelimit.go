package notify

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"
)

// RateLimiter is a token bucket: rate tokens per second, holding at most one, so that
// notifications leave no faster than the destination allows, even after a quiet spell.
type RateLimiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time // earliest time the next notification may leave
	now      func() time.Time
}

// spacingMargin widens the interval by 2 %: the limiter sees a notification leave, the
// destination sees it arrive, and jitter in between must not bring two arrivals closer than the
// destination's limit (a 200-alert storm at 20/s showed 21 arrivals in one second without it).
const spacingMargin = 1.02

// NewRateLimiter returns a limiter for rate notifications per second.
func NewRateLimiter(rate float64) *RateLimiter {
	return &RateLimiter{interval: time.Duration(math.Ceil(float64(time.Second) * spacingMargin / rate)), now: time.Now}
}

// errStopped is returned by wait when its stop channel closes first.
var errStopped = errors.New("rate limit wait stopped")

// Wait blocks until a notification may leave, or ctx ends.
func (r *RateLimiter) Wait(ctx context.Context) error { return r.wait(ctx, nil) }

// wait is Wait that also gives up when stop closes (a nil stop never does).
func (r *RateLimiter) wait(ctx context.Context, stop <-chan struct{}) error {
	r.mu.Lock()
	now := r.now()
	slot := r.next
	if slot.Before(now) {
		slot = now
	}
	r.next = slot.Add(r.interval)
	r.mu.Unlock()

	delay := slot.Sub(now)
	if delay <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	var err error
	select {
	case <-timer.C:
		r.mu.Lock()
		// A late wake-up (a busy machine) must not let the next notification leave less than one
		// interval after this one; re-anchor unless a later slot is already promised to a waiter.
		if r.next.Equal(slot.Add(r.interval)) {
			if earliest := r.now().Add(r.interval); earliest.After(r.next) {
				r.next = earliest
			}
		}
		r.mu.Unlock()
		return nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-stop:
		err = errStopped
	}
	r.mu.Lock()
	// Hand the slot back when nothing was reserved after it, so a cancelled wait costs nothing.
	if r.next.Equal(slot.Add(r.interval)) {
		r.next = slot
	}
	r.mu.Unlock()
	return err
}

// deferUntil holds every notification to this destination until at least t: a destination's
// Retry-After applies to every notifier sending there, not only to the one that was told.
func (r *RateLimiter) deferUntil(t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t.After(r.next) {
		r.next = t
	}
}

// limiters holds one limiter per destination, so the metrics and logs exporters of one
// component (and any two components naming the same webhook) share its rate limit.
var limiters = struct {
	sync.Mutex
	byKey map[string]*RateLimiter
}{byKey: make(map[string]*RateLimiter)}

// sharedRateLimiter returns the limiter of a destination (its URL or address), creating it.
func sharedRateLimiter(destination string, rate float64) *RateLimiter {
	limiters.Lock()
	defer limiters.Unlock()
	key := destination + "\x00" + time.Duration(float64(time.Second)/rate).String()
	if l, ok := limiters.byKey[key]; ok {
		return l
	}
	l := NewRateLimiter(rate)
	limiters.byKey[key] = l
	return l
}
