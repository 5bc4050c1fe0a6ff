package alertprocessor

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
)

// InhibitRule mutes target alerts while a source alert fires, as Alertmanager's inhibit_rules
// do. Matchers see an instance's labels alertname, severity and its rule's group labels.
type InhibitRule struct {
	// SourceMatchers select the alerts that mute (Alertmanager matcher strings, all must match).
	SourceMatchers []string `mapstructure:"source_matchers"`
	// TargetMatchers select the alerts that are muted (all must match).
	TargetMatchers []string `mapstructure:"target_matchers"`
	// Equal names labels whose values must be the same on source and target (a label missing
	// on both counts as equal).
	Equal []string `mapstructure:"equal"`
	// KeepInhibitingFor keeps a source muting its targets this long after it stopped firing
	// (0: only while it fires, as in Alertmanager). For targets whose window outlasts the
	// source: a failed worker's error spike is still in its 5-minute window after the worker
	// recovered, and would otherwise page right then, for an incident that is over.
	KeepInhibitingFor time.Duration `mapstructure:"keep_inhibiting_for"`
}

func (ir *InhibitRule) validate(where string, resolvedRetention time.Duration) []error {
	var errs []error
	if ir.KeepInhibitingFor < 0 {
		errs = append(errs, fmt.Errorf("%s.keep_inhibiting_for: must not be negative, got %s", where, ir.KeepInhibitingFor))
	} else if ir.KeepInhibitingFor > resolvedRetention && resolvedRetention >= 0 {
		// The source's resolved instance is what remembers when it stopped firing.
		errs = append(errs, fmt.Errorf("%s.keep_inhibiting_for: %s is longer than resolved_retention (%s), after which a resolved source is forgotten",
			where, ir.KeepInhibitingFor, resolvedRetention))
	}
	for _, side := range []struct {
		field    string
		matchers []string
	}{{"source_matchers", ir.SourceMatchers}, {"target_matchers", ir.TargetMatchers}} {
		if len(side.matchers) == 0 {
			errs = append(errs, fmt.Errorf("%s.%s: needs at least one matcher (an empty side would match every alert)", where, side.field))
		}
		for j, text := range side.matchers {
			if _, err := parseMatcherString(text); err != nil {
				errs = append(errs, fmt.Errorf("%s.%s[%d]: %w", where, side.field, j, err))
			}
		}
	}
	for j, label := range ir.Equal {
		if strings.TrimSpace(label) == "" {
			errs = append(errs, fmt.Errorf("%s.equal[%d]: must not be empty", where, j))
		} else if slices.Contains(ir.Equal[:j], label) {
			errs = append(errs, fmt.Errorf("%s.equal[%d]: duplicate label %q", where, j, label))
		}
	}
	return errs
}

// compiledInhibitRule is a validated InhibitRule.
type compiledInhibitRule struct {
	source, target []matcher
	equal          []string
	keepFor        time.Duration
}

// mutes says whether an instance can act as a source of the rule at time now (its matchers
// aside): while firing, and for keep_inhibiting_for after it resolved. A source that resolved
// and went pending again was firing until resolvedAt, so that counts too.
func (ir *compiledInhibitRule) mutes(in *instance, now time.Time) bool {
	if in.state == stateFiring {
		return true
	}
	return ir.keepFor > 0 && !in.resolvedAt.IsZero() && now.Sub(in.resolvedAt) < ir.keepFor
}

func compileInhibitRules(rules []InhibitRule) ([]compiledInhibitRule, error) {
	out := make([]compiledInhibitRule, 0, len(rules))
	for i, ir := range rules {
		var c compiledInhibitRule
		for _, side := range []struct {
			field string
			texts []string
			into  *[]matcher
		}{{"source_matchers", ir.SourceMatchers, &c.source}, {"target_matchers", ir.TargetMatchers, &c.target}} {
			for j, text := range side.texts {
				m, err := parseMatcherString(text)
				if err != nil {
					return nil, fmt.Errorf("inhibit_rules[%d].%s[%d]: %w", i, side.field, j, err)
				}
				*side.into = append(*side.into, m)
			}
		}
		c.equal = ir.Equal
		c.keepFor = ir.KeepInhibitingFor
		out = append(out, c)
	}
	return out, nil
}

// unknownLabels lists, per inhibit rule, the label names its matchers or equal use that no
// alert has (not alertname, severity, nor a group_by label of any rule): they read as "" on
// every alert, which is allowed but usually a typo (worker_name for worker.name).
func unknownLabels(inhibits []InhibitRule, rules []Rule) map[int][]string {
	known := map[string]bool{alertstate.AttrAlertName: true, alertstate.AttrSeverity: true}
	for _, r := range rules {
		for _, l := range r.GroupBy {
			known[l] = true
		}
		for l := range r.Labels {
			known[l] = true
		}
	}
	out := map[int][]string{}
	for i, ir := range inhibits {
		var names []string
		for _, text := range slices.Concat(ir.SourceMatchers, ir.TargetMatchers) {
			if m, err := parseMatcherString(text); err == nil {
				names = append(names, m.key)
			}
		}
		for _, name := range append(names, ir.Equal...) {
			if !known[name] && !slices.Contains(out[i], name) {
				out[i] = append(out[i], name)
			}
		}
	}
	return out
}

// alertLabel is the value of one label of an alert instance as inhibition matchers see it:
// alertname, severity, one of its rule's group labels or static labels; "" when the instance
// has no such label.
func alertLabel(r *compiledRule, in *instance, name string) string {
	switch name {
	case alertstate.AttrAlertName:
		return r.cfg.Name
	case alertstate.AttrSeverity:
		return r.cfg.Severity
	}
	if i := slices.Index(r.cfg.GroupBy, name); i >= 0 {
		return in.labels[i]
	}
	return r.cfg.Labels[name]
}

func matchesAll(ms []matcher, r *compiledRule, in *instance) bool {
	for i := range ms {
		if !ms[i].matches(alertLabel(r, in, ms[i].key)) {
			return false
		}
	}
	return true
}

// equalKey joins the values of the equal labels, so that sources and targets with the same
// values meet under one key.
func equalKey(labels []string, r *compiledRule, in *instance) string {
	switch len(labels) {
	case 0:
		return ""
	case 1:
		return alertLabel(r, in, labels[0])
	}
	var b strings.Builder
	for _, l := range labels {
		b.WriteString(alertLabel(r, in, l))
		b.WriteByte(0xff)
	}
	return b.String()
}

// inhibitSources counts, per equal-label key, the firing sources of one inhibit rule, and
// how many of them do not also match the target side.
type inhibitSources struct {
	all, sourceOnly int
}

// applyInhibitions marks each firing instance muted by a firing source (or one that resolved
// less than keep_inhibiting_for ago), after every rule's state has been computed in this
// evaluation, so sources and targets are consistent. It follows Alertmanager: an alert that
// matches both sides can only be muted by a source that does not match the target side (so
// it never mutes itself, and two such alerts never mute each other). Muted alerts still mute
// others. Cost: one pass over the instances per inhibit rule.
func applyInhibitions(inhibits []compiledInhibitRule, rules []*compiledRule, now time.Time) {
	for _, r := range rules {
		for _, in := range r.instances {
			in.inhibited = false
		}
	}
	if len(inhibits) == 0 {
		return
	}
	sources := map[string]*inhibitSources{}
	for i := range inhibits {
		ir := &inhibits[i]
		clear(sources)
		for _, r := range rules {
			for _, in := range r.instances {
				if !ir.mutes(in, now) || !matchesAll(ir.source, r, in) {
					continue
				}
				key := equalKey(ir.equal, r, in)
				s := sources[key]
				if s == nil {
					s = &inhibitSources{}
					sources[key] = s
				}
				s.all++
				if !matchesAll(ir.target, r, in) {
					s.sourceOnly++
				}
			}
		}
		if len(sources) == 0 {
			continue
		}
		for _, r := range rules {
			for _, in := range r.instances {
				if in.state != stateFiring || in.inhibited || !matchesAll(ir.target, r, in) {
					continue
				}
				s := sources[equalKey(ir.equal, r, in)]
				if s == nil {
					continue
				}
				if matchesAll(ir.source, r, in) {
					in.inhibited = s.sourceOnly > 0 // not by itself, nor by another two-sided alert
				} else {
					in.inhibited = s.all > 0
				}
			}
		}
	}
}
