package notify

import (
	"context"

	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// A notifier sits at the end of the one metrics pipeline and so receives every metric. These
// wrappers keep only alert data before exporterhelper's sending_queue, so the queue (and a
// persistent queue on disk) holds alerts, not a copy of all the pipeline's metrics.

// SelectAlerts returns a copy of md holding only the multiagents.alerts metrics, with their
// resource and scope, and whether there was any.
func SelectAlerts(md pmetric.Metrics) (pmetric.Metrics, bool) {
	out := pmetric.NewMetrics()
	found := false
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		var outRM pmetric.ResourceMetrics
		haveRM := false
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			var outSM pmetric.ScopeMetrics
			haveSM := false
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				if m.Name() != AlertsMetricName {
					continue
				}
				if !haveRM {
					outRM, haveRM = out.ResourceMetrics().AppendEmpty(), true
					rm.Resource().CopyTo(outRM.Resource())
					outRM.SetSchemaUrl(rm.SchemaUrl())
				}
				if !haveSM {
					outSM, haveSM = outRM.ScopeMetrics().AppendEmpty(), true
					sm.Scope().CopyTo(outSM.Scope())
					outSM.SetSchemaUrl(sm.SchemaUrl())
				}
				m.CopyTo(outSM.Metrics().AppendEmpty())
				found = true
			}
		}
	}
	return out, found
}

// SelectLogAlerts returns a copy of ld holding only the records at or above minSeverity (the
// ones AlertsFromLogs reads as alerts), and whether there was any.
func SelectLogAlerts(ld plog.Logs, minSeverity Severity) (plog.Logs, bool) {
	out := plog.NewLogs()
	found := false
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		var outRL plog.ResourceLogs
		haveRL := false
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			var outSL plog.ScopeLogs
			haveSL := false
			lrs := sl.LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				if sev, ok := logSeverity(lr); !ok || sev < minSeverity {
					continue
				}
				if !haveRL {
					outRL, haveRL = out.ResourceLogs().AppendEmpty(), true
					rl.Resource().CopyTo(outRL.Resource())
					outRL.SetSchemaUrl(rl.SchemaUrl())
				}
				if !haveSL {
					outSL, haveSL = outRL.ScopeLogs().AppendEmpty(), true
					sl.Scope().CopyTo(outSL.Scope())
					outSL.SetSchemaUrl(sl.SchemaUrl())
				}
				lr.CopyTo(outSL.LogRecords().AppendEmpty())
				found = true
			}
		}
	}
	return out, found
}

type alertsOnlyMetrics struct {
	exporter.Metrics
	n *Notifier
}

func (e alertsOnlyMetrics) Shutdown(ctx context.Context) error {
	e.n.beginShutdown()
	return e.Metrics.Shutdown(ctx)
}

func (e alertsOnlyMetrics) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	if e.n.disabled != "" {
		return nil
	}
	alerts, ok := SelectAlerts(md)
	if !ok {
		return nil
	}
	return e.Metrics.ConsumeMetrics(ctx, alerts)
}

// Notifier is the notifier behind the exporter; tests use it to send what is due.
func (e alertsOnlyMetrics) Notifier() *Notifier { return e.n }

// WrapMetrics wraps the exporterhelper exporter built around n: only multiagents.alerts
// reaches its queue, and at shutdown queued notifications get ShutdownGrace to go out.
func (n *Notifier) WrapMetrics(e exporter.Metrics) exporter.Metrics {
	return alertsOnlyMetrics{Metrics: e, n: n}
}

type alertsOnlyLogs struct {
	exporter.Logs
	n *Notifier
}

func (e alertsOnlyLogs) Shutdown(ctx context.Context) error {
	e.n.beginShutdown()
	return e.Logs.Shutdown(ctx)
}

func (e alertsOnlyLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if e.n.disabled != "" {
		return nil
	}
	alerts, ok := SelectLogAlerts(ld, e.n.minSev)
	if !ok {
		return nil
	}
	return e.Logs.ConsumeLogs(ctx, alerts)
}

// Notifier is the notifier behind the exporter; tests use it to send what is due.
func (e alertsOnlyLogs) Notifier() *Notifier { return e.n }

// WrapLogs wraps the exporterhelper exporter built around n: only records at or above
// min_severity reach its queue, and at shutdown queued notifications get ShutdownGrace to go out.
func (n *Notifier) WrapLogs(e exporter.Logs) exporter.Logs {
	return alertsOnlyLogs{Logs: e, n: n}
}
