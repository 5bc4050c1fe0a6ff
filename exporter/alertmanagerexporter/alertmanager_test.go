package alertmanagerexporter

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/alertmanagerexporter/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertmanagertest"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
)

// These tests run the real Alertmanager (internal/alertmanagertest) and read it back with the
// real amtool, on the real clock with short intervals: resend every second, retries from 100 ms.

// gettableAlert is what `amtool alert query -o json` prints for one alert.
type gettableAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Status      struct {
		State string `json:"state"`
	} `json:"status"`
}

func queryAlerts(t *testing.T, am *alertmanagertest.Alertmanager, matchers ...string) []gettableAlert {
	t.Helper()
	var alerts []gettableAlert
	out := am.Amtool(append([]string{"alert", "query", "-o", "json"}, matchers...)...)
	require.NoError(t, json.Unmarshal([]byte(out), &alerts), "amtool output: %s", out)
	return alerts
}

// evaluations plays the alert processor: every 200 ms it writes the instance in the current state.
type evaluations struct {
	state atomic.Value
	stop  chan struct{}
	done  chan struct{}
}

func startEvaluations(t *testing.T, consume func(notifytest.Point)) *evaluations {
	ev := &evaluations{stop: make(chan struct{}), done: make(chan struct{})}
	ev.state.Store("firing")
	go func() {
		defer close(ev.done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			p := workerDown(ev.state.Load().(string), "payments")
			p.Time = time.Now()
			consume(p)
			select {
			case <-ev.stop:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(ev.halt)
	return ev
}

func (ev *evaluations) halt() {
	select {
	case <-ev.stop:
	default:
		close(ev.stop)
	}
	<-ev.done
}

func startRealTimeExporter(t *testing.T, urls ...string) (*amExporter, *evaluations) {
	t.Helper()
	ctx := context.Background()
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = urls
	cfg.GeneratorURL = "https://grafana.example.com/d/multiagents"
	cfg.ResendInterval = time.Second
	cfg.ResolvedResendFor = time.Minute
	cfg.BackOffConfig.InitialInterval = 100 * time.Millisecond
	cfg.BackOffConfig.MaxInterval = 500 * time.Millisecond
	require.NoError(t, cfg.Validate())
	set := exportertest.NewNopSettings(metadata.Type)
	set.ID = component.NewID(metadata.Type)
	exp, err := NewFactory().CreateMetrics(ctx, set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, exp.Shutdown(context.Background())) })
	ev := startEvaluations(t, func(p notifytest.Point) {
		assert.NoError(t, exp.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(p)))
	})
	return exp.(alertsOnly).Exporter(), ev
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	notifytest.Eventually(t, 15*time.Second, cond, what)
}

func notificationsWith(hook *alertmanagertest.Webhook, status string) []alertmanagertest.Notification {
	var out []alertmanagertest.Notification
	for _, n := range hook.Notifications() {
		if n.Status == status {
			out = append(out, n)
		}
	}
	return out
}

func TestRealAlertmanagerHAPairFiringThenResolved(t *testing.T) {
	hooks := []*alertmanagertest.Webhook{alertmanagertest.NewWebhook(t), alertmanagertest.NewWebhook(t)}
	ams := []*alertmanagertest.Alertmanager{
		alertmanagertest.Start(t, alertmanagertest.Options{WebhookURL: hooks[0].URL()}),
		alertmanagertest.Start(t, alertmanagertest.Options{WebhookURL: hooks[1].URL()}),
	}
	e, ev := startRealTimeExporter(t, ams[0].URL, ams[1].URL+"/")

	wantLabels := map[string]string{
		"alertname": "worker_failure", "severity": "critical", "worker_name": "payments", "team": "payments",
	}
	var startsAt time.Time
	for i, am := range ams {
		var alerts []gettableAlert
		waitFor(t, "amtool shows the firing alert", func() bool {
			alerts = queryAlerts(t, am, "worker_name=payments", "team=payments")
			return len(alerts) == 1
		})
		a := alerts[0]
		assert.Equal(t, wantLabels, a.Labels, "Alertmanager %d", i)
		assert.Equal(t, "active", a.Status.State)
		assert.Equal(t, "Worker payments is down (1 failures)", a.Annotations["summary"])
		assert.Equal(t, "https://runbooks.example.com/worker-down", a.Annotations["runbook_url"])
		assert.Equal(t, "Worker payments has failed", a.Annotations["description"])
		assert.Equal(t, "== 1", a.Annotations["threshold"])
		assert.Equal(t, "1", a.Annotations["value"])
		assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7a3ce929d0e0e4736", a.Annotations["trace_ids"])
		if i == 0 {
			startsAt = a.StartsAt
		} else {
			assert.WithinDuration(t, startsAt, a.StartsAt, time.Millisecond, "one startsAt for both members of the pair")
		}
		assert.True(t, a.EndsAt.After(time.Now()), "firing: endsAt ahead")
		waitFor(t, "Alertmanager notifies the firing alert", func() bool { return len(notificationsWith(hooks[i], "firing")) > 0 })
	}

	// The alert processor resolves it.
	ev.state.Store("resolved")
	for i, am := range ams {
		waitFor(t, "Alertmanager notifies the resolve", func() bool { return len(notificationsWith(hooks[i], "resolved")) > 0 })
		n := notificationsWith(hooks[i], "resolved")[0]
		require.Len(t, n.Alerts, 1)
		assert.Equal(t, "resolved", n.Alerts[0].Status)
		assert.Equal(t, wantLabels, n.Alerts[0].Labels)
		assert.WithinDuration(t, startsAt, n.Alerts[0].StartsAt, time.Millisecond, "the resolve keeps the alert's startsAt (amtool prints milliseconds)")
		assert.Equal(t, "https://grafana.example.com/d/multiagents", n.Alerts[0].GeneratorURL)
		assert.Empty(t, queryAlerts(t, am), "amtool no longer lists it")
	}
	assert.Zero(t, e.telemetry.stats.Failures.Load())
	assert.Zero(t, e.telemetry.stats.Rejected.Load(), "Alertmanager accepted every alert")
}

func TestRealAlertmanagerRestartMidIncident(t *testing.T) {
	hook := alertmanagertest.NewWebhook(t)
	am := alertmanagertest.Start(t, alertmanagertest.Options{WebhookURL: hook.URL()})
	e, ev := startRealTimeExporter(t, am.URL)

	var startsAt time.Time
	waitFor(t, "amtool shows the firing alert", func() bool {
		alerts := queryAlerts(t, am)
		if len(alerts) == 1 {
			startsAt = alerts[0].StartsAt
		}
		return len(alerts) == 1
	})
	waitFor(t, "Alertmanager notifies it", func() bool { return len(notificationsWith(hook, "firing")) > 0 })

	// Alertmanager restarts: it comes back without alerts, and the next resend fills it again.
	am.Stop()
	failures := e.telemetry.stats.Failures.Load()
	waitFor(t, "a send fails while Alertmanager is down", func() bool { return e.telemetry.stats.Failures.Load() > failures })
	am.Restart()
	waitFor(t, "the firing alert is back after the restart", func() bool {
		alerts := queryAlerts(t, am)
		return len(alerts) == 1 && alerts[0].StartsAt.Sub(startsAt).Abs() < time.Millisecond
	})

	// It resolves while Alertmanager is down: the resolve reaches it once it is back.
	am.Stop()
	ev.state.Store("resolved")
	failures = e.telemetry.stats.Failures.Load()
	waitFor(t, "the resolve fails while Alertmanager is down", func() bool { return e.telemetry.stats.Failures.Load() > failures })
	am.Restart()
	waitFor(t, "Alertmanager notifies the resolve after coming back", func() bool { return len(notificationsWith(hook, "resolved")) > 0 })
	assert.Empty(t, queryAlerts(t, am))
	assert.Positive(t, resolvedReceived(t, am), "Alertmanager counted the resolves it received since the restart")
}

// resolvedReceived reads alertmanager_alerts_received_total{status="resolved",version="v2"} from its /metrics.
func resolvedReceived(t *testing.T, am *alertmanagertest.Alertmanager) float64 {
	t.Helper()
	resp, err := http.Get(am.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, `alertmanager_alerts_received_total{status="resolved",version="v2"}`) {
			fields := strings.Fields(line)
			v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
			require.NoError(t, err)
			return v
		}
	}
	t.Fatalf("no resolved v2 alertmanager_alerts_received_total on %s/metrics", am.URL)
	return 0
}
