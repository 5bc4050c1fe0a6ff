package pagerdutyexporter

import (
	"errors"
	"fmt"
	"net/url"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/pagerdutyapi"
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
	// Source is the event's payload.source.
	Source string `mapstructure:"source"`
	// Client and ClientURL name the monitoring tool in the incident.
	Client    string `mapstructure:"client"`
	ClientURL string `mapstructure:"client_url"`
	// TraceURLTemplate makes a link (the event's links) of each trace id the alerts carry:
	// Go text/template over {{ .TraceID }}. Empty: the ids are only in custom_details.
	TraceURLTemplate string `mapstructure:"trace_url_template"`

	// The settings every notifier shares: min_severity (default error, as the guide pages error
	// and critical), send_resolved, repeat_interval, rate_limit, max_tracked_alerts, storage, log_alerts.
	notify.Config `mapstructure:",squash"`

	TimeoutConfig exporterhelper.TimeoutConfig                             `mapstructure:",squash"`
	QueueConfig   configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	BackOffConfig configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	_ struct{}
}

// Validate checks the configuration; each error names the field. The routing key is never quoted.
func (cfg *Config) Validate() error {
	var errs []error
	if n := len(cfg.RoutingKey); n != 0 && n != pagerdutyapi.RoutingKeyLength {
		errs = append(errs, fmt.Errorf("routing_key: must be %d characters, got %d", pagerdutyapi.RoutingKeyLength, n))
	}
	if !isHTTPURL(cfg.Endpoint) {
		errs = append(errs, fmt.Errorf("endpoint: %q is not an http(s) URL", cfg.Endpoint))
	}
	if cfg.Source == "" {
		errs = append(errs, errors.New("source: must not be empty"))
	}
	if cfg.ClientURL != "" && !isHTTPURL(cfg.ClientURL) {
		errs = append(errs, fmt.Errorf("client_url: %q is not an http(s) URL", cfg.ClientURL))
	}
	if _, err := notify.ParseTraceURLTemplate(cfg.TraceURLTemplate); err != nil {
		errs = append(errs, fmt.Errorf("trace_url_template: %w", err))
	}
	errs = append(errs, notify.ValidateHelper(cfg.QueueConfig, cfg.TimeoutConfig.Timeout)...)
	return errors.Join(errs...)
}

func isHTTPURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http")
}
