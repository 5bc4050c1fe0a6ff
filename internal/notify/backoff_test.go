package notify

import (
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
)

func TestBackoffDelay(t *testing.T) {
	on := configretry.BackOffConfig{Enabled: true, InitialInterval: 5 * time.Second, Multiplier: 2, MaxInterval: 30 * time.Second}
	throttled := &ThrottleError{Err: errors.New("429"), Delay: 45 * time.Second}
	for _, tc := range []struct {
		name    string
		b       configretry.BackOffConfig
		attempt int
		err     error
		want    time.Duration
	}{
		{"first retry waits initial_interval", on, 1, errors.New("503"), 5 * time.Second},
		{"then doubles", on, 3, errors.New("503"), 20 * time.Second},
		{"capped at max_interval", on, 9, errors.New("503"), 30 * time.Second},
		{"Retry-After longer than the backoff wins", on, 1, throttled, 45 * time.Second},
		{"retries off: the caller's next chance", configretry.BackOffConfig{}, 4, errors.New("503"), time.Minute},
		{"retries off still honours Retry-After", configretry.BackOffConfig{}, 1, &ThrottleError{Err: errors.New("429"), Delay: 2 * time.Minute}, 2 * time.Minute},
	} {
		if got := BackoffDelay(tc.b, tc.attempt, time.Minute, tc.err); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}

// randomization_factor spreads a delay within ± factor of it, and Retry-After stays a floor.
func TestBackoffDelayIsRandomizedWithinTheFactor(t *testing.T) {
	b := configretry.BackOffConfig{Enabled: true, InitialInterval: 10 * time.Second, Multiplier: 2, MaxInterval: time.Minute, RandomizationFactor: 0.5}
	seen := map[time.Duration]bool{}
	for range 200 {
		d := BackoffDelay(b, 2, time.Minute, errors.New("503")) // 20 s ± 10 s
		if d < 10*time.Second || d > 30*time.Second {
			t.Fatalf("delay %s outside 20s ± 50%%", d)
		}
		seen[d] = true
		if d := BackoffDelay(b, 2, time.Minute, &ThrottleError{Err: errors.New("429"), Delay: 40 * time.Second}); d < 40*time.Second {
			t.Fatalf("delay %s below Retry-After", d)
		}
	}
	if len(seen) < 100 {
		t.Fatalf("only %d distinct delays in 200: not spread", len(seen))
	}
}
