// Package emailexporter sends alert mail over SMTP: the monitoring guide's third notification
// channel, over the same notify core as the slack and pagerduty exporters.
package emailexporter

import (
	"context"
	"time"

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
	defaultGroupWait = 30 * time.Second
	defaultTimeout   = 15 * time.Second // go-mail's own default; SMTP dialogues are slower than a webhook
	// defaultRateLimit bounds how many notifications per second become mails (or join a digest).
	defaultRateLimit = 10
)

// clock is the notifier's time source for cooldowns; tests replace it to step through them.
var clock = time.Now

// NewFactory returns the factory of the email exporter.
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
		TLS:           TLSStartTLS,
		GroupWait:     defaultGroupWait,
		Config:        notify.NewDefaultConfig("warning", defaultRateLimit),
		TimeoutConfig: exporterhelper.TimeoutConfig{Timeout: defaultTimeout},
		QueueConfig:   configoptional.Some(queue),
		BackOffConfig: configretry.NewDefaultBackOffConfig(),
	}
}

func createMetrics(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Metrics, error) {
	c := cfg.(*Config)
	e, err := newEmailNotifier(set, c, "metrics")
	if err != nil {
		return nil, err
	}
	return e.notifier.NewMetricsExporter(ctx, set, cfg, e.helperSettings(c))
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	e, err := newEmailNotifier(set, c, "logs")
	if err != nil {
		return nil, err
	}
	return e.notifier.NewLogsExporter(ctx, set, cfg, e.helperSettings(c))
}

// emailNotifier is the notify core over the SMTP sender, with the digest between them when
// group_wait is set.
type emailNotifier struct {
	notifier *notify.Notifier
	digest   *digest // nil when group_wait is zero or the exporter is disabled
}

func newEmailNotifier(set exporter.Settings, c *Config, signal string) (*emailNotifier, error) {
	if !c.enabled() {
		return &emailNotifier{notifier: notify.NewDisabled(set.Logger, disabledMessage(c))}, nil
	}
	smtp, err := newSMTPSender(c)
	if err != nil {
		return nil, err
	}
	e := &emailNotifier{}
	var sender notify.Sender = smtp
	meter := metadata.Meter(set.TelemetrySettings)
	if c.GroupWait > 0 {
		if e.digest, err = newDigest(c.GroupWait, c.BackOffConfig, smtp.deliver, set.Logger, meter); err != nil {
			return nil, err
		}
		sender = e.digest
	}
	e.notifier, err = notify.New(set, c.Config, sender, notify.Options{
		Destination:  "email",
		RateLimitKey: c.Endpoint,
		Secrets:      secretsOf(c),
		Signal:       signal,
		Meter:        meter,
		Now:          clock,
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

func disabledMessage(c *Config) string {
	if c.Endpoint == "" {
		return "email: endpoint is empty; notifications disabled"
	}
	return "email: to is empty; notifications disabled"
}

func (e *emailNotifier) start(ctx context.Context, host component.Host) error {
	if e.digest != nil {
		e.digest.Start()
	}
	return e.notifier.Start(ctx, host)
}

// shutdown sends what the digest still holds before the core closes its storage.
func (e *emailNotifier) shutdown(ctx context.Context) error {
	if e.digest != nil {
		_ = e.digest.Shutdown(ctx)
	}
	return e.notifier.Shutdown(ctx)
}

// helperSettings hands exporterhelper the digest-aware start and shutdown.
func (e *emailNotifier) helperSettings(c *Config) notify.HelperSettings {
	return notify.HelperSettings{Queue: c.QueueConfig, Retry: c.BackOffConfig, Start: e.start, Shutdown: e.shutdown}
}
