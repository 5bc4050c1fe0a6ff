package alertprocessor

import (
	"cmp"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
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
		m.SetName(alertstate.MetricName)
		m.SetDescription(alertstate.MetricDescription)
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
			attrs.EnsureCapacity(alertstate.NumHeaderAttributes + len(in.labels) + len(r.staticLabels) + len(r.annotationKeys))
			alertstate.Header{
				Name: r.cfg.Name, State: in.writtenState(), Severity: r.cfg.Severity, Fingerprint: in.fingerprint,
				Description: in.description, Threshold: r.thresholdText, Cooldown: r.cooldownText,
			}.Put(attrs)
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
		attrs.EnsureCapacity(alertstate.NumHeaderAttributes + len(o.instance.Labels) + len(o.rule.StaticLabels) + len(o.rule.Annotations))
		alertstate.Header{
			Name: o.rule.Name, State: stateResolved.String(), Severity: o.rule.Severity, Fingerprint: o.instance.Fingerprint,
			Description: o.instance.Description, Threshold: o.rule.Threshold, Cooldown: o.rule.Cooldown,
		}.Put(attrs)
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
		alertstate.PutAnnotation(attrs, k, v)
	}
}
