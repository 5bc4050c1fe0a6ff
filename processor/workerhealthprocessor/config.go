package workerhealthprocessor

import (
	"errors"
	"fmt"
	"time"
)

// Config is the configuration of the worker_health processor.
type Config struct {
	// HealthCheckInterval is how often every worker is classified (the guide's health_check_interval_seconds).
	HealthCheckInterval time.Duration `mapstructure:"health_check_interval"`
	// PerformanceWindow is the long window for success rate and durations (performance_window_minutes).
	PerformanceWindow time.Duration `mapstructure:"performance_window"`
	// RecentWindow is the short window that health states are judged on.
	RecentWindow time.Duration `mapstructure:"recent_window"`
	// ErrorRateThreshold makes a worker degraded (the guide's error_rate_threshold).
	ErrorRateThreshold float64 `mapstructure:"error_rate_threshold"`
	// FailedErrorRate makes a worker failed.
	FailedErrorRate float64 `mapstructure:"failed_error_rate"`
	// RecoveryErrorRate is the error rate a degraded or failed worker must drop below to be healthy again.
	RecoveryErrorRate float64 `mapstructure:"recovery_error_rate"`
	// SlowExecutionThreshold makes a worker degraded when its p95 duration reaches it.
	SlowExecutionThreshold time.Duration `mapstructure:"slow_execution_threshold"`
	// MaxWorkers caps the workers tracked; the least recently seen is evicted past it.
	MaxWorkers int `mapstructure:"max_workers"`
	// WorkerTTL forgets a worker silent for this long.
	WorkerTTL time.Duration `mapstructure:"worker_ttl"`

	_ struct{}
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
	positive("health_check_interval", cfg.HealthCheckInterval)
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
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}
