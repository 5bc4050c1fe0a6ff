//go:build e2e

package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// Issue 16, stuck sagas: agentsim traffic on the built binary where one workflow's orchestrator
// dies after a step (no further event) while other workflows keep completing, and a saga that
// was already stuck in saga:* before the collector started. workflow_stuck fires for exactly
// those two workflow ids, not before stuck_floor of silence and within floor + a few intervals,
// links the stuck run's trace in Slack, and resolves when each saga ends.
func TestStuckSagaFiresForItsWorkflowOnlyAndResolvesWhenItEnds(t *testing.T) {
	const (
		prefix = "multiagent:"
		floor  = 4 * time.Second
		// bound: floor + metrics.interval + evaluation_interval, with room for a busy machine.
		bound          = floor + 30*time.Second
		traceURLPrefix = "http://tempo.example:3200/trace/"
	)
	redisSrv := testredis.Start(t)
	slack := newSlackSink(t)
	ports := collectortest.NewPorts(t)
	sagas := collectortest.NewSagaPublisher(redisSrv.Addr)
	t.Cleanup(func() { _ = sagas.Close() })
	ctx := context.Background()
	publish := func(ms ...agentsim.Message) {
		_, err := sagas.Publish(ctx, ms)
		require.NoError(t, err)
	}

	// Stuck before the start: its orchestrator died an hour ago after ordering a step. The
	// collector was not running, so only saga:<tx> (updated_at an hour ago) tells.
	pre := agentsim.NewWorkflow(prefix, "inventory_sync")
	pre.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	preCmd, _ := pre.Command("stock_check", 30, map[string]any{"sku": "SKU-1"})
	publish(pre.Started(), preCmd)

	args := append([]string{"--config", "otelcol-config.yaml"}, ports.SetFlags()...) // it ships workflow_stuck
	args = append(args,
		// The shipped intervals: a run turning stuck is sent within metrics.max_delay and
		// evaluated on arrival; the resolve waits group_wait only. group_interval (1 m) spaces the
		// updates of a group already told: fulfillment joins inventory_sync's open group.
		"--set=receivers::multiagents::transactions::stuck_floor="+floor.String(),
		"--set=exporters::slack::group_interval=2s",
		"--set=exporters::slack::insecure_allow_http=true",
		"--set=exporters::slack::trace_url_template="+traceURLPrefix+"{{ .TraceID }}",
	)
	env := append(ports.Env(),
		"REDIS_ENDPOINT="+redisSrv.Addr,
		"SLACK_WEBHOOK_URL="+slack.URL(),
		"OTELCOL_STORAGE_DIR="+t.TempDir(),
	)
	proc := collectortest.Start(t, args, env...)
	_, _, err := collectortest.Get(collectortest.URL(ports.Health, "/"), 30*time.Second)
	require.NoError(t, err, "collector did not come up:\n%s", proc.Logs())
	require.True(t, collectortest.Eventually(15*time.Second, 100*time.Millisecond, func() bool {
		n, err := redisSrv.Do("PUBSUB", "NUMPAT")
		return err == nil && n != ":0"
	}), "receiver never subscribed:\n%s", proc.Logs())

	// Healthy traffic all along: order_processing runs complete in milliseconds.
	stopTraffic := make(chan struct{})
	var traffic sync.WaitGroup
	traffic.Add(1)
	go func() {
		defer traffic.Done()
		tick := time.NewTicker(300 * time.Millisecond)
		defer tick.Stop()
		for {
			w := agentsim.NewWorkflow(prefix, "order_processing")
			cmd, id := w.Command("process_payment", 30, map[string]any{"order_id": "ORDER-1"})
			if _, err := sagas.Publish(ctx, []agentsim.Message{w.Started(), cmd, w.Result("process_payment", id, true, ""), w.Completed()}); err != nil {
				t.Errorf("publish: %v", err)
				return
			}
			select {
			case <-stopTraffic:
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() {
		select {
		case <-stopTraffic:
		default:
			close(stopTraffic)
		}
		traffic.Wait()
	})

	// The fulfillment orchestrator dies after its first step: nothing after the result.
	dead := agentsim.NewWorkflow(prefix, "fulfillment")
	deadCmd, deadCmdID := dead.Command("pack", 30, map[string]any{"order_id": "ORDER-2"})
	publish(dead.Started(), deadCmd, dead.Result("pack", deadCmdID, true, ""))
	lastEvent := time.Now()

	scrape := func() string {
		_, body, err := collectortest.Get(collectortest.URL(ports.Prometheus, "/metrics"), 5*time.Second)
		require.NoError(t, err)
		return body
	}
	firing := func(body, workflow string) bool {
		_, ok := series(body, "multiagents_alerts", `alertname="workflow_stuck"`, `alertstate="firing"`, `workflow_id="`+workflow+`"`)
		return ok
	}
	var body string
	var firedAt time.Time
	sawHealthyFiring := false
	require.True(t, collectortest.Eventually(bound, 200*time.Millisecond, func() bool {
		body = scrape()
		sawHealthyFiring = sawHealthyFiring || firing(body, "order_processing")
		if firedAt.IsZero() && firing(body, "fulfillment") {
			firedAt = time.Now()
		}
		return !firedAt.IsZero() && firing(body, "inventory_sync")
	}), "workflow_stuck did not fire for fulfillment and inventory_sync within %s; last scrape:\n%s\nlogs:\n%s", bound, body, proc.Logs())
	assert.GreaterOrEqual(t, firedAt.Sub(lastEvent), floor, "fired before stuck_floor of silence")
	assert.False(t, sawHealthyFiring, "a workflow whose runs complete is never stuck")
	line, ok := series(body, "multiagents_workflow_stuck", `workflow_id="fulfillment"`)
	require.True(t, ok, "no stuck gauge on /metrics:\n%s", body)
	assert.Equal(t, "1", sampleValue.FindStringSubmatch(line)[1])
	line, ok = series(body, "multiagents_workflow_stuck", `workflow_id="order_processing"`)
	require.True(t, ok, "no stuck gauge for order_processing:\n%s", body)
	assert.Equal(t, "0", sampleValue.FindStringSubmatch(line)[1])

	// Slack names the workflow and links the dead run's trace (its transaction id).
	deadTrace := strings.ReplaceAll(dead.TxID, "-", "")
	var msg notifytest.SlackMessage
	require.True(t, collectortest.Eventually(30*time.Second, 200*time.Millisecond, func() bool {
		for _, m := range slack.Messages() {
			if len(m.Attachments) > 0 && strings.Contains(m.Attachments[0].Title, "workflow_stuck") &&
				strings.Contains(m.Field("Traces"), deadTrace) {
				msg = m
				return true
			}
		}
		return false
	}), "no workflow_stuck Slack message linking %s; messages %+v", deadTrace, slack.Messages())
	assert.Contains(t, msg.Field("Traces"), traceURLPrefix+deadTrace)
	assert.Empty(t, slack.matching("workflow_stuck", "order_processing"), "no Slack message about the healthy workflow")

	// Both sagas end: the alerts resolve.
	publish(dead.Completed())
	pre.Now = time.Now
	publish(pre.Completed())
	require.True(t, collectortest.Eventually(30*time.Second, 200*time.Millisecond, func() bool {
		body = scrape()
		_, a := series(body, "multiagents_alerts", `alertname="workflow_stuck"`, `alertstate="resolved"`, `workflow_id="fulfillment"`)
		_, b := series(body, "multiagents_alerts", `alertname="workflow_stuck"`, `alertstate="resolved"`, `workflow_id="inventory_sync"`)
		return a && b
	}), "workflow_stuck did not resolve; last scrape:\n%s\nlogs:\n%s", body, proc.Logs())
	require.True(t, collectortest.Eventually(20*time.Second, 200*time.Millisecond, func() bool {
		return len(slack.matching("workflow_stuck", "fulfillment")) >= 2
	}), "no resolved Slack message: %v", slack.matching("workflow_stuck"))
	assert.Empty(t, slack.violations(), "Slack contract violations")

	close(stopTraffic)
	traffic.Wait()
	code, err := proc.Stop(20 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, 0, code)
}
