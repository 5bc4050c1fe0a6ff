package alertprocessor

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// matcher selects series by one attribute, as a Prometheus label matcher does. A missing
// attribute reads as the empty string, so `name: ""` selects series without it.
type matcher struct {
	key    string
	value  string
	re     *regexp.Regexp // nil for (in)equality
	negate bool
}

// parseMatcher reads a match entry: "v" (equals), "=~re", "!=v", "!~re". Regular expressions
// are anchored at both ends, like Prometheus's.
func parseMatcher(key, expr string) (matcher, error) {
	switch {
	case strings.HasPrefix(expr, "=~"), strings.HasPrefix(expr, "!="), strings.HasPrefix(expr, "!~"):
		return newMatcher(key, expr[:2], expr[2:])
	default:
		return newMatcher(key, "=", expr)
	}
}

// newMatcher builds a matcher from an operator (=, !=, =~, !~) and its operand.
func newMatcher(key, op, operand string) (matcher, error) {
	m := matcher{key: key, negate: op[0] == '!'}
	switch op {
	case "=~", "!~":
		re, err := regexp.Compile("^(?:" + operand + ")$")
		if err != nil {
			return matcher{}, fmt.Errorf("bad regular expression %q: %w", operand, err)
		}
		m.re = re
	case "=", "!=":
		m.value = operand
	default:
		return matcher{}, fmt.Errorf("unknown operator %q", op)
	}
	return m, nil
}

// alertmanagerMatcher is the syntax of an Alertmanager matcher string: a label name (bare, dots
// allowed for OpenTelemetry attribute names, or double-quoted), an operator, and a value
// (double-quoted with Go escapes, or bare).
var alertmanagerMatcher = regexp.MustCompile(`^\s*("(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_.:]*)\s*(=~|!=|!~|=)\s*(.*?)\s*$`)

// parseMatcherString reads an Alertmanager matcher such as `alertname="bus_silent"`,
// `severity=~"error|critical"` or `worker.name!=""`.
func parseMatcherString(text string) (matcher, error) {
	parts := alertmanagerMatcher.FindStringSubmatch(text)
	if parts == nil {
		return matcher{}, fmt.Errorf("%q is not a matcher: want label, one of = != =~ !~, value (e.g. alertname=\"bus_silent\")", text)
	}
	label, op, value := parts[1], parts[2], parts[3]
	if strings.HasPrefix(label, `"`) {
		unquoted, err := strconv.Unquote(label)
		if err != nil || unquoted == "" {
			return matcher{}, fmt.Errorf("%q: bad quoted label name %s", text, label)
		}
		label = unquoted
	}
	if strings.HasPrefix(value, `"`) || strings.HasSuffix(value, `"`) {
		unquoted, err := strconv.Unquote(value)
		if err != nil {
			return matcher{}, fmt.Errorf("%q: value %s is not a well-formed double-quoted string", text, value)
		}
		value = unquoted
	}
	m, err := newMatcher(label, op, value)
	if err != nil {
		return matcher{}, fmt.Errorf("%q: %w", text, err)
	}
	return m, nil
}

func (m *matcher) matches(value string) bool {
	var ok bool
	if m.re != nil {
		ok = m.re.MatchString(value)
	} else {
		ok = value == m.value
	}
	return ok != m.negate
}

// lookupLabel reads an attribute of a data point, falling back to its resource's attributes
// (host_metrics, for instance, puts host.name on the resource).
func lookupLabel(point, resource pcommon.Map, key string) string {
	if v, ok := point.Get(key); ok {
		return v.AsString()
	}
	if v, ok := resource.Get(key); ok {
		return v.AsString()
	}
	return ""
}
