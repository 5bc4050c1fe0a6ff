package workerhealthprocessor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/workerhealthprocessor/internal/metadata"
)

const benchWorkers = 1000

// spanMetricsBoundsSeconds are the span_metrics connector's default buckets, in seconds.
var spanMetricsBoundsSeconds = []float64{0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1, 1.4, 2, 5, 10, 15}

// receiverBatch is what the multiagents receiver sends for n workers: per worker a success and
// an error point of the executions counter and one duration histogram (spanMetricsBounds).
func receiverBatch(n int, temp pmetric.AggregationTemporality) pmetric.Metrics {
	md := pmetric.NewMetrics()
	start := t0.Add(time.Second)
	for i := range n {
		w := fmt.Sprintf("worker_%04d", i)
		addExecutions(md, temp, start, t0.Add(10*time.Second), w, "success", 100)
		addExecutions(md, temp, start, t0.Add(10*time.Second), w, "error", 1)
		addDurations(md, temp, start, t0.Add(10*time.Second), w, spanMetricsBoundsSeconds,
			[]uint64{0, 0, 0, 0, 10, 20, 30, 20, 10, 5, 3, 2, 1, 0, 1, 0, 0}, 40)
	}
	return md
}

// spanMetricsBatch has the span_metrics connector's shape: calls and duration per span name,
// status code, kind, service, collector instance; in ms.
func spanMetricsBatch(n int) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "agents")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("spanmetricsconnector")
	calls := sm.Metrics().AppendEmpty()
	calls.SetName("traces.span.metrics.calls")
	calls.SetEmptySum().SetAggregationTemporality(cumulativeTemporality)
	dur := sm.Metrics().AppendEmpty()
	dur.SetName("traces.span.metrics.duration")
	dur.SetUnit("ms")
	dur.SetEmptyHistogram().SetAggregationTemporality(cumulativeTemporality)
	boundsMs := make([]float64, len(spanMetricsBoundsSeconds))
	for i, b := range spanMetricsBoundsSeconds {
		boundsMs[i] = b * 1000
	}
	for i := range n {
		for _, status := range []string{"STATUS_CODE_OK", "STATUS_CODE_ERROR"} {
			attrs := func(m pcommon.Map) {
				m.PutStr("service.name", "agents")
				m.PutStr("span.name", fmt.Sprintf("worker.w%04d", i))
				m.PutStr("span.kind", "SPAN_KIND_INTERNAL")
				m.PutStr("status.code", status)
				m.PutStr("collector.instance.id", "0b7e1c5e-7c55-4d0e-9d46-2f1d3c8a9b10")
			}
			dp := calls.Sum().DataPoints().AppendEmpty()
			dp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Second)))
			dp.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(10 * time.Second)))
			dp.SetIntValue(50)
			attrs(dp.Attributes())
			h := dur.Histogram().DataPoints().AppendEmpty()
			h.SetStartTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Second)))
			h.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(10 * time.Second)))
			h.ExplicitBounds().FromRaw(boundsMs)
			h.BucketCounts().FromRaw([]uint64{0, 0, 0, 0, 10, 20, 10, 5, 3, 2, 0, 0, 0, 0, 0, 0, 0})
			h.SetCount(50)
			h.SetSum(5000)
			attrs(h.Attributes())
		}
	}
	return md
}

// advance makes every cumulative point of md one step later and larger, so each iteration is a
// fresh increase rather than a repeat or a reset; delta points just move in time.
func advance(md pmetric.Metrics) {
	step := pcommon.Timestamp(10 * time.Second)
	rms := md.ResourceMetrics()
	for i := range rms.Len() {
		sms := rms.At(i).ScopeMetrics()
		for j := range sms.Len() {
			ms := sms.At(j).Metrics()
			for k := range ms.Len() {
				m := ms.At(k)
				switch m.Type() {
				case pmetric.MetricTypeSum:
					cum := m.Sum().AggregationTemporality() == cumulativeTemporality
					dps := m.Sum().DataPoints()
					for l := range dps.Len() {
						dp := dps.At(l)
						dp.SetTimestamp(dp.Timestamp() + step)
						if cum {
							dp.SetIntValue(dp.IntValue() + 3)
						}
					}
				case pmetric.MetricTypeHistogram:
					cum := m.Histogram().AggregationTemporality() == cumulativeTemporality
					dps := m.Histogram().DataPoints()
					for l := range dps.Len() {
						dp := dps.At(l)
						dp.SetTimestamp(dp.Timestamp() + step)
						if cum {
							bc := dp.BucketCounts()
							bc.SetAt(5, bc.At(5)+3)
							dp.SetCount(dp.Count() + 3)
							dp.SetSum(dp.Sum() + 0.09)
						}
					}
				}
			}
		}
	}
}

func benchmarkConsume(b *testing.B, cfg *Config, md pmetric.Metrics) {
	clk := newFakeClock(t0)
	p, err := newWorkerHealthProcessor(processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop(), clk)
	if err != nil {
		b.Fatal(err)
	}
	p.tracker.startedAt = pcommon.Timestamp(t0.UnixNano())
	ctx := context.Background()
	points := md.DataPointCount()
	// Warm up: every series seen once, so the loop measures steady state.
	_, _ = p.processMetrics(ctx, md)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		advance(md)
		clk.Advance(10 * time.Second)
		b.StartTimer()
		_, _ = p.processMetrics(ctx, md)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*points), "ns/point")
	b.ReportMetric(float64(points), "points/op")
	if got := p.tracker.workers.len(); got != benchWorkers {
		b.Fatalf("tracked %d workers, want %d", got, benchWorkers)
	}
}

func BenchmarkConsumeReceiverCumulative1kWorkers(b *testing.B) {
	benchmarkConsume(b, testConfig(), receiverBatch(benchWorkers, cumulativeTemporality))
}

func BenchmarkConsumeReceiverDelta1kWorkers(b *testing.B) {
	benchmarkConsume(b, testConfig(), receiverBatch(benchWorkers, delta))
}

func BenchmarkConsumeSpanMetrics1kWorkers(b *testing.B) {
	cfg := testConfig()
	cfg.Inputs = []InputConfig{receiverInput(), spanMetricsInput()}
	benchmarkConsume(b, cfg, spanMetricsBatch(benchWorkers))
}

// BenchmarkEvaluate1kWorkers is one evaluation: classify 1k workers and build their 11 series each.
func BenchmarkEvaluate1kWorkers(b *testing.B) {
	clk := newFakeClock(t0)
	p, err := newWorkerHealthProcessor(processortest.NewNopSettings(metadata.Type), testConfig(), consumertest.NewNop(), clk)
	if err != nil {
		b.Fatal(err)
	}
	p.tracker.startedAt = pcommon.Timestamp(t0.UnixNano())
	md := receiverBatch(benchWorkers, cumulativeTemporality)
	_, _ = p.processMetrics(context.Background(), md)
	advance(md)
	_, _ = p.processMetrics(context.Background(), md)
	now := clk.Now().UnixNano()
	b.ReportAllocs()
	for b.Loop() {
		out := p.tracker.evaluate(now)
		if out.DataPointCount() != benchWorkers*11 {
			b.Fatalf("got %d points", out.DataPointCount())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchWorkers), "ns/worker")
}
