package alertprocessor

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config is the configuration of the alert processor.
type Config struct {
	// EvaluationInterval is how often every rule is evaluated, on the processor's own ticker.
	EvaluationInterval time.Duration `mapstructure:"evaluation_interval"`
	// StaleAfter drops a series from evaluation when it has not been seen for this long.
	StaleAfter time.Duration `mapstructure:"stale_after"`
	// ResolvedRetention is how long a resolved instance keeps being written before it is forgotten.
	ResolvedRetention time.Duration `mapstructure:"resolved_retention"`
	// MaxInstances caps the alert instances held across all rules.
	MaxInstances int `mapstructure:"max_instances"`
	// Rules are the alert rules.
	Rules []Rule `mapstructure:"rules"`

	_ struct{}
}

// Rule is one alert rule.
type Rule struct {
	Name          string            `mapstructure:"name"`
	Kind          string            `mapstructure:"kind"` // threshold (default) | absent
	Metric        string            `mapstructure:"metric"`
	Match         map[string]string `mapstructure:"match"`
	GroupBy       []string          `mapstructure:"group_by"`
	Function      string            `mapstructure:"function"`
	Quantile      float64           `mapstructure:"quantile"`
	Window        time.Duration     `mapstructure:"window"`
	Aggregate     string            `mapstructure:"aggregate"`
	Condition     string            `mapstructure:"condition"`
	For           time.Duration     `mapstructure:"for"`
	KeepFiringFor time.Duration     `mapstructure:"keep_firing_for"`
	Severity      string            `mapstructure:"severity"`
	Cooldown      time.Duration     `mapstructure:"cooldown"`
	Description   string            `mapstructure:"description"`
}

var (
	validSeverities = map[string]bool{"info": true, "warning": true, "error": true, "critical": true}
	validFunctions  = map[string]bool{"value": true, "rate": true, "increase": true, "avg": true, "quantile": true}
	validAggregates = map[string]bool{"avg": true, "min": true, "max": true, "sum": true, "count": true}
	validKinds      = map[string]bool{"threshold": true, "absent": true}
	validOperators  = []string{">=", "<=", "==", "!=", ">", "<"}
)

// ParseCondition splits a condition such as "> 0.1" into its operator and threshold.
func ParseCondition(cond string) (op string, threshold float64, err error) {
	cond = strings.TrimSpace(cond)
	for _, candidate := range validOperators {
		if strings.HasPrefix(cond, candidate) {
			threshold, err = strconv.ParseFloat(strings.TrimSpace(cond[len(candidate):]), 64)
			if err != nil {
				return "", 0, fmt.Errorf("threshold in %q is not a number", cond)
			}
			return candidate, threshold, nil
		}
	}
	return "", 0, fmt.Errorf("%q does not start with one of %s", cond, strings.Join(validOperators, " "))
}

// Validate checks the configuration; each error names the rule and field it is about.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.EvaluationInterval <= 0 {
		errs = append(errs, fmt.Errorf("evaluation_interval: must be positive, got %s", cfg.EvaluationInterval))
	}
	if cfg.StaleAfter <= 0 {
		errs = append(errs, fmt.Errorf("stale_after: must be positive, got %s", cfg.StaleAfter))
	}
	if cfg.ResolvedRetention < 0 {
		errs = append(errs, fmt.Errorf("resolved_retention: must not be negative, got %s", cfg.ResolvedRetention))
	}
	if cfg.MaxInstances <= 0 {
		errs = append(errs, fmt.Errorf("max_instances: must be positive, got %d", cfg.MaxInstances))
	}
	seen := map[string]bool{}
	for i, r := range cfg.Rules {
		where := fmt.Sprintf("rules[%d]", i)
		if r.Name == "" {
			errs = append(errs, fmt.Errorf("%s.name: must not be empty", where))
		} else {
			where = fmt.Sprintf("rules[%d] (%s)", i, r.Name)
			if seen[r.Name] {
				errs = append(errs, fmt.Errorf("%s.name: duplicate rule name %q", where, r.Name))
			}
			seen[r.Name] = true
		}
		errs = append(errs, r.validate(where)...)
	}
	return errors.Join(errs...)
}

func (r *Rule) validate(where string) []error {
	var errs []error
	kind := r.Kind
	if kind == "" {
		kind = "threshold"
	}
	if !validKinds[kind] {
		errs = append(errs, fmt.Errorf("%s.kind: %q is not one of threshold, absent", where, r.Kind))
	}
	if r.Metric == "" {
		errs = append(errs, fmt.Errorf("%s.metric: must not be empty", where))
	}
	if !validSeverities[r.Severity] {
		errs = append(errs, fmt.Errorf("%s.severity: %q is not one of info, warning, error, critical", where, r.Severity))
	}
	if r.For < 0 || r.KeepFiringFor < 0 || r.Cooldown < 0 || r.Window < 0 {
		errs = append(errs, fmt.Errorf("%s: for, keep_firing_for, cooldown and window must not be negative", where))
	}
	if kind == "absent" {
		return errs
	}
	if r.Function != "" && !validFunctions[r.Function] {
		errs = append(errs, fmt.Errorf("%s.function: %q is not one of value, rate, increase, avg, quantile", where, r.Function))
	}
	if r.Aggregate != "" && !validAggregates[r.Aggregate] {
		errs = append(errs, fmt.Errorf("%s.aggregate: %q is not one of avg, min, max, sum, count", where, r.Aggregate))
	}
	switch r.Function {
	case "rate", "increase", "avg":
		if r.Window <= 0 {
			errs = append(errs, fmt.Errorf("%s.window: function %s needs a positive window", where, r.Function))
		}
	case "quantile":
		if r.Quantile <= 0 || r.Quantile >= 1 {
			errs = append(errs, fmt.Errorf("%s.quantile: must be in (0, 1), got %g", where, r.Quantile))
		}
	}
	if _, _, err := ParseCondition(r.Condition); err != nil {
		errs = append(errs, fmt.Errorf("%s.condition: %w", where, err))
	}
	return errs
}
