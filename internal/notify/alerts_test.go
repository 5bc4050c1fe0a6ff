package notify

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// alertPoint appends one multiagents.alerts data point with the given attributes.
func alertPoint(g pmetric.Gauge, value float64, attrs map[string]any) {
	dp := g.DataPoints().AppendEmpty()
	dp.SetDoubleValue(value)
	dp.SetTimestamp(pcommon.NewTimestampFromTime(t0))
	_ = dp.Attributes().FromRaw(attrs)
}

func alertsGauge(md pmetric.Metrics) pmetric.Gauge {
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(AlertsMetricName)
	return m.SetEmptyGauge()
}

func TestAlertsFromMetrics(t *testing.T) {
	md := pmetric.NewMetrics()
	g := alertsGauge(md)
	alertPoint(g, 1, map[string]any{
		"alertname": "worker_failure", "alertstate": "firing", "severity": "error",
		"fingerprint": "abc", "description": "Worker w1 has failed", "threshold": "== 1",
		"cooldown": "15m", "worker.name": "w1", "zone": "b",
	})
	alertPoint(g, 0.2, map[string]any{"alertname": "no_state", "severity": "error"})               // invalid
	alertPoint(g, 0.2, map[string]any{"alertname": "x", "alertstate": "firing", "severity": "p1"}) // invalid
	alertPoint(g, 0.3, map[string]any{
		"alertname": "high_error_rate", "alertstate": "pending", "severity": "warning", "cooldown": int64(60),
		"worker.name": "w2",
	})
	other := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().AppendEmpty()
	other.SetName("multiagents.events")
	other.SetEmptySum().DataPoints().AppendEmpty().SetIntValue(3)

	alerts, errs := AlertsFromMetrics(md)
	require.Len(t, errs, 2, "two bad points reported")
	assert.ErrorContains(t, errs[0], "alertstate")
	assert.ErrorContains(t, errs[1], "severity")
	require.Len(t, alerts, 2, "the neighbours of bad points are kept")

	a := alerts[0]
	assert.Equal(t, "worker_failure", a.Name)
	assert.Equal(t, StateFiring, a.State)
	assert.Equal(t, SeverityError, a.Severity)
	assert.Equal(t, "abc", a.Fingerprint)
	assert.Equal(t, "Worker w1 has failed", a.Description)
	assert.Equal(t, "== 1", a.Threshold)
	assert.Equal(t, 15*time.Minute, a.Cooldown)
	assert.True(t, a.HasValue)
	assert.Equal(t, 1.0, a.Value)
	assert.Equal(t, []Label{{Key: "worker.name", Value: "w1"}, {Key: "zone", Value: "b"}}, a.Labels)
	assert.True(t, a.Time.Equal(t0))

	b := alerts[1]
	assert.Equal(t, StatePending, b.State)
	assert.Equal(t, time.Minute, b.Cooldown)
	assert.Len(t, b.Fingerprint, 32, "derived when missing")
}

func TestAlertsFromMetricsRejectsNonGauge(t *testing.T) {
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(AlertsMetricName)
	m.SetEmptySum()
	alerts, errs := AlertsFromMetrics(md)
	assert.Empty(t, alerts)
	require.Len(t, errs, 1)
	assert.ErrorContains(t, errs[0], "want a gauge")
}

func TestAlertsFromLogs(t *testing.T) {
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	add := func(sev plog.SeverityNumber, body string, attrs map[string]any) {
		lr := lrs.AppendEmpty()
		lr.SetSeverityNumber(sev)
		lr.Body().SetStr(body)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(t0))
		_ = lr.Attributes().FromRaw(attrs)
	}
	add(plog.SeverityNumberInfo, "just info", nil)
	add(plog.SeverityNumberError, "Worker w1 crashed", map[string]any{"alertname": "worker_crash", "worker.name": "w1"})
	add(plog.SeverityNumberFatal, "disk full", map[string]any{"host": "h"})
	add(plog.SeverityNumberWarn, "a warning but severity says critical", map[string]any{"severity": "critical"})
	add(plog.SeverityNumberError, "bad state", map[string]any{"alertstate": "exploded"})
	add(plog.SeverityNumberDebug, "debug", map[string]any{"severity": "nope"})

	alerts, errs := AlertsFromLogs(ld, SeverityError, LogAlertsConfig{NameAttribute: "alertname", FingerprintAttributes: []string{"worker.name"}})
	require.Len(t, errs, 1)
	require.Len(t, alerts, 3)

	assert.Equal(t, "worker_crash", alerts[0].Name)
	assert.Equal(t, SeverityError, alerts[0].Severity)
	assert.Equal(t, StateFiring, alerts[0].State)
	assert.Equal(t, "Worker w1 crashed", alerts[0].Description)
	assert.Equal(t, []Label{{Key: "worker.name", Value: "w1"}}, alerts[0].Labels)
	assert.Equal(t, fingerprintOf("worker_crash", alerts[0].Labels), alerts[0].Fingerprint)
	assert.False(t, alerts[0].HasValue)

	assert.Equal(t, "disk full", alerts[1].Name, "named by the body")
	assert.Equal(t, SeverityCritical, alerts[1].Severity)
	assert.Equal(t, SeverityCritical, alerts[2].Severity, "the severity attribute wins")

	other := fingerprintOf("worker_crash", []Label{{Key: "worker.name", Value: "w2"}})
	assert.NotEqual(t, alerts[0].Fingerprint, other, "labels tell instances apart")
}

func TestLogSeverityFromText(t *testing.T) {
	lr := plog.NewLogRecord()
	lr.SetSeverityText("warning")
	sev, ok := logSeverity(lr)
	assert.True(t, ok)
	assert.Equal(t, SeverityWarning, sev)
	lr.SetSeverityText("chatty")
	_, ok = logSeverity(lr)
	assert.False(t, ok)
}

func TestTruncateBytes(t *testing.T) {
	assert.Equal(t, "short", TruncateBytes("short", 10))
	s := strings.Repeat("é", 10) // 2 bytes each
	got := TruncateBytes(s, 8)
	assert.True(t, utf8.ValidString(got))
	assert.LessOrEqual(t, len(got), 8)
	assert.True(t, strings.HasSuffix(got, "…"))
	assert.Equal(t, "", TruncateBytes(s, 2))
}

// TruncateBytes counts bytes, not characters, and never splits a multi-byte character.
func TestTruncateBytesMultiByte(t *testing.T) {
	s := "ab€🚨cd" // 1+1+3+4+1+1 = 11 bytes, 6 characters
	assert.Equal(t, s, TruncateBytes(s, 11), "fits in bytes")
	assert.Equal(t, "ab€…", TruncateBytes(s, 10), "7 bytes left for text: the emoji (4 bytes) would be split, so it goes")
	assert.Equal(t, "ab…", TruncateBytes(s, 7), "4 bytes left for text: € (bytes 2-4) would be split, so it goes too")
	assert.Equal(t, "…", TruncateBytes(s, 3))
	for maxBytes := 0; maxBytes <= len(s); maxBytes++ {
		got := TruncateBytes(s, maxBytes)
		assert.True(t, utf8.ValidString(got), "%d: %q", maxBytes, got)
		assert.LessOrEqual(t, len(got), maxBytes, "%d: %q", maxBytes, got)
	}
	// Six characters but 11 bytes: a limit of 6 cuts although the text has only 6 characters.
	assert.NotEqual(t, s, TruncateBytes(s, utf8.RuneCountInString(s)))
}

func FuzzAlertsFromLogs(f *testing.F) {
	f.Add("Worker w1 crashed", "worker_crash", "firing", "15m", int32(17))
	f.Add("", "", "", "", int32(0))
	f.Add("é\xff", "x", "resolved", "-3", int32(24))
	f.Fuzz(func(t *testing.T, body, name, state, cooldown string, sev int32) {
		ld := plog.NewLogs()
		lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.Body().SetStr(body)
		lr.SetSeverityNumber(plog.SeverityNumber(sev))
		lr.Attributes().PutStr("alertname", name)
		lr.Attributes().PutStr("alertstate", state)
		lr.Attributes().PutStr("cooldown", cooldown)
		alerts, errs := AlertsFromLogs(ld, SeverityInfo, LogAlertsConfig{NameAttribute: "alertname"})
		if len(alerts)+len(errs) > 1 {
			t.Fatalf("one record gave %d alerts and %d errors", len(alerts), len(errs))
		}
		for _, a := range alerts {
			if a.Name == "" || a.Fingerprint == "" || len(a.Name) > maxLogAlertName && name == "" {
				t.Fatalf("bad alert %+v", a)
			}
		}
	})
}

func FuzzAlertsFromMetrics(f *testing.F) {
	f.Add("worker_failure", "firing", "error", "fp", "15m0s", "== 1", "w1", 1.0)
	f.Add("", "pending", "info", "", "", "", "", 0.0)
	f.Add("x", "resolved", "critical", "\xff", "-5", "NaN", "é", -1.5)
	f.Fuzz(func(t *testing.T, name, state, severity, fp, cooldown, threshold, worker string, value float64) {
		md := pmetric.NewMetrics()
		g := alertsGauge(md)
		alertPoint(g, value, map[string]any{"alertname": name, "alertstate": state, "severity": severity,
			"fingerprint": fp, "cooldown": cooldown, "threshold": threshold, "worker.name": worker})
		alertPoint(g, 1, map[string]any{"alertname": "neighbour", "alertstate": "firing", "severity": "error", "fingerprint": "n"})
		alerts, errs := AlertsFromMetrics(md)
		if len(alerts)+len(errs) != 2 {
			t.Fatalf("two points gave %d alerts and %d errors", len(alerts), len(errs))
		}
		if alerts[len(alerts)-1].Name != "neighbour" {
			t.Fatal("a bad point dropped its neighbour")
		}
		for _, a := range alerts {
			if a.Fingerprint == "" || a.Name == "" || a.Cooldown < 0 {
				t.Fatalf("bad alert %+v", a)
			}
		}
	})
}
