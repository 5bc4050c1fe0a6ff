//go:build e2e

package e2e

import (
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// Issue 16's "alerts that know when the collector was blind": the built binary with the shipped
// config (time ÷ timeScale, as the trustworthy test runs it) sees steady traffic, then Redis is
// killed for longer than bus_silent's window, with a command in flight whose result is lost, and
// restarted. On-call gets one bus_unobservable page, resolved after the reconnect, and nothing
// else: bus_silent and the worker left with an unanswered command are held back (written
// "inhibited" on multiagents.alerts), during the gap and after it.
func TestBlindCollectorPagesBusUnobservableOnly(t *testing.T) {
	root := collectortest.RepoRoot(t)
	configPath := filepath.Join(root, "otelcol-config.yaml")
	shipped := readShippedConfig(t, configPath)
	ruleNames := shippedRuleNames(t, shipped)
	require.Contains(t, ruleNames, "bus_unobservable", "the shipped config needs the bus_unobservable rule")
	busSilentWindow := 5 * time.Minute / timeScale

	redisSrv := testredis.Start(t)
	slack := newSlackSink(t)
	pd := newPagerDutySink(t)
	ports := collectortest.NewPorts(t)
	args := append([]string{"--config", configPath}, ports.SetFlags()...)
	args = append(args,
		"--set=exporters::pagerduty::endpoint="+pd.URL(),
		"--set=exporters::slack::insecure_allow_http=true",
	)
	args = append(args, timeOverrides(t, shipped, false)...)
	env := append(ports.Env(),
		"REDIS_ENDPOINT="+redisSrv.Addr,
		"SLACK_WEBHOOK_URL="+slack.URL(),
		"PAGERDUTY_ROUTING_KEY="+routingKey,
		"OTELCOL_STORAGE_DIR="+t.TempDir(),
	)
	proc := collectortest.Start(t, args, env...)
	require.True(t, collectortest.Eventually(30*time.Second, 200*time.Millisecond, func() bool {
		_, _, err := collectortest.Get(collectortest.URL(ports.Health, "/"), 0)
		return err == nil || proc.Exited()
	}) && !proc.Exited(), "collector did not come up:\n%s", proc.Logs())
	subscribed := func() bool {
		n, err := redisSrv.Do("PUBSUB", "NUMPAT")
		return err == nil && n != ":0"
	}
	require.True(t, collectortest.Eventually(15*time.Second, 100*time.Millisecond, subscribed), "receiver never subscribed:\n%s", proc.Logs())

	begin := time.Now()
	workers := []string{"payments", "shipping"}
	rec := newRecorder(begin, slack, pd, ruleNames, workers)
	stopWatch := rec.watch(collectortest.URL(ports.Telemetry, "/metrics"))

	// Steady traffic on both workers; while Redis is down the publishes fail and are dropped,
	// as the framework's would be lost to the collector.
	stopTraffic := make(chan struct{})
	var trafficDone sync.WaitGroup
	trafficDone.Add(1)
	go func() {
		defer trafficDone.Done()
		tick := time.NewTicker(300 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, worker := range workers {
				w := agentsim.NewWorkflow("multiagent:", "order_processing")
				cmd, id := w.Command(worker, 2, map[string]any{"order_id": "ORDER-1"})
				for _, m := range []agentsim.Message{w.Started(), cmd, w.Result(worker, id, true, ""), w.Completed()} {
					_, _ = redisSrv.Do("PUBLISH", m.Channel, string(m.Body))
				}
			}
			select {
			case <-stopTraffic:
				return
			case <-tick.C:
			}
		}
	}()
	defer func() { close(stopTraffic); trafficDone.Wait() }()

	// Scrapes multiagents.alerts for the alerts written inhibited (held back), all run long.
	var inhibitedMu sync.Mutex
	inhibited := map[string]bool{}
	stopScrape := make(chan struct{})
	var scrapeDone sync.WaitGroup
	scrapeDone.Add(1)
	go func() {
		defer scrapeDone.Done()
		for {
			if _, body, err := collectortest.Get(collectortest.URL(ports.Prometheus, "/metrics"), 2*time.Second); err == nil {
				for _, line := range strings.Split(body, "\n") {
					if strings.HasPrefix(line, "multiagents_alerts{") && strings.Contains(line, `alertstate="inhibited"`) {
						for _, name := range ruleNames {
							if strings.Contains(line, `alertname="`+name+`"`) {
								inhibitedMu.Lock()
								inhibited[name] = true
								inhibitedMu.Unlock()
							}
						}
					}
				}
			}
			select {
			case <-stopScrape:
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()

	time.Sleep(busSilentWindow + 5*time.Second) // windows full of healthy traffic
	require.Empty(t, aboutTheFramework(rec.all()), "no notification before the outage:\n%s", formatNotifications(rec.all()))

	// A command whose result the worker publishes while the collector is blind: lost to it.
	lost := agentsim.NewWorkflow("multiagent:", "order_processing")
	_, err := redisSrv.Do("PUBLISH", lost.Started().Channel, string(lost.Started().Body))
	require.NoError(t, err)
	cmd, _ := lost.Command("shipping", 2, map[string]any{"order_id": "ORDER-LOST"})
	_, err = redisSrv.Do("PUBLISH", cmd.Channel, string(cmd.Body))
	require.NoError(t, err)
	time.Sleep(200 * time.Millisecond)

	killedAt := time.Since(begin)
	redisSrv.Stop()
	// Past bus_silent's window, yet short of the rule's cooldown (15m ÷ timeScale) once the tap's
	// unscaled reconnect backoff is added: a longer outage is re-notified every cooldown, by design.
	time.Sleep(busSilentWindow + 7*time.Second)
	require.True(t, rec.seen("bus_unobservable"), "bus_unobservable told on-call while Redis was down:\n%s\n%s",
		formatNotifications(rec.all()), proc.Logs())
	redisSrv.Restart()
	// The tap's backoff is capped at 30 s (not scaled): it may take that long to come back.
	require.True(t, collectortest.Eventually(45*time.Second, 100*time.Millisecond, subscribed), "no reconnect:\n%s", proc.Logs())
	reconnectedAt := time.Since(begin)

	// keep_inhibiting_for (7m ÷ timeScale) after the resolve, then long enough for a late page.
	time.Sleep(7*time.Minute/timeScale + 15*time.Second)
	stopWatch()
	close(stopScrape)
	scrapeDone.Wait()
	code, err := proc.Stop(20 * time.Second)
	require.NoError(t, err)
	assert.Equal(t, 0, code)

	got := aboutTheFramework(rec.all())
	t.Logf("Redis killed at %s, reconnected at %s; notifications:\n%s", killedAt.Round(time.Second), reconnectedAt.Round(time.Second), formatNotifications(got))
	counts := map[string]int{}
	for _, n := range got {
		key := n.channel + " " + n.action + " " + n.key()
		counts[key]++
		if n.action == "resolved" || n.action == "resolve" {
			assert.Greater(t, n.at, reconnectedAt-time.Second, "resolved only after the reconnect: %s", key)
		}
	}
	assert.Equal(t, map[string]int{
		"slack firing bus_unobservable{}":      1,
		"slack resolved bus_unobservable{}":    1,
		"pagerduty trigger bus_unobservable{}": 1,
		"pagerduty resolve bus_unobservable{}": 1,
	}, counts, "one bus_unobservable page, resolved; no bus_silent and no per-worker page")

	firing := slack.matching("bus_unobservable", "Redis unreachable")
	assert.NotEmpty(t, firing, "the notification says why")

	inhibitedMu.Lock()
	defer inhibitedMu.Unlock()
	t.Logf("written inhibited on multiagents.alerts: %v", inhibited)
	assert.True(t, inhibited["bus_silent"], "bus_silent fired during the gap and was held back, not dropped unseen")
	assert.Empty(t, slack.violations(), "Slack contract violations")
	assert.Empty(t, pd.Violations(), "PagerDuty contract violations")
}

// aboutTheFramework leaves out the alerts that judge the machine the test runs on.
func aboutTheFramework(ns []notification) []notification {
	return slices.DeleteFunc(ns, func(n notification) bool {
		return slices.ContainsFunc(n.alerts, func(a string) bool { return ignoredAlerts[a] })
	})
}
