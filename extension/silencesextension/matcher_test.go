package silencesextension

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Matchers behave as Alertmanager's: regexes anchored at both ends, a missing label reads as "",
// and every matcher must match.
func TestMatching(t *testing.T) {
	re := func(name, value string, equal bool) Matcher {
		return Matcher{Name: name, Value: value, IsRegex: true, IsEqual: equal}
	}
	ne := func(name, value string) Matcher { return Matcher{Name: name, Value: value} }
	labels := map[string]string{"alertname": "worker_failure", "worker_name": "w12", "severity": "error"}
	for _, tc := range []struct {
		matchers []Matcher
		want     bool
	}{
		{[]Matcher{eq("alertname", "worker_failure")}, true},
		{[]Matcher{eq("alertname", "worker")}, false},
		{[]Matcher{re("worker_name", "w1", true)}, false}, // anchored: w1 does not match w12
		{[]Matcher{re("worker_name", "w1.*", true)}, true},
		{[]Matcher{eq("alertname", "worker_failure"), re("worker_name", "w1", false)}, true},
		{[]Matcher{eq("alertname", "worker_failure"), ne("severity", "info")}, true},
		{[]Matcher{eq("alertname", "worker_failure"), ne("severity", "error")}, false},
		{[]Matcher{eq("alertname", "worker_failure"), eq("team", "payments")}, false}, // missing label reads ""
		{[]Matcher{eq("alertname", "worker_failure"), eq("team", "")}, true},
		{[]Matcher{eq("alertname", "worker_failure"), re("team", "web.*", false)}, true},
	} {
		s := &Silence{Matchers: tc.matchers, StartsAt: time.Unix(1, 0), EndsAt: time.Unix(2, 0)}
		require.NoError(t, s.compile(), "%v", tc.matchers)
		assert.Equal(t, tc.want, s.matches(labels), "%v", tc.matchers)
	}
}

// A pattern that compiles alone but not once anchored is refused, not a crash.
func TestPatternThatBreaksAnchoringIsRefused(t *testing.T) {
	s := &Silence{Matchers: []Matcher{{Name: "alertname", Value: `\Qx`, IsRegex: true, IsEqual: true}}, StartsAt: time.Unix(1, 0), EndsAt: time.Unix(2, 0)}
	assert.ErrorContains(t, s.compile(), "invalid regular expression")
}

func TestStates(t *testing.T) {
	s := &Silence{StartsAt: time.Unix(10, 0), EndsAt: time.Unix(20, 0)}
	assert.Equal(t, StatePending, s.State(time.Unix(9, 0)))
	assert.Equal(t, StateActive, s.State(time.Unix(10, 0)))
	assert.Equal(t, StateActive, s.State(time.Unix(19, 0)))
	assert.Equal(t, StateExpired, s.State(time.Unix(20, 0)), "endsAt is exclusive: an expire at now takes effect at now")
}
