// Package alertstate is the contract of the multiagents.alerts series: the alert processor
// writes it, every notifier reads it (docs/architecture.md, "Alert state"). Its names, the
// writer and the reader live side by side so the two ends cannot drift apart.
package alertstate

import (
	"fmt"
	"slices"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/metricnames"
)

// The series.
const (
	MetricName        = metricnames.Alerts
	MetricDescription = "Alert instances of the alert processor's rules; value is the rule's observed value."
)

// The attributes every point carries; any other attribute is a group or static label, or an
// annotation (AnnotationPrefix).
const (
	AttrAlertName   = "alertname"
	AttrAlertState  = "alertstate"
	AttrSeverity    = "severity"
	AttrFingerprint = "fingerprint"
	AttrDescription = "description"
	AttrThreshold   = "threshold"
	AttrCooldown    = "cooldown"
)

// AnnotationPrefix starts the attribute name of a rule annotation (annotations.summary): the
// annotation does not identify the alert, so it is not a label.
const AnnotationPrefix = "annotations."

// The values of alertstate. Inhibited and silenced are firing instances that must not be told
// (an inhibit rule's source fires; an active silence matches).
const (
	StatePending   = "pending"
	StateFiring    = "firing"
	StateResolved  = "resolved"
	StateInhibited = "inhibited"
	StateSilenced  = "silenced"
)

// Severities are the values of severity, in increasing urgency.
var Severities = []string{"info", "warning", "error", "critical"}

// MaxTraceIDs bounds the trace ids (exemplars) of one point: the alert processor writes 3 by
// default and at most this many; the reader keeps no more.
const MaxTraceIDs = 20

// IsReserved tells whether key is one of the attributes every point carries, so no label may
// take that name.
func IsReserved(key string) bool {
	switch key {
	case AttrAlertName, AttrAlertState, AttrSeverity, AttrFingerprint, AttrDescription, AttrThreshold, AttrCooldown:
		return true
	}
	return false
}

// ValidSeverity tells whether s is one of Severities.
func ValidSeverity(s string) bool { return slices.Contains(Severities, s) }

// CheckState returns an error unless s is one of the alertstate values.
func CheckState(s string) error {
	switch s {
	case StatePending, StateFiring, StateResolved, StateInhibited, StateSilenced:
		return nil
	}
	return fmt.Errorf("alertstate %q is not one of pending, firing, inhibited, silenced, resolved", s)
}

// CheckSeverity returns an error unless s is one of Severities.
func CheckSeverity(s string) error {
	if ValidSeverity(s) {
		return nil
	}
	return fmt.Errorf("%q is not one of info, warning, error, critical", s)
}
