package notify

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
)

// Config holds the settings every notifier shares. Exporters embed it with
// `mapstructure:",squash"` so that the keys sit at the top level of their configuration.
type Config struct {
	// MinSeverity is the lowest severity notified, for metric alerts and log records alike.
	MinSeverity string `mapstructure:"min_severity"`
	// SendResolved tells when a notified alert resolves.
	SendResolved bool `mapstructure:"send_resolved"`
	// GroupBy are the labels whose values make a group (alertname is a label; "..." alone
	// groups by every label, i.e. one group per alert instance). Empty puts every alert in one group.
	GroupBy []string `mapstructure:"group_by"`
	// GroupWait is how long a new group gathers alerts before its first notification.
	GroupWait time.Duration `mapstructure:"group_wait"`
	// GroupInterval is how long after a group's notification its next change is told.
	GroupInterval time.Duration `mapstructure:"group_interval"`
	// RepeatInterval repeats a still-firing group with nothing new; an alert's cooldown
	// overrides it (the group repeats after the shortest one among its firing alerts).
	RepeatInterval time.Duration `mapstructure:"repeat_interval"`
	// RateLimit is the most notifications per second sent to the destination.
	RateLimit float64 `mapstructure:"rate_limit"`
	// MaxTrackedAlerts bounds the alerts kept across all groups, MaxGroups the groups; past
	// either, the group active longest ago is forgotten (counted in otelcol_notify_evicted).
	MaxTrackedAlerts int `mapstructure:"max_tracked_alerts"`
	MaxGroups        int `mapstructure:"max_groups"`
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

// Grouping defaults. group_wait is short, unlike Alertmanager's 30 s: the alert processor
// writes every alert of one evaluation in one batch, so they arrive together anyway, and each
// second of wait is a second later page. group_interval is 1 m rather than Alertmanager's 5 m:
// it only spaces the updates of a group already told (PagerDuty keeps one incident per group
// whatever the interval), and a worker that joins a failing group should be told within a minute.
const (
	DefaultGroupWait     = 2 * time.Second
	DefaultGroupInterval = time.Minute
)

// groupByAll is the group_by value that groups by every label.
const groupByAll = "..."

// NewDefaultConfig returns the shared defaults with the given minimum severity and rate limit.
func NewDefaultConfig(minSeverity string, rateLimit float64) Config {
	return Config{
		MinSeverity:      minSeverity,
		SendResolved:     true,
		GroupBy:          []string{alertstate.AttrAlertName},
		GroupWait:        DefaultGroupWait,
		GroupInterval:    DefaultGroupInterval,
		RepeatInterval:   4 * time.Hour,
		RateLimit:        rateLimit,
		MaxTrackedAlerts: 10000,
		MaxGroups:        1000,
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
	for i, l := range cfg.GroupBy {
		switch {
		case l == "":
			errs = append(errs, fmt.Errorf("group_by[%d]: must not be empty", i))
		case l == groupByAll && len(cfg.GroupBy) > 1:
			errs = append(errs, fmt.Errorf("group_by[%d]: %q must stand alone", i, groupByAll))
		case slices.Contains(cfg.GroupBy[:i], l):
			errs = append(errs, fmt.Errorf("group_by[%d]: %q is listed twice", i, l))
		}
	}
	if cfg.GroupWait < 0 {
		errs = append(errs, fmt.Errorf("group_wait: must not be negative, got %s", cfg.GroupWait))
	}
	if cfg.GroupInterval <= 0 {
		errs = append(errs, fmt.Errorf("group_interval: must be positive, got %s", cfg.GroupInterval))
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
	if cfg.MaxGroups <= 0 {
		errs = append(errs, fmt.Errorf("max_groups: must be positive, got %d", cfg.MaxGroups))
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
