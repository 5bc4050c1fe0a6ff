package alertstate

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

// Label is a key and its value: a group or static label, or an annotation.
type Label struct {
	Key, Value string
}

// Point is one multiagents.alerts data point as read.
type Point struct {
	Name, State, Severity, Fingerprint, Description, Threshold string
	// Cooldown is zero when the point has none.
	Cooldown time.Duration
	// Value is the rule's observed value; HasValue is false when the point has none.
	Value    float64
	HasValue bool
	// Labels and Annotations (without their prefix) are sorted by key.
	Labels, Annotations []Label
	// TraceIDs are the distinct trace ids of the exemplars, newest first, at most MaxTraceIDs.
	TraceIDs []string
	Time     time.Time
}

// Read reads every multiagents.alerts data point of md. A point that is not a valid alert is
// skipped and reported in the returned errors; its neighbours are still read.
func Read(md pmetric.Metrics) ([]Point, []error) {
	var errs []error
	rms := md.ResourceMetrics()
	points := make([]Point, 0, countPoints(rms))
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				if m.Name() != MetricName {
					continue
				}
				if m.Type() != pmetric.MetricTypeGauge {
					errs = append(errs, fmt.Errorf("%s is a %s, want a gauge", MetricName, m.Type()))
					continue
				}
				dps := m.Gauge().DataPoints()
				for d := 0; d < dps.Len(); d++ {
					p, err := ReadPoint(dps.At(d))
					if err != nil {
						errs = append(errs, err)
						continue
					}
					points = append(points, p)
				}
			}
		}
	}
	return points, errs
}

// countPoints is how many multiagents.alerts points md holds, so Read allocates once.
func countPoints(rms pmetric.ResourceMetricsSlice) int {
	n := 0
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				if m := ms.At(k); m.Name() == MetricName && m.Type() == pmetric.MetricTypeGauge {
					n += m.Gauge().DataPoints().Len()
				}
			}
		}
	}
	return n
}

// ReadPoint reads one data point. It fails without alertname, with an alertstate or severity
// outside the contract, or with a cooldown that is not a non-negative duration. An absent
// fingerprint is read as "": the reader decides how to identify such a point.
func ReadPoint(dp pmetric.NumberDataPoint) (Point, error) {
	attrs := dp.Attributes()
	p := Point{Time: dp.Timestamp().AsTime()}
	p.Name = StringAttr(attrs, AttrAlertName)
	if p.Name == "" {
		return Point{}, errors.New("alert data point without alertname")
	}
	p.State = StringAttr(attrs, AttrAlertState)
	if err := CheckState(p.State); err != nil {
		return Point{}, fmt.Errorf("alert %q: %w", p.Name, err)
	}
	p.Severity = StringAttr(attrs, AttrSeverity)
	if err := CheckSeverity(p.Severity); err != nil {
		return Point{}, fmt.Errorf("alert %q: severity: %w", p.Name, err)
	}
	p.Description = StringAttr(attrs, AttrDescription)
	p.Threshold = StringAttr(attrs, AttrThreshold)
	if v, ok := attrs.Get(AttrCooldown); ok {
		var err error
		if p.Cooldown, err = ParseCooldown(v); err != nil {
			return Point{}, fmt.Errorf("alert %q: cooldown: %w", p.Name, err)
		}
	}
	switch dp.ValueType() {
	case pmetric.NumberDataPointValueTypeDouble:
		p.Value, p.HasValue = dp.DoubleValue(), true
	case pmetric.NumberDataPointValueTypeInt:
		p.Value, p.HasValue = float64(dp.IntValue()), true
	}
	attrs.Range(func(k string, v pcommon.Value) bool {
		switch {
		case IsReserved(k):
		case strings.HasPrefix(k, AnnotationPrefix):
			if name := k[len(AnnotationPrefix):]; name != "" {
				p.Annotations = append(p.Annotations, Label{Key: name, Value: v.AsString()})
			}
		default:
			p.Labels = append(p.Labels, Label{Key: k, Value: v.AsString()})
		}
		return true
	})
	sort.Slice(p.Labels, func(i, j int) bool { return p.Labels[i].Key < p.Labels[j].Key })
	sort.Slice(p.Annotations, func(i, j int) bool { return p.Annotations[i].Key < p.Annotations[j].Key })
	p.TraceIDs = TraceIDs(dp.Exemplars())
	p.Fingerprint = StringAttr(attrs, AttrFingerprint)
	return p, nil
}

// TraceIDs returns the distinct trace ids of a point's exemplars, newest first, at most
// MaxTraceIDs (the alert processor writes them so; sorted again so another writer's order
// does not matter).
func TraceIDs(exemplars pmetric.ExemplarSlice) []string {
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
	ids := make([]string, 0, min(len(refs), MaxTraceIDs))
	for _, r := range refs[:min(len(refs), MaxTraceIDs)] {
		ids = append(ids, r.id)
	}
	if len(ids) == 0 {
		return nil
	}
	return ids
}

// StringAttr returns an attribute as text ("" when absent), whatever its type.
func StringAttr(attrs pcommon.Map, key string) string {
	v, ok := attrs.Get(key)
	if !ok {
		return ""
	}
	return v.AsString()
}

// ParseCooldown reads a cooldown written as a Go duration ("15m") or as a number of seconds
// (text, integer or double); "" is no cooldown.
func ParseCooldown(v pcommon.Value) (time.Duration, error) {
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
