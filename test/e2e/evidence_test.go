//go:build e2e

package e2e

import (
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

const traceURLPrefix = "http://tempo.example:3200/trace/"

var slackTraceLink = regexp.MustCompile(`<` + regexp.QuoteMeta(traceURLPrefix) + `([0-9a-f]{32})\|([0-9a-f]{32})>`)

// TestSlackLinksTheFailingTransactionsTheReceiverExported runs the built collector with the
// shipped config (plus a trace_url_template): a worker fails, and the worker_failure Slack
// message links exactly the newest failing transactions, each a trace the OTLP backend got
// with the failed step in it. PagerDuty lists the same ids in custom_details.
func TestSlackLinksTheFailingTransactionsTheReceiverExported(t *testing.T) {
	d := startDeployment(t)
	code, err := d.proc.Stop(20 * time.Second)
	require.NoError(t, err)
	require.Equal(t, 0, code)
	d.args = append(d.args,
		"--set=exporters::slack::trace_url_template="+traceURLPrefix+"{{ .TraceID }}",
		"--set=exporters::pagerduty::trace_url_template="+traceURLPrefix+"{{ .TraceID }}")
	d.start(t)

	const worker = "process_payment"
	d.runSteps(t, worker, 3, true)
	// Twelve failing transactions, oldest first; their ids are the trace ids.
	var failing []string
	for range 12 {
		w := agentsim.NewWorkflow(d.prefix, "order_processing")
		d.publish(t, w.Started())
		cmd, id := w.Command(worker, 30, map[string]any{"order_id": "ORDER-1"})
		d.publish(t, cmd)
		d.publish(t, w.Result(worker, id, false, "Payment gateway unreachable"))
		d.publish(t, w.Compensated())
		failing = append(failing, strings.ReplaceAll(w.TxID, "-", ""))
		time.Sleep(2 * time.Millisecond) // distinct timestamps: "newest" is well defined
	}

	var msg notifytest.SlackMessage
	require.True(t, collectortest.Eventually(45*time.Second, 200*time.Millisecond, func() bool {
		for _, m := range d.slack.Messages() {
			if len(m.Attachments) > 0 && strings.Contains(m.Attachments[0].Title, "worker_failure") && m.Field("Traces") != "" {
				msg = m
				return true
			}
		}
		return false
	}), "no worker_failure Slack message with traces; messages %+v\nlogs:\n%s", d.slack.Messages(), d.proc.Logs())

	links := slackTraceLink.FindAllStringSubmatch(msg.Field("Traces"), -1)
	require.Len(t, links, 3, "the newest three failing transactions (max_trace_ids 3): %q", msg.Field("Traces"))
	var shown []string
	for _, l := range links {
		assert.Equal(t, l[1], l[2], "each link opens the trace it names")
		shown = append(shown, l[1])
	}
	// The worker failed while all twelve were on the bus within milliseconds, so the newest
	// three are the last three published, newest first.
	assert.Equal(t, []string{failing[11], failing[10], failing[9]}, shown)

	// Each one is a trace the receiver exported, holding the failed step and the failed root.
	for _, id := range shown {
		raw, err := hex.DecodeString(id)
		require.NoError(t, err)
		var spans []ptrace.Span
		require.True(t, collectortest.Eventually(15*time.Second, 200*time.Millisecond, func() bool {
			spans = d.otlp.trace([16]byte(raw))
			return len(spans) >= 2
		}), "trace %s not at the OTLP backend (%d spans in all)", id, d.otlp.count())
		byName := spansByName(spans)
		step, ok := byName["worker."+worker]
		require.True(t, ok, "trace %s has no %s span: %v", id, worker, byName)
		assert.Equal(t, ptrace.StatusCodeError, step.Status().Code())
		assert.Contains(t, step.Status().Message(), "Payment gateway unreachable")
		assert.True(t, slices.Contains(failing, id))
	}

	// PagerDuty: the same ids in custom_details, and as links.
	var trigger pdEvent
	require.True(t, collectortest.Eventually(30*time.Second, 200*time.Millisecond, func() bool {
		for _, e := range d.pd.byAction("trigger") {
			if e.Payload != nil && strings.Contains(e.Payload.Summary, "worker_failure") {
				trigger = e
				return true
			}
		}
		return false
	}), "no worker_failure PagerDuty trigger: %+v", d.pd.Events())
	var pdIDs []string
	for _, l := range trigger.Links {
		if strings.HasPrefix(l.Href, traceURLPrefix) {
			pdIDs = append(pdIDs, strings.TrimPrefix(l.Href, traceURLPrefix))
		}
	}
	assert.Equal(t, shown, pdIDs, "PagerDuty links the same transactions")
	assert.Empty(t, d.slack.violations(), "Slack contract violations")
	assert.Empty(t, d.pd.Violations(), "PagerDuty contract violations")
}
