// Package workerhealthprocessor derives per-worker performance and health from the metrics stream.
package workerhealthprocessor

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/workerhealthprocessor/internal/metadata"
)

// NewFactory returns the factory of the worker_health processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithMetrics(createMetrics, metadata.MetricsStability),
	)
}

// Defaults follow the monitoring guide's worker_monitoring section.
func createDefaultConfig() component.Config {
	return &Config{
		Profile:             ProfileGuide,
		HealthCheckInterval: 30 * time.Second,
		// The framework's default timeout_seconds: a command waiting longer than that is
		// unanswered even when its own timeout is longer (or null, which the receiver reads as 300 s).
		UnresponsiveAfter: 5 * time.Minute,
		// Below 10 executions a single failure is already more than the guide's 10 %
		// error_rate_threshold; see the README.
		MinExecutions:          10,
		PerformanceWindow:      60 * time.Minute,
		RecentWindow:           5 * time.Minute,
		ReportWindow:           ReportPerformance,
		ErrorRateThreshold:     0.1,
		FailedErrorRate:        0.5,
		RecoveryErrorRate:      0.05,
		SlowExecutionThreshold: 5 * time.Second,
		MaxWorkers:             10000,
		WorkerTTL:              24 * time.Hour,
		Inputs:                 []InputConfig{receiverInput()},
	}
}

func createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	return newMetricsProcessor(ctx, set, cfg.(*Config), next, newRealClock())
}

// newMetricsProcessor wires the processor into processorhelper; tests pass their own clock.
func newMetricsProcessor(ctx context.Context, set processor.Settings, cfg *Config, next consumer.Metrics, clk clockwork.Clock) (processor.Metrics, error) {
	p, err := newWorkerHealthProcessor(set, cfg, next, clk)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewMetrics(ctx, set, cfg, next, p.processMetrics,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		processorhelper.WithStart(p.start),
		processorhelper.WithShutdown(p.shutdown))
}
