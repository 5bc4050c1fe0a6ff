package emailexporter

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
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
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/emailexporter/internal/metadata"
	"github.com/otelcol-multiagents/otelcol-multiagents/exporter/emailexporter/smtptest"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
)

const (
	testUser     = "alerts-bot"
	testPassword = "Tr0ub4dor&3-horse-battery"
)

var testRecipients = []string{"oncall@example.com", "Ops Team <ops@example.com>"}

// testAlert is one multiagents.alerts data point, as the alert processor writes it.
type testAlert struct {
	name, state, severity, worker, cooldown string
	value                                   float64
}

func (a testAlert) fingerprint() string { return a.name + "/" + a.worker }

var alertTime = time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC)

func alertMetrics(alerts ...testAlert) pmetric.Metrics {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(alertstate.MetricName)
	dps := m.SetEmptyGauge().DataPoints()
	for _, a := range alerts {
		dp := dps.AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(alertTime))
		dp.SetDoubleValue(a.value)
		attrs := dp.Attributes()
		alertstate.Header{
			Name: a.name, State: a.state, Severity: a.severity, Fingerprint: a.fingerprint(),
			Description: "Worker " + a.worker + " error rate is above 50%", Threshold: "0.5",
			Cooldown: a.cooldown, // "" reads as no cooldown, like an absent attribute
		}.Put(attrs)
		attrs.PutStr("worker.name", a.worker)
	}
	return md
}

func firing(worker string) testAlert {
	return testAlert{name: "worker_failure", state: "firing", severity: "critical", worker: worker, value: 0.75}
}

func resolved(worker string) testAlert {
	a := firing(worker)
	a.state, a.value = "resolved", 0.1
	return a
}

// newTestConfig points the exporter at srv with no queue, no group_wait and a group_interval of
// a nanosecond, so that consume (which then sends what is due) has had each change answered by
// the server when it returns. The grouping timers are tested with an injected clock in notify.
func newTestConfig(srv *smtptest.Server) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = srv.Addr
	cfg.CAFile = srv.CAFile
	cfg.Username = testUser
	cfg.Password = configopaque.String(testPassword)
	cfg.From = "MultiAgents Alerts <alerts@example.com>"
	cfg.To = testRecipients
	cfg.GroupWait = 0
	cfg.GroupInterval = time.Nanosecond
	cfg.RateLimit = 1000
	cfg.TimeoutConfig.Timeout = 10 * time.Second
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.BackOffConfig.InitialInterval = 10 * time.Millisecond
	cfg.BackOffConfig.MaxInterval = 50 * time.Millisecond
	cfg.BackOffConfig.MaxElapsedTime = 10 * time.Second
	return cfg
}

// startMetricsExporter builds the exporter through its factory with a debug-level log observer;
// at cleanup it checks that the password appears in no captured log line.
func startMetricsExporter(t *testing.T, cfg *Config) (exporter.Metrics, *observer.ObservedLogs) {
	t.Helper()
	return startMetricsExporterOn(t, cfg, notify.SystemClock)
}

// startMetricsExporterOn is startMetricsExporter on the given clock.
func startMetricsExporterOn(t *testing.T, cfg *Config, clock clockwork.Clock) (exporter.Metrics, *observer.ObservedLogs) {
	t.Helper()
	require.NoError(t, cfg.Validate())
	set, logs := observedSettings()
	exp, err := newFactory(clock).CreateMetrics(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	wrapped := &onceShutdown{Metrics: exp}
	t.Cleanup(func() {
		require.NoError(t, wrapped.Shutdown(context.Background()))
		assertNoSecretInLogs(t, logs, cfg)
	})
	return wrapped, logs
}

// onceShutdown lets a test shut the exporter down itself (to flush it) before the cleanup does;
// exporterhelper allows only one Shutdown.
type onceShutdown struct {
	exporter.Metrics
	once sync.Once
	err  error
}

func (o *onceShutdown) Shutdown(ctx context.Context) error {
	o.once.Do(func() { o.err = o.Metrics.Shutdown(ctx) })
	return o.err
}

func observedSettings() (exporter.Settings, *observer.ObservedLogs) {
	set := exportertest.NewNopSettings(metadata.Type)
	core, logs := observer.New(zapcore.DebugLevel)
	set.Logger = zap.New(core)
	return set, logs
}

// secretForms are the password as is and base64-encoded, as AUTH PLAIN and LOGIN carry it.
func secretForms(cfg *Config) []string {
	return secretsOf(cfg)
}

func assertNoSecretInLogs(t *testing.T, logs *observer.ObservedLogs, cfg *Config) {
	t.Helper()
	for _, entry := range logs.All() {
		line := entry.Message + " " + fmt.Sprint(entry.ContextMap())
		for _, secret := range secretForms(cfg) {
			assert.NotContains(t, line, secret, "the password leaked into a log line")
		}
	}
}

// consume pushes the alerts, then sends what is due: the dispatcher's pass in progress is
// waited for, so the mails are at the server when it returns.
func consume(t *testing.T, exp exporter.Metrics, alerts ...testAlert) {
	t.Helper()
	require.NoError(t, exp.ConsumeMetrics(context.Background(), alertMetrics(alerts...)))
	sendDue(exp)
}

// notifierOf is the notify core behind an exporter built by the factory.
func notifierOf(exp any) *notify.Notifier {
	if o, ok := exp.(*onceShutdown); ok {
		exp = o.Metrics
	}
	return exp.(interface{ Notifier() *notify.Notifier }).Notifier()
}

func sendDue(exp any) { notifierOf(exp).SendDue(context.Background()) }

// retryWarning waits for the dispatcher's warning about a failed send, and returns its error text.
func retryWarning(t *testing.T, logs *observer.ObservedLogs) string {
	t.Helper()
	notifytest.Eventually(t, 20*time.Second, func() bool { return logs.FilterMessageSnippet("retrying").Len() > 0 }, "the retry warning")
	return fmt.Sprint(logs.FilterMessageSnippet("retrying").All()[0].ContextMap()["error"])
}

func TestFiringAlertDeliversOneMailToEveryRecipient(t *testing.T) {
	srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{})
	exp, _ := startMetricsExporter(t, newTestConfig(srv))

	consume(t, exp, firing("order-worker"))

	mails := srv.Mails()
	require.Len(t, smtptest.Subjects(t, mails), 1, "one mail, addressed to every recipient in one transaction")
	m := mails[0]
	assert.Equal(t, "alerts@example.com", m.From)
	assert.ElementsMatch(t, []string{"oncall@example.com", "ops@example.com"}, m.To)
	assert.True(t, m.TLS, "sent after STARTTLS")
	assert.Equal(t, testUser, m.AuthUser, "sent after AUTH")

	p := smtptest.Parse(t, m.Data)
	assert.Equal(t, "[CRITICAL] worker_failure", p.Subject)
	from, err := p.Header.AddressList("From")
	require.NoError(t, err)
	assert.Equal(t, "alerts@example.com", from[0].Address)
	assert.Equal(t, "MultiAgents Alerts", from[0].Name)
	to, err := p.Header.AddressList("To")
	require.NoError(t, err)
	require.Len(t, to, 2)
	assert.Equal(t, "oncall@example.com", to[0].Address)
	assert.Equal(t, "ops@example.com", to[1].Address)
	date, err := p.Header.Date()
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), date, time.Hour)
	assert.Regexp(t, regexp.MustCompile(`^<alert\.[0-9a-z]+\.[0-9a-f]{24}@example\.com>$`), p.Header.Get("Message-ID"))
	assert.Equal(t, "1.0", p.Header.Get("MIME-Version"))
	assert.Equal(t, "auto-generated", p.Header.Get("Auto-Submitted"))

	for _, want := range []string{
		"Alert: worker_failure",
		"State: FIRING",
		"Severity: critical",
		"Description: Worker order-worker error rate is above 50%",
		"Time: 2026-11-27T01:02:03Z",
		"Value: 0.75",
		"Threshold: 0.5",
		"worker.name: order-worker",
	} {
		assert.Contains(t, p.Text, want)
	}
	assert.Contains(t, p.HTML, "<h2")
	assert.Contains(t, p.HTML, "worker_failure")
	assert.Contains(t, p.HTML, "<td>order-worker</td>")
	assert.Contains(t, p.HTML, "#8b0000", "critical is the guide's dark red")
}

func TestNonASCIISubjectIsEncoded(t *testing.T) {
	srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{})
	exp, _ := startMetricsExporter(t, newTestConfig(srv))

	a := firing("zähler-ワーカー")
	a.name, a.severity = "Überlast", "warning"
	consume(t, exp, a)

	mails := srv.Mails()
	require.Len(t, smtptest.Subjects(t, mails), 1)
	rawSubject := regexp.MustCompile(`(?m)^Subject: (.*(\r?\n[ \t].*)*)`).FindSubmatch(mails[0].Data)
	require.NotNil(t, rawSubject)
	assert.Contains(t, string(rawSubject[1]), "=?UTF-8?", "non-ASCII header is RFC 2047 encoded")
	for _, b := range rawSubject[1] {
		require.Less(t, b, byte(0x80), "raw header bytes are ASCII")
	}
	p := smtptest.Parse(t, mails[0].Data)
	assert.Equal(t, "[WARNING] Überlast", p.Subject)
	assert.Contains(t, p.Text, "worker.name: zähler-ワーカー")
}

func TestResolveDeliversOneResolvedMail(t *testing.T) {
	srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{})
	exp, _ := startMetricsExporter(t, newTestConfig(srv))

	consume(t, exp, firing("order-worker"))
	consume(t, exp, resolved("order-worker"))
	consume(t, exp, resolved("order-worker")) // written again by the processor: no second resolve
	require.NoError(t, exp.Shutdown(context.Background()))

	mails := srv.Mails()
	require.Len(t, smtptest.Subjects(t, mails), 2)
	p := smtptest.Parse(t, mails[1].Data)
	assert.Equal(t, "[CRITICAL] worker_failure (resolved)", p.Subject)
	assert.Contains(t, p.Text, "State: RESOLVED")
	assert.Contains(t, p.Text, "Value: 0.1")
	assert.Contains(t, p.HTML, "RESOLVED")
}

func TestCooldownHolds(t *testing.T) {
	fake := clockwork.NewFakeClockAt(alertTime)
	srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{})
	cfg := newTestConfig(srv)
	cfg.GroupBy = []string{"alertname", "worker.name"} // each worker its own group, its own repeat
	exp, _ := startMetricsExporterOn(t, cfg, fake)

	withCooldown := firing("order-worker")
	withCooldown.cooldown = "15m"
	consume(t, exp, withCooldown)
	fake.Advance(14 * time.Minute)
	consume(t, exp, withCooldown)
	require.Len(t, smtptest.Subjects(t, srv.Mails()), 1, "still firing within its cooldown: one mail")

	fake.Advance(time.Minute)
	consume(t, exp, withCooldown)
	mails := srv.Mails()
	require.Len(t, smtptest.Subjects(t, mails), 2, "after its cooldown it mails again")
	assert.Equal(t, "[CRITICAL] worker_failure (still firing)", smtptest.Parse(t, mails[1].Data).Subject)
	assert.Contains(t, smtptest.Parse(t, mails[1].Data).Text, "State: FIRING (repeat)")

	// Resolve it, so its group's repeats stop.
	fake.Advance(time.Second) // past group_interval
	consume(t, exp, resolved("order-worker"))
	require.Len(t, smtptest.Subjects(t, srv.Mails()), 3, "the resolve")

	// Without a cooldown of its own, repeat_interval (4h) applies.
	plain := firing("payment-worker")
	consume(t, exp, plain)
	require.Len(t, smtptest.Subjects(t, srv.Mails()), 4)
	fake.Advance(3 * time.Hour)
	consume(t, exp, plain)
	require.Len(t, smtptest.Subjects(t, srv.Mails()), 4)
	fake.Advance(time.Hour)
	consume(t, exp, plain)
	require.Len(t, smtptest.Subjects(t, srv.Mails()), 5)
}

func TestTenAlertsWithinGroupWaitArriveAsOneDigest(t *testing.T) {
	srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{})
	cfg := newTestConfig(srv)
	cfg.GroupWait = 500 * time.Millisecond
	cfg.GroupBy = nil // one group for every alert: the storm is one mail
	exp, _ := startMetricsExporter(t, cfg)

	var alerts []testAlert
	for i := range 10 {
		a := firing(fmt.Sprintf("worker-%02d", i))
		if i%2 == 1 {
			a.name, a.severity = "slow_execution", "warning"
		}
		alerts = append(alerts, a)
	}
	require.NoError(t, exp.ConsumeMetrics(context.Background(), alertMetrics(alerts...)))
	srv.WaitMails(t, 1)
	require.NoError(t, exp.Shutdown(context.Background())) // flushes anything still held

	mails := srv.Mails()
	require.Len(t, smtptest.Subjects(t, mails), 1, "ten alerts within group_wait are one mail")
	p := smtptest.Parse(t, mails[0].Data)
	assert.Equal(t, "[CRITICAL] 10 alerts: slow_execution, worker_failure", p.Subject, "listed by name")
	assert.Contains(t, p.Text, "10 alerts (10 firing, 0 resolved)")
	for i := range 10 {
		assert.Contains(t, p.Text, fmt.Sprintf("worker.name: worker-%02d", i))
		assert.Contains(t, p.HTML, fmt.Sprintf("<td>worker-%02d</td>", i))
	}
}

func TestTemporaryReplyIsRetried(t *testing.T) {
	for _, groupWait := range []time.Duration{0, 50 * time.Millisecond} {
		t.Run("group_wait="+groupWait.String(), func(t *testing.T) {
			srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{})
			srv.Script(smtptest.Reply{Stage: "data", Err: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Local error in processing, try again"}})
			cfg := newTestConfig(srv)
			cfg.GroupWait = groupWait
			exp, logs := startMetricsExporter(t, cfg)

			require.NoError(t, exp.ConsumeMetrics(context.Background(), alertMetrics(firing("order-worker"))))
			srv.WaitMails(t, 1)

			assert.Equal(t, 2, srv.Attempts(), "451, then 250 on the retry")
			assert.Len(t, smtptest.Subjects(t, srv.Mails()), 1)
			assert.Zero(t, logs.FilterLevelExact(zapcore.ErrorLevel).Len())
		})
	}
}

func TestPermanentReplyIsNotRetried(t *testing.T) {
	for _, groupWait := range []time.Duration{0, 50 * time.Millisecond} {
		t.Run("group_wait="+groupWait.String(), func(t *testing.T) {
			srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{})
			srv.Script(smtptest.Reply{Stage: "rcpt", Err: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox unavailable"}})
			cfg := newTestConfig(srv)
			cfg.GroupWait = groupWait
			exp, logs := startMetricsExporter(t, cfg)

			require.NoError(t, exp.ConsumeMetrics(context.Background(), alertMetrics(firing("order-worker"))))
			require.NoError(t, exp.Shutdown(context.Background())) // sends what group_wait still holds

			assert.Equal(t, 1, srv.Attempts(), "a 5xx reply is not retried")
			assert.Empty(t, srv.Mails())
			errs := logs.FilterLevelExact(zapcore.ErrorLevel).All()
			require.Len(t, errs, 1, "logged once")
			logged := fmt.Sprint(errs[0].ContextMap())
			assert.Contains(t, logged, "refused the mail with 550")
			assert.Contains(t, logged, "5.1.1 Mailbox unavailable", "with the server's text")
		})
	}
}

func TestAuthLoginAndImplicitTLS(t *testing.T) {
	t.Run("login", func(t *testing.T) {
		srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{Mechanisms: []string{sasl.Login}})
		exp, _ := startMetricsExporter(t, newTestConfig(srv))
		consume(t, exp, firing("order-worker"))
		mails := srv.Mails()
		require.Len(t, smtptest.Subjects(t, mails), 1)
		assert.Equal(t, testUser, mails[0].AuthUser)
	})
	t.Run("implicit", func(t *testing.T) {
		srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{Implicit: true})
		cfg := newTestConfig(srv)
		cfg.TLS = TLSImplicit
		exp, _ := startMetricsExporter(t, cfg)
		consume(t, exp, firing("order-worker"))
		mails := srv.Mails()
		require.Len(t, smtptest.Subjects(t, mails), 1)
		assert.True(t, mails[0].TLS)
	})
}

func TestCleartextOnlyWhenAllowed(t *testing.T) {
	t.Run("starttls refuses a server without STARTTLS", func(t *testing.T) {
		srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{Cleartext: true})
		cfg := newTestConfig(srv)
		cfg.CAFile = ""
		exp, logs := startMetricsExporter(t, cfg)
		require.NoError(t, exp.ConsumeMetrics(context.Background(), alertMetrics(firing("order-worker"))))
		assert.Contains(t, retryWarning(t, logs), "STARTTLS", "retried: never sent in clear")
		assert.Zero(t, srv.Attempts(), "neither the password nor the mail went out in clear")
	})
	t.Run("tls none with insecure sends in clear", func(t *testing.T) {
		srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{Cleartext: true})
		cfg := newTestConfig(srv)
		cfg.CAFile = ""
		cfg.TLS, cfg.Insecure = TLSNone, true
		exp, _ := startMetricsExporter(t, cfg)
		consume(t, exp, firing("order-worker"))
		mails := srv.Mails()
		require.Len(t, smtptest.Subjects(t, mails), 1)
		assert.False(t, mails[0].TLS)
		assert.Equal(t, testUser, mails[0].AuthUser)
	})
}

func TestUntrustedCertificateIsRetriedNotSent(t *testing.T) {
	srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{})
	cfg := newTestConfig(srv)
	cfg.CAFile = "" // the system roots do not trust the test's self-signed certificate
	exp, logs := startMetricsExporter(t, cfg)

	require.NoError(t, exp.ConsumeMetrics(context.Background(), alertMetrics(firing("order-worker"))))
	assert.Contains(t, retryWarning(t, logs), "certificate", "a TLS failure is retried")
	assert.Zero(t, srv.Attempts(), "nothing was sent over the unverified connection")
	assert.Empty(t, logs.FilterMessageSnippet("refused").All(), "not treated as a permanent refusal")
}

func TestPasswordAppearsInNoLogOrError(t *testing.T) {
	// A server whose refusal echoes the credentials it got, as some do in their error text.
	echo := func(user, password string) *smtp.SMTPError {
		blob := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
		return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials " + password + " " + blob}
	}
	tempEcho := func(user, password string) *smtp.SMTPError {
		e := echo(user, password)
		e.Code, e.EnhancedCode = 454, smtp.EnhancedCode{4, 7, 0}
		return e
	}
	for name, authError := range map[string]func(string, string) *smtp.SMTPError{"permanent": echo, "temporary": tempEcho} {
		t.Run(name, func(t *testing.T) {
			srv := smtptest.Start(t, testUser, "another password", smtptest.Options{AuthError: authError})
			cfg := newTestConfig(srv)
			exp, logs := startMetricsExporter(t, cfg)

			// Sends leave from the dispatcher: a failure never comes back to the pipeline, it
			// is logged (a refusal once, a retryable failure at each streak's start).
			require.NoError(t, exp.ConsumeMetrics(context.Background(), alertMetrics(firing("order-worker"))))
			if name == "temporary" {
				errText := retryWarning(t, logs)
				for _, secret := range secretForms(cfg) {
					assert.NotContains(t, errText, secret)
				}
				assert.Contains(t, errText, "[REDACTED]")
			} else {
				sendDue(exp)
				require.Equal(t, 1, logs.FilterMessageSnippet("refused").Len(), "the refusal is logged once")
			}
			assert.Empty(t, srv.Mails())
			// assertNoSecretInLogs runs at cleanup over every captured line, debug included.
			var all strings.Builder
			for _, e := range logs.All() {
				all.WriteString(e.Message + fmt.Sprint(e.ContextMap()))
			}
			if name == "permanent" {
				assert.Contains(t, all.String(), "[REDACTED]", "the refusal is logged, redacted")
			}
		})
	}
}

func TestLogRecordAlertIsMailed(t *testing.T) {
	srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{})
	cfg := newTestConfig(srv)
	set, logs := observedSettings()
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() {
		require.NoError(t, exp.Shutdown(context.Background()))
		assertNoSecretInLogs(t, logs, cfg)
	})

	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	info := lrs.AppendEmpty()
	info.SetSeverityNumber(plog.SeverityNumberInfo)
	info.Body().SetStr("below min_severity")
	rec := lrs.AppendEmpty()
	rec.SetSeverityNumber(plog.SeverityNumberError)
	rec.SetTimestamp(pcommon.NewTimestampFromTime(alertTime))
	rec.Body().SetStr("Worker order-worker crashed")
	rec.Attributes().PutStr("alertname", "worker_crash")
	rec.Attributes().PutStr("worker.name", "order-worker")
	require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	sendDue(exp)

	mails := srv.Mails()
	require.Len(t, smtptest.Subjects(t, mails), 1)
	assert.Equal(t, "[ERROR] worker_crash", smtptest.Parse(t, mails[0].Data).Subject)
}

func TestEmptyRecipientsDisableWithOneWarning(t *testing.T) {
	for name, mutate := range map[string]func(*Config){
		"no to":       func(c *Config) { c.To = nil },
		"no endpoint": func(c *Config) { c.Endpoint = "" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.Endpoint, cfg.From, cfg.To = "127.0.0.1:1", "alerts@example.com", []string{"oncall@example.com"}
			mutate(cfg)
			require.NoError(t, cfg.Validate())
			set, logs := observedSettings()
			exp, err := NewFactory().CreateMetrics(context.Background(), set, cfg)
			require.NoError(t, err)
			require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
			require.NoError(t, exp.ConsumeMetrics(context.Background(), alertMetrics(firing("order-worker"))))
			require.NoError(t, exp.Shutdown(context.Background()))
			warnings := logs.FilterLevelExact(zapcore.WarnLevel).All()
			require.Len(t, warnings, 1)
			assert.Contains(t, warnings[0].Message, "notifications disabled")
		})
	}
}

func TestRestartWithFileStorageSendsOneResolveAndNoDuplicate(t *testing.T) {
	srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{})
	dir := t.TempDir()
	cfg := newTestConfig(srv)
	storageID := notifytest.FileStorageID
	cfg.Storage = &storageID

	run := func(alerts ...testAlert) {
		host, stopStorage := notifytest.StartFileStorage(t, dir)
		set, logs := observedSettings()
		set.ID = component.NewIDWithName(metadata.Type, "restart") // the same exporter across runs
		exp, err := NewFactory().CreateMetrics(context.Background(), set, cfg)
		require.NoError(t, err)
		require.NoError(t, exp.Start(context.Background(), host))
		consume(t, exp, alerts...)
		require.NoError(t, exp.Shutdown(context.Background()))
		stopStorage()
		assertNoSecretInLogs(t, logs, cfg)
	}
	run(firing("order-worker"))
	// The collector restarts; the processor still writes the alert as firing, then resolves it.
	run(firing("order-worker"), resolved("order-worker"))

	assert.Equal(t, []string{"[CRITICAL] worker_failure", "[CRITICAL] worker_failure (resolved)"}, smtptest.Subjects(t, srv.Mails()),
		"no duplicate trigger after the restart, and the resolve is not lost")
}

func TestThroughTheSendingQueue(t *testing.T) {
	srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{})
	srv.Script(smtptest.Reply{Stage: "data", Err: &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Service shutting down"}})
	cfg := newTestConfig(srv)
	cfg.QueueConfig = createDefaultConfig().(*Config).QueueConfig // the default: queued, one consumer
	exp, _ := startMetricsExporter(t, cfg)

	// The resolve is pushed once the firing mail went out after its retry: a resolve that
	// arrives before its firing was ever told has nothing to tell (the group never opened).
	require.NoError(t, exp.ConsumeMetrics(context.Background(), alertMetrics(firing("order-worker"))))
	srv.WaitMails(t, 1)
	require.NoError(t, exp.ConsumeMetrics(context.Background(), alertMetrics(resolved("order-worker"))))
	srv.WaitMails(t, 2)
	assert.Equal(t, 3, srv.Attempts(), "421, then the firing, then the resolve")
	assert.Equal(t, []string{"[CRITICAL] worker_failure", "[CRITICAL] worker_failure (resolved)"}, smtptest.Subjects(t, srv.Mails()),
		"order kept through the retry")
}

// TestShutdownGraceBoundsAFailingServer keeps the intent of the former digest's shutdown tests:
// a mail still failing (451 every time) when the collector stops is tried within the core's
// ShutdownGrace, then left (logged), and Shutdown returns instead of retrying for ever.
func TestShutdownGraceBoundsAFailingServer(t *testing.T) {
	srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{})
	var replies []smtptest.Reply
	for range 1000 {
		replies = append(replies, smtptest.Reply{Stage: "data", Err: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again"}})
	}
	srv.Script(replies...)
	cfg := newTestConfig(srv)
	cfg.GroupWait = time.Hour // held by group_wait when the collector stops
	exp, logs := startMetricsExporter(t, cfg)
	require.NoError(t, exp.ConsumeMetrics(context.Background(), alertMetrics(firing("order-worker"))))

	done := make(chan error, 1)
	go func() { done <- exp.Shutdown(context.Background()) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(time.Minute): // a bound on a hang, not a measure of speed
		t.Fatal("Shutdown did not return: the failing server held it")
	}
	assert.GreaterOrEqual(t, srv.Attempts(), 1, "the held mail was tried at shutdown, not lost silently")
	assert.Empty(t, srv.Mails())
	left := logs.FilterMessageSnippet("left unsent at shutdown").All()
	require.Len(t, left, 1, "what was given up is logged")
	assert.Equal(t, int64(1), left[0].ContextMap()["groups"])
}

// One group is one mail, and a group's change is one more: a member resolving is listed as
// resolved beside the one still firing; an inhibited alert is not mailed.
func TestGroupMailListsFiringAndResolved(t *testing.T) {
	srv := smtptest.Start(t, testUser, testPassword, smtptest.Options{})
	exp, _ := startMetricsExporter(t, newTestConfig(srv))
	inhibited := firing("muted-worker")
	inhibited.state = "inhibited"
	consume(t, exp, firing("order-worker"), firing("payment-worker"), inhibited)
	consume(t, exp, resolved("order-worker"), resolved("muted-worker"))
	require.NoError(t, exp.Shutdown(context.Background()))

	mails := srv.Mails()
	require.Equal(t, []string{"[CRITICAL] 2 alerts: worker_failure", "[CRITICAL] 2 alerts: worker_failure"}, smtptest.Subjects(t, mails))
	first := smtptest.Parse(t, mails[0].Data).Text
	assert.Contains(t, first, "2 alerts (2 firing, 0 resolved)")
	assert.NotContains(t, first, "muted-worker")
	second := strings.ReplaceAll(smtptest.Parse(t, mails[1].Data).Text, "\r\n", "\n")
	assert.Contains(t, second, "2 alerts (1 firing, 1 resolved)")
	assert.Contains(t, second, "Alert: worker_failure\nState: FIRING")
	assert.Contains(t, second, "Alert: worker_failure\nState: RESOLVED")
	assert.NotContains(t, second, "muted-worker")
}
