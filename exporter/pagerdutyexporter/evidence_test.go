package pagerdutyexporter

import (
	"encoding/json"
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

func evidencePoint(fp, worker string, traces ...string) notifytest.Point {
	p := notifytest.Firing(fp, "error", worker)
	p.Labels["team"] = "payments"
	p.Annotations = map[string]string{
		"summary":     "{{ worker.name }} of {{ team }} failed (value {{ $value }})",
		"runbook_url": "https://runbooks.example/worker-failure",
	}
	p.TraceIDs = traces
	return p
}

func TestPagerDutyEventCarriesSummaryRunbookAndTraceLinks(t *testing.T) {
	cfg := newTestConfig("http://127.0.0.1:1/v2/enqueue")
	cfg.TraceURLTemplate = "http://tempo:3200/trace/{{ .TraceID }}"
	require.NoError(t, cfg.Validate())
	s, err := newPagerDutySender(cfg)
	require.NoError(t, err)
	ev := s.event(notifyAlert(evidencePoint("fp", "w1", trace1, trace2)))

	assert.Equal(t, "worker_failure: w1 of payments failed (value 1)", ev.Payload.Summary, "the summary annotation, rendered, replaces the description")
	assert.Equal(t, []link{
		{Href: "https://runbooks.example/worker-failure", Text: "Runbook: worker_failure"},
		{Href: "http://tempo:3200/trace/" + trace1, Text: "Trace " + trace1},
		{Href: "http://tempo:3200/trace/" + trace2, Text: "Trace " + trace2},
	}, ev.Links)
	d := ev.Payload.CustomDetails
	assert.Equal(t, []string{trace1, trace2}, d.TraceIDs)
	assert.Equal(t, map[string]string{"summary": "w1 of payments failed (value 1)", "runbook_url": "https://runbooks.example/worker-failure"}, d.Annotations)
	assert.Equal(t, "payments", d.Labels["team"])
	assert.Equal(t, "Worker w1 has failed", d.Description, "description kept")

	body, err := json.Marshal(ev)
	require.NoError(t, err)
	var wire notifytest.PagerDutyEvent
	require.NoError(t, json.Unmarshal(body, &wire))
	wire.RoutingKey = "0123456789abcdef0123456789abcdef"
	assert.Empty(t, notifytest.CheckPagerDutyEvent(wire))

	// Without a template: the runbook is a link, the ids only in custom_details.
	s, err = newPagerDutySender(newTestConfig("http://127.0.0.1:1/v2/enqueue"))
	require.NoError(t, err)
	ev = s.event(notifyAlert(evidencePoint("fp", "w1", trace1)))
	assert.Equal(t, []link{{Href: "https://runbooks.example/worker-failure", Text: "Runbook: worker_failure"}}, ev.Links)
	assert.Equal(t, []string{trace1}, ev.Payload.CustomDetails.TraceIDs)
}

func TestPagerDutyGroupLinksAreBounded(t *testing.T) {
	cfg := newTestConfig("http://127.0.0.1:1/v2/enqueue")
	cfg.TraceURLTemplate = "https://jaeger.example/trace/{{ .TraceID }}"
	s, err := newPagerDutySender(cfg)
	require.NoError(t, err)
	var points []notifytest.Point
	for i := range 6 {
		var traces []string
		for j := range 3 {
			traces = append(traces, notifyTraceID(i*3+j))
		}
		points = append(points, evidencePoint("fp"+string(rune('a'+i)), "w"+string(rune('a'+i)), traces...))
	}
	alerts, errs := notify.AlertsFromMetrics(notifytest.AlertMetrics(points...))
	require.Empty(t, errs)
	n := notifyAlert(points[0])
	n.Firing = alerts
	ev := s.event(n)
	require.Len(t, ev.Links, 1+notify.MaxTraceLinks, "the one runbook (same for all) and at most MaxTraceLinks traces")
	assert.Equal(t, "https://jaeger.example/trace/"+notifyTraceID(0), ev.Links[1].Href, "first alert's newest trace first")
	require.Len(t, ev.Payload.CustomDetails.Firing, 6)
	assert.Equal(t, []string{notifyTraceID(3), notifyTraceID(4), notifyTraceID(5)}, ev.Payload.CustomDetails.Firing[1].TraceIDs, "each alert lists its own ids")
	assert.Empty(t, s.event(notify.Notification{GroupID: "g", Status: notify.StateResolved}).Links, "a resolve carries only its dedup_key")
}

// notifyTraceID is the (i+1)th trace id: an all-zero id is no trace.
func notifyTraceID(i int) string {
	const hex = "0123456789abcdef"
	i++
	return "000000000000000000000000000000" + string(hex[i/16]) + string(hex[i%16])
}

func TestPagerDutyTraceURLTemplateIsValidated(t *testing.T) {
	cfg := newTestConfig("http://127.0.0.1:1/v2/enqueue")
	cfg.TraceURLTemplate = "http://tempo/{{ .TraceId }}"
	assert.ErrorContains(t, cfg.Validate(), "trace_url_template:")
}
