// Package alertprocessor evaluates alert rules over the metrics stream and writes alert state into it.
package alertprocessor

import (
	"context"
	"errors"
	"time"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
)

var errNoConfig = errors.New("alert processor: configuration is not *alertprocessor.Config")

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
		EvaluationInterval:    15 * time.Second,
		EvaluateOnArrival:     true,
		MinEvaluationInterval: time.Second,
		StaleAfter:            5 * time.Minute,
		ResolvedRetention:     15 * time.Minute,
		MaxInstances:          10000,
		MaxSeries:             100000,
		MaxTraceIDs:           3,
		// A ratio over fewer than 10 observations is a verdict on one or two events: with the
		// usual 10% threshold, one failure among 9 would already exceed it.
		MinSamples: 10,
	}
}

func createMetrics(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics) (processor.Metrics, error) {
	mp, err := newMetricsProcessor(ctx, set, cfg, next, clockwork.NewRealClock())
	if err != nil {
		return nil, err
	}
	return mp, nil
}

// newMetricsProcessor builds the processor with the given clock (tests inject theirs).
func newMetricsProcessor(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Metrics, clock clockwork.Clock) (*metricsProcessor, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, errNoConfig
	}
	p, err := newAlertProcessor(set, c, next, clock)
	if err != nil {
		return nil, err
	}
	wrapped, err := processorhelper.NewMetrics(ctx, set, cfg, next, p.consume,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		processorhelper.WithStart(p.start),
		processorhelper.WithShutdown(p.shutdown))
	if err != nil {
		return nil, err
	}
	return &metricsProcessor{Metrics: wrapped, alerts: p}, nil
}

// metricsProcessor is the processor as the collector sees it, keeping a handle on the rule
// evaluator for tests.
type metricsProcessor struct {
	processor.Metrics
	alerts *alertProcessor
}
