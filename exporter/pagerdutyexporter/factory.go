// Package pagerdutyexporter triggers and resolves PagerDuty incidents (Events API v2) from alert state.
package pagerdutyexporter

import (
	"context"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/pagerdutyexporter/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

// disabledMessage is logged once at start when no routing key is configured.
const disabledMessage = "pagerduty: routing_key is empty; notifications disabled"

// NewFactory returns the factory of the pagerduty exporter.
func NewFactory() exporter.Factory { return newFactory(notify.SystemClock) }

// newFactory is NewFactory on the given clock, the notifier's time source for grouping and
// cooldowns (tests step a clockwork.FakeClock through them).
func newFactory(clock clockwork.Clock) exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithMetrics(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
			return createMetrics(ctx, set, cfg, clock)
		}, metadata.MetricsStability),
		exporter.WithLogs(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
			return createLogs(ctx, set, cfg, clock)
		}, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	queue := exporterhelper.NewDefaultQueueConfig()
	queue.NumConsumers = 1 // one consumer keeps trigger before resolve
	return &Config{
		Endpoint:      DefaultEndpoint,
		Source:        "multiagents-framework",
		Config:        notify.NewDefaultConfig("error", 2),
		TimeoutConfig: exporterhelper.NewDefaultTimeoutConfig(),
		QueueConfig:   configoptional.Some(queue),
		BackOffConfig: configretry.NewDefaultBackOffConfig(),
	}
}

func createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config, clock clockwork.Clock) (exporter.Metrics, error) {
	c := cfg.(*Config)
	n, err := newNotifier(set, c, "metrics", clock)
	if err != nil {
		return nil, err
	}
	return n.NewMetricsExporter(ctx, set, cfg, notify.HelperSettings{Queue: c.QueueConfig, Retry: c.BackOffConfig})
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config, clock clockwork.Clock) (exporter.Logs, error) {
	c := cfg.(*Config)
	n, err := newNotifier(set, c, "logs", clock)
	if err != nil {
		return nil, err
	}
	return n.NewLogsExporter(ctx, set, cfg, notify.HelperSettings{Queue: c.QueueConfig, Retry: c.BackOffConfig})
}

func newNotifier(set exporter.Settings, c *Config, signal string, clock clockwork.Clock) (*notify.Notifier, error) {
	if c.RoutingKey == "" {
		return notify.NewDisabled(set.Logger, disabledMessage), nil
	}
	sender, err := newPagerDutySender(c)
	if err != nil {
		return nil, err
	}
	return notify.New(set, c.Config, sender, notify.Options{
		Destination:  "pagerduty",
		RateLimitKey: c.Endpoint + "\x00" + string(c.RoutingKey),
		Secrets:      []string{string(c.RoutingKey)},
		Signal:       signal,
		Meter:        metadata.Meter(set.TelemetrySettings),
		Retry:        c.BackOffConfig,
		Clock:        clock,
	})
}
