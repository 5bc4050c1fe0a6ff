package notify

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Severity is an alert's severity; the order is the order of urgency.
type Severity int

// Severities in increasing urgency, as the alert processor writes them.
const (
	SeverityInfo Severity = iota + 1
	SeverityWarning
	SeverityError
	SeverityCritical
)

var severityNames = map[Severity]string{
	SeverityInfo: "info", SeverityWarning: "warning", SeverityError: "error", SeverityCritical: "critical",
}

// ParseSeverity reads one of info, warning, error, critical.
func ParseSeverity(s string) (Severity, error) {
	for sev, name := range severityNames {
		if s == name {
			return sev, nil
		}
	}
	return 0, fmt.Errorf("%q is not one of info, warning, error, critical", s)
}

// severityColors are the monitoring guide's colours by severity, shared by the Slack attachment
// and the HTML part of alert mail.
var severityColors = map[Severity]string{
	SeverityInfo:     "#36a64f",
	SeverityWarning:  "#ff9500",
	SeverityError:    "#ff0000",
	SeverityCritical: "#8b0000",
}

// ResolvedColor is the colour of a resolved alert (Slack's "good" green).
const ResolvedColor = "#2eb886"

// Color is the guide's colour for the severity ("" for an unknown one).
func (s Severity) Color() string { return severityColors[s] }

func (s Severity) String() string {
	if name, ok := severityNames[s]; ok {
		return name
	}
	return "unknown"
}

// State is an alert instance's state, as written in the alertstate attribute.
type State string

// The states of an alert instance (Prometheus rule semantics).
const (
	StatePending  State = "pending"
	StateFiring   State = "firing"
	StateResolved State = "resolved"
)

func parseState(s string) (State, error) {
	switch State(s) {
	case StatePending, StateFiring, StateResolved:
		return State(s), nil
	}
	return "", fmt.Errorf("alertstate %q is not one of pending, firing, resolved", s)
}

// Label is one of the alert's group labels (e.g. worker.name).
type Label struct {
	Key, Value string
}

// Alert is one observation of an alert instance, from a multiagents.alerts data point or from
// a log record.
type Alert struct {
	Name        string
	Fingerprint string
	State       State
	Severity    Severity
	Description string
	// Threshold is the rule's threshold as written by the rule (kept as text: it is shown, not computed on).
	Threshold string
	// Value is the rule's observed value; HasValue is false for log-record alerts.
	Value    float64
	HasValue bool
	// Cooldown is the instance's own repeat interval; zero means the exporter's repeat_interval.
	Cooldown time.Duration
	// Labels are the group labels, sorted by key.
	Labels []Label
	// Time is when the alert processor (or the log record) observed this state.
	Time time.Time
}

// Notification is what a Sender delivers: an alert that must be told now.
type Notification struct {
	Alert
	// Repeat is true for a firing notification sent again after its cooldown.
	Repeat bool
}

// Resolved tells whether this notification resolves an earlier one.
func (n Notification) Resolved() bool { return n.State == StateResolved }

// TruncateRunes cuts s to at most maxBytes bytes on a rune boundary, ending it with "…" when cut,
// so that APIs with byte or character limits never receive half a character.
func TruncateRunes(s string, maxBytes int) string {
	if len(s) <= maxBytes {
		return s
	}
	const ellipsis = "…"
	if maxBytes < len(ellipsis) {
		return ""
	}
	cut := maxBytes - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.ToValidUTF8(s[:cut], "") + ellipsis
}
