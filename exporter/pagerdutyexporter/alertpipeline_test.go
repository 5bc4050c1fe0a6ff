package pagerdutyexporter

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/slackexporter"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
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

// TestAlertProcessorToSlackAndPagerDuty checks the contract between the alert processor's
// multiagents.alerts output and the notifiers, with the guide's worker_failure rule as shipped:
// a failed worker gives one Slack message and one PagerDuty incident, recovery resolves both.
func TestAlertProcessorToSlackAndPagerDuty(t *testing.T) {
	t.Parallel()
	slackSrv := notifytest.NewSlackServer(t)
	pdSrv := notifytest.NewPagerDutyServer(t)
	ctx := context.Background()
	logger, logs := notifytest.ObservedLogger()

	slackCfg := slackexporter.NewFactory().CreateDefaultConfig().(*slackexporter.Config)
	slackCfg.WebhookURL = configopaque.String(slackSrv.URL())
	slackCfg.InsecureAllowHTTP = true
	slackCfg.GroupInterval = 100 * time.Millisecond // the resolve is not held for the default minute
	slackSet := exportertest.NewNopSettings(slackexporter.NewFactory().Type())
	slackSet.Logger = logger
	slackExp, err := slackexporter.NewFactory().CreateMetrics(ctx, slackSet, slackCfg)
	require.NoError(t, err)

	pdCfg := newTestConfig(pdSrv.URL())
	pdSet := exportertest.NewNopSettings(NewFactory().Type())
	pdSet.Logger = logger
	pdExp, err := NewFactory().CreateMetrics(ctx, pdSet, pdCfg)
	require.NoError(t, err)

	exporters := []exporter.Metrics{slackExp, pdExp}
	for _, e := range exporters {
		require.NoError(t, e.Start(ctx, componenttest.NewNopHost()))
	}
	fanout, err := consumer.NewMetrics(func(ctx context.Context, md pmetric.Metrics) error {
		for _, e := range exporters {
			if err := e.ConsumeMetrics(ctx, md); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)

	apFactory := alertprocessor.NewFactory()
	apCfg := apFactory.CreateDefaultConfig().(*alertprocessor.Config)
	apCfg.EvaluationInterval = 100 * time.Millisecond
	apCfg.ResolvedRetention = time.Second
	apCfg.Rules = []alertprocessor.Rule{{
		Name: "worker_failure", Metric: "multiagents.worker.health", Match: map[string]string{"state": "failed"},
		GroupBy: []string{"worker.name"}, Function: "value", Aggregate: "max", Condition: "== 1",
		Severity: "error", Cooldown: 15 * time.Minute, Description: "Worker {{ worker.name }} has failed",
	}}
	require.NoError(t, apCfg.Validate())
	proc, err := apFactory.CreateMetrics(ctx, processortest.NewNopSettings(apFactory.Type()), apCfg, fanout)
	require.NoError(t, err)
	require.NoError(t, proc.Start(ctx, componenttest.NewNopHost()))

	require.NoError(t, proc.ConsumeMetrics(ctx, workerHealth("payment-worker", "failed")))
	notifytest.Eventually(t, 30*time.Second, func() bool {
		return len(slackSrv.Messages()) == 1 && len(pdSrv.Events()) == 1
	}, "one Slack message and one PagerDuty trigger")
	// Several more evaluations of the still-failed worker: nothing more inside the cooldown.
	time.Sleep(500 * time.Millisecond)
	require.NoError(t, proc.ConsumeMetrics(ctx, workerHealth("payment-worker", "healthy")))
	notifytest.Eventually(t, 30*time.Second, func() bool {
		return len(slackSrv.Messages()) == 2 && len(pdSrv.Events()) == 2
	}, "the resolve on both")
	time.Sleep(500 * time.Millisecond) // resolved keeps being written for a while: still one resolve

	require.NoError(t, proc.Shutdown(ctx))
	for _, e := range exporters {
		require.NoError(t, e.Shutdown(ctx))
	}

	msgs := slackSrv.Messages()
	require.Len(t, msgs, 2)
	assert.Contains(t, msgs[0].Attachments[0].Title, "worker_failure")
	assert.Contains(t, msgs[0].Attachments[0].Title, "FIRING")
	assert.Equal(t, "Worker payment-worker has failed", msgs[0].Attachments[0].Text)
	assert.Equal(t, "payment-worker", msgs[0].Field("worker.name"))
	assert.Equal(t, "#ff0000", msgs[0].Attachments[0].Color)
	assert.Contains(t, msgs[1].Attachments[0].Title, "RESOLVED")

	evs := pdSrv.Events()
	require.Len(t, evs, 2)
	assert.Equal(t, "trigger", evs[0].EventAction)
	assert.Equal(t, "error", evs[0].Payload.Severity)
	assert.Equal(t, "worker_failure: Worker payment-worker has failed", evs[0].Payload.Summary)
	assert.Equal(t, "resolve", evs[1].EventAction)
	assert.Equal(t, evs[0].DedupKey, evs[1].DedupKey)
	assert.NotEmpty(t, evs[0].DedupKey)

	assert.Empty(t, pdSrv.Violations())
	violations, throttled, _ := slackSrv.Stats()
	assert.Empty(t, violations)
	assert.Zero(t, throttled)
	notifytest.AssertNoSecret(t, logs, routingKey, notifytest.SlackWebhookPath, notifytest.SlackSecretToken)
}
