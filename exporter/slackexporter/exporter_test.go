package slackexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/slackexporter/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
)

// newTestConfig points a default configuration at the local server, with a quick backoff so
// that waits in the tests come from Retry-After and the rate limit, not from the backoff, and
// with short group timers (the grouping itself is tested with an injected clock in notify).
func newTestConfig(url string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.WebhookURL = configopaque.String(url)
	cfg.InsecureAllowHTTP = true
	cfg.GroupWait = 0
	cfg.GroupInterval = 50 * time.Millisecond
	cfg.BackOffConfig.InitialInterval = 20 * time.Millisecond
	cfg.BackOffConfig.MaxInterval = 200 * time.Millisecond
	cfg.BackOffConfig.RandomizationFactor = 0
	cfg.BackOffConfig.MaxElapsedTime = time.Minute
	return cfg
}

// startMetrics builds the metrics exporter through the factory with real exporterhelper
// (queue and retry), starts it, and captures its logs at debug level.
func startMetrics(t *testing.T, cfg *Config, host component.Host) (exporter.Metrics, *observer.ObservedLogs) {
	t.Helper()
	return startMetricsOn(t, cfg, host, notify.SystemClock)
}

// startMetricsOn is startMetrics on the given clock.
func startMetricsOn(t *testing.T, cfg *Config, host component.Host, clock clockwork.Clock) (exporter.Metrics, *observer.ObservedLogs) {
	t.Helper()
	require.NoError(t, cfg.Validate())
	logger, logs := notifytest.ObservedLogger()
	set := exportertest.NewNopSettings(metadata.Type)
	set.Logger = logger
	exp, err := newFactory(clock).CreateMetrics(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), host))
	return exp, logs
}

// sentinel is an alert pushed last, in a group of its own (its own alertname): when it arrives,
// everything due before it was handled, since the dispatcher sends due groups in order.
func sentinel(i int) notifytest.Point {
	p := notifytest.Firing(fmt.Sprintf("sentinel-%d", i), "info", "sentinel")
	p.Name = fmt.Sprintf("sentinel_%d", i)
	return p
}

func isSentinel(m notifytest.SlackMessage) bool { return m.Field("worker.name") == "sentinel" }

func realAlerts(msgs []notifytest.SlackMessage) []notifytest.SlackMessage {
	var out []notifytest.SlackMessage
	for _, m := range msgs {
		if !isSentinel(m) {
			out = append(out, m)
		}
	}
	return out
}

func TestSlackAcceptanceLifecycle(t *testing.T) {
	srv := notifytest.NewSlackServer(t)
	fake := clockwork.NewFakeClockAt(time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC))
	cfg := newTestConfig(srv.URL())
	cfg.Channel, cfg.Username, cfg.IconEmoji = "#alerts", "multiagents", ":rotating_light:"
	cfg.GroupBy = []string{"alertname", "worker.name"} // one group per worker: one alert per message
	cfg.GroupInterval = time.Minute
	exp, logs := startMetricsOn(t, cfg, componenttest.NewNopHost(), fake)
	ctx := context.Background()
	sentinels := 0
	push := func(points ...notifytest.Point) {
		require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(points...)))
	}
	settle := func() {
		sentinels++
		push(sentinel(sentinels))
		name := fmt.Sprintf("sentinel_%d", sentinels)
		notifytest.Eventually(t, 30*time.Second, func() bool {
			for _, m := range srv.Messages() {
				if strings.Contains(m.Attachments[0].Title, name) {
					return true
				}
			}
			return false
		}, "the sentinel")
	}

	push(notifytest.Pending("fp-w1", "error", "w1"))
	settle()
	assert.Empty(t, realAlerts(srv.Messages()), "pending gives nothing")

	push(notifytest.Firing("fp-w1", "error", "w1"))
	push(notifytest.Firing("fp-w1", "error", "w1"))
	settle()
	msgs := realAlerts(srv.Messages())
	require.Len(t, msgs, 1, "a firing alert gives exactly one message")
	m := msgs[0]
	assert.Equal(t, "#alerts", m.Channel)
	assert.Equal(t, "multiagents", m.Username)
	assert.Equal(t, ":rotating_light:", m.IconEmoji)
	require.Len(t, m.Attachments, 1)
	assert.Equal(t, "#ff0000", m.Attachments[0].Color, "error is red")
	assert.Contains(t, m.Attachments[0].Title, "worker_failure")
	assert.Contains(t, m.Attachments[0].Title, "FIRING")
	assert.Equal(t, "Worker w1 has failed", m.Attachments[0].Text)
	assert.Equal(t, "error", m.Field("Severity"))
	assert.Equal(t, "2026-01-02T03:04:05Z", m.Field("Time"))
	assert.Equal(t, "1", m.Field("Value"))
	assert.Equal(t, "== 1", m.Field("Threshold"))
	assert.Equal(t, "w1", m.Field("worker.name"))

	fake.Advance(14 * time.Minute)
	push(notifytest.Firing("fp-w1", "error", "w1"))
	settle()
	require.Len(t, realAlerts(srv.Messages()), 1, "nothing inside the 15m cooldown")
	fake.Advance(time.Minute)
	push(notifytest.Firing("fp-w1", "error", "w1"))
	settle()
	msgs = realAlerts(srv.Messages())
	require.Len(t, msgs, 2, "one more after the cooldown")
	assert.Contains(t, msgs[1].Attachments[0].Title, "still firing")

	push(notifytest.Resolved("fp-w1", "error", "w1"), notifytest.Resolved("fp-w1", "error", "w1"))
	settle()
	require.Len(t, realAlerts(srv.Messages()), 3, "the resolve does not wait for group_interval, unlike an update")
	fake.Advance(time.Minute)
	settle()
	push(notifytest.Firing("fp-w2", "warning", "w2"))
	settle()
	msgs = realAlerts(srv.Messages())
	require.Len(t, msgs, 4)
	assert.Contains(t, msgs[2].Attachments[0].Title, "RESOLVED", "one resolved message")
	assert.Equal(t, "#2eb886", msgs[2].Attachments[0].Color, "resolved is Slack's good green")
	assert.Equal(t, "#ff9500", msgs[3].Attachments[0].Color, "a warning reaches Slack, in orange")

	require.NoError(t, exp.Shutdown(ctx))
	violations, throttled, _ := srv.Stats()
	assert.Empty(t, violations)
	assert.Zero(t, throttled, "never faster than Slack's limit")
	notifytest.AssertNoSecret(t, logs, notifytest.SlackWebhookPath, notifytest.SlackSecretToken)
}

func TestSlackRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSlackServer(t)
	srv.Queue(notifytest.Answer{Status: 429, RetryAfter: "2", Body: "rate_limited"})
	exp, logs := startMetrics(t, newTestConfig(srv.URL()), componenttest.NewNopHost())
	require.NoError(t, exp.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(notifytest.Firing("fp", "critical", "w1"))))
	notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Messages()) == 1 }, "the retried message")
	attempts := srv.AttemptTimes()
	require.Len(t, attempts, 2)
	assert.GreaterOrEqual(t, attempts[1].Sub(attempts[0]), 2*time.Second, "the next attempt waits for Retry-After")
	assert.Equal(t, "#8b0000", srv.Messages()[0].Attachments[0].Color, "critical is dark red")
	require.NoError(t, exp.Shutdown(context.Background()))
	notifytest.AssertNoSecret(t, logs, notifytest.SlackWebhookPath, notifytest.SlackSecretToken)
}

func TestSlackPermanentErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	for _, answer := range []notifytest.Answer{
		{Status: 400, Body: "invalid_payload"},
		{Status: 403, Body: "action_prohibited"},
		{Status: 404, Body: "channel_not_found"},
		{Status: 410, Body: "channel_is_archived"},
	} {
		t.Run(answer.Body, func(t *testing.T) {
			t.Parallel()
			srv := notifytest.NewSlackServer(t)
			srv.Queue(answer)
			exp, logs := startMetrics(t, newTestConfig(srv.URL()), componenttest.NewNopHost())
			ctx := context.Background()
			require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(notifytest.Firing("fp", "error", "w1"))))
			require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(sentinel(1))))
			notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Messages()) == 1 }, "the sentinel")
			assert.Len(t, srv.AttemptTimes(), 2, "the refused message was tried once, then the sentinel")
			assert.True(t, isSentinel(srv.Messages()[0]))
			refusals := logs.FilterMessageSnippet("refused").All()
			require.Len(t, refusals, 1, "logged once")
			assert.Contains(t, fmt.Sprint(refusals[0].ContextMap()["error"]), answer.Body, "with the API's error text")
			require.NoError(t, exp.Shutdown(ctx))
			notifytest.AssertNoSecret(t, logs, notifytest.SlackWebhookPath, notifytest.SlackSecretToken)
		})
	}
}

func TestSlackServerErrorsAreRetriedUntilSuccess(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSlackServer(t)
	srv.Queue(notifytest.Answer{Status: 503, Body: "service unavailable"}, notifytest.Answer{Status: 503}, notifytest.Answer{Status: 500})
	exp, logs := startMetrics(t, newTestConfig(srv.URL()), componenttest.NewNopHost())
	require.NoError(t, exp.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(notifytest.Firing("fp", "error", "w1"))))
	notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Messages()) == 1 }, "the retried message")
	assert.Len(t, srv.AttemptTimes(), 4, "three failures, then success")
	require.NoError(t, exp.Shutdown(context.Background()))
	assert.Len(t, logs.FilterMessageSnippet("retrying").FilterLevelExact(zapcore.WarnLevel).All(), 1,
		"the dispatcher retried, warning once for the streak")
	notifytest.AssertNoSecret(t, logs, notifytest.SlackWebhookPath, notifytest.SlackSecretToken)
}

// TestSlackFiftyAlertsRespectTheRateLimit groups by every label, so fifty alerts are fifty groups.
func TestSlackFiftyAlertsRespectTheRateLimit(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSlackServer(t)
	cfg := newTestConfig(srv.URL())
	cfg.GroupBy = []string{"..."}
	exp, logs := startMetrics(t, cfg, componenttest.NewNopHost())
	var points []notifytest.Point
	for i := range 50 {
		points = append(points, notifytest.Firing(fmt.Sprintf("fp-%02d", i), "error", fmt.Sprintf("w%02d", i)))
	}
	require.NoError(t, exp.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(points...)))
	notifytest.Eventually(t, 120*time.Second, func() bool { return len(srv.Messages()) == 50 }, "all 50 messages")
	violations, throttled, arrivals := srv.Stats()
	assert.Empty(t, violations)
	assert.Zero(t, throttled, "no message came sooner than a second after the previous one")
	// 50 messages at one per second span at least 49 s from the first send; the first one's
	// transit time (under a second) is all that can shorten the span seen here.
	require.Len(t, arrivals, 50)
	assert.GreaterOrEqual(t, arrivals[49].Sub(arrivals[0]), 48*time.Second, "no faster than 1 message/s overall")
	seen := map[string]bool{}
	for i, m := range srv.Messages() {
		seen[m.Field("worker.name")] = true
		assert.Equal(t, fmt.Sprintf("w%02d", i), m.Field("worker.name"), "in order")
	}
	assert.Len(t, seen, 50, "each alert once")
	require.NoError(t, exp.Shutdown(context.Background()))
	notifytest.AssertNoSecret(t, logs, notifytest.SlackWebhookPath, notifytest.SlackSecretToken)
}

func TestSlackUnreachableWebhookLeaksNoSecret(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSlackServer(t)
	url := srv.URL()
	srv.Close() // connection refused: Go's url.Error would print the whole URL
	cfg := newTestConfig(url)
	cfg.TimeoutConfig.Timeout = time.Second
	// Without a queue a push reaches the notifier directly: ingesting never waits for the
	// webhook, so no send error comes back to the pipeline; the dispatcher logs it.
	exp, logs := startMetrics(t, withoutQueue(cfg), componenttest.NewNopHost())
	require.NoError(t, exp.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(notifytest.Firing("fp", "error", "w1"))))
	notifytest.Eventually(t, 30*time.Second, func() bool {
		return len(logs.FilterMessageSnippet("retrying").All()) > 0
	}, "the failed send's warning")
	errText := fmt.Sprint(logs.FilterMessageSnippet("retrying").All()[0].ContextMap()["error"])
	assert.Contains(t, errText, "connection refused")
	assert.NotContains(t, errText, notifytest.SlackSecretToken)
	assert.NotContains(t, errText, notifytest.SlackWebhookPath)
	require.NoError(t, exp.Shutdown(context.Background()))
	notifytest.AssertNoSecret(t, logs, notifytest.SlackWebhookPath, notifytest.SlackSecretToken)
}

func TestSlackDisabledWithoutWebhook(t *testing.T) {
	t.Parallel()
	exp, logs := startMetrics(t, createDefaultConfig().(*Config), componenttest.NewNopHost())
	require.NoError(t, exp.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(notifytest.Firing("fp", "error", "w1"))))
	require.NoError(t, exp.Shutdown(context.Background()))
	warnings := logs.FilterMessage(disabledMessage).All()
	assert.Len(t, warnings, 1, "one warning at start")
}

func TestSlackLogRecordAlerts(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSlackServer(t)
	cfg := newTestConfig(srv.URL())
	cfg.MinSeverity = "error"
	logger, logs := notifytest.ObservedLogger()
	set := exportertest.NewNopSettings(metadata.Type)
	set.Logger = logger
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))

	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for _, rec := range []struct {
		sev  plog.SeverityNumber
		body string
	}{{plog.SeverityNumberWarn, "only a warning"}, {plog.SeverityNumberError, "Worker w7 crashed"}, {plog.SeverityNumberError, "Worker w7 crashed"}} {
		lr := lrs.AppendEmpty()
		lr.SetSeverityNumber(rec.sev)
		lr.Body().SetStr(rec.body)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
		lr.Attributes().PutStr("alertname", "worker_crash")
		lr.Attributes().PutStr("worker.name", "w7")
	}
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Messages()) == 1 }, "the log alert")
	require.NoError(t, exp.Shutdown(context.Background()))
	m := srv.Messages()[0]
	assert.Contains(t, m.Attachments[0].Title, "worker_crash")
	assert.Equal(t, "Worker w7 crashed", m.Attachments[0].Text)
	assert.Equal(t, "w7", m.Field("worker.name"))
	assert.Len(t, srv.Messages(), 1, "the same record twice is one alert; the warning is below min_severity")
	notifytest.AssertNoSecret(t, logs, notifytest.SlackWebhookPath, notifytest.SlackSecretToken)
}

func TestSlackTemplatesAndLimits(t *testing.T) {
	cfg := newTestConfig("https://hooks.slack.example/x")
	cfg.TitleTemplate = "{{ .Severity }}: {{ .Name }} on {{ index .Labels \"worker.name\" }}"
	cfg.TextTemplate = "{{ .Description }} (value {{ .Value }}){{ if .Repeat }} again{{ end }}"
	s, err := newSlackSender(cfg)
	require.NoError(t, err)
	p := notifytest.Firing("fp", "error", "w1")
	a := notifyAlert(p)
	m := s.message(a)
	assert.Equal(t, "error: worker_failure on w1", m.Attachments[0].Title)
	assert.Equal(t, "Worker w1 has failed (value 1)", m.Attachments[0].Text)

	a.Firing[0].Description = strings.Repeat("é", 5000)
	s, err = newSlackSender(newTestConfig("https://hooks.slack.example/x"))
	require.NoError(t, err)
	m = s.message(a)
	assert.LessOrEqual(t, len(m.Attachments[0].Text), maxTextBytes)
	assert.True(t, strings.HasSuffix(m.Attachments[0].Text, "…"))
	assert.Empty(t, notifytest.CheckSlackMessage(toServerMessage(t, m)))
}

// withoutQueue returns cfg with sending_queue disabled, so errors reach the caller.
func withoutQueue(cfg *Config) *Config {
	c := *cfg
	c.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	return &c
}

// notifyAlert reads a point the way the exporter does, as the notification of a group of one.
func notifyAlert(p notifytest.Point) notify.Notification {
	alerts, _ := notify.AlertsFromMetrics(notifytest.AlertMetrics(p))
	return groupOf(alerts...)
}

// groupOf is the firing notification of a group {alertname=...} holding alerts.
func groupOf(alerts ...notify.Alert) notify.Notification {
	labels := []notify.Label{{Key: "alertname", Value: alerts[0].Name}}
	key := notify.GroupKeyOf(labels)
	n := notify.Notification{GroupKey: key, GroupID: notify.GroupIDOf(key), GroupLabels: labels,
		Status: notify.StateFiring, Time: time.Now()}
	for _, a := range alerts {
		switch a.State {
		case notify.StateResolved:
			n.Resolved = append(n.Resolved, a)
		case notify.StateInhibited:
			n.Muted = append(n.Muted, a)
		default:
			n.Firing = append(n.Firing, a)
		}
		n.Severity = max(n.Severity, a.Severity)
	}
	if len(n.Firing) == 0 && len(n.Muted) == 0 {
		n.Status = notify.StateResolved
	}
	return n
}

// toServerMessage is the message as the local Slack server decodes it.
func toServerMessage(t *testing.T, m message) notifytest.SlackMessage {
	body, err := json.Marshal(m)
	require.NoError(t, err)
	var out notifytest.SlackMessage
	require.NoError(t, json.Unmarshal(body, &out))
	return out
}

// TestSlackRestartWithFileStorage stops the exporter and the real file_storage extension after
// a firing message and before its resolve, as a collector restart does.
func TestSlackRestartWithFileStorage(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSlackServer(t)
	dir := t.TempDir()
	cfg := newTestConfig(srv.URL())
	id := notifytest.FileStorageID
	cfg.Storage = &id
	exporterID := component.NewIDWithName(metadata.Type, "restart")
	ctx := context.Background()
	start := func(host component.Host) (exporter.Metrics, *observer.ObservedLogs) {
		logger, logs := notifytest.ObservedLogger()
		set := exportertest.NewNopSettings(metadata.Type)
		set.ID, set.Logger = exporterID, logger
		exp, err := NewFactory().CreateMetrics(ctx, set, cfg)
		require.NoError(t, err)
		require.NoError(t, exp.Start(ctx, host))
		return exp, logs
	}

	host, stopStorage := notifytest.StartFileStorage(t, dir)
	exp, logs1 := start(host)
	require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(notifytest.Firing("fp-w1", "error", "w1"))))
	notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Messages()) == 1 }, "the firing message")
	require.NoError(t, exp.Shutdown(ctx))
	stopStorage()

	host, stopStorage = notifytest.StartFileStorage(t, dir)
	exp, logs2 := start(host)
	require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(notifytest.Firing("fp-w1", "error", "w1"))))
	require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(notifytest.Resolved("fp-w1", "error", "w1"))))
	require.NoError(t, exp.ConsumeMetrics(ctx, notifytest.AlertMetrics(notifytest.Resolved("fp-w1", "error", "w1"), sentinel(1))))
	notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Messages()) == 3 }, "the resolve and the sentinel")
	time.Sleep(200 * time.Millisecond) // a few group_intervals: a duplicate would have come by now
	require.NoError(t, exp.Shutdown(ctx))
	stopStorage()

	msgs := realAlerts(srv.Messages())
	require.Len(t, msgs, 2, "no second firing message, exactly one resolve")
	assert.Contains(t, msgs[0].Attachments[0].Title, "FIRING")
	assert.Contains(t, msgs[1].Attachments[0].Title, "RESOLVED")
	notifytest.AssertNoSecret(t, logs1, notifytest.SlackWebhookPath, notifytest.SlackSecretToken)
	notifytest.AssertNoSecret(t, logs2, notifytest.SlackWebhookPath, notifytest.SlackSecretToken)
}

func TestSlackOversizedLabelsAreDropped(t *testing.T) {
	srv := notifytest.NewSlackServer(t)
	s, err := newSlackSender(newTestConfig(srv.URL()))
	require.NoError(t, err)
	p := notifytest.Firing("fp", "error", "w1")
	for i := range 30 {
		p.Labels[fmt.Sprintf("label.%02d", i)] = strings.Repeat("<", 5000) // JSON escapes each to 6 bytes
	}
	n := notifyAlert(p)
	require.NoError(t, s.Send(context.Background(), n))
	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	assert.Equal(t, "not shown: message too long", msgs[0].Field("Labels"))
	assert.Equal(t, "error", msgs[0].Field("Severity"), "the alert itself still goes out")
	assert.Empty(t, msgs[0].Field("label.00"))
}

// TestSlackShutdownDoesNotWaitForTheWholeBacklog queues more messages than the rate limit lets
// out in the shutdown grace: shutdown sends what it can in the grace, then gives the rest up
// (a persistent sending_queue would keep them) instead of holding the collector's stop.
func TestSlackShutdownDoesNotWaitForTheWholeBacklog(t *testing.T) {
	t.Parallel()
	srv := notifytest.NewSlackServer(t)
	cfg := newTestConfig(srv.URL())
	cfg.GroupBy = []string{"..."} // thirty groups, thirty messages
	exp, logs := startMetrics(t, cfg, componenttest.NewNopHost())
	var points []notifytest.Point
	for i := range 30 {
		points = append(points, notifytest.Firing(fmt.Sprintf("fp-%02d", i), "error", fmt.Sprintf("w%02d", i)))
	}
	require.NoError(t, exp.ConsumeMetrics(context.Background(), notifytest.AlertMetrics(points...)))
	notifytest.Eventually(t, 30*time.Second, func() bool { return len(srv.Messages()) >= 1 }, "the first message")
	require.NoError(t, exp.Shutdown(context.Background()))
	delivered := len(srv.Messages())
	assert.Less(t, delivered, 30, "the backlog was cut at shutdown")
	assert.GreaterOrEqual(t, delivered, 2, "the grace let more go out")
	assert.NotEmpty(t, logs.FilterMessageSnippet("left unsent at shutdown").All(), "what was given up is logged")
	notifytest.AssertNoSecret(t, logs, notifytest.SlackWebhookPath, notifytest.SlackSecretToken)
}

// A group is one message: its firing, muted and resolved alerts listed, the list cut within
// Slack's limits with "and N more", the counts as fields; a resolved group is green.
func TestSlackGroupMessageListsItsAlerts(t *testing.T) {
	s, err := newSlackSender(newTestConfig("https://hooks.slack.example/x"))
	require.NoError(t, err)
	var alerts []notify.Alert
	for i := range 3 {
		alerts = append(alerts, notifyAlert(notifytest.Firing(fmt.Sprintf("fp-%d", i), "error", fmt.Sprintf("w%d", i))).Firing[0])
	}
	alerts = append(alerts, notifyAlert(notifytest.Resolved("fp-r", "error", "wr")).Resolved[0])
	alerts = append(alerts, notifyAlert(notifytest.Inhibited("fp-m", "error", "wm")).Muted[0])
	m := s.message(groupOf(alerts...))
	a := m.Attachments[0]
	assert.Equal(t, "🚨 [FIRING:3] worker_failure", a.Title)
	assert.Equal(t, "#ff0000", a.Color)
	for _, w := range []string{"w0", "w1", "w2"} {
		assert.Contains(t, a.Text, "worker.name="+w+": Worker "+w+" has failed (value 1, threshold == 1)")
	}
	assert.Regexp(t, `(?s)\*Firing\*.*w2.*\*Muted\*.*wm.*\*Resolved\*.*wr`, a.Text)
	sm := toServerMessage(t, m)
	assert.Equal(t, "3", sm.Field("Firing"))
	assert.Equal(t, "1", sm.Field("Resolved"))
	assert.Equal(t, "1", sm.Field("Muted"))
	assert.Empty(t, notifytest.CheckSlackMessage(sm))

	// Two hundred alerts: the list stops within the text limit and counts the rest.
	alerts = nil
	for i := range 200 {
		alerts = append(alerts, notifyAlert(notifytest.Firing(fmt.Sprintf("fp-%03d", i), "error", fmt.Sprintf("w%03d", i))).Firing[0])
	}
	a = s.message(groupOf(alerts...)).Attachments[0]
	assert.LessOrEqual(t, len(a.Text), maxTextBytes)
	assert.Regexp(t, `… and \d+ more$`, a.Text)
	assert.Contains(t, a.Text, "w000")

	// The whole group resolved.
	resolved := groupOf(notifyAlert(notifytest.Resolved("fp-0", "error", "w0")).Resolved[0], notifyAlert(notifytest.Resolved("fp-1", "error", "w1")).Resolved[0])
	a = s.message(resolved).Attachments[0]
	assert.Equal(t, "✅ [RESOLVED] worker_failure", a.Title)
	assert.Equal(t, notify.ResolvedColor, a.Color)
}

// Templates see the group: its status, labels and every alert.
func TestSlackGroupTemplates(t *testing.T) {
	cfg := newTestConfig("https://hooks.slack.example/x")
	cfg.TitleTemplate = `{{ .Status }} {{ index .GroupLabels "alertname" }}: {{ len .Firing }} firing`
	cfg.TextTemplate = `{{ range .Firing }}{{ index .Labels "worker.name" }} {{ end }}`
	s, err := newSlackSender(cfg)
	require.NoError(t, err)
	n := groupOf(notifyAlert(notifytest.Firing("fp-0", "error", "w0")).Firing[0], notifyAlert(notifytest.Firing("fp-1", "error", "w1")).Firing[0])
	a := s.message(n).Attachments[0]
	assert.Equal(t, "firing worker_failure: 2 firing", a.Title)
	assert.Equal(t, "w0 w1 ", a.Text)
}
