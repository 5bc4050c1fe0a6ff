package notify

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

func TestAlertsFromMetricsReadsAnnotationsAndTraceIDs(t *testing.T) {
	md := pmetric.NewMetrics()
	g := alertsGauge(md)
	alertPoint(g, 0.25, map[string]any{
		"alertname": "high_error_rate", "alertstate": "firing", "severity": "warning", "fingerprint": "f1",
		"worker.name": "w1", "team": "payments",
		"annotations.summary":     "{{ worker.name }} of {{ team }} fails at {{ $value }}",
		"annotations.runbook_url": "https://runbooks.example/x",
	})
	dp := g.DataPoints().At(0)
	// Written out of order and with a repeat: read newest first, each trace once.
	for _, e := range []struct {
		id byte
		at int64
	}{{1, 10}, {3, 30}, {2, 20}, {3, 5}, {0, 40}} {
		ex := dp.Exemplars().AppendEmpty()
		if e.id != 0 {
			ex.SetTraceID(pcommon.TraceID{15: e.id})
		}
		ex.SetTimestamp(pcommon.Timestamp(e.at))
	}
	alerts, errs := AlertsFromMetrics(md)
	require.Empty(t, errs)
	require.Len(t, alerts, 1)
	a := alerts[0]
	assert.Equal(t, []Label{{Key: "team", Value: "payments"}, {Key: "worker.name", Value: "w1"}}, a.Labels, "static labels are labels; annotations are not")
	assert.Equal(t, []Label{
		{Key: "runbook_url", Value: "https://runbooks.example/x"},
		{Key: "summary", Value: "{{ worker.name }} of {{ team }} fails at {{ $value }}"},
	}, a.Annotations)
	assert.Equal(t, []string{
		"00000000000000000000000000000003",
		"00000000000000000000000000000002",
		"00000000000000000000000000000001",
	}, a.TraceIDs)
	assert.Equal(t, "w1 of payments fails at 0.25", a.Annotation(AnnotationSummary))
	assert.Equal(t, "https://runbooks.example/x", a.Annotation(AnnotationRunbookURL))
	assert.Empty(t, a.Annotation("dashboard"))
	assert.Equal(t, fingerprintOf(a.Name, a.Labels), fingerprintOf("high_error_rate", []Label{{Key: "team", Value: "payments"}, {Key: "worker.name", Value: "w1"}}),
		"changing an annotation's text does not change the labels that identify the alert")
}

func TestRenderAnnotation(t *testing.T) {
	a := Alert{Name: "r", Severity: SeverityError, Value: 1.0 / 6, HasValue: true, Labels: []Label{{Key: "worker.name", Value: "w1"}}}
	for text, want := range map[string]string{
		"plain":                                     "plain",
		"{{ worker.name }} at {{$value}}":           "w1 at 0.1667",
		"{{alertname}}/{{ severity }}":              "r/error",
		"{{ unknown }} stays":                       "{{ unknown }} stays",
		"unclosed {{ worker.name":                   "unclosed {{ worker.name",
		"{{ worker.name }}{{ worker.name }}":        "w1w1",
		"no value {{ $value }} when the alert has ": "no value 0.1667 when the alert has ",
	} {
		assert.Equal(t, want, RenderAnnotation(text, a), text)
	}
	a.HasValue = false
	assert.Equal(t, "{{ $value }}", RenderAnnotation("{{ $value }}", a), "a log-record alert has no value to show")
	for v, want := range map[float64]string{3: "3", 0.25: "0.25", 1.0 / 3: "0.3333", 12345.678: "12345.7", -2: "-2"} {
		assert.Equal(t, want, FormatValue(v))
	}
}

func TestTraceURLTemplate(t *testing.T) {
	tmpl, err := ParseTraceURLTemplate("http://tempo:3200/trace/{{ .TraceID }}")
	require.NoError(t, err)
	assert.Equal(t, []TraceLink{{TraceID: "ab", URL: "http://tempo:3200/trace/ab"}}, tmpl.Links([]string{"ab"}))

	grafana, err := ParseTraceURLTemplate(`https://grafana.example/explore?left={"queries":[{"query":"{{ .TraceID }}"}]}`)
	require.NoError(t, err)
	assert.Contains(t, grafana.Links([]string{"cd"})[0].URL, `"query":"cd"`)

	none, err := ParseTraceURLTemplate("")
	require.NoError(t, err)
	assert.Nil(t, none)
	assert.Equal(t, []TraceLink{{TraceID: "ab"}}, none.Links([]string{"ab"}), "no template: plain ids")

	for text, want := range map[string]string{
		"http://tempo/{{ .TraceID ":          "unclosed action",
		"http://tempo/{{ .SpanID }}":         "can't evaluate field SpanID",
		"tempo:3200/trace/{{ .TraceID }}":    "not an absolute http or https URL",
		"ftp://tempo/{{ .TraceID }}":         "not an absolute http or https URL",
		"http://tempo/trace":                 "does not use {{ .TraceID }}",
		"{{ .TraceID }}":                     "not an absolute http or https URL",
		"http://tempo/{{ printf \"%d\" 1 }}": "does not use {{ .TraceID }}",
	} {
		_, err := ParseTraceURLTemplate(text)
		assert.ErrorContains(t, err, want, text)
	}
}

func TestNotificationTraceIDsAreBoundedAndPerAlert(t *testing.T) {
	n := Notification{
		Firing:   []Alert{{Name: "a", TraceIDs: []string{"1", "2", "3"}}, {Name: "b", TraceIDs: []string{"2", "4"}}},
		Resolved: []Alert{{Name: "c", TraceIDs: []string{"5"}}},
	}
	assert.Equal(t, []string{"1", "2", "3", "4", "5"}, n.TraceIDs(MaxTraceLinks))
	assert.Equal(t, []string{"1", "2", "3"}, n.TraceIDs(3))
	assert.Empty(t, Notification{}.TraceIDs(MaxTraceLinks))
}
