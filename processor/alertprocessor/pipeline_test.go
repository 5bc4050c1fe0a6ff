package alertprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/workerhealthprocessor"
)

// The shipped worker_failure rule reads what the real worker_health processor writes:
// receiver-shaped execution counters → worker_health → alert → sink, on real tickers with
// short intervals. Errors make the worker failed and the alert fire; successes recover it.
func TestWorkerFailureThroughWorkerHealth(t *testing.T) {
	alertCfg := loadShippedConfig(t)
	alertCfg.EvaluationInterval = 50 * time.Millisecond
	sink := new(consumertest.MetricsSink)
	ctx := context.Background()
	alerts, err := NewFactory().CreateMetrics(ctx, processortest.NewNopSettings(metadata.Type), alertCfg, sink)
	require.NoError(t, err)

	healthFactory := workerhealthprocessor.NewFactory()
	healthCfg := healthFactory.CreateDefaultConfig()
	// Seconds instead of minutes; everything else as shipped.
	cm := map[string]any{
		"health_check_interval": "50ms",
		"recent_window":         "1s",
		"performance_window":    "2s",
		"inactive_after":        "1h",
	}
	require.NoError(t, confmapFromMap(cm).Unmarshal(healthCfg))
	health, err := healthFactory.CreateMetrics(ctx, processortest.NewNopSettings(healthFactory.Type()), healthCfg, alerts)
	require.NoError(t, err)

	host := componenttest.NewNopHost()
	require.NoError(t, alerts.Start(ctx, host))
	require.NoError(t, health.Start(ctx, host))
	t.Cleanup(func() {
		require.NoError(t, health.Shutdown(ctx))
		require.NoError(t, alerts.Shutdown(ctx))
	})

	start := time.Now()
	var ok, failed int64
	send := func(okInc, errInc int64) {
		ok += okInc
		failed += errInc
		require.NoError(t, health.ConsumeMetrics(ctx, newMetrics().
			counter("multiagents.worker.executions", "{execution}", ok, start, "worker.name", "payment_processor", "status", "success").
			counter("multiagents.worker.executions", "{execution}", failed, start, "worker.name", "payment_processor", "status", "error").build()))
	}
	latest := func() string {
		all := sink.AllMetrics()
		for i := len(all) - 1; i >= 0; i-- {
			rm := all[i].ResourceMetrics()
			if rm.Len() == 1 && rm.At(0).ScopeMetrics().Len() == 1 && rm.At(0).ScopeMetrics().At(0).Scope().Name() == metadata.ScopeName {
				return stateOf(parseAlerts(t, all[i]), "worker_failure", map[string]string{"worker.name": "payment_processor"})
			}
		}
		return ""
	}
	waitFor := func(want string, okInc, errInc int64) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			send(okInc, errInc)
			if latest() == want {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("worker_failure did not become %q", want)
	}
	waitFor("firing", 1, 9)
	waitFor("resolved", 20, 0)
	assert.Equal(t, "resolved", latest())
}

func confmapFromMap(m map[string]any) *confmap.Conf { return confmap.NewFromStringMap(m) }
