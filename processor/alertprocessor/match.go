package alertprocessor

import (
	"fmt"
	"regexp"
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
	m := matcher{key: key}
	switch {
	case strings.HasPrefix(expr, "=~"), strings.HasPrefix(expr, "!~"):
		m.negate = expr[0] == '!'
		re, err := regexp.Compile("^(?:" + expr[2:] + ")$")
		if err != nil {
			return matcher{}, fmt.Errorf("bad regular expression %q: %w", expr[2:], err)
		}
		m.re = re
	case strings.HasPrefix(expr, "!="):
		m.negate = true
		m.value = expr[2:]
	default:
		m.value = expr
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
