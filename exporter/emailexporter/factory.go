// Package emailexporter sends alert mail over SMTP: the monitoring guide's third notification
// channel, over the same notify core as the slack and pagerduty exporters.
package emailexporter

import (
	"context"
	"time"

	"github.com/jonboulle/clockwork"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/emailexporter/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

// Defaults that differ from the shared ones.
const (
	// defaultGroupWait is longer than the shared 2 s: mail is not the paging channel, and a
	// longer wait gathers a storm into one mail, as the exporter's digest did before grouping.
	defaultGroupWait = 30 * time.Second
	defaultTimeout   = 15 * time.Second // go-mail's own default; SMTP dialogues are slower than a webhook
	// defaultRateLimit bounds how many mails per second leave.
	defaultRateLimit = 10
)

// NewFactory returns the factory of the email exporter.
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
	queue.NumConsumers = 1 // one consumer keeps notifications in order
	shared := notify.NewDefaultConfig("warning", defaultRateLimit)
	shared.GroupWait = defaultGroupWait
	return &Config{
		TLS:           TLSStartTLS,
		Config:        shared,
		TimeoutConfig: exporterhelper.TimeoutConfig{Timeout: defaultTimeout},
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

// newNotifier is the notify core over the SMTP sender: the core's groups make one mail per
// group (what the exporter's own group_wait digest did before grouping moved into the core).
func newNotifier(set exporter.Settings, c *Config, signal string, clock clockwork.Clock) (*notify.Notifier, error) {
	if !c.enabled() {
		return notify.NewDisabled(set.Logger, disabledMessage(c)), nil
	}
	smtp, err := newSMTPSender(c)
	if err != nil {
		return nil, err
	}
	return notify.New(set, c.Config, smtp, notify.Options{
		Destination:  "email",
		RateLimitKey: c.Endpoint,
		Secrets:      secretsOf(c),
		Signal:       signal,
		Retry:        c.BackOffConfig,
		Meter:        metadata.Meter(set.TelemetrySettings),
		Clock:        clock,
	})
}

func disabledMessage(c *Config) string {
	if c.Endpoint == "" {
		return "email: endpoint is empty; notifications disabled"
	}
	return "email: to is empty; notifications disabled"
}
