package alertprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
)

func TestMetricsPassThroughUnchanged(t *testing.T) {
	h := newHarness(t, configWith(errorRateRule(0, 0)))
	assert.Equal(t, consumer.Capabilities{MutatesData: false}, h.proc.Capabilities())
	start := testEpoch.Add(time.Second)
	md := newMetrics().
		gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "w1").
		counter("multiagents.events", "{event}", 3, start, "event_type", "CommandEvent", "status", "success").
		histogram("multiagents.event.duration", []float64{1, 5}, []uint64{1, 2, 0}, 4, start, "event_type", "CommandEvent").build()
	want := pmetric.NewMetrics()
	md.CopyTo(want)
	h.push(md)
	require.Len(t, h.sink.AllMetrics(), 1)
	assert.Equal(t, want, h.sink.AllMetrics()[0], "passed on exactly as received")
	assert.Equal(t, 1, len(h.evaluate()))
	assert.Len(t, h.sink.AllMetrics(), 2, "alert state goes out as its own pmetric.Metrics")
	assert.Equal(t, want, h.sink.AllMetrics()[0], "and the passed-through metrics were not touched afterwards")
}

func TestNoInstanceWritesNothing(t *testing.T) {
	h := newHarness(t, configWith(errorRateRule(0, 0)))
	h.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.01, "worker.name", "w1").build())
	assert.Nil(t, h.evaluate())
	assert.Equal(t, int64(1), h.telemetry("otelcol_processor_alert_evaluations"))
}

// The processor's own ticker evaluates between Start and Shutdown, and not after.
func TestTickerRunsBetweenStartAndShutdown(t *testing.T) {
	cfg := configWith(errorRateRule(0, 0))
	cfg.EvaluationInterval = 10 * time.Millisecond
	sink := new(consumertest.MetricsSink)
	p, err := NewFactory().CreateMetrics(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, p.ConsumeMetrics(context.Background(), newMetrics().gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "w1").build()))
	require.Eventually(t, func() bool { return sink.DataPointCount() >= 3 }, 10*time.Second, 5*time.Millisecond,
		"the pass-through point and at least two evaluations")
	require.NoError(t, p.Shutdown(context.Background()))
	after := len(sink.AllMetrics())
	time.Sleep(50 * time.Millisecond)
	assert.Equal(t, after, len(sink.AllMetrics()), "no evaluation after Shutdown")
	last := sink.AllMetrics()[after-1]
	assert.Equal(t, "firing", stateOf(parseAlerts(t, last), "high_error_rate", map[string]string{"worker.name": "w1"}))
}

func TestShutdownWithoutStart(t *testing.T) {
	p, err := NewFactory().CreateMetrics(context.Background(), processortest.NewNopSettings(metadata.Type), configWith(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, p.Shutdown(context.Background()))
}

func TestEmitFailureIsCounted(t *testing.T) {
	h := newHarness(t, configWith(errorRateRule(0, 0)))
	h.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "w1").build())
	h.proc.alerts.next = consumertest.NewErr(assert.AnError)
	h.proc.alerts.evaluateAndEmit(context.Background())
	assert.Equal(t, int64(1), h.telemetry("otelcol_processor_alert_emit_failures"))
}

func TestCreateRejectsBadRules(t *testing.T) {
	cfg := configWith(Rule{Name: "r", Metric: "m", Condition: "=> 1", Severity: "info"})
	_, err := NewFactory().CreateMetrics(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.ErrorContains(t, err, "rules[0] (r).condition")
}
