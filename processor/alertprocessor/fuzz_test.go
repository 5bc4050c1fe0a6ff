package alertprocessor

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric"
)

// FuzzIngestAndEvaluate feeds arbitrary OTLP metrics to the processor with rules of every
// function and kind: nothing may panic, and an evaluation must always be possible after.
func FuzzIngestAndEvaluate(f *testing.F) {
	start := testEpoch.Add(time.Second)
	bounds := []float64{1, 10, 30}
	seeds := []pmetric.Metrics{
		newMetrics().gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "w1").build(),
		newMetrics().counter("multiagents.worker.executions", "{execution}", 12, start, "worker.name", "w1", "status", "error").build(),
		newMetrics().histogram("multiagents.workflow.duration", bounds, []uint64{1, 2, 3, 4}, 100, start, "workflow.id", "o").build(),
		newMetrics().histogram("multiagents.event.duration", bounds, []uint64{1, 2, 3, 4}, 100, start, "event_type", "CommandEvent").build(),
		newMetrics().gauge("multiagents.worker.health", "{state}", 1, "worker.name", "w1", "state", "failed").build(),
	}
	var marshaler pmetric.ProtoMarshaler
	for _, md := range seeds {
		b, err := marshaler.MarshalMetrics(md)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, b)
	}
	quantile := probeRule("q", "multiagents.workflow.duration", fnQuantile, time.Minute, "workflow.id")
	quantile.Quantile = 0.9
	rules := []Rule{
		probeRule("v", "multiagents.worker.error_rate", fnValue, 0, "worker.name"),
		probeRule("rate", "multiagents.worker.executions", fnRate, time.Minute, "worker.name"),
		probeRule("inc", "multiagents.worker.executions", fnIncrease, time.Minute),
		probeRule("avg", "multiagents.event.duration", fnAvg, time.Minute),
		quantile,
		// Unknown metrics, so any function may meet any type at evaluation.
		probeRule("v2", "multiagents.workflow.duration.custom", fnValue, 0),
		{Name: "absent", Kind: kindAbsent, Metric: "multiagents.worker.health", Window: time.Minute, Severity: "info"},
		ratioProbe(1),
	}
	cfg := configWith(rules...)
	cfg.InhibitRules = []InhibitRule{
		{SourceMatchers: []string{`alertname="absent"`}, TargetMatchers: []string{`alertname!="absent"`}},
		{SourceMatchers: []string{`severity=~".+"`}, TargetMatchers: []string{`alertname=~"v|rate|error_ratio"`}, Equal: []string{"worker.name"}},
	}
	f.Fuzz(func(t *testing.T, first, second []byte) {
		var unmarshaler pmetric.ProtoUnmarshaler
		h := newHarness(t, cfg)
		for _, b := range [][]byte{first, second} {
			md, err := unmarshaler.UnmarshalMetrics(b)
			if err != nil {
				continue
			}
			// The fuzzed metric names are arbitrary; also replay them under the rules' names.
			h.push(md)
			renamed := pmetric.NewMetrics()
			md.CopyTo(renamed)
			for i, rm := range renamed.ResourceMetrics().All() {
				for _, sm := range rm.ScopeMetrics().All() {
					for j, m := range sm.Metrics().All() {
						m.SetName(rules[(i+j)%len(rules)].Metric)
					}
				}
			}
			h.push(renamed)
			h.step(20 * time.Second)
		}
		h.step(time.Hour)
	})
}
