//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// A restart between trigger and resolve must neither page twice nor lose the resolve: the alert
// processor restores its firing instance and the notifiers their ledger, both from file_storage.
func TestRestartBetweenTriggerAndResolve(t *testing.T) {
	d := startDeployment(t)
	const worker = "charge_card"

	d.runSteps(t, worker, 12, false)
	var trigger pdEvent
	require.True(t, collectortest.Eventually(45*time.Second, 200*time.Millisecond, func() bool {
		for _, e := range d.pd.byAction("trigger") {
			if strings.Contains(e.Payload.Summary, "worker_failure") {
				trigger = e
			}
		}
		return trigger.DedupKey != "" && len(d.slack.matching("worker_failure", worker)) == 1
	}), "no worker_failure trigger before the restart; pd %+v\nlogs:\n%s", d.pd.Events(), d.proc.Logs())
	before := d.scrape(t)
	firingLine, ok := series(before, "multiagents_alerts", `alertname="worker_failure"`, `alertstate="firing"`, `worker_name="`+worker+`"`)
	require.True(t, ok, "no firing series before the restart:\n%s", before)

	d.restart(t)

	// The worker is healthy after the restart.
	resolved := collectortest.Eventually(60*time.Second, time.Second, func() bool {
		d.runSteps(t, worker, 3, true)
		for _, e := range d.pd.byAction("resolve") {
			if e.DedupKey == trigger.DedupKey {
				return true
			}
		}
		return false
	})
	require.True(t, resolved, "the incident opened before the restart was never resolved; pd %+v\nlogs:\n%s", d.pd.Events(), d.proc.Logs())
	require.True(t, collectortest.Eventually(10*time.Second, 200*time.Millisecond, func() bool {
		return len(d.slack.matching("worker_failure", worker)) >= 2
	}), "no resolved Slack message after the restart")

	after := d.scrape(t)
	resolvedLine, ok := series(after, "multiagents_alerts", `alertname="worker_failure"`, `alertstate="resolved"`, `worker_name="`+worker+`"`)
	require.True(t, ok, "no resolved series after the restart:\n%s", after)
	assert.Equal(t, fingerprintOf(firingLine), fingerprintOf(resolvedLine), "the restored instance keeps its fingerprint")

	triggers, resolves := 0, 0
	for _, e := range d.pd.Events() {
		if e.DedupKey == trigger.DedupKey {
			switch e.EventAction {
			case "trigger":
				triggers++
			case "resolve":
				resolves++
			}
		}
	}
	assert.Equal(t, 1, triggers, "no second page after the restart")
	assert.Equal(t, 1, resolves, "exactly one resolve")
	assert.Len(t, d.slack.matching("worker_failure", worker), 2, "one firing and one resolved Slack message across the restart")
}

// fingerprintOf pulls the fingerprint label out of a Prometheus sample line.
func fingerprintOf(line string) string {
	const key = `fingerprint="`
	i := strings.Index(line, key)
	if i < 0 {
		return ""
	}
	rest := line[i+len(key):]
	return rest[:strings.IndexByte(rest, '"')]
}
