// Package alertprocessor evaluates alert rules over the metrics stream and writes alert state into it.
package alertprocessor

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
)

// NewFactory returns the factory of the alert processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(
		metadata.Type,
		createDefaultConfig,
		processor.WithMetrics(createMetrics, metadata.MetricsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		EvaluationInterval: 15 * time.Second,
		StaleAfter:         5 * time.Minute,
		ResolvedRetention:  15 * time.Minute,
		MaxInstances:       10000,
	}
}

func createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	// Placeholder at this stage: metrics pass through unchanged and no rule is evaluated.
	return processorhelper.NewMetrics(ctx, set, cfg, next,
		func(_ context.Context, md pmetric.Metrics) (pmetric.Metrics, error) { return md, nil },
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}))
}
