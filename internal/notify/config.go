package notify

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
)

// Config holds the settings every notifier shares. Exporters embed it with
// `mapstructure:",squash"` so that the keys sit at the top level of their configuration.
type Config struct {
	// MinSeverity is the lowest severity notified, for metric alerts and log records alike.
	MinSeverity string `mapstructure:"min_severity"`
	// SendResolved tells when a notified alert resolves.
	SendResolved bool `mapstructure:"send_resolved"`
	// RepeatInterval repeats a still-firing alert that carries no cooldown of its own.
	RepeatInterval time.Duration `mapstructure:"repeat_interval"`
	// RateLimit is the most notifications per second sent to the destination.
	RateLimit float64 `mapstructure:"rate_limit"`
	// MaxTrackedAlerts bounds the bookkeeping; past it the alert notified longest ago is forgotten.
	MaxTrackedAlerts int `mapstructure:"max_tracked_alerts"`
	// Storage names a storage extension (e.g. file_storage) that keeps the bookkeeping across restarts.
	Storage *component.ID `mapstructure:"storage"`
	// LogAlerts says how a log record becomes an alert.
	LogAlerts LogAlertsConfig `mapstructure:"log_alerts"`

	_ struct{}
}

// LogAlertsConfig says how log records are read as alerts.
type LogAlertsConfig struct {
	// NameAttribute names the alert; a record without it is named by its body.
	NameAttribute string `mapstructure:"name_attribute"`
	// FingerprintAttributes, with the alert name, identify the instance when the record carries
	// no fingerprint attribute; their values are also shown as the alert's labels.
	FingerprintAttributes []string `mapstructure:"fingerprint_attributes"`

	_ struct{}
}

// NewDefaultConfig returns the shared defaults with the given minimum severity and rate limit.
func NewDefaultConfig(minSeverity string, rateLimit float64) Config {
	return Config{
		MinSeverity:      minSeverity,
		SendResolved:     true,
		RepeatInterval:   4 * time.Hour,
		RateLimit:        rateLimit,
		MaxTrackedAlerts: 10000,
		LogAlerts: LogAlertsConfig{
			NameAttribute:         "alertname",
			FingerprintAttributes: []string{"worker.name"},
		},
	}
}

// Validate checks the shared settings; each error names its field.
func (cfg *Config) Validate() error {
	var errs []error
	if _, err := ParseSeverity(cfg.MinSeverity); err != nil {
		errs = append(errs, fmt.Errorf("min_severity: %w", err))
	}
	if cfg.RepeatInterval <= 0 {
		errs = append(errs, fmt.Errorf("repeat_interval: must be positive, got %s", cfg.RepeatInterval))
	}
	if cfg.RateLimit <= 0 {
		errs = append(errs, fmt.Errorf("rate_limit: must be positive, got %g", cfg.RateLimit))
	}
	if cfg.MaxTrackedAlerts <= 0 {
		errs = append(errs, fmt.Errorf("max_tracked_alerts: must be positive, got %d", cfg.MaxTrackedAlerts))
	}
	if cfg.LogAlerts.NameAttribute == "" {
		errs = append(errs, errors.New("log_alerts.name_attribute: must not be empty"))
	}
	for i, attr := range cfg.LogAlerts.FingerprintAttributes {
		if attr == "" {
			errs = append(errs, fmt.Errorf("log_alerts.fingerprint_attributes[%d]: must not be empty", i))
		}
	}
	return errors.Join(errs...)
}

// minSeverity is MinSeverity parsed; Validate has checked it.
func (cfg *Config) minSeverity() Severity {
	sev, err := ParseSeverity(cfg.MinSeverity)
	if err != nil {
		return SeverityInfo
	}
	return sev
}
