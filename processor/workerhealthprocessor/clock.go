package workerhealthprocessor

import "time"

// clock is the processor's source of time, injectable so the state machine can be tested
// without waiting on the wall clock.
type clock interface {
	Now() time.Time
	NewTicker(d time.Duration) ticker
}

type ticker interface {
	C() <-chan time.Time
	Stop()
}

// realClock reads wall time once and then advances it by the monotonic clock, so a wall-clock
// step (NTP) cannot move executions into the wrong window slot or make time run backwards.
type realClock struct{ base time.Time }

func newRealClock() realClock { return realClock{base: time.Now()} }

func (c realClock) Now() time.Time { return c.base.Add(time.Since(c.base)).Round(0) }

func (realClock) NewTicker(d time.Duration) ticker { return realTicker{time.NewTicker(d)} }

type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time { return r.t.C }
func (r realTicker) Stop()               { r.t.Stop() }
