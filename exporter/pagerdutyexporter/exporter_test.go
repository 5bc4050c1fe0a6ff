package pagerdutyexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/pagerdutyexporter/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
)

const routingKey = "R0UT1NGKEYs3cr3t0123456789abcdef" // 32 characters

func newTestConfig(url string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.RoutingKey = configopaque.String(routingKey)
	cfg.Endpoint = url
	cfg.Client = "otelcol-multiagents"
	cfg.ClientURL = "http://localhost:9090/alerts"
	cfg.BackOffConfig.InitialInterval = 20 * time.Millisecond
	cfg.BackOffConfig.MaxInterval = 200 * time.Millisecond
	cfg.BackOffConfig.RandomizationFactor = 0
	cfg.BackOffConfig.MaxElapsedTime = time.Minute
	// Short group timers; the grouping itself is tested with an injected clock in notify.
	cfg.GroupWait = 0
	cfg.GroupInterval = 50 * time.Millisecond
	return cfg
}

func startMetrics(t *testing.T, cfg *Config, host component.Host) (exporter.Metrics, *observer.ObservedLogs) {
	t.Helper()
	return startMetricsAs(t, exportertest.NewNopSettings(metadata.Type).ID, cfg, host)
}

// startMetricsAs starts the exporter under a given id; a restart must keep its id to find its state.
func startMetricsAs(t *testing.T, id component.ID, cfg *Config, host component.Host) (exporter.Metrics, *observer.ObservedLogs) {
	t.Helper()
	return startMetricsAsOn(t, id, cfg, host, notify.SystemClock)
}

// startMetricsAsOn is startMetricsAs on the given clock.
func startMetricsAsOn(t *testing.T, id component.ID, cfg *Config, host component.Host, clock clockwork.Clock) (exporter.Metrics, *observer.ObservedLogs) {
	t.Helper()
	require.NoError(t, cfg.Validate())
	logger, logs := notifytest.ObservedLogger()
	set := exportertest.NewNopSettings(metadata.Type)
	set.ID = id
	set.Logger = logger
	exp, err := newFactory(clock).CreateMetrics(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), host))
	return exp, logs
}

// sentinel pages (critical) in a group of its own (its own alertname, so its own dedup key);
// when it arrives, everything due before it was handled, since the dispatcher sends in order.
func sentinel(i int) notifytest.Point {
	p := notifytest.Firing(fmt.Sprintf("sentinel-%d", i), "critical", "sentinel")
	p.Name = fmt.Sprintf("sentinel_%d", i)
	return p
}

func isSentinel(ev notifytest.PagerDutyEvent) bool {
	return ev.Payload != nil && strings.HasPrefix(ev.Payload.Class, "sentinel_")
}

// workerFailureKey is the dedup_key of the group {alertname="worker_failure"}.
var workerFailureKey = notify.GroupIDOf(`{alertname="worker_failure"}`)

func realEvents(evs []notifytest.PagerDutyEvent) []notifytest.PagerDutyEvent {
	var out []notifytest.PagerDutyEvent
	for _, ev := range evs {
		if !isSentinel(ev) {
			out = append(out, ev)
		}
	}
	return out
}

func settleWith(t *testing.T, exp exporter.Metrics, srv *notifytest.PagerDutyServer, i int) {
	t.Helper()
	require.NoError(t, exp.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(sentinel(i))))
	name := fmt.Sprintf("sentinel_%d", i)
	notifytest.Eventually(t, 30*time.Second, func() bool {
		for _, ev := range srv.Events() {
			if ev.Payload != nil && ev.Payload.Class == name {
				return true
			}
		}
		return false
	}, "the sentinel")
}

func TestPagerDutyAcceptanceLifecycle(t *testing.T) {
	srv := notifytest.NewPagerDutyServer(t)
	fake := clockwork.NewFakeClockAt(time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC))
	cfg := newTestConfig(srv.URL())
	cfg.GroupInterval = time.Minute
	exp, logs := startMetricsAsOn(t, exportertest.NewNopSettings(metadata.Type).ID, cfg, componenttest.NewNopHost(), fake)
	ctx := context.Background()
	push := func(points ...notifytest.Point) {
		require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(points...)))
	}

	push(notifytest.Pending("fp-w1", "error", "w1"), notifytest.Firing("fp-warn", "warning", "w9"))
	settleWith(t, exp, srv, 1)
	assert.Empty(t, realEvents(srv.Events()), "pending gives nothing; a warning does not page")

	push(notifytest.Firing("fp-w1", "error", "w1"))
	push(notifytest.Firing("fp-w1", "error", "w1"))
	settleWith(t, exp, srv, 2)
	evs := realEvents(srv.Events())
	require.Len(t, evs, 1, "a firing alert gives exactly one trigger")
	ev := evs[0]
	assert.Equal(t, "trigger", ev.EventAction)
	assert.Equal(t, workerFailureKey, ev.DedupKey, "one incident per group")
	assert.Equal(t, routingKey, ev.RoutingKey)
	assert.Equal(t, "otelcol-multiagents", ev.Client)
	assert.Equal(t, "http://localhost:9090/alerts", ev.ClientURL)
	require.NotNil(t, ev.Payload)
	assert.Equal(t, "worker_failure: Worker w1 has failed", ev.Payload.Summary)
	assert.Equal(t, "multiagents-framework", ev.Payload.Source)
	assert.Equal(t, "error", ev.Payload.Severity)
	assert.Equal(t, "2026-01-02T03:04:05Z", ev.Payload.Timestamp)
	assert.Equal(t, 1.0, ev.Payload.CustomDetails["value"])
	assert.Equal(t, "== 1", ev.Payload.CustomDetails["threshold"])
	assert.Equal(t, map[string]any{"worker.name": "w1"}, ev.Payload.CustomDetails["labels"])

	fake.Advance(14 * time.Minute)
	push(notifytest.Firing("fp-w1", "error", "w1"))
	settleWith(t, exp, srv, 3)
	require.Len(t, realEvents(srv.Events()), 1, "nothing inside the cooldown")
	fake.Advance(time.Minute)
	push(notifytest.Firing("fp-w1", "error", "w1"))
	settleWith(t, exp, srv, 4)
	evs = realEvents(srv.Events())
	require.Len(t, evs, 2, "one more trigger after the cooldown")
	assert.Equal(t, workerFailureKey, evs[1].DedupKey)
	assert.Equal(t, true, evs[1].Payload.CustomDetails["repeat"])

	push(notifytest.Resolved("fp-w1", "error", "w1"), notifytest.Resolved("fp-warn", "warning", "w9"))
	push(notifytest.Resolved("fp-w1", "error", "w1"))
	settleWith(t, exp, srv, 5)
	// At once (group_wait is 0 here), not group_interval after the repeat: the incident's end
	// does not wait like its updates do.
	evs = realEvents(srv.Events())
	require.Len(t, evs, 3)
	assert.Equal(t, "resolve", evs[2].EventAction, "one resolve")
	assert.Equal(t, workerFailureKey, evs[2].DedupKey, "with the trigger's dedup_key")

	require.NoError(t, exp.Shutdown(ctx))
	assert.Empty(t, srv.Violations())
	notifytest.AssertNoSecret(t, logs, routingKey)
}

func TestPagerDutyRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewPagerDutyServer(t)
	srv.Queue(notifytest.Answer{Status: 429, RetryAfter: "2", Body: `{"status":"throttle event","message":"Requests for this service are arriving too quickly."}`})
	exp, logs := startMetrics(t, newTestConfig(srv.URL()), componenttest.NewNopHost())
	require.NoError(t, exp.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(notifytest.Firing("fp", "critical", "w1"))))
	notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Events()) == 1 }, "the retried trigger")
	attempts := srv.AttemptTimes()
	require.Len(t, attempts, 2)
	assert.GreaterOrEqual(t, attempts[1].Sub(attempts[0]), 2*time.Second, "the next attempt waits for Retry-After")
	require.NoError(t, exp.Shutdown(context.Background()))
	notifytest.AssertNoSecret(t, logs, routingKey)
}

func TestPagerDutyBadRequestIsNotRetried(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewPagerDutyServer(t)
	srv.Queue(notifytest.Answer{Status: 400, Body: `{"status":"invalid event","message":"Event object is invalid","errors":["'payload.summary' is missing"]}`})
	exp, logs := startMetrics(t, newTestConfig(srv.URL()), componenttest.NewNopHost())
	require.NoError(t, exp.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(notifytest.Firing("fp", "error", "w1"))))
	settleWith(t, exp, srv, 1)
	assert.Len(t, srv.AttemptTimes(), 2, "the refused event was tried once, then the sentinel")
	refusals := logs.FilterMessageSnippet("refused").All()
	require.Len(t, refusals, 1, "logged once")
	assert.Contains(t, fmt.Sprint(refusals[0].ContextMap()["error"]), "Event object is invalid", "with the API's error text")
	require.NoError(t, exp.Shutdown(context.Background()))
	notifytest.AssertNoSecret(t, logs, routingKey)
}

func TestPagerDutyServerErrorsAreRetriedUntilSuccess(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewPagerDutyServer(t)
	srv.Queue(notifytest.Answer{Status: 503}, notifytest.Answer{Status: 502}, notifytest.Answer{Status: 500})
	exp, logs := startMetrics(t, newTestConfig(srv.URL()), componenttest.NewNopHost())
	require.NoError(t, exp.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(notifytest.Firing("fp", "error", "w1"))))
	notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Events()) == 1 }, "the retried trigger")
	assert.Len(t, srv.AttemptTimes(), 4, "three failures, then success")
	require.NoError(t, exp.Shutdown(context.Background()))
	notifytest.AssertNoSecret(t, logs, routingKey)
}

// TestPagerDutyRestartWithFileStorage stops the exporter (and the storage extension) after a
// trigger and before its resolve, as a collector restart does, with the real file_storage
// extension keeping both the notification state and the sending queue.
func TestPagerDutyRestartWithFileStorage(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewPagerDutyServer(t)
	dir := t.TempDir()
	cfg := newTestConfig(srv.URL())
	id := notifytest.FileStorageID
	cfg.Storage = &id
	cfg.QueueConfig.Get().StorageID = &id
	ctx := context.Background()

	host, stopStorage := notifytest.StartFileStorage(t, dir)
	exporterID := component.NewIDWithName(metadata.Type, "restart")
	exp, logs1 := startMetricsAs(t, exporterID, cfg, host)
	require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(notifytest.Firing("fp-w1", "error", "w1"))))
	notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Events()) == 1 }, "the trigger")
	require.NoError(t, exp.Shutdown(ctx))
	stopStorage()

	host, stopStorage = notifytest.StartFileStorage(t, dir)
	exp, logs2 := startMetricsAs(t, exporterID, cfg, host)
	// The alert processor keeps writing firing until the instance clears, then resolved.
	require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(notifytest.Firing("fp-w1", "error", "w1"))))
	require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(notifytest.Resolved("fp-w1", "error", "w1"))))
	require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(notifytest.Resolved("fp-w1", "error", "w1"))))
	settleWith(t, exp, srv, 1)
	require.NoError(t, exp.Shutdown(ctx))
	stopStorage()

	evs := realEvents(srv.Events())
	require.Len(t, evs, 2, "no duplicate trigger, exactly one resolve")
	assert.Equal(t, "trigger", evs[0].EventAction)
	assert.Equal(t, "resolve", evs[1].EventAction)
	assert.Equal(t, evs[0].DedupKey, evs[1].DedupKey)
	assert.Empty(t, srv.Violations())
	notifytest.AssertNoSecret(t, logs1, routingKey)
	notifytest.AssertNoSecret(t, logs2, routingKey)
}

func TestPagerDutyEventLimits(t *testing.T) {
	s, err := newPagerDutySender(newTestConfig("http://127.0.0.1:1/v2/enqueue"))
	require.NoError(t, err)
	a := notifyAlert(notifytest.Firing("fp", "critical", "w1"))

	a.Firing[0].Description = strings.Repeat("日本", 1000) // 3 bytes a rune: the summary must be cut on a rune boundary
	ev := s.event(a)
	assert.LessOrEqual(t, len(ev.Payload.Summary), maxSummaryBytes)
	assert.True(t, utf8.ValidString(ev.Payload.Summary))
	assert.NotNil(t, ev.Payload.CustomDetails)

	a.Firing[0].Description = strings.Repeat("x", 600*1024)
	ev = s.event(a)
	assert.Nil(t, ev.Payload.CustomDetails, "dropped past 512 KB")
	assert.Contains(t, ev.Payload.Summary, "custom_details dropped")
	assert.LessOrEqual(t, len(ev.Payload.Summary), maxSummaryBytes)
	body, err := json.Marshal(ev)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(body), maxEventBytes)

	a.GroupID = strings.Repeat("f", 300)
	ev = s.event(a)
	assert.LessOrEqual(t, len(ev.DedupKey), maxDedupKeyBytes)
	assert.Equal(t, ev.DedupKey, s.event(a).DedupKey, "stable")

	resolved := a
	resolved.Status, resolved.Resolved, resolved.Firing = notify.StateResolved, a.Firing, nil
	rev := s.event(resolved)
	assert.Equal(t, "resolve", rev.EventAction)
	assert.Nil(t, rev.Payload)
	assert.Equal(t, ev.DedupKey, rev.DedupKey)
}

func TestPagerDutyHugeAlertIsAcceptedByTheAPI(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewPagerDutyServer(t)
	exp, logs := startMetrics(t, newTestConfig(srv.URL()), componenttest.NewNopHost())
	p := notifytest.Firing("fp-big", "error", "w1")
	p.Description = strings.Repeat("é", 400*1024) // 800 KB of description
	require.NoError(t, exp.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(p)))
	notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Events()) == 1 }, "the trigger")
	ev := srv.Events()[0]
	assert.LessOrEqual(t, ev.Size, notifytest.PagerDutyMaxEventBytes)
	assert.Contains(t, ev.Payload.Summary, "custom_details dropped")
	assert.Empty(t, srv.Violations())
	require.NoError(t, exp.Shutdown(context.Background()))
	notifytest.AssertNoSecret(t, logs, routingKey)
}

func TestPagerDutyUnreachableLeaksNoSecret(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewPagerDutyServer(t)
	srv.Close()
	exp, logs := startMetrics(t, newTestConfig(srv.URL()), componenttest.NewNopHost())
	require.NoError(t, exp.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(notifytest.Firing("fp", "error", "w1"))))
	notifytest.Eventually(t, 30*time.Second, func() bool {
		return len(logs.FilterMessageSnippet("retrying").All()) >= 3
	}, "the connection error to be retried")
	assert.Len(t, logs.FilterMessageSnippet("retrying").FilterLevelExact(zapcore.WarnLevel).All(), 1, "one warning per streak")
	require.NoError(t, exp.Shutdown(context.Background()))
	notifytest.AssertNoSecret(t, logs, routingKey)
}

func TestPagerDutyDisabledWithoutRoutingKey(t *testing.T) {
	t.Parallel()
	exp, logs := startMetrics(t, createDefaultConfig().(*Config), componenttest.NewNopHost())
	require.NoError(t, exp.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(notifytest.Firing("fp", "error", "w1"))))
	require.NoError(t, exp.Shutdown(context.Background()))
	assert.Len(t, logs.FilterMessage(disabledMessage).All(), 1, "one warning at start")
}

// notifyAlert reads a point the way the exporter does, as the notification of a group of one.
func notifyAlert(p notifytest.Point) notify.Notification {
	alerts, _ := notify.AlertsFromMetrics(notifytest.AlertMetrics(p))
	labels := []notify.Label{{Key: "alertname", Value: alerts[0].Name}}
	key := notify.GroupKeyOf(labels)
	return notify.Notification{GroupKey: key, GroupID: notify.GroupIDOf(key), GroupLabels: labels,
		Status: notify.StateFiring, Firing: alerts, Severity: alerts[0].Severity, Time: time.Now()}
}

// One group is one incident: alerts that fail together are one trigger listing them; a
// member's resolve updates the incident; the incident resolves when the whole group has; an
// inhibited alert pages nobody.
func TestPagerDutyOneIncidentPerGroup(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewPagerDutyServer(t)
	exp, logs := startMetrics(t, newTestConfig(srv.URL()), componenttest.NewNopHost())
	ctx := context.Background()
	push := func(points ...notifytest.Point) {
		require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(points...)))
	}
	push(notifytest.Firing("fp-w1", "error", "w1"), notifytest.Firing("fp-w2", "critical", "w2"), notifytest.Inhibited("fp-w3", "error", "w3"))
	notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Events()) == 1 }, "the trigger")
	ev := srv.Events()[0]
	assert.Equal(t, "trigger", ev.EventAction)
	assert.Equal(t, workerFailureKey, ev.DedupKey)
	assert.Equal(t, "critical", ev.Payload.Severity, "the highest severity of the group")
	assert.Equal(t, "[FIRING:2] worker_failure: Worker w1 has failed (and 1 more)", ev.Payload.Summary)
	assert.EqualValues(t, 2, ev.Payload.CustomDetails["firing_count"])
	assert.Len(t, ev.Payload.CustomDetails["firing"], 2)
	assert.Nil(t, ev.Payload.CustomDetails["muted"], "the inhibited alert is not listed: it was never told")
	assert.Equal(t, `{alertname="worker_failure"}`, ev.Payload.CustomDetails["group_key"])

	push(notifytest.Resolved("fp-w1", "error", "w1"), notifytest.Resolved("fp-w3", "error", "w3"))
	notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Events()) == 2 }, "the update")
	ev = srv.Events()[1]
	assert.Equal(t, "trigger", ev.EventAction, "w2 still fires: the incident stays open")
	assert.EqualValues(t, 1, ev.Payload.CustomDetails["resolved_count"])

	push(notifytest.Resolved("fp-w2", "critical", "w2"))
	notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Events()) == 3 }, "the resolve")
	assert.Equal(t, "resolve", srv.Events()[2].EventAction)
	assert.Equal(t, workerFailureKey, srv.Events()[2].DedupKey)
	time.Sleep(200 * time.Millisecond) // a few group_intervals: nothing more comes
	assert.Len(t, srv.Events(), 3)
	require.NoError(t, exp.Shutdown(ctx))
	assert.Empty(t, srv.Violations())
	notifytest.AssertNoSecret(t, logs, routingKey)
}
