package alertprocessor

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const noPoint = -1.0 // a step that sends no data point

type machineStep struct {
	at    time.Duration // since the start of the test
	value float64       // error rate sent before the evaluation, or noPoint
	want  string        // alertstate written for worker w1, "" for none
}

func errorRateRule(forDur, keepFiringFor time.Duration) Rule {
	return Rule{
		Name: "high_error_rate", Metric: "multiagents.worker.error_rate", GroupBy: []string{"worker.name"},
		Condition: "> 0.1", For: forDur, KeepFiringFor: keepFiringFor, Severity: "warning", Cooldown: 15 * time.Minute,
		Description: "Error rate of {{ worker.name }} exceeded 10%",
	}
}

func TestStateMachine(t *testing.T) {
	s := time.Second
	tests := []struct {
		name       string
		rule       Rule
		staleAfter time.Duration
		retention  time.Duration
		steps      []machineStep
	}{
		{
			name: "pending becomes firing after for",
			rule: errorRateRule(time.Minute, 0),
			steps: []machineStep{
				{0, 0.5, "pending"}, {15 * s, 0.5, "pending"}, {45 * s, 0.5, "pending"},
				{60 * s, 0.5, "firing"}, {75 * s, 0.6, "firing"},
			},
		},
		{
			name: "pending that clears is dropped without a trace",
			rule: errorRateRule(time.Minute, 0),
			steps: []machineStep{
				{0, 0.5, "pending"}, {45 * s, 0.5, "pending"}, {60 * s, 0.05, ""},
				// A new pending cycle starts from scratch: for counts again.
				{75 * s, 0.5, "pending"}, {120 * s, 0.5, "pending"}, {135 * s, 0.5, "firing"},
			},
		},
		{
			name: "for 0 fires at once and resolves at once",
			rule: errorRateRule(0, 0),
			steps: []machineStep{
				{0, 0.05, ""}, {15 * s, 0.5, "firing"}, {30 * s, 0.05, "resolved"},
			},
		},
		{
			name: "keep_firing_for holds firing after the condition clears",
			rule: errorRateRule(0, time.Minute),
			steps: []machineStep{
				{0, 0.5, "firing"}, {15 * s, 0.05, "firing"}, {45 * s, 0.05, "firing"},
				// Holding again restarts the keep_firing_for count.
				{60 * s, 0.5, "firing"}, {75 * s, 0.05, "firing"}, {120 * s, 0.05, "firing"},
				{135 * s, 0.05, "resolved"},
			},
		},
		{
			name:      "resolved is written for resolved_retention, then forgotten",
			rule:      errorRateRule(0, 0),
			retention: time.Minute,
			steps: []machineStep{
				{0, 0.5, "firing"}, {15 * s, 0.05, "resolved"}, {45 * s, 0.05, "resolved"},
				{60 * s, 0.05, "resolved"}, {75 * s, 0.05, ""}, {90 * s, 0.05, ""},
			},
		},
		{
			name: "a resolved instance that holds again goes through pending",
			rule: errorRateRule(30*s, 0),
			steps: []machineStep{
				{0, 0.5, "pending"}, {30 * s, 0.5, "firing"}, {45 * s, 0.05, "resolved"},
				{60 * s, 0.5, "pending"}, {90 * s, 0.5, "firing"},
			},
		},
		{
			name:       "a series not seen for stale_after no longer counts",
			rule:       errorRateRule(0, 0),
			staleAfter: time.Minute,
			steps: []machineStep{
				{0, 0.5, "firing"}, {15 * s, noPoint, "firing"}, {60 * s, noPoint, "firing"},
				{75 * s, noPoint, "resolved"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := configWith(tt.rule)
			if tt.staleAfter > 0 {
				cfg.StaleAfter = tt.staleAfter
			}
			if tt.retention > 0 {
				cfg.ResolvedRetention = tt.retention
			}
			h := newHarness(t, cfg)
			var elapsed time.Duration
			for _, st := range tt.steps {
				h.clock.Advance(st.at - elapsed)
				elapsed = st.at
				if st.value != noPoint {
					h.push(newMetrics().gauge("multiagents.worker.error_rate", "1", st.value, "worker.name", "w1").build())
				}
				points := h.evaluate()
				assert.Equal(t, st.want, stateOf(points, "high_error_rate", map[string]string{"worker.name": "w1"}), "at %s", st.at)
				if st.want != "" && st.value != noPoint {
					require.Len(t, points, 1)
					assert.Equal(t, st.value, points[0].value, "the value is the observed value")
				}
			}
		})
	}
}

func TestAlertPointCarriesTheContractAttributes(t *testing.T) {
	h := newHarness(t, configWith(errorRateRule(0, 2*time.Minute)))
	h.push(newMetrics().
		gauge("multiagents.worker.error_rate", "1", 0.25, "worker.name", "payment_processor").
		gauge("multiagents.worker.error_rate", "1", 0.01, "worker.name", "inventory").build())
	points := h.evaluate()
	require.Len(t, points, 1)
	p := points[0]
	assert.Equal(t, "high_error_rate", p.name)
	assert.Equal(t, "firing", p.state)
	assert.Equal(t, "warning", p.severity)
	assert.Equal(t, "Error rate of payment_processor exceeded 10%", p.description)
	assert.Equal(t, "> 0.1", p.threshold)
	assert.Equal(t, "15m0s", p.cooldown)
	assert.Equal(t, map[string]string{"worker.name": "payment_processor"}, p.labels)
	assert.InDelta(t, 0.25, p.value, 1e-12)
	assert.Equal(t, fingerprint("high_error_rate", []string{"worker.name"}, []string{"payment_processor"}), p.fingerprint)
	assert.Len(t, p.fingerprint, 16)

	// Fingerprint and description stay constant while the state changes.
	h.clock.Advance(15 * time.Second)
	h.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.0, "worker.name", "payment_processor").build())
	later := h.evaluate()
	require.Len(t, later, 1)
	assert.Equal(t, "firing", later[0].state, "kept firing by keep_firing_for")
	assert.Equal(t, p.fingerprint, later[0].fingerprint)
	assert.Equal(t, p.description, later[0].description)
}

func TestFingerprintIsStableAndDistinct(t *testing.T) {
	a := fingerprint("r", []string{"worker.name"}, []string{"w1"})
	assert.Equal(t, a, fingerprint("r", []string{"worker.name"}, []string{"w1"}))
	assert.NotEqual(t, a, fingerprint("r", []string{"worker.name"}, []string{"w2"}))
	assert.NotEqual(t, a, fingerprint("q", []string{"worker.name"}, []string{"w1"}))
	assert.NotEqual(t, fingerprint("r", []string{"a", "b"}, []string{"x", ""}), fingerprint("r", []string{"a", "b"}, []string{"", "x"}))
}

// A condition toggling at every evaluation must not page people at every evaluation: with
// keep_firing_for set there is at most one firing→resolved cycle per keep_firing_for window.
func TestFlappingGivesAtMostOneCyclePerKeepFiringFor(t *testing.T) {
	const interval = 15 * time.Second
	for _, keep := range []time.Duration{15 * time.Second, 30 * time.Second, 2 * time.Minute} {
		for _, forDur := range []time.Duration{0, 15 * time.Second} {
			t.Run("keep_firing_for="+keep.String()+",for="+forDur.String(), func(t *testing.T) {
				h := newHarness(t, configWith(errorRateRule(forDur, keep)))
				const evaluations = 240 // an hour of flapping
				prev, resolutions, firings := "", 0, 0
				for i := range evaluations {
					v := 0.5
					if i%2 == 1 {
						v = 0.0
					}
					h.push(newMetrics().gauge("multiagents.worker.error_rate", "1", v, "worker.name", "w1").build())
					state := stateOf(h.step(interval), "high_error_rate", map[string]string{"worker.name": "w1"})
					if prev == "firing" && state == "resolved" {
						resolutions++
					}
					if prev != "firing" && state == "firing" {
						firings++
					}
					prev = state
				}
				window := float64(evaluations) * interval.Seconds() / keep.Seconds()
				assert.LessOrEqual(t, float64(resolutions), math.Ceil(window), "firing→resolved cycles")
				assert.LessOrEqual(t, resolutions, 1, "a flapping input never rests for keep_firing_for, so it never resolves while it flaps")
				if forDur == 0 {
					assert.Equal(t, 1, firings, "fires once and stays firing")
				}
			})
		}
	}
}
