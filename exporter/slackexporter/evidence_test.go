package slackexporter

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
)

const (
	trace1 = "0af7651916cd43dd8448eb211c80319c"
	trace2 = "4bf92f3577b34da6a3ce929d0e0e4736"
)

func evidencePoint() notifytest.Point {
	p := notifytest.Firing("fp", "error", "w1")
	p.Labels["team"] = "payments"
	p.Annotations = map[string]string{
		"summary":     "{{ worker.name }} of {{ team }} failed (value {{ $value }})",
		"runbook_url": "https://runbooks.example/worker-failure?a=1&b=2",
		"dashboard":   "https://grafana.example/d/workers",
	}
	p.TraceIDs = []string{trace1, trace2}
	return p
}

func fieldOf(m message, title string) (string, bool) {
	for _, f := range m.Attachments[0].Fields {
		if f.Title == title {
			return f.Value, true
		}
	}
	return "", false
}

func TestSlackShowsAnnotationsAndTraceLinks(t *testing.T) {
	cfg := newTestConfig("https://hooks.slack.example/x")
	cfg.TraceURLTemplate = "http://tempo:3200/trace/{{ .TraceID }}"
	require.NoError(t, cfg.Validate())
	s, err := newSlackSender(cfg)
	require.NoError(t, err)
	m := s.message(notifyAlert(evidencePoint()))

	assert.Equal(t, "*w1 of payments failed (value 1)*\nWorker w1 has failed", m.Attachments[0].Text, "summary rendered at send time heads the description")
	runbook, ok := fieldOf(m, "Runbook")
	require.True(t, ok)
	assert.Equal(t, "<https://runbooks.example/worker-failure?a=1&amp;b=2|runbook>", runbook)
	dashboard, _ := fieldOf(m, "dashboard")
	assert.Equal(t, "https://grafana.example/d/workers", dashboard)
	traces, ok := fieldOf(m, "Traces")
	require.True(t, ok)
	assert.Equal(t, "<http://tempo:3200/trace/"+trace1+"|"+trace1+">\n<http://tempo:3200/trace/"+trace2+"|"+trace2+">", traces, "newest first, as links")
	team, _ := fieldOf(m, "team")
	assert.Equal(t, "payments", team, "a static label is a label")
	_, isLabel := fieldOf(m, "annotations.summary")
	assert.False(t, isLabel, "annotations are not shown as labels")
	assert.Empty(t, notifytest.CheckSlackMessage(toServerMessage(t, m)))

	// Without a template the ids are plain text.
	s, err = newSlackSender(newTestConfig("https://hooks.slack.example/x"))
	require.NoError(t, err)
	traces, _ = fieldOf(s.message(notifyAlert(evidencePoint())), "Traces")
	assert.Equal(t, "`"+trace1+"`\n`"+trace2+"`", traces)

	// No trace ids: no Traces field.
	p := evidencePoint()
	p.TraceIDs = nil
	_, ok = fieldOf(s.message(notifyAlert(p)), "Traces")
	assert.False(t, ok)
}

func TestSlackGroupMessageUsesSummariesAndEachAlertsTraces(t *testing.T) {
	s, err := newSlackSender(newTestConfig("https://hooks.slack.example/x"))
	require.NoError(t, err)
	p1, p2 := evidencePoint(), notifytest.Firing("fp2", "error", "w2")
	p2.TraceIDs = []string{"00000000000000000000000000000003"}
	alerts, errs := notify.AlertsFromMetrics(notifytest.AlertMetrics(p1, p2))
	require.Empty(t, errs)
	m := s.message(groupOf(alerts...))
	assert.Contains(t, m.Attachments[0].Text, "w1 of payments failed (value 1)")
	assert.Contains(t, m.Attachments[0].Text, "Worker w2 has failed", "no summary: the description")
	traces, _ := fieldOf(m, "Traces")
	assert.Equal(t, []string{"`" + trace1 + "`", "`" + trace2 + "`", "`00000000000000000000000000000003`"}, strings.Split(traces, "\n"))
}

func TestSlackTemplatesSeeAnnotationsAndTraceIDs(t *testing.T) {
	cfg := newTestConfig("https://hooks.slack.example/x")
	cfg.TextTemplate = `{{ index .Annotations "summary" }} {{ range .TraceIDs }}[{{ . }}]{{ end }}`
	s, err := newSlackSender(cfg)
	require.NoError(t, err)
	m := s.message(notifyAlert(evidencePoint()))
	assert.Equal(t, "w1 of payments failed (value 1) ["+trace1+"]["+trace2+"]", m.Attachments[0].Text)
}

func TestSlackTraceURLTemplateIsValidated(t *testing.T) {
	cfg := newTestConfig("https://hooks.slack.example/x")
	cfg.TraceURLTemplate = "tempo/{{ .TraceID }}"
	assert.ErrorContains(t, cfg.Validate(), "trace_url_template: makes \"tempo/4bf92f3577b34da6a3ce929d0e0e4736\", not an absolute http or https URL")
}
