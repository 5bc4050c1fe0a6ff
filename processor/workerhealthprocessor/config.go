package workerhealthprocessor

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/metricnames"
)

// Profiles preset the health thresholds; keys written explicitly in the config win over a profile.
const (
	// ProfileGuide follows the monitoring guide (error_rate_threshold 0.1).
	ProfileGuide = "guide"
	// ProfileFramework reproduces the framework's in-process worker monitor's rate thresholds:
	// failed above 50 % errors, degraded above 20 %, healthy again below 10 %.
	ProfileFramework = "framework"
)

// Report windows choose which window the rate and duration series describe.
const (
	ReportPerformance = "performance"
	ReportRecent      = "recent"
)

// Config is the configuration of the worker_health processor.
type Config struct {
	// Profile presets error_rate_threshold, failed_error_rate and recovery_error_rate.
	Profile string `mapstructure:"profile"`
	// HealthCheckInterval is how often every worker is classified (the guide's health_check_interval_seconds).
	HealthCheckInterval time.Duration `mapstructure:"health_check_interval"`
	// InactiveAfter is deprecated and ignored: silence alone no longer fails a worker (an idle
	// worker is healthy). It is still accepted so that existing configurations load; a warning
	// says it has no effect.
	InactiveAfter time.Duration `mapstructure:"inactive_after"`
	// UnresponsiveAfter makes a worker unresponsive (failed) when its oldest command still
	// waiting for a result is this old, even before the command's own timeout_seconds runs
	// out; 0 leaves only the per-command timeout (the receiver's overdue gauge).
	UnresponsiveAfter time.Duration `mapstructure:"unresponsive_after"`
	// MinExecutions is the evidence a rate verdict needs: fewer executions than this in a
	// window give no error-rate state, issue or rate series.
	MinExecutions int `mapstructure:"min_executions"`
	// PerformanceWindow is the long window for success rate and durations (performance_window_minutes).
	PerformanceWindow time.Duration `mapstructure:"performance_window"`
	// RecentWindow is the short window that health states are judged on.
	RecentWindow time.Duration `mapstructure:"recent_window"`
	// ReportWindow is the window the emitted rate and duration gauges describe.
	ReportWindow string `mapstructure:"report_window"`
	// ErrorRateThreshold makes a worker degraded (the guide's error_rate_threshold).
	ErrorRateThreshold float64 `mapstructure:"error_rate_threshold"`
	// FailedErrorRate makes a worker failed.
	FailedErrorRate float64 `mapstructure:"failed_error_rate"`
	// RecoveryErrorRate is the error rate a degraded or failed worker must drop below to leave that state.
	RecoveryErrorRate float64 `mapstructure:"recovery_error_rate"`
	// SlowExecutionThreshold makes a worker degraded when its p95 duration reaches it.
	SlowExecutionThreshold time.Duration `mapstructure:"slow_execution_threshold"`
	// MaxWorkers caps the workers tracked; the least recently seen is evicted past it.
	MaxWorkers int `mapstructure:"max_workers"`
	// WorkerTTL forgets a worker silent for this long.
	WorkerTTL time.Duration `mapstructure:"worker_ttl"`
	// Inputs are the metric sources read as worker executions and durations.
	Inputs []InputConfig `mapstructure:"inputs"`

	_ struct{}
}

// InputConfig maps one metric source onto workers.
type InputConfig struct {
	// ExecutionsMetric is a sum counting executions, one series per worker and status.
	ExecutionsMetric string `mapstructure:"executions_metric"`
	// DurationMetric is an explicit-bucket histogram of execution durations (unit s, ms, us or ns).
	DurationMetric string `mapstructure:"duration_metric"`
	// WorkerAttribute is the data point attribute naming the worker.
	WorkerAttribute string `mapstructure:"worker_attribute"`
	// NamePrefix, when set, selects the points whose worker attribute starts with it and strips it.
	NamePrefix string `mapstructure:"name_prefix"`
	// StatusAttribute is the data point attribute of ExecutionsMetric telling success from error.
	StatusAttribute string `mapstructure:"status_attribute"`
	// ErrorValues are the StatusAttribute values that count as errors; any other value is a success.
	ErrorValues []string `mapstructure:"error_values"`
	// OverdueMetric is a gauge per worker of commands that got no result within their
	// timeout_seconds (the multiagents receiver's multiagents.worker.commands.overdue).
	OverdueMetric string `mapstructure:"overdue_metric"`
	// OldestPendingAgeMetric is a gauge per worker of the age of its oldest command still
	// waiting for a result (multiagents.worker.commands.oldest_pending_age), in s, ms, us or ns.
	OldestPendingAgeMetric string `mapstructure:"oldest_pending_age_metric"`

	_ struct{}
}

// receiverInput reads what the multiagents receiver emits.
func receiverInput() InputConfig {
	return InputConfig{
		ExecutionsMetric: metricnames.WorkerExecutions,
		DurationMetric:   metricnames.WorkerDuration,
		WorkerAttribute:  "worker.name",
		StatusAttribute:  "status",
		ErrorValues:      []string{"error"},

		OverdueMetric:          metricnames.WorkerCommandsOverdue,
		OldestPendingAgeMetric: metricnames.WorkerCommandsOldestPendingAge,
	}
}

// applyProfile presets the thresholds of a profile; unknown profiles are left to Validate.
func (cfg *Config) applyProfile(profile string) {
	switch profile {
	case ProfileGuide:
		cfg.ErrorRateThreshold, cfg.FailedErrorRate, cfg.RecoveryErrorRate = 0.1, 0.5, 0.05
	case ProfileFramework:
		cfg.ErrorRateThreshold, cfg.FailedErrorRate, cfg.RecoveryErrorRate = 0.2, 0.5, 0.1
	}
}

// Unmarshal applies the profile's preset first, so keys written next to it override it.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	if p, ok := conf.Get("profile").(string); ok {
		cfg.applyProfile(p)
	}
	return conf.Unmarshal(cfg)
}

// Validate checks the configuration; each error names the field it is about.
func (cfg *Config) Validate() error {
	var errs []error
	positive := func(name string, d time.Duration) {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive, got %s", name, d))
		}
	}
	ratio := func(name string, v float64) {
		if v <= 0 || v > 1 {
			errs = append(errs, fmt.Errorf("%s: must be in (0, 1], got %g", name, v))
		}
	}
	if cfg.Profile != ProfileGuide && cfg.Profile != ProfileFramework {
		errs = append(errs, fmt.Errorf("profile: must be %q or %q, got %q", ProfileGuide, ProfileFramework, cfg.Profile))
	}
	if cfg.ReportWindow != ReportPerformance && cfg.ReportWindow != ReportRecent {
		errs = append(errs, fmt.Errorf("report_window: must be %q or %q, got %q", ReportPerformance, ReportRecent, cfg.ReportWindow))
	}
	positive("health_check_interval", cfg.HealthCheckInterval)
	if cfg.UnresponsiveAfter < 0 {
		errs = append(errs, fmt.Errorf("unresponsive_after: must be 0 (per-command timeout only) or positive, got %s", cfg.UnresponsiveAfter))
	}
	if cfg.MinExecutions < 1 {
		errs = append(errs, fmt.Errorf("min_executions: must be at least 1, got %d", cfg.MinExecutions))
	}
	positive("performance_window", cfg.PerformanceWindow)
	positive("recent_window", cfg.RecentWindow)
	positive("slow_execution_threshold", cfg.SlowExecutionThreshold)
	positive("worker_ttl", cfg.WorkerTTL)
	ratio("error_rate_threshold", cfg.ErrorRateThreshold)
	ratio("failed_error_rate", cfg.FailedErrorRate)
	ratio("recovery_error_rate", cfg.RecoveryErrorRate)
	if cfg.RecentWindow > cfg.PerformanceWindow {
		errs = append(errs, fmt.Errorf("recent_window: %s must not exceed performance_window %s", cfg.RecentWindow, cfg.PerformanceWindow))
	}
	if cfg.RecoveryErrorRate > cfg.ErrorRateThreshold {
		errs = append(errs, fmt.Errorf("recovery_error_rate: %g must not exceed error_rate_threshold %g", cfg.RecoveryErrorRate, cfg.ErrorRateThreshold))
	}
	if cfg.ErrorRateThreshold > cfg.FailedErrorRate {
		errs = append(errs, fmt.Errorf("error_rate_threshold: %g must not exceed failed_error_rate %g", cfg.ErrorRateThreshold, cfg.FailedErrorRate))
	}
	if cfg.MaxWorkers <= 0 {
		errs = append(errs, fmt.Errorf("max_workers: must be positive, got %d", cfg.MaxWorkers))
	}
	if cfg.WorkerTTL > 0 && cfg.WorkerTTL < cfg.RecentWindow {
		errs = append(errs, fmt.Errorf("worker_ttl: %s must be at least recent_window %s, or a worker is forgotten while its recent window still holds a verdict", cfg.WorkerTTL, cfg.RecentWindow))
	}
	errs = append(errs, validateInputs(cfg.Inputs)...)
	return errors.Join(errs...)
}

func validateInputs(inputs []InputConfig) []error {
	if len(inputs) == 0 {
		return []error{errors.New("inputs: at least one input is required")}
	}
	var errs []error
	readBy := map[string]string{}
	claim := func(field, name string) {
		if prev, dup := readBy[name]; dup {
			errs = append(errs, fmt.Errorf("%s: metric %q is already read by %s", field, name, prev))
			return
		}
		readBy[name] = field
	}
	for i, in := range inputs {
		at := fmt.Sprintf("inputs[%d]", i)
		if in.ExecutionsMetric == "" && in.DurationMetric == "" {
			errs = append(errs, fmt.Errorf("%s: set executions_metric, duration_metric or both", at))
		}
		if in.OverdueMetric != "" {
			claim(at+".overdue_metric", in.OverdueMetric)
		}
		if in.OldestPendingAgeMetric != "" {
			claim(at+".oldest_pending_age_metric", in.OldestPendingAgeMetric)
		}
		if in.WorkerAttribute == "" {
			errs = append(errs, fmt.Errorf("%s.worker_attribute: must not be empty", at))
		}
		if in.ExecutionsMetric != "" {
			claim(at+".executions_metric", in.ExecutionsMetric)
			if in.StatusAttribute == "" {
				errs = append(errs, fmt.Errorf("%s.status_attribute: must not be empty when executions_metric is set", at))
			}
			if len(in.ErrorValues) == 0 {
				errs = append(errs, fmt.Errorf("%s.error_values: must list at least one value when executions_metric is set", at))
			}
		}
		if in.DurationMetric != "" {
			claim(at+".duration_metric", in.DurationMetric)
		}
	}
	return errs
}
