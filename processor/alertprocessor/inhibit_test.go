package alertprocessor

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
)

// Rules of the inhibition tests, on gauges that say directly whether each condition holds.
func outageRule() Rule {
	return Rule{Name: "outage", Metric: "test.outage", Condition: "> 0", Severity: "critical"}
}

func workerDownRule(forDur, keepFiringFor time.Duration) Rule {
	return Rule{Name: "worker_down", Metric: "test.down", GroupBy: []string{"worker.name"}, Condition: "> 0",
		For: forDur, KeepFiringFor: keepFiringFor, Severity: "error"}
}

func workerErrorsRule() Rule {
	return Rule{Name: "worker_errors", Metric: "test.errors", GroupBy: []string{"worker.name"}, Condition: "> 0",
		For: 30 * time.Second, Severity: "warning"}
}

// signals is what the gauges say at one step: which conditions hold.
type signals struct {
	outage       bool
	down, errors []string // the workers whose condition holds
}

func (s signals) metrics() *metricsBuilder {
	b := newMetrics()
	b.gauge("test.outage", "1", boolValue(s.outage))
	for _, w := range []string{"w1", "w2"} {
		b.gauge("test.down", "1", boolValue(contains(s.down, w)), "worker.name", w)
		b.gauge("test.errors", "1", boolValue(contains(s.errors, w)), "worker.name", w)
	}
	return b
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var (
	w1 = map[string]string{"worker.name": "w1"}
	w2 = map[string]string{"worker.name": "w2"}
)

// The inhibition state machine, one evaluation every 15 s, for worker_down muting
// worker_errors of the same worker.
func TestInhibitionStateMachine(t *testing.T) {
	sameWorker := InhibitRule{
		SourceMatchers: []string{`alertname="worker_down"`},
		TargetMatchers: []string{`alertname="worker_errors"`},
		Equal:          []string{"worker.name"},
	}
	type step struct {
		in         signals
		errW1      string // worker_errors{w1}
		errW2      string // worker_errors{w2}
		downW1     string // worker_down{w1}
		inhibitedN int64  // the instances gauge for "inhibited"
	}
	both := []string{"w1", "w2"}
	tests := []struct {
		name              string
		down              Rule
		keepInhibitingFor time.Duration
		steps             []step
	}{
		{
			name: "a target already firing is muted when the source fires, and fires again when it resolves",
			down: workerDownRule(0, 0),
			steps: []step{
				{signals{errors: both}, "pending", "pending", "", 0},
				{signals{errors: both}, "pending", "pending", "", 0},
				{signals{errors: both}, "firing", "firing", "", 0},
				{signals{errors: both, down: []string{"w1"}}, "inhibited", "firing", "firing", 1}, // equal: w2 is not muted
				{signals{errors: both, down: []string{"w1"}}, "inhibited", "firing", "firing", 1},
				{signals{errors: both}, "firing", "firing", "resolved", 0},
				{signals{errors: both}, "firing", "firing", "resolved", 0},
			},
		},
		{
			name: "a target that starts while the source fires is pending, then inhibited from its first firing",
			down: workerDownRule(0, 0),
			steps: []step{
				{signals{down: []string{"w1"}}, "", "", "firing", 0},
				{signals{down: []string{"w1"}, errors: []string{"w1"}}, "pending", "", "firing", 0},
				{signals{down: []string{"w1"}, errors: []string{"w1"}}, "pending", "", "firing", 0},
				{signals{down: []string{"w1"}, errors: []string{"w1"}}, "inhibited", "", "firing", 1},
				// The target clears while muted: resolved is written as resolved.
				{signals{down: []string{"w1"}}, "resolved", "", "firing", 0},
			},
		},
		{
			name: "a pending source mutes nothing; a source kept firing by keep_firing_for still mutes",
			down: workerDownRule(30*time.Second, 30*time.Second),
			steps: []step{
				{signals{errors: both}, "pending", "pending", "", 0},
				{signals{errors: both}, "pending", "pending", "", 0},
				{signals{errors: both, down: []string{"w1"}}, "firing", "firing", "pending", 0},
				{signals{errors: both, down: []string{"w1"}}, "firing", "firing", "pending", 0},
				{signals{errors: both, down: []string{"w1"}}, "inhibited", "firing", "firing", 1},
				{signals{errors: both}, "inhibited", "firing", "firing", 1}, // keep_firing_for
				{signals{errors: both}, "inhibited", "firing", "firing", 1},
				{signals{errors: both}, "firing", "firing", "resolved", 0},
			},
		},
		{
			name:              "keep_inhibiting_for: the source keeps muting after it resolved",
			down:              workerDownRule(0, 0),
			keepInhibitingFor: 30 * time.Second,
			steps: []step{
				{signals{errors: both, down: []string{"w1"}}, "pending", "pending", "firing", 0},
				{signals{errors: both, down: []string{"w1"}}, "pending", "pending", "firing", 0},
				{signals{errors: both, down: []string{"w1"}}, "inhibited", "firing", "firing", 1},
				{signals{errors: both}, "inhibited", "firing", "resolved", 1}, // resolved at +0s
				{signals{errors: both}, "inhibited", "firing", "resolved", 1}, // +15s
				{signals{errors: both}, "firing", "firing", "resolved", 0},    // +30s: the hold is over
			},
		},
		{
			name:              "keep_inhibiting_for: a source pending again within the hold still mutes",
			down:              workerDownRule(30*time.Second, 0),
			keepInhibitingFor: time.Minute,
			steps: []step{
				{signals{errors: both, down: []string{"w1"}}, "pending", "pending", "pending", 0},
				{signals{errors: both, down: []string{"w1"}}, "pending", "pending", "pending", 0},
				{signals{errors: both, down: []string{"w1"}}, "inhibited", "firing", "firing", 1},
				{signals{errors: both}, "inhibited", "firing", "resolved", 1},                      // resolved at +0s
				{signals{errors: both, down: []string{"w1"}}, "inhibited", "firing", "pending", 1}, // +15s, pending again
				// A pending instance that clears is dropped (as in Prometheus), and with it what
				// it remembered of its resolve: the hold ends early.
				{signals{errors: both}, "firing", "firing", "", 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := configWith(outageRule(), tt.down, workerErrorsRule())
			rule := sameWorker
			rule.KeepInhibitingFor = tt.keepInhibitingFor
			cfg.InhibitRules = []InhibitRule{rule}
			h := newHarness(t, cfg)
			fingerprints := map[string]string{}
			for i, st := range tt.steps {
				h.push(st.in.metrics().build())
				points := h.step(15 * time.Second)
				assert.Equal(t, st.errW1, stateOf(points, "worker_errors", w1), "step %d: worker_errors{w1}", i)
				assert.Equal(t, st.errW2, stateOf(points, "worker_errors", w2), "step %d: worker_errors{w2}", i)
				assert.Equal(t, st.downW1, stateOf(points, "worker_down", w1), "step %d: worker_down{w1}", i)
				assert.Equal(t, st.inhibitedN, h.instancesGauge("inhibited"), "step %d: instances gauge", i)
				for _, p := range points {
					key := p.name + "/" + p.labels["worker.name"]
					if fp, seen := fingerprints[key]; seen {
						assert.Equal(t, fp, p.fingerprint, "step %d: %s keeps its fingerprint through inhibition", i, key)
					}
					fingerprints[key] = p.fingerprint
				}
			}
			assert.Equal(t, int64(0), h.telemetry("otelcol_processor_alert_rule_errors"))
		})
	}
}

// Alertmanager's rule for alerts that match both sides: such an alert is never muted by
// itself, nor by another alert that also matches both sides (else two of them would mute each
// other and both be lost), but it is muted by a source that does not match the target side.
func TestInhibitionOfAlertsMatchingBothSides(t *testing.T) {
	cfg := configWith(outageRule(), workerDownRule(0, 0), workerErrorsRule())
	cfg.InhibitRules = []InhibitRule{{
		SourceMatchers: []string{`severity=~"error|critical"`},
		TargetMatchers: []string{`severity=~"warning|error"`},
	}}
	h := newHarness(t, cfg)
	step := func(s signals) []alertPoint {
		h.push(s.metrics().build())
		return h.step(15 * time.Second)
	}
	// worker_down (error) matches both sides; worker_errors (warning) only the target side;
	// outage (critical) only the source side.
	points := step(signals{down: []string{"w1"}})
	assert.Equal(t, "firing", stateOf(points, "worker_down", w1), "not muted by itself")
	points = step(signals{down: []string{"w1", "w2"}})
	assert.Equal(t, "firing", stateOf(points, "worker_down", w1), "two alerts matching both sides do not mute each other")
	assert.Equal(t, "firing", stateOf(points, "worker_down", w2))

	for range 3 {
		points = step(signals{down: []string{"w1", "w2"}, errors: []string{"w2"}})
	}
	assert.Equal(t, "inhibited", stateOf(points, "worker_errors", w2), "a target-only alert is muted by a two-sided source")
	assert.Equal(t, "", stateOf(points, "worker_errors", w1))

	points = step(signals{outage: true, down: []string{"w1", "w2"}, errors: []string{"w2"}})
	assert.Equal(t, "firing", stateOf(points, "outage", nil), "a source-only alert is never a target")
	assert.Equal(t, "inhibited", stateOf(points, "worker_down", w1), "muted by the source-only outage")
	assert.Equal(t, "inhibited", stateOf(points, "worker_down", w2))
	assert.Equal(t, "inhibited", stateOf(points, "worker_errors", w2))
}

// Labels matchers see: alertname, severity and the group labels; a label missing on both sides
// counts as equal, missing on one side only does not.
func TestInhibitionEqualWithMissingLabels(t *testing.T) {
	grouped := workerErrorsRule()
	grouped.For = 0
	cfg := configWith(outageRule(), grouped)
	cfg.InhibitRules = []InhibitRule{{
		SourceMatchers: []string{`alertname="outage"`},
		TargetMatchers: []string{`alertname="worker_errors"`, `worker.name=~"w.*"`},
		Equal:          []string{"worker.name"}, // outage has no worker.name: "" only equals ""
	}, {
		SourceMatchers: []string{`alertname="outage"`},
		TargetMatchers: []string{`alertname="outage"`}, // both sides, itself only
		Equal:          []string{"host.name"},          // missing on both: equal
	}}
	h := newHarness(t, cfg)
	h.push(signals{outage: true, errors: []string{"w1"}}.metrics().build())
	points := h.step(15 * time.Second)
	assert.Equal(t, "firing", stateOf(points, "worker_errors", w1), "worker.name differs: w1 vs missing")
	assert.Equal(t, "firing", stateOf(points, "outage", nil), "an alert never mutes itself")

	cfg.InhibitRules[0].Equal = []string{"host.name"} // missing on both
	h = newHarness(t, cfg)
	h.push(signals{outage: true, errors: []string{"w1"}}.metrics().build())
	points = h.step(15 * time.Second)
	assert.Equal(t, "inhibited", stateOf(points, "worker_errors", w1), "host.name missing on both counts as equal")
}

// After a restart with storage, the stored state keeps "firing" (inhibition is not stored),
// and the first evaluation mutes the target again: it is never written "firing" in between,
// and no firing alert is lost. When the source resolves, the target fires again with the same
// fingerprint and without a new pending phase.
func TestInhibitionAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(testEpoch)
	down := workerDownRule(0, 0)
	cfg := storedConfig(down, workerErrorsRule())
	cfg.InhibitRules = []InhibitRule{{
		SourceMatchers: []string{`alertname="worker_down"`},
		TargetMatchers: []string{`alertname="worker_errors"`},
		Equal:          []string{"worker.name"},
	}}
	both := signals{down: []string{"w1"}, errors: []string{"w1"}}

	first := startRun(t, cfg, clock, dir)
	var points []alertPoint
	for range 3 {
		first.push(both.metrics().build())
		points = first.step(15 * time.Second)
	}
	require.Equal(t, "inhibited", stateOf(points, "worker_errors", w1))
	targetFP := ""
	for _, p := range points {
		if p.name == "worker_errors" {
			targetFP = p.fingerprint
		}
	}
	first.stop()

	stored := readStoredStates(t, dir)
	assert.Equal(t, map[string]string{"worker_down": "firing", "worker_errors": "firing"}, stored,
		"storage keeps firing semantics; inhibition is recomputed")

	clock.Advance(time.Minute)
	second := startRun(t, cfg, clock, dir)
	points = second.evaluate() // no input yet: both restored firing, within stale_after
	assert.Equal(t, "inhibited", stateOf(points, "worker_errors", w1), "muted again at the first evaluation")
	assert.Equal(t, "firing", stateOf(points, "worker_down", w1))
	second.push(both.metrics().build())
	points = second.step(15 * time.Second)
	assert.Equal(t, "inhibited", stateOf(points, "worker_errors", w1))

	second.push(signals{errors: []string{"w1"}}.metrics().build())
	points = second.step(15 * time.Second)
	assert.Equal(t, "resolved", stateOf(points, "worker_down", w1))
	assert.Equal(t, "firing", stateOf(points, "worker_errors", w1), "firing again, no new pending phase")
	for _, p := range points {
		if p.name == "worker_errors" {
			assert.Equal(t, targetFP, p.fingerprint)
		}
	}
}

// readStoredStates reads, through the real file_storage extension over dir, the state stored
// for each rule's w1 instance.
func readStoredStates(t *testing.T, dir string) map[string]string {
	t.Helper()
	host, stop := notifytest.StartFileStorage(t, dir)
	defer stop()
	client, err := host[notifytest.FileStorageID].(storage.Extension).GetClient(
		context.Background(), component.KindProcessor, component.NewID(metadata.Type), storageName)
	require.NoError(t, err)
	defer func() { require.NoError(t, client.Close(context.Background())) }()
	data, err := client.Get(context.Background(), storageKey)
	require.NoError(t, err)
	var st storedState
	require.NoError(t, json.Unmarshal(data, &st))
	out := map[string]string{}
	for _, r := range st.Rules {
		for _, in := range r.Instances {
			if len(in.Labels) == 1 && in.Labels[0] == "w1" {
				out[r.Name] = in.State
			}
		}
	}
	return out
}

// Every one of the processor's own metrics carries the processor's component id, so two alert
// processors in one collector (or the collector's Prometheus endpoint) never mix their series.
func TestOwnTelemetryCarriesTheProcessorID(t *testing.T) {
	h := newHarness(t, configWith(errorRateRule(0, 0)))
	// A second processor, alert/two, on the same meter provider.
	set := processortest.NewNopSettings(metadata.Type)
	set.ID = component.MustNewIDWithName("alert", "two")
	set.TelemetrySettings = h.tel.NewTelemetrySettings()
	two, err := newMetricsProcessor(context.Background(), set, configWith(errorRateRule(0, 0)), new(consumertest.MetricsSink), h.clock)
	require.NoError(t, err)

	for _, p := range []*alertProcessor{h.proc.alerts, two.alerts} {
		p.consume(context.Background(), newMetrics().gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "w1").build())
		p.evaluateAndEmit(context.Background())
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, h.tel.Reader.Collect(context.Background(), &rm))
	seen := map[string]map[string]bool{} // metric → processor ids
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != metadata.ScopeName {
			continue
		}
		for _, m := range sm.Metrics {
			sets := pointAttributes(t, m)
			require.NotEmpty(t, sets, m.Name)
			for _, attrs := range sets {
				v, ok := attrs.Value("processor")
				require.True(t, ok, "%s has a point without the processor attribute", m.Name)
				if seen[m.Name] == nil {
					seen[m.Name] = map[string]bool{}
				}
				seen[m.Name][v.AsString()] = true
			}
		}
	}
	for _, name := range []string{"otelcol_processor_alert_evaluations", "otelcol_processor_alert_instances",
		"otelcol_processor_alert_transitions", "otelcol_processor_alert_series"} {
		assert.Equal(t, map[string]bool{"alert": true, "alert/two": true}, seen[name], name)
	}
}

// pointAttributes returns the attribute sets of a telemetry metric's points.
func pointAttributes(t *testing.T, m metricdata.Metrics) []attribute.Set {
	t.Helper()
	var out []attribute.Set
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes)
		}
	case metricdata.Gauge[int64]:
		for _, dp := range d.DataPoints {
			out = append(out, dp.Attributes)
		}
	default:
		t.Fatalf("%s: unexpected telemetry data %T", m.Name, m.Data)
	}
	return out
}

func TestParseMatcherString(t *testing.T) {
	tests := []struct {
		text    string
		label   string
		matches []string
		misses  []string
	}{
		{text: `alertname="bus_silent"`, label: "alertname", matches: []string{"bus_silent"}, misses: []string{"bus_silent2", ""}},
		{text: ` alertname = "bus_silent" `, label: "alertname", matches: []string{"bus_silent"}, misses: []string{"x"}},
		{text: `alertname=bus_silent`, label: "alertname", matches: []string{"bus_silent"}, misses: []string{"x"}},
		{text: `worker.name!=""`, label: "worker.name", matches: []string{"w1"}, misses: []string{""}},
		{text: `severity=~"error|critical"`, label: "severity", matches: []string{"error", "critical"}, misses: []string{"errors", "warning"}},
		{text: `alertname!~"bus_.*"`, label: "alertname", matches: []string{"worker_failure"}, misses: []string{"bus_silent"}},
		{text: `"worker.name"="w1"`, label: "worker.name", matches: []string{"w1"}, misses: []string{"w2"}},
		{text: `description="say \"hi\""`, label: "description", matches: []string{`say "hi"`}, misses: []string{`say \"hi\"`}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			m, err := parseMatcherString(tt.text)
			require.NoError(t, err)
			assert.Equal(t, tt.label, m.key)
			for _, v := range tt.matches {
				assert.True(t, m.matches(v), "%q should match %q", tt.text, v)
			}
			for _, v := range tt.misses {
				assert.False(t, m.matches(v), "%q should not match %q", tt.text, v)
			}
		})
	}
	for _, bad := range []string{``, `alertname`, `alertname=="x"`, `=x`, `alertname="x`, `alertname=~"(x"`, `""="x"`, `worker name="x"`} {
		_, err := parseMatcherString(bad)
		assert.Error(t, err, "%q", bad)
	}
}

// A label no alert has (a typo such as worker_name for worker.name) would make an equal
// always hold, or a matcher never match: the processor warns at start.
func TestInhibitRuleWithUnknownLabelsIsLoggedAtStart(t *testing.T) {
	cfg := configWith(workerDownRule(0, 0), workerErrorsRule())
	cfg.InhibitRules = []InhibitRule{
		{SourceMatchers: []string{`alertname="worker_down"`}, TargetMatchers: []string{`alertname="worker_errors"`}, Equal: []string{"worker.name"}},
		{SourceMatchers: []string{`alertname="worker_down"`, `host="h1"`}, TargetMatchers: []string{`alertname="worker_errors"`}, Equal: []string{"worker_name"}},
	}
	h := newHarness(t, cfg)
	logged := h.logs.FilterMessageSnippet("inhibit rule uses labels no alert has").All()
	require.Len(t, logged, 1, "only the second rule")
	assert.Equal(t, int64(1), logged[0].ContextMap()["inhibit_rule"])
	assert.Equal(t, []any{"host", "worker_name"}, logged[0].ContextMap()["labels"])
}

// keep_inhibiting_for survives a restart: what remembers it is the source's resolved
// instance, which is stored.
func TestKeepInhibitingForAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(testEpoch)
	cfg := storedConfig(workerDownRule(0, 0), workerErrorsRule())
	cfg.InhibitRules = []InhibitRule{{
		SourceMatchers:    []string{`alertname="worker_down"`},
		TargetMatchers:    []string{`alertname="worker_errors"`},
		Equal:             []string{"worker.name"},
		KeepInhibitingFor: 2 * time.Minute,
	}}
	first := startRun(t, cfg, clock, dir)
	var points []alertPoint
	for range 3 {
		first.push(signals{down: []string{"w1"}, errors: []string{"w1"}}.metrics().build())
		points = first.step(15 * time.Second)
	}
	require.Equal(t, "inhibited", stateOf(points, "worker_errors", w1))
	first.push(signals{errors: []string{"w1"}}.metrics().build())
	points = first.step(15 * time.Second)
	require.Equal(t, "resolved", stateOf(points, "worker_down", w1))
	require.Equal(t, "inhibited", stateOf(points, "worker_errors", w1), "held")
	first.stop()

	clock.Advance(30 * time.Second)
	second := startRun(t, cfg, clock, dir)
	var states []string
	for range 8 { // from 30 s to 2 m 15 s after the source resolved
		second.push(signals{errors: []string{"w1"}}.metrics().build())
		states = append(states, stateOf(second.evaluate(), "worker_errors", w1))
		clock.Advance(15 * time.Second)
	}
	assert.Equal(t, []string{"inhibited", "inhibited", "inhibited", "inhibited", "inhibited", "inhibited", "firing", "firing"}, states,
		"muted until 2 minutes after the source resolved, across the restart")
}
