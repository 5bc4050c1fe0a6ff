//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertmanagertest"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// amAlert is one alert as `amtool alert query -o json` prints it.
type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
}

func amAlerts(t *testing.T, am *alertmanagertest.Alertmanager, matchers ...string) []amAlert {
	t.Helper()
	var alerts []amAlert
	out := am.Amtool(append([]string{"alert", "query", "-o", "json"}, matchers...)...)
	require.NoError(t, json.Unmarshal([]byte(out), &alerts), "amtool: %s", out)
	return alerts
}

func resolvedAbout(hook *alertmanagertest.Webhook, alertname, worker string) bool {
	for _, n := range hook.Notifications() {
		for _, a := range n.Alerts {
			if a.Status == "resolved" && a.Labels["alertname"] == alertname && a.Labels["worker_name"] == worker {
				return true
			}
		}
	}
	return false
}

// The shipped config with ALERTMANAGER_URL naming an HA pair of real Alertmanagers: a worker
// fails and both list worker_failure (amtool, mapped label names) with the rule's description;
// the collector restarts mid-incident and startsAt stays (file_storage); the worker recovers and
// both notify the resolve.
func TestShippedConfigSendsWorkerFailureToAnAlertmanagerPair(t *testing.T) {
	hooks := []*alertmanagertest.Webhook{alertmanagertest.NewWebhook(t), alertmanagertest.NewWebhook(t)}
	ams := []*alertmanagertest.Alertmanager{
		alertmanagertest.Start(t, alertmanagertest.Options{WebhookURL: hooks[0].URL()}),
		alertmanagertest.Start(t, alertmanagertest.Options{WebhookURL: hooks[1].URL()}),
	}
	d := startDeployment(t)
	code, err := d.proc.Stop(20 * time.Second)
	require.NoError(t, err)
	require.Equal(t, 0, code, "exit code after SIGTERM:\n%s", d.proc.Logs())
	d.env = append(d.env, "ALERTMANAGER_URL="+ams[0].URL+","+ams[1].URL)
	d.start(t)
	const worker = "process_payment"

	d.runSteps(t, worker, 3, true)
	var alerts []amAlert
	require.True(t, collectortest.Eventually(45*time.Second, 500*time.Millisecond, func() bool {
		d.runSteps(t, worker, 4, false)
		alerts = amAlerts(t, ams[0], "alertname=worker_failure", "worker_name="+worker)
		return len(alerts) == 1
	}), "worker_failure never reached Alertmanager; logs:\n%s", d.proc.Logs())
	assert.Equal(t, map[string]string{"alertname": "worker_failure", "severity": "error", "worker_name": worker}, alerts[0].Labels)
	assert.Equal(t, "Worker "+worker+" has failed", alerts[0].Annotations["description"])
	assert.Equal(t, "== 1", alerts[0].Annotations["threshold"])
	startsAt := alerts[0].StartsAt
	require.True(t, collectortest.Eventually(10*time.Second, 200*time.Millisecond, func() bool {
		other := amAlerts(t, ams[1], "alertname=worker_failure", "worker_name="+worker)
		return len(other) == 1 && other[0].StartsAt.Equal(startsAt)
	}), "the second Alertmanager of the pair never got worker_failure")

	// Alertmanager tells a resolve only of what it notified: wait for the firing notifications.
	for i, hook := range hooks {
		require.True(t, collectortest.Eventually(10*time.Second, 200*time.Millisecond, func() bool {
			return len(hook.Notifications()) > 0
		}), "Alertmanager %d never notified", i)
	}

	// A collector restart mid-incident keeps startsAt (the exporter's state is in file_storage).
	d.restart(t)
	require.True(t, collectortest.Eventually(20*time.Second, 500*time.Millisecond, func() bool {
		d.runSteps(t, worker, 2, false)
		again := amAlerts(t, ams[0], "alertname=worker_failure", "worker_name="+worker)
		return len(again) == 1 && again[0].StartsAt.Equal(startsAt)
	}), "worker_failure changed or vanished across the restart; logs:\n%s", d.proc.Logs())

	// The worker recovers: both Alertmanagers notify the resolve and stop listing it.
	require.True(t, collectortest.Eventually(60*time.Second, time.Second, func() bool {
		d.runSteps(t, worker, 5, true)
		return resolvedAbout(hooks[0], "worker_failure", worker) && resolvedAbout(hooks[1], "worker_failure", worker)
	}), "the resolve never reached both Alertmanagers; logs:\n%s", d.proc.Logs())
	for _, am := range ams {
		assert.Empty(t, amAlerts(t, am, "alertname=worker_failure", "worker_name="+worker))
	}
	assert.NotContains(t, d.proc.Logs(), "alertmanager: endpoints is empty", "the exporter was on")
	status, telemetry := d.scrapeTelemetry(t)
	require.Equal(t, 200, status, "the collector's own /metrics:\n%s", telemetry)
	for _, am := range ams {
		line, ok := series(telemetry, "otelcol_alertmanager_alerts_sent", `exporter="alertmanager"`, `endpoint="`+am.URL+`"`)
		require.True(t, ok, "no alerts_sent series for %s:\n%s", am.URL, telemetry)
		assert.NotEqual(t, "0", sampleValue.FindStringSubmatch(line)[1], line)
	}

	code, err = d.proc.Stop(20 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	assert.False(t, strings.Contains(d.proc.Logs(), "Sending alerts to Alertmanager failed"), "no send failed:\n%s", d.proc.Logs())
}
