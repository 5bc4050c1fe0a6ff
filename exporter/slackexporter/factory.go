// Package slackexporter notifies a Slack incoming webhook about alert state changes.
package slackexporter

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/slackexporter/internal/metadata"
)

// NewFactory returns the factory of the slack exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithMetrics(createMetrics, metadata.MetricsStability),
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	queue := exporterhelper.NewDefaultQueueConfig()
	queue.NumConsumers = 1 // one consumer keeps notifications in order
	return &Config{
		SendResolved:   true,
		RepeatInterval: 4 * time.Hour,
		RateLimit:      1,
		TimeoutConfig:  exporterhelper.NewDefaultTimeoutConfig(),
		QueueConfig:    configoptional.Some(queue),
		BackOffConfig:  configretry.NewDefaultBackOffConfig(),
	}
}

func createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	c := cfg.(*Config)
	// Placeholder at this stage: accepts and drops; notifications come with the notifier issue.
	return exporterhelper.NewMetrics(ctx, set, cfg,
		func(context.Context, pmetric.Metrics) error { return nil },
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithRetry(c.BackOffConfig),
		exporterhelper.WithQueue(c.QueueConfig))
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	return exporterhelper.NewLogs(ctx, set, cfg,
		func(context.Context, plog.Logs) error { return nil },
		exporterhelper.WithTimeout(c.TimeoutConfig),
		exporterhelper.WithRetry(c.BackOffConfig),
		exporterhelper.WithQueue(c.QueueConfig))
}
