package pagerdutyexporter

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// DefaultEndpoint is PagerDuty's Events API v2 enqueue URL.
const DefaultEndpoint = "https://events.pagerduty.com/v2/enqueue"

// Config is the configuration of the pagerduty exporter.
type Config struct {
	// RoutingKey is the Events API v2 integration key (32 characters). Empty disables the
	// exporter (it logs so at start), like the guide's handler without PAGERDUTY_INTEGRATION_KEY.
	RoutingKey configopaque.String `mapstructure:"routing_key"`
	// Endpoint is the Events API URL; override it only for tests or a proxy.
	Endpoint string `mapstructure:"endpoint"`
	// MinSeverity is the lowest alert severity that pages (the guide pages error and critical).
	MinSeverity string `mapstructure:"min_severity"`
	// Source is the event's payload.source.
	Source string `mapstructure:"source"`
	// Client and ClientURL name the monitoring tool in the incident.
	Client    string `mapstructure:"client"`
	ClientURL string `mapstructure:"client_url"`
	// SendResolved resolves the incident when the alert resolves.
	SendResolved bool `mapstructure:"send_resolved"`
	// RepeatInterval re-triggers a still-firing alert that has no cooldown of its own.
	RepeatInterval time.Duration `mapstructure:"repeat_interval"`
	// RateLimit is the most events per second sent.
	RateLimit float64 `mapstructure:"rate_limit"`

	TimeoutConfig exporterhelper.TimeoutConfig                             `mapstructure:",squash"`
	QueueConfig   configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	BackOffConfig configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	_ struct{}
}

var severities = map[string]bool{"info": true, "warning": true, "error": true, "critical": true}

// Validate checks the configuration; each error names the field. The routing key is never quoted.
func (cfg *Config) Validate() error {
	var errs []error
	if n := len(cfg.RoutingKey); n != 0 && n != 32 {
		errs = append(errs, fmt.Errorf("routing_key: must be 32 characters, got %d", n))
	}
	if u, err := url.Parse(cfg.Endpoint); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		errs = append(errs, fmt.Errorf("endpoint: %q is not an http(s) URL", cfg.Endpoint))
	}
	if !severities[cfg.MinSeverity] {
		errs = append(errs, fmt.Errorf("min_severity: %q is not one of info, warning, error, critical", cfg.MinSeverity))
	}
	if cfg.Source == "" {
		errs = append(errs, errors.New("source: must not be empty"))
	}
	if cfg.RepeatInterval <= 0 {
		errs = append(errs, fmt.Errorf("repeat_interval: must be positive, got %s", cfg.RepeatInterval))
	}
	if cfg.RateLimit <= 0 {
		errs = append(errs, fmt.Errorf("rate_limit: must be positive, got %g", cfg.RateLimit))
	}
	return errors.Join(errs...)
}
