// Package alertmanagerexporter sends the alert instances on multiagents.alerts to Alertmanager's
// API v2 (POST /api/v2/alerts) the way Prometheus does: firing alerts re-sent every
// resend_interval with endsAt ahead of them, resolves re-sent for resolved_resend_for, every
// endpoint of an HA pair receiving every alert. Alertmanager groups, inhibits, silences and
// routes; this exporter does not use the notifiers' grouping.
package alertmanagerexporter

import (
	"context"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/alertmanagerexporter/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

// disabledMessage is logged once at start when no endpoint is configured.
const disabledMessage = "alertmanager: endpoints is empty; sending to Alertmanager disabled"

// NewFactory returns the factory of the alertmanager exporter.
func NewFactory() exporter.Factory { return newFactory(notify.SystemClock) }

// newFactory is NewFactory on the given clock, the exporter's time source for resends and
// expiry.
func newFactory(clock clockwork.Clock) exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithMetrics(func(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
			return createMetrics(ctx, set, cfg, clock)
		}, metadata.MetricsStability),
	)
}

func createDefaultConfig() component.Config {
	queue := exporterhelper.NewDefaultQueueConfig()
	queue.NumConsumers = 1 // one consumer keeps a firing observation before its resolve
	client := confighttp.NewDefaultClientConfig()
	client.Timeout = DefaultTimeout
	return &Config{
		ResendInterval:    DefaultResendInterval,
		ResolvedResendFor: DefaultResolvedResendFor,
		SendMuted:         true,
		MaxTrackedAlerts:  DefaultMaxTrackedAlerts,
		ClientConfig:      client,
		QueueConfig:       configoptional.Some(queue),
		BackOffConfig:     configretry.NewDefaultBackOffConfig(),
	}
}

func createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config, clock clockwork.Clock) (exporter.Metrics, error) {
	c := cfg.(*Config)
	if len(c.endpointList()) == 0 {
		// The notifiers' disabled exporter: accepts data, sends nothing, warns once at start.
		return notify.NewDisabled(set.Logger, disabledMessage).NewMetricsExporter(ctx, set, cfg,
			notify.HelperSettings{Queue: c.QueueConfig, Retry: c.BackOffConfig})
	}
	e, err := newAMExporter(set, c, clock)
	if err != nil {
		return nil, err
	}
	exp, err := exporterhelper.NewMetrics(ctx, set, cfg, e.ConsumeMetrics,
		exporterhelper.WithStart(e.Start),
		exporterhelper.WithShutdown(e.Shutdown),
		// No push timeout: ConsumeMetrics only records; each request is bounded by `timeout`.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{}),
		exporterhelper.WithRetry(c.BackOffConfig),
		exporterhelper.WithQueue(c.QueueConfig),
	)
	if err != nil {
		return nil, err
	}
	return alertsOnly{Metrics: exp, e: e}, nil
}

// alertsOnly lets only multiagents.alerts into the queue: at the end of the one metrics
// pipeline the exporter sees every metric, and the queue (on disk with sending_queue::storage)
// should hold alerts, not a copy of the pipeline.
type alertsOnly struct {
	exporter.Metrics
	e *amExporter
}

func (a alertsOnly) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	alerts, ok := notify.SelectAlerts(md)
	if !ok {
		return nil
	}
	return a.Metrics.ConsumeMetrics(ctx, alerts)
}

// Exporter is the exporter behind the wrapper; tests use it to send what is due.
func (a alertsOnly) Exporter() *amExporter { return a.e }
