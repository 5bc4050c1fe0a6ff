package notify

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// AlertsMetricName is the series the alert processor writes (architecture.md, "Alert state").
const AlertsMetricName = "multiagents.alerts"

// The attributes of a multiagents.alerts data point that are not group labels.
const (
	attrAlertName   = "alertname"
	attrAlertState  = "alertstate"
	attrSeverity    = "severity"
	attrFingerprint = "fingerprint"
	attrDescription = "description"
	attrThreshold   = "threshold"
	attrCooldown    = "cooldown"
)

// annotationPrefix starts the attribute name of a rule annotation (annotations.summary): the
// annotation does not identify the alert, so it is not a label.
const annotationPrefix = "annotations."

// MaxTraceIDsPerAlert bounds the trace ids read from one alert's exemplars: the alert
// processor writes 3 by default and at most 20.
const MaxTraceIDsPerAlert = 20

var reservedAttributes = map[string]bool{
	attrAlertName: true, attrAlertState: true, attrSeverity: true, attrFingerprint: true,
	attrDescription: true, attrThreshold: true, attrCooldown: true,
}

// AlertsFromMetrics reads every multiagents.alerts data point. A data point that is not a valid
// alert is skipped and reported in the returned errors; its neighbours are still read.
func AlertsFromMetrics(md pmetric.Metrics) ([]Alert, []error) {
	var alerts []Alert
	var errs []error
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				if m.Name() != AlertsMetricName {
					continue
				}
				if m.Type() != pmetric.MetricTypeGauge {
					errs = append(errs, fmt.Errorf("%s is a %s, want a gauge", AlertsMetricName, m.Type()))
					continue
				}
				dps := m.Gauge().DataPoints()
				for d := 0; d < dps.Len(); d++ {
					a, err := alertFromDataPoint(dps.At(d))
					if err != nil {
						errs = append(errs, err)
						continue
					}
					alerts = append(alerts, a)
				}
			}
		}
	}
	return alerts, errs
}

func alertFromDataPoint(dp pmetric.NumberDataPoint) (Alert, error) {
	attrs := dp.Attributes()
	a := Alert{Time: dp.Timestamp().AsTime()}
	a.Name = stringAttr(attrs, attrAlertName)
	if a.Name == "" {
		return Alert{}, errors.New("alert data point without alertname")
	}
	var err error
	if a.State, err = parseState(stringAttr(attrs, attrAlertState)); err != nil {
		return Alert{}, fmt.Errorf("alert %q: %w", a.Name, err)
	}
	if a.Severity, err = ParseSeverity(stringAttr(attrs, attrSeverity)); err != nil {
		return Alert{}, fmt.Errorf("alert %q: severity: %w", a.Name, err)
	}
	a.Description = stringAttr(attrs, attrDescription)
	a.Threshold = stringAttr(attrs, attrThreshold)
	if v, ok := attrs.Get(attrCooldown); ok {
		if a.Cooldown, err = parseCooldown(v); err != nil {
			return Alert{}, fmt.Errorf("alert %q: cooldown: %w", a.Name, err)
		}
	}
	switch dp.ValueType() {
	case pmetric.NumberDataPointValueTypeDouble:
		a.Value, a.HasValue = dp.DoubleValue(), true
	case pmetric.NumberDataPointValueTypeInt:
		a.Value, a.HasValue = float64(dp.IntValue()), true
	}
	attrs.Range(func(k string, v pcommon.Value) bool {
		switch {
		case reservedAttributes[k]:
		case strings.HasPrefix(k, annotationPrefix):
			if name := k[len(annotationPrefix):]; name != "" {
				a.Annotations = append(a.Annotations, Label{Key: name, Value: v.AsString()})
			}
		default:
			a.Labels = append(a.Labels, Label{Key: k, Value: v.AsString()})
		}
		return true
	})
	sort.Slice(a.Labels, func(i, j int) bool { return a.Labels[i].Key < a.Labels[j].Key })
	sort.Slice(a.Annotations, func(i, j int) bool { return a.Annotations[i].Key < a.Annotations[j].Key })
	a.TraceIDs = traceIDsOf(dp.Exemplars())
	a.Fingerprint = stringAttr(attrs, attrFingerprint)
	if a.Fingerprint == "" {
		// The contract says the processor always writes one; derive a stable one rather than drop the alert.
		a.Fingerprint = fingerprintOf(a.Name, a.Labels)
	}
	return a, nil
}

// traceIDsOf returns the distinct trace ids of a point's exemplars, newest first (the alert
// processor writes them so; sorted again so another writer's order does not matter).
func traceIDsOf(exemplars pmetric.ExemplarSlice) []string {
	type ref struct {
		id string
		at pcommon.Timestamp
	}
	var refs []ref
	for i := 0; i < exemplars.Len(); i++ {
		ex := exemplars.At(i)
		if ex.TraceID().IsEmpty() {
			continue
		}
		id := ex.TraceID().String()
		if !slices.ContainsFunc(refs, func(r ref) bool { return r.id == id }) {
			refs = append(refs, ref{id, ex.Timestamp()})
		}
	}
	sort.SliceStable(refs, func(i, j int) bool { return refs[i].at > refs[j].at })
	ids := make([]string, 0, min(len(refs), MaxTraceIDsPerAlert))
	for _, r := range refs[:min(len(refs), MaxTraceIDsPerAlert)] {
		ids = append(ids, r.id)
	}
	if len(ids) == 0 {
		return nil
	}
	return ids
}

// stringAttr returns an attribute as text ("" when absent), whatever its type.
func stringAttr(attrs pcommon.Map, key string) string {
	v, ok := attrs.Get(key)
	if !ok {
		return ""
	}
	return v.AsString()
}

// parseCooldown reads a cooldown written as a Go duration ("15m") or as a number of seconds.
func parseCooldown(v pcommon.Value) (time.Duration, error) {
	var d time.Duration
	switch v.Type() {
	case pcommon.ValueTypeInt:
		d = time.Duration(v.Int()) * time.Second
	case pcommon.ValueTypeDouble:
		d = time.Duration(v.Double() * float64(time.Second))
	case pcommon.ValueTypeStr:
		s := v.Str()
		if s == "" {
			return 0, nil
		}
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			secs, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil {
				return 0, fmt.Errorf("%q is neither a duration nor seconds", s)
			}
			d = time.Duration(secs * float64(time.Second))
		}
	default:
		return 0, fmt.Errorf("unsupported type %s", v.Type())
	}
	if d < 0 {
		return 0, fmt.Errorf("%s is negative", d)
	}
	return d, nil
}
