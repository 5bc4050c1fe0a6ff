package silencesextension

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkSilenced is the alert processor's question for one firing alert, against a full
// store (max_silences 1000 active silences, two matchers each, one a regex), none matching.
func BenchmarkSilenced(b *testing.B) {
	st := newStore(1000, time.Hour)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for i := range 1000 {
		s := &Silence{
			Matchers: []Matcher{eq("alertname", "worker_failure"), {Name: "worker_name", Value: fmt.Sprintf("w%d|x%d", i, i), IsRegex: true, IsEqual: true}},
			StartsAt: now, EndsAt: now.Add(time.Hour), CreatedBy: "b", Comment: "c",
		}
		if _, _, err := st.set(s, now); err != nil {
			b.Fatal(err)
		}
	}
	labels := map[string]string{"alertname": "worker_failure", "worker_name": "other", "severity": "error"}
	b.ReportAllocs()
	for b.Loop() {
		if ids := st.Silenced(labels, now.Add(time.Minute)); len(ids) != 0 {
			b.Fatal(ids)
		}
	}
}
