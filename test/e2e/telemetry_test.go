//go:build e2e

package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// scrapeTelemetry fetches the collector's own /metrics and returns its status and body.
func (d *deployment) scrapeTelemetry(t *testing.T) (int, string) {
	status, body, err := collectortest.Get(collectortest.URL(d.ports.Telemetry, "/metrics"), 5*time.Second)
	require.NoError(t, err)
	return status, body
}

// telemetrySum adds up the samples of a counter (with or without the _total suffix the
// Prometheus exporter adds) whose labels contain every one of labels; found is false when none.
func telemetrySum(body, name string, labels ...string) (sum float64, found bool) {
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+"_total{") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		m := sampleValue.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			continue
		}
		sum += v
		found = true
	}
	return sum, found
}

// The collector's own /metrics once answered HTTP 500 from the first notification on: the three
// notifiers wrote otelcol_notify_sent with the same labels. With all three sending at once it
// must answer 200, and each notifier's counter must be its own (label exporter).
func TestOwnTelemetryScrapesWhileAllNotifiersSend(t *testing.T) {
	d := startDeployment(t)
	const worker = "process_payment"

	d.runSteps(t, worker, 3, true)
	d.runSteps(t, worker, 12, false)

	// All three notifiers deliver something.
	require.True(t, collectortest.Eventually(60*time.Second, 500*time.Millisecond, func() bool {
		return len(d.slack.Messages()) > 0 && len(d.pd.byAction("trigger")) > 0 && len(d.smtp.Mails()) > 0
	}), "not every notifier sent: slack %d, pagerduty %d, mails %d\nlogs:\n%s",
		len(d.slack.Messages()), len(d.pd.Events()), len(d.smtp.Mails()), d.proc.Logs())

	// Each counter matches what its destination accepted. The counters are read from one scrape
	// and compared with the servers' tallies; a send in flight between the two makes them differ
	// for a moment, so poll until they agree.
	var status int
	var body string
	var slackSent, pdSent, emailSent float64
	agree := collectortest.Eventually(30*time.Second, 500*time.Millisecond, func() bool {
		status, body = d.scrapeTelemetry(t)
		if status != http.StatusOK {
			return false
		}
		slackSent, _ = telemetrySum(body, "otelcol_notify_sent", `exporter="slack"`)
		pdSent, _ = telemetrySum(body, "otelcol_notify_sent", `exporter="pagerduty"`)
		emailSent, _ = telemetrySum(body, "otelcol_notify_sent", `exporter="email"`)
		return int(slackSent) == len(d.slack.Messages()) &&
			int(pdSent) == len(d.pd.Events()) &&
			int(emailSent) == len(d.smtp.Mails())
	})
	require.Equal(t, http.StatusOK, status, "the collector's own /metrics must always answer 200; body:\n%s", body)
	require.True(t, agree, "per-exporter otelcol_notify_sent does not match what each destination accepted: "+
		"slack %v vs %d, pagerduty %v vs %d, email %v vs %d\n%s",
		slackSent, len(d.slack.Messages()), pdSent, len(d.pd.Events()), emailSent, len(d.smtp.Mails()), body)
	t.Logf("HTTP %d; otelcol_notify_sent: slack %v, pagerduty %v, email %v", status, slackSent, pdSent, emailSent)
	assert.GreaterOrEqual(t, slackSent, 1.0)
	assert.GreaterOrEqual(t, pdSent, 1.0)
	assert.GreaterOrEqual(t, emailSent, 1.0)

	// Every notify series says which exporter and which signal it belongs to.
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "otelcol_notify_") {
			assert.Contains(t, line, `exporter="`, "notify series without its exporter: %s", line)
			assert.Contains(t, line, `signal="metrics"`, "notify series without its signal: %s", line)
		}
	}
	// The collector's own exporter metrics still tell the three apart too (a sanity check on
	// the label name we chose to mirror).
	_, ok := telemetrySum(body, "otelcol_exporter_sent_metric_points", `exporter="slack"`)
	assert.True(t, ok, "otelcol_exporter_sent_metric_points{exporter=\"slack\"} missing:\n%s", body)

	code, err := d.proc.Stop(20 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, 0, code)
}
