package notify

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"
)

func mixedMetrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	// Resource 1: no alerts at all.
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "receiver")
	rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetName("multiagents.events")
	// Resource 2: one scope without alerts, one with alerts among other metrics.
	rm = md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "alerts")
	rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty().SetName("multiagents.worker.health")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("alertprocessor")
	sm.Metrics().AppendEmpty().SetName("multiagents.worker.error_rate")
	m := sm.Metrics().AppendEmpty()
	m.SetName(AlertsMetricName)
	alertPoint(m.SetEmptyGauge(), 1, map[string]any{"alertname": "a", "alertstate": "firing", "severity": "error", "fingerprint": "fp"})
	return md
}

func TestSelectAlerts(t *testing.T) {
	md := mixedMetrics()
	sel, ok := SelectAlerts(md)
	require.True(t, ok)
	require.Equal(t, 1, sel.ResourceMetrics().Len())
	rm := sel.ResourceMetrics().At(0)
	name, _ := rm.Resource().Attributes().Get("service.name")
	assert.Equal(t, "alerts", name.Str())
	require.Equal(t, 1, rm.ScopeMetrics().Len())
	assert.Equal(t, "alertprocessor", rm.ScopeMetrics().At(0).Scope().Name())
	require.Equal(t, 1, rm.ScopeMetrics().At(0).Metrics().Len())
	assert.Equal(t, 1, sel.DataPointCount())
	alerts, errs := AlertsFromMetrics(sel)
	assert.Empty(t, errs)
	assert.Len(t, alerts, 1)
	assert.Equal(t, 4, md.MetricCount(), "the input is left alone")

	_, ok = SelectAlerts(pmetric.NewMetrics())
	assert.False(t, ok)
}

func TestSelectLogAlerts(t *testing.T) {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	lrs.AppendEmpty().SetSeverityNumber(plog.SeverityNumberInfo)
	lrs.AppendEmpty().SetSeverityNumber(plog.SeverityNumberError)
	lrs.AppendEmpty().SetSeverityNumber(plog.SeverityNumberDebug)
	sel, ok := SelectLogAlerts(ld, SeverityWarning)
	require.True(t, ok)
	assert.Equal(t, 1, sel.LogRecordCount())
	_, ok = SelectLogAlerts(ld, SeverityCritical)
	assert.False(t, ok)
}

type sinkExporter struct {
	component.StartFunc
	component.ShutdownFunc
	*consumertest.MetricsSink
}

type sinkLogsExporter struct {
	component.StartFunc
	component.ShutdownFunc
	*consumertest.LogsSink
}

func TestAlertsOnlyWrappers(t *testing.T) {
	sink := &sinkExporter{MetricsSink: new(consumertest.MetricsSink)}
	n := NewDisabled(zap.NewNop(), "")
	var exp exporter.Metrics = n.WrapMetrics(sink)
	require.NoError(t, exp.ConsumeMetrics(context.Background(), pmetric.NewMetrics()))
	require.NoError(t, exp.ConsumeMetrics(context.Background(), mixedMetrics()))
	require.Len(t, sink.AllMetrics(), 1, "a batch without alerts is not queued")
	assert.Equal(t, 1, sink.AllMetrics()[0].MetricCount())

	logSink := &sinkLogsExporter{LogsSink: new(consumertest.LogsSink)}
	n.minSev = SeverityError
	var lexp exporter.Logs = n.WrapLogs(logSink)
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().SetSeverityNumber(plog.SeverityNumberWarn)
	require.NoError(t, lexp.ConsumeLogs(context.Background(), ld))
	assert.Empty(t, logSink.AllLogs(), "below min_severity: not queued")
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty().SetSeverityNumber(plog.SeverityNumberFatal)
	require.NoError(t, lexp.ConsumeLogs(context.Background(), ld))
	require.Len(t, logSink.AllLogs(), 1)
	assert.Equal(t, 1, logSink.AllLogs()[0].LogRecordCount())

	disabled := NewDisabled(zap.NewNop(), "off")
	require.NoError(t, disabled.WrapMetrics(sink).ConsumeMetrics(context.Background(), mixedMetrics()))
	assert.Len(t, sink.AllMetrics(), 1, "a disabled notifier queues nothing")
}
