package alertprocessor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ratioProbe is an error-ratio rule that always holds (>= 0), so its instance shows the value;
// no instance means the group has no value.
func ratioProbe(minSamples int) Rule {
	return Rule{
		Name: "error_ratio", Metric: "multiagents.worker.executions", GroupBy: []string{"worker.name"},
		Function: fnRatio, RatioMatch: map[string]string{"status": "error"}, Window: 5 * time.Minute,
		MinSamples: minSamples, Condition: ">= 0", Severity: "warning",
	}
}

// ratioOf is the value of the probe for a worker, false when the group has no value (no
// instance, or its instance resolved because the condition no longer holds).
func ratioOf(points []alertPoint, worker string) (float64, bool) {
	for _, p := range points {
		if p.name == "error_ratio" && p.labels["worker.name"] == worker {
			return p.value, p.state == "firing"
		}
	}
	return 0, false
}

func TestRatioNeedsMinimumEvidence(t *testing.T) {
	tests := []struct {
		name             string
		ok, failed       int64
		ruleMin, procMin int // 0: the default
		want             float64
		wantValue        bool
	}{
		{name: "1 failure in 4: no value (default min_samples 10)", ok: 3, failed: 1},
		{name: "5 failures in 9: no value", ok: 4, failed: 5},
		{name: "6 failures in 10 with min 10: a value", ok: 4, failed: 6, ruleMin: 10, want: 0.6, wantValue: true},
		{name: "the default is 10", ok: 4, failed: 6, want: 0.6, wantValue: true},
		{name: "rule min_samples overrides the processor's", ok: 3, failed: 1, ruleMin: 4, procMin: 50, want: 0.25, wantValue: true},
		{name: "the processor's min_samples is the rule's default", ok: 3, failed: 1, procMin: 4, want: 0.25, wantValue: true},
		{name: "the processor's min_samples is the rule's default, too few", ok: 30, failed: 1, procMin: 50},
		{name: "no failures", ok: 12, want: 0, wantValue: true},
		{name: "nothing at all, even with min 1", ruleMin: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := configWith(ratioProbe(tt.ruleMin))
			if tt.procMin > 0 {
				cfg.MinSamples = tt.procMin
			}
			h := newHarness(t, cfg)
			h.clock.Advance(10 * time.Second)
			h.push(executionsOf(newMetrics(), "w1", tt.ok, tt.failed).build())
			v, ok := ratioOf(h.step(15*time.Second), "w1")
			require.Equal(t, tt.wantValue, ok, "has a value")
			assert.InDelta(t, tt.want, v, 1e-12)
		})
	}
}

// A group's ratio is its numerator series' increases over all its series' increases; groups
// are apart, and a ratio_match regular expression can select several numerator series.
func TestRatioAcrossSeriesAndGroups(t *testing.T) {
	r := ratioProbe(1)
	r.RatioMatch = map[string]string{"status": "=~error|timeout"}
	h := newHarness(t, configWith(r))
	start := testEpoch.Add(time.Second)
	const m = "multiagents.worker.executions"
	h.push(newMetrics().
		counter(m, "{execution}", 6, start, "worker.name", "w1", "status", "success").
		counter(m, "{execution}", 1, start, "worker.name", "w1", "status", "error").
		counter(m, "{execution}", 1, start, "worker.name", "w1", "status", "timeout").
		counter(m, "{execution}", 9, start, "worker.name", "w2", "status", "success").
		counter(m, "{execution}", 1, start, "worker.name", "w2", "status", "error").build())
	points := h.step(15 * time.Second)
	v, ok := ratioOf(points, "w1")
	require.True(t, ok)
	assert.InDelta(t, 2.0/8, v, 1e-12)
	v, ok = ratioOf(points, "w2")
	require.True(t, ok)
	assert.InDelta(t, 1.0/10, v, 1e-12)

	// Only what happened within the window counts.
	h.clock.Advance(5 * time.Minute)
	h.push(newMetrics().
		counter(m, "{execution}", 10, start, "worker.name", "w1", "status", "success").
		counter(m, "{execution}", 1, start, "worker.name", "w1", "status", "error").
		counter(m, "{execution}", 1, start, "worker.name", "w1", "status", "timeout").build())
	v, ok = ratioOf(h.step(15*time.Second), "w1")
	require.True(t, ok)
	assert.Equal(t, 0.0, v, "4 successes in the last window")
}

// Windows age evenly: once observations stop, older successes leave the window before the
// newer failures do, and the plain window ratio would climb (2 failures in 12 → 2 in 2). The
// ratio never rises without a new observation; it ends with no value. A new observation
// makes it the window ratio again, up or down.
func TestRatioWindowsAgeEvenly(t *testing.T) {
	h := newHarness(t, configWith(ratioProbe(1)))
	ok, failed := int64(0), int64(0)
	send := func() { h.push(executionsOf(newMetrics(), "w1", ok, failed).build()) }
	ok = 10
	send()
	h.step(15 * time.Second)
	h.clock.Advance(2 * time.Minute)
	failed = 2
	send()
	v, has := ratioOf(h.step(15*time.Second), "w1")
	require.True(t, has)
	assert.InDelta(t, 2.0/12, v, 1e-12)

	prev := v
	var values []float64
	for range 40 { // 10 minutes of unchanged re-sends
		send()
		v, has := ratioOf(h.step(15*time.Second), "w1")
		if !has {
			break
		}
		assert.LessOrEqual(t, v, prev, "the ratio never rises without a new observation")
		prev = v
		values = append(values, v)
	}
	require.NotEmpty(t, values)
	_, has = ratioOf(h.evaluate(), "w1")
	assert.False(t, has, "no value once the window is empty")

	// New observations: the window ratio again.
	failed++
	send()
	v, has = ratioOf(h.step(15*time.Second), "w1")
	require.True(t, has)
	assert.Equal(t, 1.0, v, "one failure, the only execution in the window")
	ok += 3
	send()
	v, has = ratioOf(h.step(15*time.Second), "w1")
	require.True(t, has)
	assert.InDelta(t, 0.25, v, 1e-12, "falls with new successes")
}
