// Package workerhealthprocessor derives per-worker performance and health from the metrics stream.
package workerhealthprocessor

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pmetric"
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
		HealthCheckInterval:    30 * time.Second,
		PerformanceWindow:      60 * time.Minute,
		RecentWindow:           5 * time.Minute,
		ErrorRateThreshold:     0.1,
		FailedErrorRate:        0.5,
		RecoveryErrorRate:      0.05,
		SlowExecutionThreshold: 5 * time.Second,
		MaxWorkers:             10000,
		WorkerTTL:              24 * time.Hour,
	}
}

func createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	// Placeholder at this stage: metrics pass through unchanged.
	return processorhelper.NewMetrics(ctx, set, cfg, next,
		func(_ context.Context, md pmetric.Metrics) (pmetric.Metrics, error) { return md, nil },
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}))
}
