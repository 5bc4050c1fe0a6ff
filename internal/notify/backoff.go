package notify

import (
	"time"

	"go.opentelemetry.io/collector/config/configretry"
)

// BackoffDelay is retry_on_failure's exponential backoff before the attempt-th try after
// attempt-1 failures in a row (attempt ≥ 1): initial_interval × multiplier^(attempt-1), capped
// at max_interval; or at least the destination's Retry-After when err carries one. With
// retries disabled it is fallback (the caller's next regular chance: a group_interval, a
// resend), so nothing is given up.
//
// It stays a pure function of the attempt instead of cenkalti/backoff's ExponentialBackOff: a
// group's failure count is persisted (groupState.Failures), so the delay must follow from the
// count after a restart, while ExponentialBackOff only steps a private interval forward. Its
// rules also differ at the edges: max_interval 0 would cap every delay at 0 there (here: no
// cap), a multiplier below 1 would shrink the delay (here: at least 1), and it compares with
// max_interval ÷ multiplier rather than the product. randomization_factor is not applied
// (the notifiers have never jittered; a group's retries are already spread by its own
// failure time).
func BackoffDelay(b configretry.BackOffConfig, attempt int, fallback time.Duration, err error) time.Duration {
	delay := fallback
	if b.Enabled && b.InitialInterval > 0 {
		delay = b.InitialInterval
		for i := 1; i < attempt; i++ {
			delay = time.Duration(float64(delay) * max(b.Multiplier, 1))
			if b.MaxInterval > 0 && delay >= b.MaxInterval {
				delay = b.MaxInterval
				break
			}
		}
	}
	if after, ok := RetryAfter(err); ok {
		delay = max(delay, after)
	}
	return delay
}
