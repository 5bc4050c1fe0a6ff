package alertmanagerexporter

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertmanagertest"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor"
)

// workerHealth is what the worker_health processor writes for one worker: one series per state.
func workerHealth(worker, current string) pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("multiagents.worker.health")
	dps := m.SetEmptyGauge().DataPoints()
	for _, state := range []string{"healthy", "degraded", "failed"} {
		dp := dps.AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
		dp.Attributes().PutStr("worker.name", worker)
		dp.Attributes().PutStr("state", state)
		dp.SetIntValue(0)
		if state == current {
			dp.SetIntValue(1)
		}
	}
	return md
}

// TestAlertProcessorToAlertmanager checks the contract between the real alert processor's
// multiagents.alerts and this exporter, read back from the real Alertmanager with amtool: the
// rule's group and static labels under their mapped names, its annotations rendered, and the
// recovery reaching Alertmanager as a resolve.
func TestAlertProcessorToAlertmanager(t *testing.T) {
	ctx := context.Background()
	hook := alertmanagertest.NewWebhook(t)
	am := alertmanagertest.Start(t, alertmanagertest.Options{WebhookURL: hook.URL()})

	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{am.URL}
	cfg.ResendInterval = time.Second
	exp, err := NewFactory().CreateMetrics(ctx, exportertest.NewNopSettings(NewFactory().Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, exp.Shutdown(ctx)) }()

	apFactory := alertprocessor.NewFactory()
	apCfg := apFactory.CreateDefaultConfig().(*alertprocessor.Config)
	apCfg.EvaluationInterval = 100 * time.Millisecond
	apCfg.ResolvedRetention = time.Second
	apCfg.Rules = []alertprocessor.Rule{{
		Name: "worker_failure", Metric: "multiagents.worker.health", Match: map[string]string{"state": "failed"},
		GroupBy: []string{"worker.name"}, Function: "value", Aggregate: "max", Condition: "== 1",
		Severity: "error", Cooldown: 15 * time.Minute, Description: "Worker {{ worker.name }} has failed",
		Labels: map[string]string{"team": "payments", "service.tier": "1"},
		Annotations: map[string]string{
			"summary":     "{{ worker.name }} is down",
			"runbook_url": "https://runbooks.example.com/worker-failure",
		},
	}}
	require.NoError(t, apCfg.Validate())
	proc, err := apFactory.CreateMetrics(ctx, processortest.NewNopSettings(apFactory.Type()), apCfg, exp)
	require.NoError(t, err)
	require.NoError(t, proc.Start(ctx, componenttest.NewNopHost()))
	defer func() { require.NoError(t, proc.Shutdown(ctx)) }()

	require.NoError(t, proc.ConsumeMetrics(ctx, workerHealth("payment-worker", "failed")))
	var alerts []gettableAlert
	waitFor(t, "amtool shows worker_failure", func() bool {
		alerts = queryAlerts(t, am, "alertname=worker_failure", "worker_name=payment-worker")
		return len(alerts) == 1
	})
	assert.Equal(t, map[string]string{
		"alertname": "worker_failure", "severity": "error", "worker_name": "payment-worker",
		"team": "payments", "service_tier": "1",
	}, alerts[0].Labels, "group and static labels under their Alertmanager names")
	assert.Equal(t, "payment-worker is down", alerts[0].Annotations["summary"])
	assert.Equal(t, "https://runbooks.example.com/worker-failure", alerts[0].Annotations["runbook_url"])
	assert.Equal(t, "Worker payment-worker has failed", alerts[0].Annotations["description"])
	assert.Equal(t, "== 1", alerts[0].Annotations["threshold"])
	assert.Equal(t, "1", alerts[0].Annotations["value"])

	// Alertmanager tells a resolve only of an alert it notified: wait for that first.
	waitFor(t, "Alertmanager notifies the firing alert", func() bool { return len(notificationsWith(hook, "firing")) > 0 })
	require.NoError(t, proc.ConsumeMetrics(ctx, workerHealth("payment-worker", "healthy")))
	waitFor(t, "Alertmanager notifies the resolve", func() bool { return len(notificationsWith(hook, "resolved")) > 0 })
	assert.Empty(t, queryAlerts(t, am))
}
