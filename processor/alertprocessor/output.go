package alertprocessor

import (
	"cmp"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
)

// The alert state series, per the architecture's "Alert state" contract.
const (
	alertsMetricName        = "multiagents.alerts"
	alertsMetricDescription = "Alert instances of the alert processor's rules; value is the rule's observed value."

	attrAlertName   = "alertname"
	attrAlertState  = "alertstate"
	attrSeverity    = "severity"
	attrFingerprint = "fingerprint"
	attrDescription = "description"
	attrThreshold   = "threshold"
	attrCooldown    = "cooldown"
)

// renderAlerts writes every live instance as a multiagents.alerts point, ordered by rule and
// fingerprint, then the orphans as resolved. It returns false when there is nothing to write.
func renderAlerts(rules []*compiledRule, orphans []orphan, now time.Time, version string) (pmetric.Metrics, bool) {
	md := pmetric.NewMetrics()
	var points pmetric.NumberDataPointSlice
	started := false
	ts := pcommon.NewTimestampFromTime(now)
	begin := func() {
		if started {
			return
		}
		started = true
		sm := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
		sm.Scope().SetName(metadata.ScopeName)
		sm.Scope().SetVersion(version)
		m := sm.Metrics().AppendEmpty()
		m.SetName(alertsMetricName)
		m.SetDescription(alertsMetricDescription)
		points = m.SetEmptyGauge().DataPoints()
	}
	for _, r := range rules {
		if len(r.instances) == 0 {
			continue
		}
		begin()
		instances := make([]*instance, 0, len(r.instances))
		for _, in := range r.instances {
			instances = append(instances, in)
		}
		slices.SortFunc(instances, func(a, b *instance) int { return cmp.Compare(a.fingerprint, b.fingerprint) })
		for _, in := range instances {
			dp := points.AppendEmpty()
			dp.SetTimestamp(ts)
			dp.SetDoubleValue(in.value)
			attrs := dp.Attributes()
			attrs.EnsureCapacity(7 + len(in.labels) + len(r.staticLabels) + len(r.annotationKeys))
			attrs.PutStr(attrAlertName, r.cfg.Name)
			attrs.PutStr(attrAlertState, in.writtenState())
			attrs.PutStr(attrSeverity, r.cfg.Severity)
			attrs.PutStr(attrFingerprint, in.fingerprint)
			attrs.PutStr(attrDescription, in.description)
			attrs.PutStr(attrThreshold, r.thresholdText)
			attrs.PutStr(attrCooldown, r.cooldownText)
			for i, k := range r.cfg.GroupBy {
				if in.labels[i] != "" {
					attrs.PutStr(k, in.labels[i])
				}
			}
			putLabelsAndAnnotations(attrs, r.cfg.Labels, r.cfg.Annotations)
			writeExemplars(dp.Exemplars(), in.traces)
		}
	}
	for _, o := range orphans {
		begin()
		dp := points.AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetDoubleValue(o.value)
		attrs := dp.Attributes()
		attrs.EnsureCapacity(7 + len(o.instance.Labels) + len(o.rule.StaticLabels) + len(o.rule.Annotations))
		attrs.PutStr(attrAlertName, o.rule.Name)
		attrs.PutStr(attrAlertState, stateResolved.String())
		attrs.PutStr(attrSeverity, o.rule.Severity)
		attrs.PutStr(attrFingerprint, o.instance.Fingerprint)
		attrs.PutStr(attrDescription, o.instance.Description)
		attrs.PutStr(attrThreshold, o.rule.Threshold)
		attrs.PutStr(attrCooldown, o.rule.Cooldown)
		for i, k := range o.rule.GroupBy {
			if o.instance.Labels[i] != "" && k != "" {
				attrs.PutStr(k, o.instance.Labels[i])
			}
		}
		putLabelsAndAnnotations(attrs, o.rule.StaticLabels, o.rule.Annotations)
	}
	return md, started
}

// putLabelsAndAnnotations writes a rule's static labels as attributes of their own name and
// its annotations as annotations.<name>, with the configured (unrendered) text.
func putLabelsAndAnnotations(attrs pcommon.Map, labels, annotations map[string]string) {
	for k, v := range labels {
		attrs.PutStr(k, v)
	}
	for k, v := range annotations {
		attrs.PutStr(annotationPrefix+k, v)
	}
}
