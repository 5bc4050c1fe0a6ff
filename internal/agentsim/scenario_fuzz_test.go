package agentsim

import (
	"strings"
	"testing"
)

// FuzzParsePhase feeds arbitrary --phase values: a parse either fails with an error that names
// the phase, or yields phases on known workers with rates in [0, 1].
func FuzzParsePhase(f *testing.F) {
	for _, seed := range []string{
		"60s:payment=0.6", "1m30s:slow:ship_order=50%,check_inventory=0.1", "0s:timeout:process_payment=1",
		"10s:", ":", "x:y=z", "10s:_order=0.1", "-1s:payment=0.1", "10s:payment=NaN", "10s:payment=1e400",
		"10s:fail:payment=0.5,payment=0.2", "10s:payment=-0%",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		phases, err := ParsePhase(DefaultSteps, spec)
		if err != nil {
			if !strings.Contains(err.Error(), "phase") {
				t.Fatalf("error does not name the phase: %v", err)
			}
			return
		}
		if len(phases) == 0 {
			t.Fatal("no error and no phase")
		}
		for _, p := range phases {
			if p.Rate < 0 || p.Rate > 1 || p.Rate != p.Rate {
				t.Fatalf("rate %v outside [0, 1] from %q", p.Rate, spec)
			}
			if p.At < 0 {
				t.Fatalf("negative offset from %q", spec)
			}
			if _, err := ResolveWorker(DefaultSteps, p.Worker); err != nil || p.Worker == "" {
				t.Fatalf("unknown worker %q from %q", p.Worker, spec)
			}
		}
	})
}
