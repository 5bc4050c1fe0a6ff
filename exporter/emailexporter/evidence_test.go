package emailexporter

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

const (
	trace1 = "0af7651916cd43dd8448eb211c80319c"
	trace2 = "4bf92f3577b34da6a3ce929d0e0e4736"
)

func evidenceAlert(traces ...string) notify.Alert {
	a := testNotification("worker_failure", notify.StateFiring, notify.SeverityError)
	a.Labels = append(a.Labels, notify.Label{Key: "team", Value: "payments"})
	a.Annotations = []notify.Label{
		{Key: "dashboard", Value: "https://grafana.example/d/{{ worker.name }}"},
		{Key: "runbook_url", Value: "https://runbooks.example/worker-failure?a=1&b=2"},
		{Key: "summary", Value: "{{ worker.name }} of {{ team }} at {{ $value }}"},
	}
	a.TraceIDs = traces
	return a
}

func TestMailShowsAnnotationsAndTraceLinks(t *testing.T) {
	c, err := newComposer(&Config{TraceURLTemplate: "http://tempo:3200/trace/{{ .TraceID }}"})
	require.NoError(t, err)
	m := c.compose(group(evidenceAlert(trace1, trace2)), composeNow)

	assert.Contains(t, m.Text, "Summary: order-worker of payments at 0.75\n")
	assert.Contains(t, m.Text, "Runbook: https://runbooks.example/worker-failure?a=1&b=2\n")
	assert.Contains(t, m.Text, "dashboard: https://grafana.example/d/order-worker\n")
	assert.Contains(t, m.Text, "Traces of the latest failures:\n  "+trace1+"\n  "+trace2+"\n", "ids in the text part, newest first")
	assert.NotContains(t, m.Text, "annotations.")

	assert.Contains(t, m.HTML, "<p><b>order-worker of payments at 0.75</b></p>")
	assert.Contains(t, m.HTML, `<a href="https://runbooks.example/worker-failure?a=1&amp;b=2">Runbook</a>`)
	assert.Contains(t, m.HTML, `<a href="http://tempo:3200/trace/`+trace1+`"><code>`+trace1+`</code></a><br><a href="http://tempo:3200/trace/`+trace2+`">`)

	// Without a template: ids, no links.
	c, err = newComposer(&Config{})
	require.NoError(t, err)
	m = c.compose(group(evidenceAlert(trace1)), composeNow)
	assert.Contains(t, m.HTML, "<td><code>"+trace1+"</code></td>")
	assert.NotContains(t, m.HTML, "tempo")

	// No annotations, no traces: the mail is as before.
	m = c.compose(group(testNotification("worker_failure", notify.StateFiring, notify.SeverityError)), composeNow)
	assert.NotContains(t, m.Text, "Summary:")
	assert.NotContains(t, m.Text, "Traces")
}

func TestMailTraceLinksAreBoundedAcrossAGroup(t *testing.T) {
	c, err := newComposer(&Config{})
	require.NoError(t, err)
	var alerts []notify.Alert
	for i := range 5 {
		a := evidenceAlert(fmt.Sprintf("%032x", 3*i+1), fmt.Sprintf("%032x", 3*i+2), fmt.Sprintf("%032x", 3*i+3))
		a.Name = fmt.Sprintf("alert_%d", i)
		alerts = append(alerts, a)
	}
	m := c.compose(group(alerts...), composeNow)
	assert.Equal(t, notify.MaxTraceLinks, strings.Count(m.Text, "\n  0000000000"), "at most MaxTraceLinks ids in one mail")
	assert.Contains(t, m.Text, fmt.Sprintf("%032x", 10))
	assert.NotContains(t, m.Text, fmt.Sprintf("%032x", 11))
}

func TestMailTraceURLTemplateIsValidated(t *testing.T) {
	_, err := newComposer(&Config{TraceURLTemplate: "{{ .TraceID }}"})
	assert.ErrorContains(t, err, "trace_url_template: makes")
	cfg := createDefaultConfig().(*Config)
	cfg.TraceURLTemplate = "http://tempo/{{ .Trace }}"
	assert.ErrorContains(t, cfg.Validate(), "trace_url_template:")
}
