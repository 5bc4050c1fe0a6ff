package notify

import (
	"math/rand/v2"
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
// max_interval ÷ multiplier rather than the product. randomization_factor spreads the delay
// as cenkalti's does, uniformly within ± factor × delay (configretry's default 0.5), so the
// groups and collectors that failed together after an outage do not retry in step.
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
		if f := min(max(b.RandomizationFactor, 0), 1); f > 0 {
			delay = time.Duration(float64(delay) * (1 - f + 2*f*rand.Float64()))
		}
	}
	if after, ok := RetryAfter(err); ok {
		delay = max(delay, after)
	}
	return delay
}
