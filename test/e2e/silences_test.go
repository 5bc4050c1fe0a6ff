//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertmanagertest"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// startWithSilences is the shipped deployment, whose silences extension (kept in file_storage,
// used by the alert processor) listens on a free loopback port. It returns the API's URL.
func startWithSilences(t *testing.T) (*deployment, string) {
	d := startDeployment(t)
	return d, "http://" + d.ports.Silences
}

func amtool(t *testing.T, url string, args ...string) string {
	t.Helper()
	out, err := alertmanagertest.Amtool(t, url, args...)
	require.NoError(t, err, "amtool %s", strings.Join(args, " "))
	return strings.TrimSpace(out)
}

// An operator silences a worker's failure with the real amtool before maintenance; the silence
// survives a collector restart; the worker fails: worker_failure is written silenced and
// nothing reaches Slack or PagerDuty; once the silence is expired, the next evaluation fires
// it and both are notified.
func TestSilencedWorkerFailureIsNotNotifiedUntilTheSilenceEnds(t *testing.T) {
	d, url := startWithSilences(t)
	const worker = "refund_payment"

	id := amtool(t, url, "silence", "add", "--author=ops", "--comment=refund maintenance", "--duration=1h",
		"alertname=worker_failure", "worker_name="+worker)
	d.restart(t)
	require.Equal(t, id, amtool(t, url, "silence", "query", "-q", "worker_name="+worker), "the silence survived the restart")

	worker_failure := func(state string) bool {
		_, ok := series(d.scrape(t), "multiagents_alerts", `alertname="worker_failure"`, `alertstate="`+state+`"`, `worker_name="`+worker+`"`)
		return ok
	}
	require.True(t, collectortest.Eventually(45*time.Second, 500*time.Millisecond, func() bool {
		d.runSteps(t, worker, 4, false)
		return worker_failure("silenced")
	}), "worker_failure was never written silenced; logs:\n%s", d.proc.Logs())

	// Well past group_wait (2s) with the worker still failing: nothing about worker_failure.
	// (The silenced worker_failure still inhibits the worker's error_spike, as in Alertmanager,
	// where silenced alerts still inhibit.) That the notifiers work is shown after the expiry.
	deadline := time.Now().Add(8 * time.Second)
	for time.Now().Before(deadline) {
		d.runSteps(t, worker, 2, false)
		require.False(t, worker_failure("firing"), "the silence stopped holding")
		time.Sleep(500 * time.Millisecond)
	}
	assert.Empty(t, d.slack.matching("worker_failure"), "a silenced alert reached Slack")
	for _, e := range d.pd.byAction("trigger") {
		assert.NotContains(t, e.Payload.Summary, "worker_failure", "a silenced alert reached PagerDuty")
	}
	amtool(t, url, "silence", "expire", id)
	require.True(t, collectortest.Eventually(30*time.Second, 500*time.Millisecond, func() bool {
		d.runSteps(t, worker, 2, false)
		triggered := false
		for _, e := range d.pd.byAction("trigger") {
			triggered = triggered || strings.Contains(e.Payload.Summary, "worker_failure")
		}
		return triggered && len(d.slack.matching("worker_failure", worker)) > 0
	}), "no Slack message or PagerDuty trigger for worker_failure after the silence expired; pd %+v\nlogs:\n%s", d.pd.Events(), d.proc.Logs())
	assert.True(t, worker_failure("firing"))
	assert.Empty(t, d.slack.violations(), "Slack contract violations")
	assert.Empty(t, d.pd.Violations(), "PagerDuty contract violations")

	code, err := d.proc.Stop(20 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, 0, code)
}
