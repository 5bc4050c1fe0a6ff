package notify

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
)

// AlertsMetricName is the series the alert processor writes (architecture.md, "Alert state").
const AlertsMetricName = alertstate.MetricName

// The attributes of a multiagents.alerts data point that the notifiers read by name.
const (
	attrAlertName   = alertstate.AttrAlertName
	attrAlertState  = alertstate.AttrAlertState
	attrSeverity    = alertstate.AttrSeverity
	attrFingerprint = alertstate.AttrFingerprint
	attrDescription = alertstate.AttrDescription
	attrThreshold   = alertstate.AttrThreshold
	attrCooldown    = alertstate.AttrCooldown
)

// MaxTraceIDsPerAlert bounds the trace ids read from one alert's exemplars: the alert
// processor writes 3 by default and at most 20.
const MaxTraceIDsPerAlert = alertstate.MaxTraceIDs

// AlertsFromMetrics reads every multiagents.alerts data point. A data point that is not a valid
// alert is skipped and reported in the returned errors; its neighbours are still read.
func AlertsFromMetrics(md pmetric.Metrics) ([]Alert, []error) {
	points, errs := alertstate.Read(md)
	var alerts []Alert
	for _, p := range points {
		alerts = append(alerts, alertFromPoint(p))
	}
	return alerts, errs
}

func alertFromPoint(p alertstate.Point) Alert {
	sev, _ := ParseSeverity(p.Severity) // alertstate.ReadPoint accepts only valid severities
	a := Alert{
		Name: p.Name, State: State(p.State), Severity: sev, Description: p.Description,
		Threshold: p.Threshold, Cooldown: p.Cooldown, Value: p.Value, HasValue: p.HasValue,
		Labels: labelsOf(p.Labels), Annotations: labelsOf(p.Annotations), TraceIDs: p.TraceIDs, Time: p.Time,
		Fingerprint: p.Fingerprint,
	}
	if a.Fingerprint == "" {
		// The contract says the processor always writes one; derive a stable one rather than drop the alert.
		a.Fingerprint = fingerprintOf(a.Name, a.Labels)
	}
	return a
}

func labelsOf(in []alertstate.Label) []Label {
	if in == nil {
		return nil
	}
	out := make([]Label, len(in))
	for i, l := range in {
		out[i] = Label(l)
	}
	return out
}

// stringAttr returns an attribute as text ("" when absent), whatever its type.
func stringAttr(attrs pcommon.Map, key string) string { return alertstate.StringAttr(attrs, key) }

// parseCooldown reads a cooldown written as a Go duration ("15m") or as a number of seconds.
func parseCooldown(v pcommon.Value) (time.Duration, error) { return alertstate.ParseCooldown(v) }
