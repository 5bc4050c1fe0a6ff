package notify

import (
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
)

// AlertsMetricName is the series the alert processor writes (architecture.md, "Alert state").
const AlertsMetricName = alertstate.MetricName

// MaxTraceIDsPerAlert bounds the trace ids read from one alert's exemplars: the alert
// processor writes 3 by default and at most 20.
const MaxTraceIDsPerAlert = alertstate.MaxTraceIDs

// AlertsFromMetrics reads every multiagents.alerts data point. A data point that is not a valid
// alert is skipped and reported in the returned errors; its neighbours are still read.
func AlertsFromMetrics(md pmetric.Metrics) ([]Alert, []error) {
	points, errs := alertstate.Read(md)
	alerts := make([]Alert, 0, len(points))
	for i := range points {
		alerts = append(alerts, alertFromPoint(&points[i]))
	}
	return alerts, errs
}

func alertFromPoint(p *alertstate.Point) Alert {
	sev, _ := ParseSeverity(p.Severity) // alertstate.ReadPoint accepts only valid severities
	a := Alert{
		Name: p.Name, State: State(p.State), Severity: sev, Description: p.Description,
		Threshold: p.Threshold, Cooldown: p.Cooldown, Value: p.Value, HasValue: p.HasValue,
		Labels: p.Labels, Annotations: p.Annotations, TraceIDs: p.TraceIDs, Time: p.Time,
		Fingerprint: p.Fingerprint,
	}
	if a.Fingerprint == "" {
		// The contract says the processor always writes one; derive a stable one rather than drop the alert.
		a.Fingerprint = fingerprintOf(a.Name, a.Labels)
	}
	return a
}
