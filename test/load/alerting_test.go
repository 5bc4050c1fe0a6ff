//go:build loadtest

package load

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// alertDeployment is the built collector with fast timers, a real redis and local Slack and
// PagerDuty sinks.
type alertDeployment struct {
	redis     *testredis.Server
	slack, pd *sink
	c         *collector
}

func startAlertDeployment(t *testing.T, extra ...string) *alertDeployment {
	d := &alertDeployment{redis: testredis.Start(t), slack: newSlackSink(t), pd: newPagerDutySink(t)}
	flags, env := notifierFlags(d.slack, d.pd)
	args := append(append(append(append([]string{}, fastTimers...), quietExporters...), flags...), extra...)
	d.c = startCollector(t, d.redis.Addr, args, env...)
	waitSubscribed(t, d.c, d.redis)
	return d
}

// failingStep is a one-step workflow on worker whose result fails: started, command, failed
// result, compensated.
func failingStep(worker string) (before []agentsim.Message, result, after agentsim.Message) {
	w := agentsim.NewWorkflow("multiagent:", "order_processing")
	cmd, id := w.Command(worker, 30, map[string]any{"order_id": "ORDER-1"})
	return []agentsim.Message{w.Started(), cmd}, w.Result(worker, id, false, "Payment gateway unreachable"), w.Compensated()
}

func (d *alertDeployment) publish(t *testing.T, msgs ...agentsim.Message) {
	for _, m := range msgs {
		_, err := d.redis.Do("PUBLISH", m.Channel, string(m.Body))
		require.NoError(t, err)
	}
}

// TestNotifierStorm fails 200 workers (BENCH_STORM) at once, so worker_failure fires 200 alert
// instances in one evaluation, and checks that Slack and PagerDuty each receive all 200 firing
// notifications, with no contract violation, and never more requests in any 1 s than the
// configured rate_limit (raised to 20/s for both, BENCH_STORM_RATE, so a storm takes ~10 s, not the
// 200 s of Slack's real 1/s).
func TestNotifierStorm(t *testing.T) {
	storm := envInt("BENCH_STORM", 200)
	rate := envInt("BENCH_STORM_RATE", 20)
	d := startAlertDeployment(t,
		fmt.Sprintf("--set=exporters::slack::rate_limit=%d", rate),
		fmt.Sprintf("--set=exporters::pagerduty::rate_limit=%d", rate),
		// One group per alert instance (shipped: one per alertname), so that the storm is 200
		// notifications and measures the rate limiter.
		"--set=exporters::slack::group_by=[...]",
		"--set=exporters::pagerduty::group_by=[...]",
	)
	var msgs []agentsim.Message
	for i := 0; i < storm; i++ {
		before, failing, after := failingStep(fmt.Sprintf("storm_worker_%03d", i))
		msgs = append(append(append(msgs, before...), failing), after)
	}
	start := time.Now()
	publishPaced(t, d.redis.Addr, msgs, 20_000)

	// Nothing lost: every instance reaches both sinks (bounded: 200 at 20/s is 10 s; allow 90 s).
	done := collectortest.Eventually(90*time.Second, 100*time.Millisecond, func() bool {
		return len(d.slack.matching("worker_failure", "firing", "")) >= storm &&
			len(d.pd.matching("worker_failure", "firing", "")) >= storm
	})
	// A little longer, to see whether anything arrives twice.
	time.Sleep(2 * time.Second)
	d.c.stop(t)

	report := func(name string, s *sink) (firing, distinct, window int, gap, spread time.Duration) {
		got, violations := s.notifications()
		assert.Empty(t, violations, "%s contract violations", name)
		workers := map[string]bool{}
		var first, last time.Time
		for _, n := range got {
			if n.alert == "worker_failure" && n.state == "firing" {
				firing++
				workers[n.worker] = true
				if first.IsZero() {
					first = n.at
				}
				last = n.at
			}
		}
		arrivals := s.arrivals()
		window = maxInWindow(arrivals, time.Second)
		gap = minGap(arrivals)
		t.Logf("%-9s requests %d, worker_failure firing %d (%d distinct workers), other requests %d, max in any 1 s %d (limit %d), smallest gap %s (1/limit = %s), first after %s, spread %s",
			name, len(got), firing, len(workers), len(got)-firing, window, rate, gap.Round(100*time.Microsecond), time.Second/time.Duration(rate),
			first.Sub(start).Round(time.Millisecond), last.Sub(first).Round(time.Millisecond))
		return firing, len(workers), window, gap, last.Sub(first)
	}
	sf, sd, sw, sg, ss := report("Slack", d.slack)
	pf, pdd, pw, pg, ps := report("PagerDuty", d.pd)
	require.True(t, done, "not every alert was notified; logs:\n%s", d.c.proc.Logs())
	assert.Equal(t, storm, sf, "Slack: one firing message per instance")
	assert.Equal(t, storm, sd, "Slack: every worker")
	assert.Equal(t, storm, pf, "PagerDuty: one trigger per instance")
	assert.Equal(t, storm, pdd, "PagerDuty: every worker")
	result(t, "notifier_storm", "alerts", storm, "rate_limit", rate,
		"slack_firing", sf, "slack_max_per_s", sw, "slack_min_gap_ms", fmt.Sprintf("%.1f", float64(sg.Microseconds())/1000),
		"slack_spread_s", fmt.Sprintf("%.2f", ss.Seconds()),
		"pagerduty_firing", pf, "pagerduty_max_per_s", pw, "pagerduty_min_gap_ms", fmt.Sprintf("%.1f", float64(pg.Microseconds())/1000),
		"pagerduty_spread_s", fmt.Sprintf("%.2f", ps.Seconds()))
}
