package alertprocessor

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
)

// workerHealth is worker_health's state series of one worker, with state set to 1.
func workerHealth(worker, state string) pmetric.Metrics {
	b := newMetrics()
	for _, s := range []string{"healthy", "degraded", "failed"} {
		b.gauge("multiagents.worker.health", "{state}", map[bool]float64{true: 1}[s == state], "worker.name", worker, "state", s)
	}
	return b.build()
}

// isAlerts tells the processor's alert state apart from the data that passed through.
func isAlerts(md pmetric.Metrics) bool {
	return md.ResourceMetrics().Len() == 1 && md.ResourceMetrics().At(0).ScopeMetrics().Len() == 1 &&
		md.ResourceMetrics().At(0).ScopeMetrics().At(0).Scope().Name() == metadata.ScopeName
}

// With the shipped rules and evaluate_on_arrival, the batch in which worker_health says failed
// is evaluated as it passes: worker_failure is handed on firing before that batch, with no
// tick, and resolved likewise on the batch that says healthy again.
func TestShippedWorkerFailureIsWrittenOnArrival(t *testing.T) {
	cfg := loadShippedConfig(t)
	cfg.EvaluateOnArrival = true
	h := newHarness(t, cfg)
	w := map[string]string{"worker.name": "payment_processor"}

	h.push(workerHealth("payment_processor", "healthy"))
	h.clock.Advance(time.Second)
	h.push(workerHealth("payment_processor", "failed"))
	all := h.sink.AllMetrics()
	require.Len(t, all, 3, "healthy batch; then the alert state, then the failed batch")
	require.True(t, isAlerts(all[1]), "the alert state goes first")
	assert.Equal(t, "firing", stateOf(parseAlerts(t, all[1]), "worker_failure", w), "for 0s: firing on the batch that failed it")
	assert.False(t, isAlerts(all[2]))
	assert.Equal(t, 1, all[2].ResourceMetrics().Len(), "the data passes on unchanged")

	h.clock.Advance(time.Second)
	h.push(workerHealth("payment_processor", "healthy"))
	all = h.sink.AllMetrics()
	require.Len(t, all, 5)
	assert.Equal(t, "resolved", stateOf(parseAlerts(t, all[3]), "worker_failure", w), "resolved on the batch that recovered it")
}

// A batch holding no metric any rule reads is not evaluated: host or agent metrics arriving
// every few seconds cost nothing here.
func TestABatchNoRuleReadsIsNotEvaluated(t *testing.T) {
	cfg := configWith(Rule{Name: "r", Metric: "multiagents.worker.error_rate", Condition: "> 0.1", Severity: "warning", Description: "d"})
	cfg.EvaluateOnArrival = true
	h := newHarness(t, cfg)
	h.push(newMetrics().gauge("system.cpu.utilization", "1", 0.9).build())
	assert.Len(t, h.sink.AllMetrics(), 1, "only the batch itself")
	assert.Zero(t, h.telemetry("otelcol_processor_alert_evaluations"))

	h.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.5).build())
	assert.Len(t, h.sink.AllMetrics(), 3, "the alert state and the batch")
	assert.Equal(t, int64(1), h.telemetry("otelcol_processor_alert_evaluations"))
}

// Evaluations on arrival and on the ticker run concurrently without racing (go test -race), and
// once Shutdown began a late batch is passed on without an evaluation (storage is closed).
func TestArrivalAndTickerEvaluationsDoNotRace(t *testing.T) {
	cfg := configWith(errorRateRule(0, 0))
	cfg.EvaluateOnArrival = true
	cfg.MinEvaluationInterval = 0
	cfg.EvaluationInterval = time.Millisecond
	h := newHarness(t, cfg)
	require.NoError(t, h.proc.Start(context.Background(), componenttest.NewNopHost()))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				v := float64((i+g)%2) * 0.5
				require.NoError(t, h.proc.ConsumeMetrics(context.Background(),
					newMetrics().gauge("multiagents.worker.error_rate", "1", v, "worker.name", "w1").build()))
			}
		}()
	}
	wg.Wait()
	require.NoError(t, h.proc.Shutdown(context.Background()))
	before := len(h.sink.AllMetrics())
	evaluations := h.telemetry("otelcol_processor_alert_evaluations")
	assert.GreaterOrEqual(t, evaluations, int64(800), "every batch was evaluated on arrival")
	h.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "w1").build())
	assert.Len(t, h.sink.AllMetrics(), before+1, "after Shutdown: the batch alone")
	assert.Equal(t, evaluations, h.telemetry("otelcol_processor_alert_evaluations"))
}

// Batches arriving within min_evaluation_interval of the last evaluation on arrival are
// evaluated together once it has passed: five batches at once are two evaluations, and the
// deferred one sees the newest value.
func TestEvaluationsOnArrivalAreAtLeastMinEvaluationIntervalApart(t *testing.T) {
	cfg := configWith(errorRateRule(0, 0))
	cfg.EvaluateOnArrival = true
	cfg.MinEvaluationInterval = 100 * time.Millisecond
	h := newHarness(t, cfg) // the clock stands still: every batch after the first is "too soon"
	w := map[string]string{"worker.name": "w1"}
	for _, v := range []float64{0, 0, 0, 0, 0.5} {
		h.push(newMetrics().gauge("multiagents.worker.error_rate", "1", v, "worker.name", "w1").build())
	}
	assert.Equal(t, int64(1), h.telemetry("otelcol_processor_alert_evaluations"), "the first batch at once, the others wait")
	require.Eventually(t, func() bool { return h.telemetry("otelcol_processor_alert_evaluations") == 2 }, 5*time.Second, 5*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, int64(2), h.telemetry("otelcol_processor_alert_evaluations"), "one deferred evaluation for all four")
	var last []alertPoint
	for _, md := range h.sink.AllMetrics() {
		if isAlerts(md) {
			last = parseAlerts(t, md)
		}
	}
	assert.Equal(t, "firing", stateOf(last, "high_error_rate", w), "the deferred evaluation saw the newest value")
	require.NoError(t, h.proc.Shutdown(context.Background()))
}
