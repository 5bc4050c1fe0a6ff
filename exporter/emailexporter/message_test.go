package emailexporter

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

var composeNow = time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)

// testNotification is one alert in state (the name kept from before grouping).
func testNotification(name string, state notify.State, sev notify.Severity) notify.Alert {
	return notify.Alert{
		Name: name, Fingerprint: "fp-" + name, State: state, Severity: sev,
		Description: "something is wrong", Threshold: "0.5", Value: 0.75, HasValue: true,
		Labels: []notify.Label{{Key: "worker.name", Value: "order-worker"}},
		Time:   alertTime,
	}
}

// group is the notification of one group listing the alerts, as the notify core builds it.
func group(alerts ...notify.Alert) notify.Notification {
	n := notify.Notification{GroupKey: "{}", GroupID: notify.GroupIDOf("{}"), Status: notify.StateFiring, Time: composeNow}
	for _, a := range alerts {
		switch {
		case a.State == notify.StateResolved:
			n.Resolved = append(n.Resolved, a)
		case a.State.Muted():
			n.Muted = append(n.Muted, a)
		default:
			n.Firing = append(n.Firing, a)
			n.Severity = max(n.Severity, a.Severity)
		}
	}
	if len(n.Firing) == 0 && len(n.Muted) == 0 {
		n.Status = notify.StateResolved
	}
	if n.Severity == 0 {
		for _, a := range alerts {
			n.Severity = max(n.Severity, a.Severity)
		}
	}
	return n
}

func newTestComposer(t *testing.T, subject, body string) *composer {
	t.Helper()
	c, err := newComposer(&Config{SubjectTemplate: subject, BodyTemplate: body})
	require.NoError(t, err)
	return c
}

func TestComposeSubjects(t *testing.T) {
	c := newTestComposer(t, "", "")
	tests := []struct {
		name string
		n    notify.Notification
		want string
	}{
		{"firing", group(testNotification("worker_failure", notify.StateFiring, notify.SeverityError)), "[ERROR] worker_failure"},
		{"resolved", group(testNotification("worker_failure", notify.StateResolved, notify.SeverityError)), "[ERROR] worker_failure (resolved)"},
		{"repeat", func() notify.Notification {
			n := group(testNotification("worker_failure", notify.StateFiring, notify.SeverityError))
			n.Repeat = true
			return n
		}(), "[ERROR] worker_failure (still firing)"},
		{"a group takes the highest severity of its firing alerts", group(
			testNotification("slow_execution", notify.StateFiring, notify.SeverityWarning),
			testNotification("worker_failure", notify.StateFiring, notify.SeverityCritical),
			testNotification("slow_execution", notify.StateResolved, notify.SeverityWarning),
		), "[CRITICAL] 3 alerts: slow_execution, worker_failure"},
		{"a group that resolved", group(
			testNotification("a", notify.StateResolved, notify.SeverityInfo),
			testNotification("b", notify.StateResolved, notify.SeverityInfo),
		), "[INFO] 2 alerts: a, b (resolved)"},
		{"a line break cannot reach the header", group(
			testNotification("evil\r\nBcc: victim@example.com", notify.StateFiring, notify.SeverityError),
		), "[ERROR] evil Bcc: victim@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, c.compose(tt.n, composeNow).Subject)
		})
	}
}

func TestComposeBoundsTheSubject(t *testing.T) {
	c := newTestComposer(t, "", "")
	n := testNotification(strings.Repeat("ü", 500), notify.StateFiring, notify.SeverityError)
	subject := c.compose(group(n), composeNow).Subject
	assert.LessOrEqual(t, len(subject), maxSubjectBytes)
	assert.True(t, utf8.ValidString(subject), "cut on a rune boundary")
}

func TestComposeCustomTemplates(t *testing.T) {
	c := newTestComposer(t, `{{ .Severity | lower }} / {{ .AlertName }} / {{ .State }}`,
		`{{ range .Alerts }}{{ .Name }}={{ .Value }} <b>{{ index .Labels 0 | printf "%v" }}</b>{{ end }}`)
	m := c.compose(group(testNotification("worker_failure", notify.StateFiring, notify.SeverityError)), composeNow)
	assert.Equal(t, "error / worker_failure / firing", m.Subject)
	assert.Equal(t, "worker_failure=0.75 <b>{worker.name order-worker}</b>", m.Text)
	assert.Contains(t, m.HTML, "worker_failure=0.75 &lt;b&gt;", "a custom body is shown escaped in the HTML part")
}

func TestComposeFallsBackWhenATemplateFails(t *testing.T) {
	// Parses, but fails at run time: an alert must still go out with the built-in text.
	c := newTestComposer(t, `{{ index .Alerts 5 }}`, `{{ index .Alerts 5 }}`)
	m := c.compose(group(testNotification("worker_failure", notify.StateFiring, notify.SeverityError)), composeNow)
	assert.Equal(t, "[ERROR] worker_failure", m.Subject)
	assert.Contains(t, m.Text, "Alert: worker_failure")
	assert.Contains(t, m.HTML, "<h2")
}

func TestComposeAlertWithoutTimeOrValue(t *testing.T) {
	c := newTestComposer(t, "", "")
	n := notify.Alert{Name: "log_alert", State: notify.StateFiring, Severity: notify.SeverityError}
	m := c.compose(group(n), composeNow)
	assert.Contains(t, m.Text, "Time: 2026-11-27T02:00:00Z", "a log alert without time shows when it was mailed")
	assert.NotContains(t, m.Text, "Value:")
	assert.NotContains(t, m.Text, "Threshold:")
}

func TestHTMLEscapesAlertText(t *testing.T) {
	c := newTestComposer(t, "", "")
	n := testNotification("<script>alert(1)</script>", notify.StateFiring, notify.SeverityError)
	m := c.compose(group(n), composeNow)
	assert.NotContains(t, m.HTML, "<script>")
	assert.Contains(t, m.HTML, "&lt;script&gt;")
}

func TestClassify(t *testing.T) {
	reply := func(code int) error { return &textproto.Error{Code: code, Msg: "server text"} }
	tests := []struct {
		name      string
		err       error
		permanent bool
	}{
		{"421 service not available", reply(421), false},
		{"450 mailbox busy", reply(450), false},
		{"451 local error", reply(451), false},
		{"454 temporary auth failure", fmt.Errorf("SMTP AUTH failed: %w", reply(454)), false},
		{"535 bad credentials", fmt.Errorf("SMTP AUTH failed: %w", reply(535)), true},
		{"550 mailbox unavailable", reply(550), true},
		{"553 bad address", reply(553), true},
		{"connection refused", errors.New("dial tcp 127.0.0.1:1: connect: connection refused"), false},
		{"tls failure", errors.New("tls: failed to verify certificate"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify("smtp.example.com:587", tt.err)
			require.Error(t, err)
			assert.Equal(t, tt.permanent, consumererror.IsPermanent(err))
			assert.Contains(t, err.Error(), "smtp.example.com:587")
		})
	}
	assert.NoError(t, classify("x:1", nil))
}

func TestRedactKeepsPermanence(t *testing.T) {
	secrets := []string{"hunter2"}
	err := notify.Redact(consumererror.NewPermanent(errors.New("535 bad password hunter2")), secrets)
	assert.True(t, consumererror.IsPermanent(err))
	assert.NotContains(t, err.Error(), "hunter2")
	err = notify.Redact(errors.New("454 try hunter2 later"), secrets)
	assert.False(t, consumererror.IsPermanent(err))
	assert.Equal(t, "454 try [REDACTED] later", err.Error())
}

// FuzzComposeMail feeds arbitrary alert text through composition and go-mail's writer: the
// result must always parse as a mail with exactly one Subject, the configured recipients and no
// header smuggled in through the alert's text.
func FuzzComposeMail(f *testing.F) {
	f.Add("worker_failure", "Worker down", "worker.name", "order-worker", "0.5")
	f.Add("evil\r\nBcc: x@example.com", "line\r\n.\r\nQUIT", "k\r\nX-Injected: 1", "v\n\nbody", "")
	f.Add("Überlast ⚠", "<html>&amp;", "", "", "=?UTF-8?q?x?=")
	f.Add(strings.Repeat("a", 300), "\x00\xff\xfe", "\t", " ", "\r")
	cfg := &Config{
		Endpoint: "127.0.0.1:2525", TLS: TLSStartTLS, From: "alerts@example.com",
		To: []string{"oncall@example.com"},
	}
	cfg.TimeoutConfig.Timeout = time.Second
	s, err := newSMTPSender(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, name, description, labelKey, labelValue, threshold string) {
		a := notify.Alert{
			Name: name, Fingerprint: name, State: notify.StateFiring, Severity: notify.SeverityCritical,
			Description: description, Threshold: threshold, Labels: []notify.Label{{Key: labelKey, Value: labelValue}},
		}
		msg, err := s.message(group(a, a))
		require.NoError(t, err)
		var buf bytes.Buffer
		_, err = msg.WriteTo(&buf)
		require.NoError(t, err)
		parsed, err := mail.ReadMessage(&buf)
		require.NoError(t, err)
		assert.Len(t, parsed.Header["Subject"], 1)
		assert.Empty(t, parsed.Header["Bcc"])
		assert.Empty(t, parsed.Header["X-Injected"])
		to, err := parsed.Header.AddressList("To")
		require.NoError(t, err)
		require.Len(t, to, 1)
		assert.Equal(t, "oncall@example.com", to[0].Address)
	})
}

// A group past maxListedAlerts lists the first ones and counts the rest, in both parts.
func TestComposeCutsALongGroup(t *testing.T) {
	c := newTestComposer(t, "", "")
	var alerts []notify.Alert
	for i := range maxListedAlerts + 5 {
		a := testNotification("worker_failure", notify.StateFiring, notify.SeverityError)
		a.Fingerprint = fmt.Sprintf("fp-%03d", i)
		alerts = append(alerts, a)
	}
	m := c.compose(group(alerts...), composeNow)
	assert.Equal(t, fmt.Sprintf("[ERROR] %d alerts: worker_failure", maxListedAlerts+5), m.Subject)
	assert.Equal(t, maxListedAlerts, strings.Count(m.Text, "Alert: worker_failure"))
	assert.Contains(t, m.Text, "... and 5 more")
	assert.Contains(t, m.HTML, "and 5 more")
}

// A muted (inhibited) alert already told is listed as muted, not as firing.
func TestComposeListsMutedAlerts(t *testing.T) {
	c := newTestComposer(t, "", "")
	m := c.compose(group(
		testNotification("worker_failure", notify.StateFiring, notify.SeverityError),
		testNotification("high_error_rate", notify.StateInhibited, notify.SeverityWarning),
	), composeNow)
	assert.Contains(t, m.Text, "2 alerts (1 firing, 0 resolved, 1 muted)")
	assert.Contains(t, m.Text, "Alert: high_error_rate\nState: MUTED (inhibited)")
}
