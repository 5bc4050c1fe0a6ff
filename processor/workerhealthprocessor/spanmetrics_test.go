package workerhealthprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/connector/spanmetricsconnector"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/workerhealthprocessor/internal/metadata"
)

// spanMetricsInput is the inputs entry the README documents for the span_metrics connector.
func spanMetricsInput() InputConfig {
	return InputConfig{
		ExecutionsMetric: "traces.span.metrics.calls",
		DurationMetric:   "traces.span.metrics.duration",
		WorkerAttribute:  "span.name",
		NamePrefix:       "worker.",
		StatusAttribute:  "status.code",
		ErrorValues:      []string{"STATUS_CODE_ERROR"},
	}
}

type span struct {
	name     string
	duration time.Duration
	failed   bool
}

func spansOf(base time.Time, spans ...span) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "payment-agent")
	ss := rs.ScopeSpans().AppendEmpty()
	for i, s := range spans {
		sp := ss.Spans().AppendEmpty()
		sp.SetName(s.name)
		sp.SetKind(ptrace.SpanKindInternal)
		sp.SetTraceID(pcommon.TraceID{1, byte(i >> 8), byte(i)})
		sp.SetSpanID(pcommon.SpanID{2, byte(i >> 8), byte(i)})
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(base))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(base.Add(s.duration)))
		if s.failed {
			sp.Status().SetCode(ptrace.StatusCodeError)
			sp.Status().SetMessage("Payment gateway unreachable")
		} else {
			sp.Status().SetCode(ptrace.StatusCodeOk)
		}
	}
	return td
}

// OTLP spans named worker.<name> → the real span_metrics connector → worker_health → health
// series for those workers, with durations read in whichever unit the connector is set to.
func TestSpanMetricsPipeline(t *testing.T) {
	for _, unit := range []string{"ms", "s"} {
		t.Run("histogram unit "+unit, func(t *testing.T) {
			cfg := testConfig()
			cfg.Inputs = []InputConfig{receiverInput(), spanMetricsInput()}
			clk := newFakeClock(time.Now()) // the connector stamps its series with the real clock
			sink := new(consumertest.MetricsSink)
			p, err := newWorkerHealthProcessor(processortest.NewNopSettings(metadata.Type), cfg, sink, clk)
			require.NoError(t, err)
			health := consumer.Metrics(mustMetrics(t, func(ctx context.Context, md pmetric.Metrics) error {
				out, _ := p.processMetrics(ctx, md)
				return sink.ConsumeMetrics(ctx, out)
			}))
			require.NoError(t, p.start(context.Background(), componenttest.NewNopHost()))
			t.Cleanup(func() { require.NoError(t, p.shutdown(context.Background())) })

			factory := spanmetricsconnector.NewFactory()
			ccfg := factory.CreateDefaultConfig()
			require.NoError(t, confmap.NewFromStringMap(map[string]any{
				"histogram":              map[string]any{"unit": unit},
				"metrics_flush_interval": "20ms",
			}).Unmarshal(ccfg))
			require.NoError(t, ccfg.(*spanmetricsconnector.Config).Validate())
			conn, err := factory.CreateTracesToMetrics(context.Background(), connectortest.NewNopSettings(factory.Type()), ccfg, health)
			require.NoError(t, err)
			require.NoError(t, conn.Start(context.Background(), componenttest.NewNopHost()))
			t.Cleanup(func() { require.NoError(t, conn.Shutdown(context.Background())) })

			var spans []span
			for range 10 {
				spans = append(spans, span{name: "worker.validate_order", duration: 80 * time.Millisecond})
			}
			for i := range 10 {
				spans = append(spans, span{name: "worker.process_payment", duration: 7 * time.Second, failed: i < 4})
			}
			spans = append(spans, span{name: "HTTP GET /health", duration: time.Millisecond, failed: true})
			require.NoError(t, conn.ConsumeTraces(context.Background(), spansOf(time.Now(), spans...)))

			// The connector re-sends its cumulative series on every flush; wait for several.
			require.Eventually(t, func() bool { return countMetric(sink, "traces.span.metrics.calls") >= 3 }, 10*time.Second, 5*time.Millisecond)

			p.mu.Lock()
			assert.ElementsMatch(t, []string{"validate_order", "process_payment"}, keys(p.tracker.workers.byName),
				"the worker. prefix is stripped and other spans are not workers")
			var tot windowTotals
			w := p.tracker.workers.byName["process_payment"]
			w.recent.sum(clk.Now().UnixNano(), len(w.bounds)+1, &tot)
			p.mu.Unlock()
			assert.Equal(t, 6.0, tot.successes, "repeated cumulativeTemporality flushes are not counted twice")
			assert.Equal(t, 4.0, tot.errors)
			assert.Equal(t, 10.0, tot.durCount)

			// Health followed the data: the batch that made process_payment degraded carried
			// its health before any tick of the timer.
			early := healthBatches(sink)
			require.NotEmpty(t, early, "a batch that changes a worker's state is followed by its health at once")
			assert.Equal(t, "degraded", stateOf(series(early[0]), "process_payment"))

			before := len(early)
			clk.Advance(cfg.HealthCheckInterval)
			require.Eventually(t, func() bool { return len(healthBatches(sink)) > before }, 10*time.Second, time.Millisecond)
			all := healthBatches(sink)
			s := series(all[len(all)-1])

			assert.Equal(t, "healthy", stateOf(s, "validate_order"))
			assert.Equal(t, 1.0, s[gaugeKey(metricSuccessRate, "validate_order")])
			assert.Equal(t, 0.0, s[gaugeKey(metricErrorRate, "validate_order")])
			assert.InDelta(t, 0.08, s[gaugeKey(metricDurationAvg, "validate_order")], 1e-6)
			assert.Greater(t, s[gaugeKey(metricDurationP95, "validate_order")], 0.05, "p95 lies in the 50..100 ms bucket")
			assert.LessOrEqual(t, s[gaugeKey(metricDurationP95, "validate_order")], 0.1)

			assert.Equal(t, "degraded", stateOf(s, "process_payment"), "40 % errors: degraded, not yet failed")
			assert.InDelta(t, 0.4, s[gaugeKey(metricErrorRate, "process_payment")], 1e-9)
			assert.InDelta(t, 0.6, s[gaugeKey(metricSuccessRate, "process_payment")], 1e-9)
			assert.InDelta(t, 7.0, s[gaugeKey(metricDurationAvg, "process_payment")], 1e-6)
			assert.Greater(t, s[gaugeKey(metricDurationP95, "process_payment")], 5.0, "p95 lies in the 5..10 s bucket")
			assert.LessOrEqual(t, s[gaugeKey(metricDurationP95, "process_payment")], 10.0)
			assert.Equal(t, 1.0, s[issueKey("process_payment", "high_error_rate")])
			assert.Equal(t, 1.0, s[issueKey("process_payment", "slow_execution")])
			assert.Equal(t, 0.0, s[issueKey("process_payment", "unresponsive")])

			for k := range s {
				assert.NotContains(t, k, "HTTP GET", "only worker.* spans become workers")
			}
		})
	}
}

func countMetric(sink *consumertest.MetricsSink, name string) int {
	n := 0
	for _, md := range sink.AllMetrics() {
		rms := md.ResourceMetrics()
		for i := range rms.Len() {
			sms := rms.At(i).ScopeMetrics()
			for j := range sms.Len() {
				ms := sms.At(j).Metrics()
				for k := range ms.Len() {
					if ms.At(k).Name() == name {
						n++
					}
				}
			}
		}
	}
	return n
}

func mustMetrics(t *testing.T, f consumer.ConsumeMetricsFunc) consumer.Metrics {
	t.Helper()
	c, err := consumer.NewMetrics(f)
	require.NoError(t, err)
	return c
}
