package alertmanagerexporter

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

// Defaults. resend_interval is Prometheus's resend_delay (1m): well below Alertmanager's
// resolve_timeout (5m), and a firing alert's endsAt is 4 resends ahead, so Alertmanager keeps it
// through three lost resends. resolved_resend_for is the alert processor's resolved_retention
// (15m): an Alertmanager that was down for less than that still learns of the resolve.
const (
	DefaultResendInterval    = time.Minute
	DefaultResolvedResendFor = 15 * time.Minute
	DefaultTimeout           = 10 * time.Second
	DefaultMaxTrackedAlerts  = 10000
)

// Config is the configuration of the alertmanager exporter.
type Config struct {
	// Endpoints are the Alertmanager base URLs (http://am:9093, or with a path prefix); every
	// one receives every alert, as Prometheus sends to each member of an HA pair. A single
	// string is split on commas, so `${env:ALERTMANAGER_URL:-}` can name several; empty entries
	// are dropped, and no endpoint at all switches the exporter off (it logs so at start).
	Endpoints []string `mapstructure:"endpoints"`
	// GeneratorURL is every alert's generatorURL (a link back to where it came from, e.g. a
	// Grafana dashboard); empty sends none.
	GeneratorURL string `mapstructure:"generator_url"`
	// ResendInterval is how often a firing alert, unchanged, is sent again.
	ResendInterval time.Duration `mapstructure:"resend_interval"`
	// ResolvedResendFor is how long a resolved alert keeps being sent (every resend_interval)
	// after it resolved, so an Alertmanager restarted meanwhile still learns of it.
	ResolvedResendFor time.Duration `mapstructure:"resolved_resend_for"`
	// SendMuted sends instances the alert processor muted (alertstate inhibited or silenced) as
	// firing, as Prometheus does: Alertmanager applies its own inhibit_rules and silences.
	SendMuted bool `mapstructure:"send_muted"`
	// MaxTrackedAlerts bounds the alert instances kept; past it, resolved ones go first, then
	// the firing one observed longest ago (counted in otelcol_alertmanager_evicted).
	MaxTrackedAlerts int `mapstructure:"max_tracked_alerts"`
	// Storage names a storage extension (e.g. file_storage) that keeps each instance's startsAt
	// and pending resolves across restarts.
	Storage *component.ID `mapstructure:"storage"`

	// ClientConfig is the HTTP client for every endpoint: timeout, headers, auth (e.g.
	// bearertokenauth or basicauth), tls. Its own `endpoint` key is not used: set `endpoints`.
	ClientConfig  confighttp.ClientConfig                                  `mapstructure:",squash"`
	QueueConfig   configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	BackOffConfig configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	_ struct{}
}

// endpointList is Endpoints with blanks dropped and comma-separated entries split.
func (cfg *Config) endpointList() []string {
	var out []string
	for _, e := range cfg.Endpoints {
		for _, part := range strings.Split(e, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// Validate checks the configuration; each error names its key. Endpoint URLs are never quoted
// (they may carry credentials).
func (cfg *Config) Validate() error {
	var errs []error
	seen := make(map[string]bool)
	for i, e := range cfg.endpointList() {
		u, err := url.Parse(e)
		switch {
		case err != nil || u.Hostname() == "" || (u.Scheme != "http" && u.Scheme != "https"):
			errs = append(errs, fmt.Errorf("endpoints[%d]: not an http(s) URL with a host", i))
		case u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, fmt.Errorf("endpoints[%d]: must be a base URL without query or fragment", i))
		case seen[redactedEndpoint(u)]:
			errs = append(errs, fmt.Errorf("endpoints[%d]: %s is listed twice", i, redactedEndpoint(u)))
		default:
			seen[redactedEndpoint(u)] = true
		}
	}
	if cfg.ClientConfig.Endpoint != "" {
		errs = append(errs, errors.New("endpoint: not used by this exporter; list the Alertmanager base URLs in endpoints"))
	}
	if cfg.GeneratorURL != "" {
		if u, err := url.Parse(cfg.GeneratorURL); err != nil || !u.IsAbs() {
			errs = append(errs, fmt.Errorf("generator_url: %q is not an absolute URL", cfg.GeneratorURL))
		}
	}
	if cfg.ResendInterval <= 0 {
		errs = append(errs, fmt.Errorf("resend_interval: must be positive, got %s", cfg.ResendInterval))
	}
	if cfg.ResolvedResendFor < 0 {
		errs = append(errs, fmt.Errorf("resolved_resend_for: must not be negative, got %s", cfg.ResolvedResendFor))
	}
	if cfg.MaxTrackedAlerts <= 0 {
		errs = append(errs, fmt.Errorf("max_tracked_alerts: must be positive, got %d", cfg.MaxTrackedAlerts))
	}
	errs = append(errs, notify.ValidateHelper(cfg.QueueConfig, cfg.ClientConfig.Timeout)...)
	return errors.Join(errs...)
}

// redactedEndpoint is an endpoint as logs and telemetry show it: scheme, host and path, never
// the user info (basic-auth credentials) nor a query.
func redactedEndpoint(u *url.URL) string {
	return u.Scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/")
}
