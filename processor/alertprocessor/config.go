package alertprocessor

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertlabel"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/metricnames"
)

// Config is the configuration of the alert processor.
type Config struct {
	// EvaluationInterval is how often every rule is evaluated, on the processor's own ticker:
	// what moves time-driven transitions (for, keep_firing_for, absent, staleness) when no
	// data arrives.
	EvaluationInterval time.Duration `mapstructure:"evaluation_interval"`
	// EvaluateOnArrival also evaluates every rule as soon as a batch holding a metric some rule
	// reads arrives, so an alert is written with the data that made it, not up to
	// evaluation_interval later.
	EvaluateOnArrival bool `mapstructure:"evaluate_on_arrival"`
	// MinEvaluationInterval keeps evaluations on arrival at least this far apart: a batch that
	// arrives sooner is evaluated once it has passed (with whatever else arrived meanwhile), so
	// metrics arriving many times a second cost a few evaluations, not one each.
	MinEvaluationInterval time.Duration `mapstructure:"min_evaluation_interval"`
	// StaleAfter drops a series from evaluation when it has not been seen for this long.
	StaleAfter time.Duration `mapstructure:"stale_after"`
	// ResolvedRetention is how long a resolved instance keeps being written before it is forgotten.
	ResolvedRetention time.Duration `mapstructure:"resolved_retention"`
	// MaxInstances caps the alert instances held across all rules.
	MaxInstances int `mapstructure:"max_instances"`
	// MaxSeries caps the input series the processor remembers across all rules' metrics.
	MaxSeries int `mapstructure:"max_series"`
	// MinSamples is the evidence a ratio rule needs unless it sets its own min_samples: the
	// denominator's increase within the rule's window. Below it the group has no value.
	MinSamples int `mapstructure:"min_samples"`
	// Storage names a storage extension (e.g. file_storage) that keeps firing and resolved
	// instances across restarts, so an alert that clears while the collector is down still
	// gets its resolved state written. Unset: alert state lives in memory only.
	Storage *component.ID `mapstructure:"storage"`
	// Silences names a silences extension: a firing instance that one of its active silences
	// matches is written alertstate "silenced". Unset: no silences.
	Silences *component.ID `mapstructure:"silences"`
	// Rules are the alert rules.
	Rules []Rule `mapstructure:"rules"`
	// InhibitRules mute firing alerts while another alert fires, with Alertmanager's semantics.
	InhibitRules []InhibitRule `mapstructure:"inhibit_rules"`
	// MaxTraceIDs bounds the exemplars (trace links of failing transactions) kept per input
	// series and written per alert instance, newest first; 0 keeps none.
	MaxTraceIDs int `mapstructure:"max_trace_ids"`

	_ struct{}
}

// Rule is one alert rule.
type Rule struct {
	// Name is the rule's name, written as the alertname attribute; unique.
	Name string `mapstructure:"name"`
	// Kind is threshold (the default) or absent.
	Kind string `mapstructure:"kind"`
	// Metric is the name of the metric whose series the rule reads.
	Metric string `mapstructure:"metric"`
	// Match selects series by attribute: "v" equals, "=~re" matches, "!=v" differs, "!~re" does not match.
	Match map[string]string `mapstructure:"match"`
	// GroupBy names the attributes that make one alert instance per distinct value set.
	GroupBy []string `mapstructure:"group_by"`
	// Function is applied to each series: value (default), rate, increase, avg, quantile, ratio.
	Function string `mapstructure:"function"`
	// RatioMatch selects, among the group's series, the numerator of function ratio (same
	// value forms as Match); the denominator is all the group's series.
	RatioMatch map[string]string `mapstructure:"ratio_match"`
	// MinSamples overrides the processor's min_samples for this ratio rule (0: inherit).
	MinSamples int `mapstructure:"min_samples"`
	// Quantile is the quantile in (0, 1) for function quantile.
	Quantile float64 `mapstructure:"quantile"`
	// Window is the look-back of rate, increase, avg, quantile and of absent rules.
	Window time.Duration `mapstructure:"window"`
	// Aggregate combines the series of one group: avg, min, max (default), sum, count.
	Aggregate string `mapstructure:"aggregate"`
	// Condition compares the group's value with a threshold, e.g. "> 0.1".
	Condition string `mapstructure:"condition"`
	// For is how long the condition must hold before the instance fires.
	For time.Duration `mapstructure:"for"`
	// KeepFiringFor keeps a firing instance firing this long after its condition cleared.
	KeepFiringFor time.Duration `mapstructure:"keep_firing_for"`
	// Severity is info, warning, error or critical.
	Severity string `mapstructure:"severity"`
	// Cooldown is passed to the notifiers: how long before a still-firing alert is repeated.
	Cooldown time.Duration `mapstructure:"cooldown"`
	// Description is written on every instance; "{{ label }}" is replaced by a group label's value.
	Description string `mapstructure:"description"`
	// Labels are static labels written on every instance. Like the group labels they identify
	// the alert (they are part of its fingerprint), e.g. team: payments.
	Labels map[string]string `mapstructure:"labels"`
	// Annotations describe the alert without identifying it (summary, runbook_url, ...). They
	// are written as annotations.<name> attributes with the configured text; notifiers fill in
	// "{{ label }}" (a group or static label) and "{{ $value }}" when they send.
	Annotations map[string]string `mapstructure:"annotations"`
}

// maxTraceIDsLimit bounds max_trace_ids: each id is written on every alert point and shown in
// every notification, so a handful is useful and more is noise.
const maxTraceIDsLimit = alertstate.MaxTraceIDs

// valueReference is the template reference to the observed value in an annotation.
const valueReference = "$value"

const (
	kindThreshold = "threshold"
	kindAbsent    = "absent"

	fnValue    = "value"
	fnRate     = "rate"
	fnIncrease = "increase"
	fnAvg      = "avg"
	fnQuantile = "quantile"
	fnRatio    = "ratio"

	aggAvg   = "avg"
	aggMin   = "min"
	aggMax   = "max"
	aggSum   = "sum"
	aggCount = "count"
)

var (
	validFunctions  = map[string]bool{fnValue: true, fnRate: true, fnIncrease: true, fnAvg: true, fnQuantile: true, fnRatio: true}
	validAggregates = map[string]bool{aggAvg: true, aggMin: true, aggMax: true, aggSum: true, aggCount: true}
	validKinds      = map[string]bool{kindThreshold: true, kindAbsent: true}
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

// effectiveKind, effectiveFunction and effectiveAggregate apply the documented defaults.
func (r *Rule) effectiveKind() string {
	if r.Kind == "" {
		return kindThreshold
	}
	return r.Kind
}

func (r *Rule) effectiveFunction() string {
	if r.Function == "" {
		return fnValue
	}
	return r.Function
}

func (r *Rule) effectiveAggregate() string {
	if r.Aggregate == "" {
		return aggMax
	}
	return r.Aggregate
}

// Validate checks the configuration; each error names the rule and field it is about.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.EvaluationInterval <= 0 {
		errs = append(errs, fmt.Errorf("evaluation_interval: must be positive, got %s", cfg.EvaluationInterval))
	}
	if cfg.MinEvaluationInterval < 0 {
		errs = append(errs, fmt.Errorf("min_evaluation_interval: must not be negative, got %s", cfg.MinEvaluationInterval))
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
	if cfg.MaxSeries <= 0 {
		errs = append(errs, fmt.Errorf("max_series: must be positive, got %d", cfg.MaxSeries))
	}
	if cfg.MaxTraceIDs < 0 || cfg.MaxTraceIDs > maxTraceIDsLimit {
		errs = append(errs, fmt.Errorf("max_trace_ids: must be between 0 and %d, got %d", maxTraceIDsLimit, cfg.MaxTraceIDs))
	}
	if cfg.MinSamples < 1 {
		errs = append(errs, fmt.Errorf("min_samples: must be at least 1 (1 asks for no more evidence than one observation), got %d", cfg.MinSamples))
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
	for i := range cfg.InhibitRules {
		errs = append(errs, cfg.InhibitRules[i].validate(fmt.Sprintf("inhibit_rules[%d]", i), cfg.ResolvedRetention)...)
	}
	return errors.Join(errs...)
}

func (r *Rule) validate(where string) []error {
	var errs []error
	fail := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", where, field, fmt.Sprintf(format, args...)))
	}
	kind := r.effectiveKind()
	if !validKinds[kind] {
		fail("kind", "%q is not one of threshold, absent", r.Kind)
	}
	if r.Metric == "" {
		fail("metric", "must not be empty")
	}
	if r.MinSamples < 0 {
		fail("min_samples", "must not be negative, got %d", r.MinSamples)
	}
	if !alertstate.ValidSeverity(r.Severity) {
		fail("severity", "%q is not one of info, warning, error, critical", r.Severity)
	}
	for _, d := range []struct {
		field string
		value time.Duration
	}{{"for", r.For}, {"keep_firing_for", r.KeepFiringFor}, {"cooldown", r.Cooldown}, {"window", r.Window}} {
		if d.value < 0 {
			fail(d.field, "must not be negative, got %s", d.value)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(r.Match)) {
		expr := r.Match[key]
		if key == "" {
			fail("match", "attribute name must not be empty")
			continue
		}
		if _, err := parseMatcher(key, expr); err != nil {
			fail("match."+key, "%v", err)
		}
	}
	for i, label := range r.GroupBy {
		if label == "" {
			fail(fmt.Sprintf("group_by[%d]", i), "must not be empty")
		} else if slices.Contains(r.GroupBy[:i], label) {
			fail(fmt.Sprintf("group_by[%d]", i), "duplicate label %q", label)
		}
	}
	if _, err := parseDescription(r.Description, r.GroupBy); err != nil {
		fail("description", "%v", err)
	}
	errs = append(errs, r.validateLabels(where)...)

	if kind == kindAbsent {
		// An absent rule has no series to group, no function and no threshold: its condition is
		// "no matching series showed activity within window".
		if r.Window <= 0 {
			fail("window", "an absent rule needs a positive window (how long without activity counts as absent)")
		}
		if len(r.GroupBy) > 0 {
			fail("group_by", "an absent rule has no series to group; remove it")
		}
		if r.Function != "" {
			fail("function", "an absent rule takes no function")
		}
		if r.Aggregate != "" {
			fail("aggregate", "an absent rule takes no aggregate")
		}
		if r.Condition != "" {
			fail("condition", "an absent rule takes no condition")
		}
		if len(r.RatioMatch) > 0 {
			fail("ratio_match", "an absent rule takes no ratio_match")
		}
		if r.MinSamples != 0 {
			fail("min_samples", "an absent rule takes no min_samples")
		}
		return errs
	}

	fn := r.effectiveFunction()
	if !validFunctions[fn] {
		fail("function", "%q is not one of value, rate, increase, avg, quantile, ratio", r.Function)
	}
	if !validAggregates[r.effectiveAggregate()] {
		fail("aggregate", "%q is not one of avg, min, max, sum, count", r.Aggregate)
	}
	switch fn {
	case fnRate, fnIncrease, fnAvg, fnQuantile, fnRatio:
		if r.Window <= 0 {
			fail("window", "function %s needs a positive window", fn)
		}
	}
	if fn == fnQuantile {
		if r.Quantile <= 0 || r.Quantile >= 1 {
			fail("quantile", "must be in (0, 1), got %g", r.Quantile)
		}
	} else if r.Quantile != 0 {
		fail("quantile", "is only used by function quantile, not %s", fn)
	}
	if fn == fnRatio {
		if len(r.RatioMatch) == 0 {
			fail("ratio_match", "function ratio needs ratio_match (which of the group's series are the numerator, e.g. {status: error})")
		}
		for _, key := range slices.Sorted(maps.Keys(r.RatioMatch)) {
			if key == "" {
				fail("ratio_match", "attribute name must not be empty")
			} else if _, err := parseMatcher(key, r.RatioMatch[key]); err != nil {
				fail("ratio_match."+key, "%v", err)
			}
		}
		if r.Aggregate != "" {
			// The group's series are merged into one numerator and one denominator.
			fail("aggregate", "function ratio divides the group's summed increases; it takes no aggregate")
		}
	} else {
		if len(r.RatioMatch) > 0 {
			fail("ratio_match", "is only used by function ratio, not %s", fn)
		}
		if r.MinSamples != 0 {
			fail("min_samples", "is only used by function ratio, not %s", fn)
		}
	}
	if typ, known := knownMetricTypes[r.Metric]; known && validFunctions[fn] {
		if err := checkFunctionFits(fn, typ); err != nil {
			fail("function", "%v", err)
		}
	}
	if _, _, err := ParseCondition(r.Condition); err != nil {
		fail("condition", "%v", err)
	}
	return errs
}

// validateLabels checks the static labels and the annotations. A label must not shadow an
// attribute the processor writes or a group label, also once mapped to an Alertmanager label
// name (worker.name and worker_name would both become worker_name there).
func (r *Rule) validateLabels(where string) []error {
	var errs []error
	fail := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", where, field, fmt.Sprintf(format, args...)))
	}
	mapped := map[string]string{alertlabel.Name(alertstate.AttrAlertName): alertstate.AttrAlertName, alertlabel.Name(alertstate.AttrSeverity): alertstate.AttrSeverity}
	for _, g := range r.GroupBy {
		if g == "" {
			continue
		}
		if alertstate.IsReserved(g) {
			fail("group_by", "%q is an attribute the alert processor writes itself", g)
		}
		mapped[alertlabel.Name(g)] = g
	}
	for _, key := range slices.Sorted(maps.Keys(r.Labels)) {
		switch {
		case key == "":
			fail("labels", "label name must not be empty")
			continue
		case alertstate.IsReserved(key):
			fail("labels."+key, "is an attribute the alert processor writes itself")
			continue
		case slices.Contains(r.GroupBy, key):
			fail("labels."+key, "is also a group_by label; a static label must not shadow it")
			continue
		case strings.HasPrefix(key, alertstate.AnnotationPrefix):
			fail("labels."+key, "names starting with %q are annotations", alertstate.AnnotationPrefix)
			continue
		case r.Labels[key] == "":
			fail("labels."+key, "value must not be empty (an empty label is no label in Alertmanager)")
		}
		if other, clash := mapped[alertlabel.Name(key)]; clash {
			fail("labels."+key, "is %s as an Alertmanager label name, like %q", alertlabel.Name(key), other)
		}
		mapped[alertlabel.Name(key)] = key
	}
	names := slices.Concat(r.GroupBy, slices.Collect(maps.Keys(r.Labels)))
	for _, key := range slices.Sorted(maps.Keys(r.Annotations)) {
		if key == "" {
			fail("annotations", "annotation name must not be empty")
			continue
		}
		if _, err := parseAnnotation(r.Annotations[key], names); err != nil {
			fail("annotations."+key, "%v", err)
		}
	}
	return errs
}

// metricType is the kind of input series, as far as the rule functions care.
type metricType int

const (
	typeGauge metricType = iota + 1
	typeCounter
	typeHistogram
)

func (t metricType) String() string {
	switch t {
	case typeGauge:
		return "gauge"
	case typeCounter:
		return "monotonic sum"
	case typeHistogram:
		return "histogram"
	}
	return "unsupported"
}

// knownMetricTypes are the metrics of the architecture's contracts: for them a function that
// cannot apply is rejected at start-up rather than at the first evaluation.
var knownMetricTypes = map[string]metricType{
	metricnames.Events:                         typeCounter,
	metricnames.WorkerExecutions:               typeCounter,
	metricnames.Workflows:                      typeCounter,
	metricnames.EventDuration:                  typeHistogram,
	metricnames.WorkerDuration:                 typeHistogram,
	metricnames.WorkflowDuration:               typeHistogram,
	metricnames.ActiveWorkflows:                typeGauge,
	metricnames.WorkerCommandsPending:          typeGauge,
	metricnames.WorkerCommandsOverdue:          typeGauge,
	metricnames.WorkerCommandsOldestPendingAge: typeGauge,
	metricnames.SystemCPU:                      typeGauge,
	metricnames.SystemMemory:                   typeGauge,
	metricnames.WorkerHealth:                   typeGauge,
	metricnames.WorkerSuccessRate:              typeGauge,
	metricnames.WorkerErrorRate:                typeGauge,
	metricnames.WorkerDurationAvg:              typeGauge,
	metricnames.WorkerDurationP95:              typeGauge,
	metricnames.WorkerLastSeen:                 typeGauge,
	metricnames.WorkerIssue:                    typeGauge,
	metricnames.Alerts:                         typeGauge,
	metricnames.HostCPUUtilization:             typeGauge,
	metricnames.HostMemoryUtilization:          typeGauge,
}

// checkFunctionFits says whether a function can be computed on a series of the given type.
func checkFunctionFits(fn string, typ metricType) error {
	ok := false
	switch fn {
	case fnValue:
		ok = typ == typeGauge || typ == typeCounter
	case fnRate, fnIncrease:
		ok = typ == typeCounter || typ == typeHistogram
	case fnAvg:
		ok = typ == typeGauge || typ == typeHistogram
	case fnQuantile:
		ok = typ == typeHistogram
	case fnRatio:
		ok = typ == typeCounter
	}
	if !ok {
		return fmt.Errorf("%s does not apply to a %s", fn, typ)
	}
	return nil
}
