package alertprocessor

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
)

// compiledRule is a validated Rule ready for evaluation, with its alert instances.
type compiledRule struct {
	index       int
	cfg         Rule
	absent      bool
	function    string
	aggregate   string
	op          string
	threshold   float64
	matchers    []matcher
	description descriptionTemplate

	// Function ratio: which of the group's series are the numerator, and the denominator's
	// increase within the window below which the group has no value.
	ratioMatchers []matcher
	minSamples    float64

	// Attribute values written on every instance of the rule.
	thresholdText string
	cooldownText  string
	// staticLabels and annotationKeys are the rule's labels and annotations names, sorted.
	staticLabels   []string
	annotationKeys []string
	// maxTraceIDs is the processor's max_trace_ids: exemplars kept per group and instance.
	maxTraceIDs int
	// evaluationInterval is the processor's: the least time a gauge series stays fresh.
	evaluationInterval time.Duration

	instances map[string]*instance
	// Per-evaluation scratch: the groups seen in this evaluation and, for absent rules,
	// how many selected series were active.
	groups       map[string]*groupAcc
	touched      []*groupAcc // the groups with a series in this evaluation
	evalSeq      uint64
	activeSeries int

	// What has been logged once already.
	loggedOverflow bool
	loggedMismatch map[string]bool
}

// compileRules compiles the validated rules; defaultMinSamples is the processor's min_samples,
// maxTraceIDs its max_trace_ids.
func compileRules(rules []Rule, defaultMinSamples, maxTraceIDs int) ([]*compiledRule, error) {
	out := make([]*compiledRule, 0, len(rules))
	for i, rc := range rules {
		r := &compiledRule{
			index:          i,
			cfg:            rc,
			absent:         rc.effectiveKind() == kindAbsent,
			function:       rc.effectiveFunction(),
			aggregate:      rc.effectiveAggregate(),
			cooldownText:   alertstate.FormatCooldown(rc.Cooldown),
			instances:      map[string]*instance{},
			groups:         map[string]*groupAcc{},
			loggedMismatch: map[string]bool{},
			staticLabels:   slices.Sorted(maps.Keys(rc.Labels)),
			annotationKeys: slices.Sorted(maps.Keys(rc.Annotations)),
			maxTraceIDs:    maxTraceIDs,
		}
		for _, key := range slices.Sorted(maps.Keys(rc.Match)) {
			m, err := parseMatcher(key, rc.Match[key])
			if err != nil {
				return nil, fmt.Errorf("rules[%d] (%s).match.%s: %w", i, rc.Name, key, err)
			}
			r.matchers = append(r.matchers, m)
		}
		for _, key := range slices.Sorted(maps.Keys(rc.RatioMatch)) {
			m, err := parseMatcher(key, rc.RatioMatch[key])
			if err != nil {
				return nil, fmt.Errorf("rules[%d] (%s).ratio_match.%s: %w", i, rc.Name, key, err)
			}
			r.ratioMatchers = append(r.ratioMatchers, m)
		}
		r.minSamples = float64(max(rc.MinSamples, 0))
		if rc.MinSamples == 0 {
			r.minSamples = float64(defaultMinSamples)
		}
		var err error
		if r.description, err = parseDescription(rc.Description, rc.GroupBy); err != nil {
			return nil, fmt.Errorf("rules[%d] (%s).description: %w", i, rc.Name, err)
		}
		if r.absent {
			r.thresholdText = "absent for " + rc.Window.String()
		} else {
			if r.op, r.threshold, err = ParseCondition(rc.Condition); err != nil {
				return nil, fmt.Errorf("rules[%d] (%s).condition: %w", i, rc.Name, err)
			}
			r.thresholdText = r.op + " " + strconv.FormatFloat(r.threshold, 'g', -1, 64)
		}
		out = append(out, r)
	}
	return out, nil
}

// lookBack is how far back the rule reads a series' history.
func (r *compiledRule) lookBack() time.Duration {
	if r.absent || r.function != fnValue {
		return r.cfg.Window
	}
	return 0
}

// holds applies the rule's condition to a group's value.
func (r *compiledRule) holds(v float64) bool {
	switch r.op {
	case ">":
		return v > r.threshold
	case ">=":
		return v >= r.threshold
	case "<":
		return v < r.threshold
	case "<=":
		return v <= r.threshold
	case "==":
		return v == r.threshold
	case "!=":
		return v != r.threshold
	}
	return false
}

// membership returns whether a new series is selected by the rule, and its group.
func (r *compiledRule) membership(point, resource pcommon.Map) (membership, bool) {
	for i := range r.matchers {
		if !r.matchers[i].matches(lookupLabel(point, resource, r.matchers[i].key)) {
			return membership{}, false
		}
	}
	m := membership{rule: r}
	if len(r.ratioMatchers) > 0 {
		m.numerator = true
		for i := range r.ratioMatchers {
			if !r.ratioMatchers[i].matches(lookupLabel(point, resource, r.ratioMatchers[i].key)) {
				m.numerator = false
				break
			}
		}
	}
	if len(r.cfg.GroupBy) > 0 {
		m.labels = make([]string, len(r.cfg.GroupBy))
		for i, key := range r.cfg.GroupBy {
			m.labels[i] = lookupLabel(point, resource, key)
		}
		m.groupKey = groupKey(m.labels)
	}
	if !r.absent {
		m.group = r.groups[m.groupKey]
		if m.group == nil {
			m.group = &groupAcc{}
			r.groups[m.groupKey] = m.group
		}
	}
	return m, true
}

// groupKey is the key of a group's instance in compiledRule.instances.
func groupKey(labels []string) string { return strings.Join(labels, "\xff") }
