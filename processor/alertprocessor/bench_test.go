package alertprocessor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
)

// The benchmark's load: 10 000 series in the contract shapes.
const (
	benchWorkers   = 1000 // error_rate (1 000) + health 3 states (3 000) + executions success/error (2 000)
	benchWorkflows = 2000 // workflow.duration histograms (2 000) + workflows counter (2 000)
	benchSeries    = benchWorkers*6 + benchWorkflows*2
)

// benchRules are 50 rules over those series, every function and aggregate represented.
func benchRules(n int) []Rule {
	var rules []Rule
	for i := 0; len(rules) < n; i++ {
		switch i % 5 {
		case 0:
			rules = append(rules, Rule{Name: fmt.Sprint("error_rate_", i), Metric: "multiagents.worker.error_rate",
				GroupBy: []string{"worker.name"}, Condition: fmt.Sprintf("> %g", 0.9+float64(i)/1000), For: time.Minute,
				Severity: "warning", Description: "{{ worker.name }}"})
		case 1:
			rules = append(rules, Rule{Name: fmt.Sprint("failed_", i), Metric: "multiagents.worker.health",
				Match: map[string]string{"state": "failed"}, GroupBy: []string{"worker.name"}, Condition: "== 1", Severity: "error"})
		case 2:
			rules = append(rules, Rule{Name: fmt.Sprint("error_spike_", i), Metric: "multiagents.worker.executions",
				Match: map[string]string{"status": "=~err.*"}, Function: fnIncrease, Window: 5 * time.Minute, Aggregate: aggSum,
				Condition: "> 1000", Severity: "error"})
		case 3:
			rules = append(rules, Rule{Name: fmt.Sprint("slow_workflow_", i), Metric: "multiagents.workflow.duration",
				GroupBy: []string{"workflow.id"}, Function: fnQuantile, Quantile: 0.95, Window: 5 * time.Minute,
				Condition: "> 30", Severity: "warning", Description: "{{ workflow.id }}"})
		case 4:
			rules = append(rules, Rule{Name: fmt.Sprint("workflow_rate_", i), Metric: "multiagents.workflows",
				GroupBy: []string{"status"}, Function: fnRate, Window: 5 * time.Minute, Aggregate: aggSum,
				Condition: "> 1000", Severity: "info"})
		}
	}
	return rules
}

// benchBatches are successive snapshots of the 10 000 series, counters growing from batch
// to batch, as the receiver and worker_health would send them.
func benchBatches(count int) []pmetric.Metrics {
	start := testEpoch.Add(time.Second)
	bounds := durationBounds
	out := make([]pmetric.Metrics, count)
	for b := range out {
		mb := newMetrics()
		for w := range benchWorkers {
			name := fmt.Sprint("worker_", w)
			rate := 0.01
			if w%97 == 0 {
				rate = 0.95 // about 1% of workers alert
			}
			mb.gauge("multiagents.worker.error_rate", "1", rate, "worker.name", name)
			for _, st := range []string{"healthy", "degraded", "failed"} {
				v := 0.0
				if (st == "failed") == (w%101 == 0) && (st == "healthy" || w%101 == 0) {
					v = 1
				}
				mb.gauge("multiagents.worker.health", "{state}", v, "worker.name", name, "state", st)
			}
			mb.counter("multiagents.worker.executions", "{execution}", int64(b*10), start, "worker.name", name, "status", "success")
			mb.counter("multiagents.worker.executions", "{execution}", int64(b), start, "worker.name", name, "status", "error")
		}
		for wf := range benchWorkflows {
			id := fmt.Sprint("workflow_", wf)
			counts := make([]uint64, len(bounds)+1)
			counts[3] = uint64(b * 5)
			if wf%89 == 0 {
				counts[12] = uint64(b * 5) // slow ones
			}
			mb.histogram("multiagents.workflow.duration", bounds, counts, float64(b)*3, start, "workflow.id", id)
			mb.counter("multiagents.workflows", "{workflow}", int64(b*3), start, "workflow.id", id, "status", "completed")
		}
		out[b] = mb.build()
	}
	return out
}

func newBenchProcessor(b *testing.B, rules int, clock *fakeClock) *metricsProcessor {
	b.Helper()
	cfg := configWith(benchRules(rules)...)
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	p, err := newMetricsProcessor(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop(), clock)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkProcessor measures one batch of 10 000 points (one per series) followed by one
// evaluation of every rule, i.e. an evaluation per batch: the worst case, since in service
// evaluation runs once per evaluation_interval whatever the point rate. ns/point is ns/op
// divided by the batch size.
func BenchmarkProcessor(b *testing.B) {
	batches := benchBatches(16)
	for _, rules := range []int{0, 10, 50} {
		b.Run(fmt.Sprintf("rules=%d/series=%d", rules, benchSeries), func(b *testing.B) {
			clock := newFakeClock(testEpoch)
			p := newBenchProcessor(b, rules, clock)
			ctx := context.Background()
			// Warm up: every series known, windows filled.
			for i := range 24 {
				clock.Advance(15 * time.Second)
				_ = p.ConsumeMetrics(ctx, batches[i%len(batches)])
				p.alerts.evaluateAndEmit(ctx)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				clock.Advance(15 * time.Second)
				_ = p.ConsumeMetrics(ctx, batches[i%len(batches)])
				p.alerts.evaluateAndEmit(ctx)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchSeries, "ns/point")
		})
	}
}

// BenchmarkIngest is the per-point cost alone (the part that scales with the point rate).
func BenchmarkIngest(b *testing.B) {
	batches := benchBatches(16)
	for _, rules := range []int{0, 50} {
		b.Run(fmt.Sprintf("rules=%d/series=%d", rules, benchSeries), func(b *testing.B) {
			clock := newFakeClock(testEpoch)
			p := newBenchProcessor(b, rules, clock)
			ctx := context.Background()
			for i := range 24 {
				clock.Advance(15 * time.Second)
				_ = p.ConsumeMetrics(ctx, batches[i%len(batches)])
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				clock.Advance(15 * time.Second)
				_ = p.ConsumeMetrics(ctx, batches[i%len(batches)])
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchSeries, "ns/point")
		})
	}
}

// BenchmarkEvaluate is one evaluation of 50 rules over the 10 000 series (once per interval).
func BenchmarkEvaluate(b *testing.B) {
	batches := benchBatches(16)
	clock := newFakeClock(testEpoch)
	p := newBenchProcessor(b, 50, clock)
	ctx := context.Background()
	for i := range 24 {
		clock.Advance(15 * time.Second)
		_ = p.ConsumeMetrics(ctx, batches[i%len(batches)])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		clock.Advance(time.Second) // no series goes stale
		p.alerts.evaluateAndEmit(ctx)
	}
}

// benchFiringRules returns a processor's compiled rules holding n firing instances of
// high_error_rate (one per worker), as after n alerts fired.
func benchFiringRules(b *testing.B, n int) []*compiledRule {
	rules, err := compileRules([]Rule{errorRateRule(time.Minute, time.Minute)}, 10, 3)
	if err != nil {
		b.Fatal(err)
	}
	r := rules[0]
	for i := range n {
		labels := []string{fmt.Sprintf("worker_%05d", i)}
		r.instances[groupKey(labels)] = &instance{
			labels: labels, fingerprint: fingerprint(r.cfg.Name, r.cfg.GroupBy, labels),
			description: "Error rate of " + labels[0] + " exceeded 10%", state: stateFiring, value: 0.25,
			activeAt: testEpoch, firedAt: testEpoch.Add(time.Minute),
		}
	}
	return rules
}

// BenchmarkStoreState: encoding every firing instance for storage, done only after an
// evaluation that changed them. Size is reported as bytes/instance.
func BenchmarkStoreState(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprint("instances=", n), func(b *testing.B) {
			rules := benchFiringRules(b, n)
			var size int
			b.ReportAllocs()
			for b.Loop() {
				data, err := encodeState(rules)
				if err != nil {
					b.Fatal(err)
				}
				size = len(data)
			}
			b.ReportMetric(float64(size)/float64(n), "bytes/instance")
		})
	}
}

// BenchmarkRestoreState: decoding and restoring the stored instances at Start.
func BenchmarkRestoreState(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprint("instances=", n), func(b *testing.B) {
			data, err := encodeState(benchFiringRules(b, n))
			if err != nil {
				b.Fatal(err)
			}
			cfg := configWith(errorRateRule(time.Minute, time.Minute))
			b.ReportAllocs()
			for b.Loop() {
				p, err := newAlertProcessor(processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop(), clockwork.NewRealClock())
				if err != nil {
					b.Fatal(err)
				}
				stored, _, err := decodeState(data)
				if err != nil {
					b.Fatal(err)
				}
				if restored, _ := p.restore(stored, testEpoch); restored != n {
					b.Fatalf("restored %d of %d", restored, n)
				}
			}
		})
	}
}

// BenchmarkInhibition is the inhibition pass of one evaluation over n firing instances: half
// of them sources (worker_failure), half targets (high_error_rate) muted per worker, under the
// shipped three inhibit rules.
func BenchmarkInhibition(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprint("instances=", n), func(b *testing.B) {
			rules := benchFiringRules(b, n/2)
			failure := errorRateRule(0, 0)
			failure.Name = "worker_failure"
			sources, err := compileRules([]Rule{failure}, 10, 3)
			if err != nil {
				b.Fatal(err)
			}
			for key, in := range rules[0].instances {
				copied := *in
				sources[0].instances[key] = &copied
			}
			rules = append(rules, sources[0])
			inhibits, err := compileInhibitRules([]InhibitRule{
				{SourceMatchers: []string{`alertname="bus_silent"`}, TargetMatchers: []string{`alertname=~"worker_failure|high_error_rate|slow_workflow|high_latency|error_spike"`}},
				{SourceMatchers: []string{`alertname="worker_failure"`}, TargetMatchers: []string{`alertname="high_error_rate"`}, Equal: []string{"worker.name"}},
				{SourceMatchers: []string{`alertname="worker_failure"`}, TargetMatchers: []string{`alertname="error_spike"`}},
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				applyInhibitions(inhibits, rules, testEpoch)
			}
			for _, in := range rules[0].instances {
				if !in.inhibited {
					b.Fatal("every high_error_rate instance is muted by its worker's worker_failure")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/instance")
		})
	}
}
