package agentsim

import (
	"testing"
	"time"
)

// BenchmarkPlanWorkflow is the cost of deciding and encoding one 4-step workflow (10 events).
func BenchmarkPlanWorkflow(b *testing.B) {
	s := NewScenario()
	s.Rates["process_payment"] = Rates{Fail: 0.1}
	rng := seeded(1)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = s.PlanWorkflow(rng, int64(i), t0, 0)
	}
}

// BenchmarkRunnerAdvance is the per-workflow cost of pacing: planning, scheduling in the heap and
// releasing every message, at 10,000 workflows per simulated second.
func BenchmarkRunnerAdvance(b *testing.B) {
	s := NewScenario()
	s.Rates["process_payment"] = Rates{Fail: 0.1}
	r, err := NewRunner(s, Load{Rate: 10000, Duration: time.Hour, MaxInFlight: 100000, Seed: 1}, t0)
	if err != nil {
		b.Fatal(err)
	}
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(100 * time.Microsecond) // one start per call
		due, _ := r.Advance(now)
		r.Published(due, 0)
	}
}
