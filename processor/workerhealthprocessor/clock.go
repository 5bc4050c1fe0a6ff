package workerhealthprocessor

import (
	"time"

	"github.com/jonboulle/clockwork"
)

// The processor's source of time is a clockwork.Clock, injectable so the state machine can be
// tested without waiting on the wall clock (tests pass clockwork's FakeClock). It uses Now and
// NewTicker.

// monotonicClock is the real clock, except that it reads wall time once and then advances it
// by the monotonic clock, so a wall-clock step (NTP) cannot move executions into the wrong
// window slot or make time run backwards.
type monotonicClock struct {
	clockwork.Clock
	base time.Time
}

func newRealClock() monotonicClock {
	return monotonicClock{Clock: clockwork.NewRealClock(), base: time.Now()}
}

func (c monotonicClock) Now() time.Time { return c.base.Add(time.Since(c.base)).Round(0) }
