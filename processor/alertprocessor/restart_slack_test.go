package alertprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/slackexporter"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
)

// collectorLife is one run of the alerting half of a collector: the real file_storage
// extension, the real slack exporter on it (its notification ledger), and the real alert
// processor feeding it (its alert state), started and stopped in the collector's order.
type collectorLife struct {
	alerts *metricsProcessor
	slack  exporter.Metrics
	stop   func()
}

func startCollectorLife(t *testing.T, dir string, alertCfg *Config, slackCfg *slackexporter.Config, clock *fakeClock) *collectorLife {
	t.Helper()
	ctx := context.Background()
	host, stopStorage := notifytest.StartFileStorage(t, dir)

	factory := slackexporter.NewFactory()
	eset := exportertest.NewNopSettings(factory.Type())
	eset.ID = component.NewIDWithName(factory.Type(), "oncall")
	slack, err := factory.CreateMetrics(ctx, eset, slackCfg)
	require.NoError(t, err)
	require.NoError(t, slack.Start(ctx, host)) // exporters start before processors

	alerts, err := newMetricsProcessor(ctx, processortest.NewNopSettings(metadata.Type), alertCfg, slack, clock)
	require.NoError(t, err)
	require.NoError(t, alerts.Start(ctx, host))

	stopped := false
	life := &collectorLife{alerts: alerts, slack: slack, stop: func() {
		if stopped {
			return
		}
		stopped = true
		require.NoError(t, alerts.Shutdown(ctx)) // and stop after them
		require.NoError(t, slack.Shutdown(ctx))
		stopStorage()
	}}
	t.Cleanup(life.stop)
	return life
}

func (l *collectorLife) evaluate() { l.alerts.alerts.evaluateAndEmit(context.Background()) }

// The strongest proof of the restart semantics: alert processor → slack exporter, one
// file_storage shared by both, and a restart of all three while an alert is firing whose
// series never comes back. Slack gets the trigger before the restart, exactly one resolve
// after, and no second trigger. Without the processor's storage (the control case) the
// resolve is never sent: the gap this feature closes.
func TestRestartThroughSlackSendsExactlyOneResolve(t *testing.T) {
	for _, withStorage := range []bool{true, false} {
		name := "with storage"
		if !withStorage {
			name = "control without alert processor storage"
		}
		t.Run(name, func(t *testing.T) {
			srv := notifytest.NewSlackServer(t)
			dir := t.TempDir()
			clock := newFakeClock(testEpoch)
			storageID := notifytest.FileStorageID

			slackCfg := slackexporter.NewFactory().CreateDefaultConfig().(*slackexporter.Config)
			slackCfg.WebhookURL = configopaque.String(srv.URL())
			slackCfg.InsecureAllowHTTP = true
			slackCfg.Storage = &storageID // the notifier's ledger survives the restart in both cases
			slackCfg.BackOffConfig.InitialInterval = 20 * time.Millisecond
			slackCfg.BackOffConfig.MaxInterval = 200 * time.Millisecond
			// The notifier groups on the wall clock while the alert processor runs on the fake
			// one: short grouping timers, so the resolve is not held for a real group_interval.
			slackCfg.GroupWait = 10 * time.Millisecond
			slackCfg.GroupInterval = 10 * time.Millisecond
			require.NoError(t, slackCfg.Validate())

			alertCfg := storedConfig(errorRateRule(time.Minute, 2*time.Minute))
			if !withStorage {
				alertCfg.Storage = nil
			}

			first := startCollectorLife(t, dir, alertCfg, slackCfg, clock)
			for range 3 { // pending, firing, firing again (deduplicated by the notifier)
				require.NoError(t, first.alerts.ConsumeMetrics(context.Background(),
					newMetrics().gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "w1").build()))
				first.evaluate()
				clock.Advance(time.Minute)
			}
			notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Messages()) == 1 }, "the trigger")
			first.stop()

			clock.Advance(10 * time.Minute) // down; the worker recovers and is never heard of again
			second := startCollectorLife(t, dir, alertCfg, slackCfg, clock)
			for range 15 * 4 { // 15 minutes of evaluations every 15 s: past stale_after + keep_firing_for + resolved_retention
				second.evaluate()
				clock.Advance(15 * time.Second)
			}
			// A sentinel pushed last: once it arrives, everything queued before it was handled.
			require.NoError(t, second.slack.ConsumeMetrics(context.Background(),
				notifytest.AlertMetrics(notifytest.Firing("sentinel", "info", "sentinel"))))
			notifytest.Eventually(t, 30*time.Second, func() bool {
				for _, m := range srv.Messages() {
					if m.Field("worker.name") == "sentinel" {
						return true
					}
				}
				return false
			}, "the sentinel")
			second.stop()

			var titles []string
			for _, m := range srv.Messages() {
				if m.Field("worker.name") == "w1" {
					require.Len(t, m.Attachments, 1)
					titles = append(titles, m.Attachments[0].Title)
				}
			}
			violations, _, _ := srv.Stats()
			assert.Empty(t, violations, "the Slack contract held")
			if !withStorage {
				require.Len(t, titles, 1, "the gap: the alert processor forgot the alert, nothing resolves it")
				assert.Contains(t, titles[0], "FIRING")
				return
			}
			require.Len(t, titles, 2, "one trigger before the restart, exactly one resolve after, no duplicate trigger: %q", titles)
			assert.Contains(t, titles[0], "FIRING")
			assert.Contains(t, titles[1], "RESOLVED")
		})
	}
}
