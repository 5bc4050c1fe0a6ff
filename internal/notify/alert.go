package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
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

// The states of an alert instance: Prometheus rule semantics, plus the muted states. A muted
// instance is firing, but someone or something asked that it not be told: the alert processor
// writes "inhibited" while an inhibition rule's source fires, and "silenced" while an active
// silence (the silences extension) matches its labels. Pending and resolved are never muted.
const (
	StatePending   State = alertstate.StatePending
	StateFiring    State = alertstate.StateFiring
	StateResolved  State = alertstate.StateResolved
	StateInhibited State = alertstate.StateInhibited
	StateSilenced  State = alertstate.StateSilenced
)

// Muted tells whether the instance fires but must not be told: it never starts or changes a
// notification, and an instance already told stays open (no resolve just because it is muted).
func (s State) Muted() bool { return s == StateInhibited || s == StateSilenced }

// Firing tells whether the instance fires, muted or not.
func (s State) Firing() bool { return s == StateFiring || s.Muted() }

func parseState(s string) (State, error) {
	if err := alertstate.CheckState(s); err != nil {
		return "", err
	}
	return State(s), nil
}

// Label is one of the alert's group labels (e.g. worker.name): the alert-state contract's own,
// so reading a point copies no label.
type Label = alertstate.Label

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
	// Annotations are the rule's annotations (summary, runbook_url, ...), sorted by key, as the
	// alert processor writes them: they describe the alert without identifying it.
	Annotations []Label
	// TraceIDs are the trace ids (32 hex digits) of the most recent failing transactions behind
	// the alert, newest first, from the exemplars of its data point; empty when none is known.
	TraceIDs []string
	// Time is when the alert processor (or the log record) observed this state.
	Time time.Time
}

// Notification is what a Sender delivers: one group's alerts, told together (one Slack
// message, one PagerDuty incident, one mail).
type Notification struct {
	// GroupKey names the group: its group_by labels as {k="v", ...}, stable across restarts.
	GroupKey string
	// GroupID is a stable hash of GroupKey (32 hex digits), e.g. PagerDuty's dedup_key.
	GroupID string
	// GroupLabels are the group_by labels and their values, sorted by key (alertname included
	// when grouped by it).
	GroupLabels []Label
	// Status is StateFiring while any alert of the group fires (muted ones included), and
	// StateResolved when the whole group has resolved: the last notification of the group.
	Status State
	// Firing are the group's firing, unmuted alerts; Resolved the alerts that resolved since the
	// last notification; Muted the alerts already told that are now muted (they stay open).
	// Each is sorted by name, then labels.
	Firing, Resolved, Muted []Alert
	// Severity is the highest severity among Firing (among all listed alerts when none fires).
	Severity Severity
	// Repeat is true when nothing changed: the group is told again after its repeat interval.
	Repeat bool
	// Time is when the notification was made.
	Time time.Time
}

// GroupResolved tells whether this notification resolves the whole group.
func (n Notification) GroupResolved() bool { return n.Status == StateResolved }

// Alerts are all the alerts listed: firing, then muted, then resolved.
func (n Notification) Alerts() []Alert {
	out := make([]Alert, 0, len(n.Firing)+len(n.Muted)+len(n.Resolved))
	out = append(out, n.Firing...)
	out = append(out, n.Muted...)
	return append(out, n.Resolved...)
}

// Title is a one-line name for the group: its alert names (the first three, then "+N"), and
// the group labels other than alertname.
func (n Notification) Title() string {
	var names []string
	for _, a := range n.Alerts() {
		if !slices.Contains(names, a.Name) {
			names = append(names, a.Name)
		}
	}
	title := strings.Join(names[:min(len(names), 3)], ", ")
	if len(names) > 3 {
		title += fmt.Sprintf(" +%d", len(names)-3)
	}
	var labels []string
	for _, l := range n.GroupLabels {
		if l.Key != alertstate.AttrAlertName && l.Value != "" {
			labels = append(labels, l.Key+"="+l.Value)
		}
	}
	if len(labels) > 0 {
		title += " (" + strings.Join(labels, ", ") + ")"
	}
	return title
}

// TruncateBytes cuts s to at most maxBytes bytes (not characters: "…" is 3 bytes, "é" 2) on a
// rune boundary, ending it with "…" when cut, so that APIs with byte or character limits never
// receive half a character: a text within maxBytes bytes is within maxBytes characters too.
func TruncateBytes(s string, maxBytes int) string {
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
