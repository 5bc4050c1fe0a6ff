//go:build loadtest

package load

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// Issue 14, goal 1: the time to page with the shipped configuration, endpoints aside.
//
// Each trial takes a fresh worker through the shipped worker_failure (for 0s) with the shipped
// worker_health thresholds (min_executions 10, failed at an error rate >= 0.5, recovered below
// 0.05, 5-minute recent window):
//   - evidence: 10 successful executions;
//   - the failure: 10 commands, then their 10 failing results in one pipelined PUBLISH. The
//     condition (10 failures of 20 = 0.5) first holds in the event stream when the last of them
//     is published; fire latency = first worker_failure firing at the sink - the moment that
//     PUBLISH was sent;
//   - the recovery: 180 successes (10 of 200 = 0.05, still failed: recovery needs < 0.05), then
//     one more success alone; the condition stops holding when it is published; resolve latency
//     = the group's resolve at the sink - that moment.
//
// Trials run one after the other (each waits for its resolve at both sinks); a random pause of
// up to 1 s before the failure and before the recovery makes both sample every phase of the
// receiver's max_delay tick. Slack and
// PagerDuty are local servers enforcing their API contract; Slack at its shipped 1/s limit.
// Nothing here asserts a duration: the test fails only when a notification is missing, arrives
// twice, or breaks the contract.
func TestTimeToPage(t *testing.T) {
	trials := envInt("BENCH_PAGE_TRIALS", map[bool]int{true: 5, false: 20}[quick()])
	redis := testredis.Start(t)
	slack, pd := newSlackSink(t), newPagerDutySink(t)
	flags, env := notifierFlags(slack, pd)
	c := startCollector(t, redis.Addr, flags, env...) // the shipped config: endpoints only
	waitSubscribed(t, c, redis)
	pub := agentsim.NewRedisPublisher(redis.Addr, "")
	defer pub.Close()
	publish := func(msgs []agentsim.Message) time.Time {
		sent := time.Now()
		failed, err := pub.Publish(context.Background(), msgs)
		require.NoError(t, err)
		require.Zero(t, failed)
		return sent
	}
	executions := func(worker string, n int, success bool) (before, results []agentsim.Message) {
		for range n {
			w := agentsim.NewWorkflow("multiagent:", "time_to_page")
			cmd, id := w.Command(worker, 30, map[string]any{"order_id": "ORDER-1"})
			before = append(before, w.Started(), cmd)
			results = append(results, w.Result(worker, id, success, map[bool]string{false: "Payment gateway unreachable"}[success]))
		}
		return before, results
	}
	arrival := func(s *sink, state, worker string) (time.Time, bool) {
		var got []time.Time
		ok := collectortest.Eventually(60*time.Second, 5*time.Millisecond, func() bool {
			got = s.matching("worker_failure", state, worker)
			return len(got) > 0
		})
		if !ok {
			return time.Time{}, false
		}
		return got[0], true
	}

	var fire, resolve []time.Duration // Slack and PagerDuty alike
	for i := range trials {
		time.Sleep(rand.N(time.Second))
		worker := fmt.Sprintf("page_worker_%02d", i)
		before, ok := executions(worker, 10, true)
		publish(append(before, ok...))
		before, failing := executions(worker, 10, false)
		publish(before)
		held := publish(failing)
		for _, s := range []*sink{slack, pd} {
			at, got := arrival(s, "firing", worker)
			require.True(t, got, "trial %d: no worker_failure firing for %s\n%s", i, worker, c.proc.Logs())
			fire = append(fire, at.Sub(held))
		}
		// The fire notification came a group_wait after a receiver tick: without a pause the
		// recovery would always be published just after a tick and wait out a whole max_delay.
		time.Sleep(rand.N(time.Second))
		before, ok = executions(worker, 180, true)
		publish(append(before, ok...))
		before, last := executions(worker, 1, true)
		publish(before)
		cleared := publish(last)
		for _, s := range []*sink{slack, pd} {
			at, got := arrival(s, "resolved", worker)
			require.True(t, got, "trial %d: no worker_failure resolve for %s; its series:\n%s", i, worker, grepLines(scrape(t, c.ports.Prometheus), worker))
			resolve = append(resolve, at.Sub(cleared))
		}
		t.Logf("trial %2d %s: fire Slack %s PagerDuty %s, resolve Slack %s PagerDuty %s", i, worker,
			fire[2*i].Round(time.Millisecond), fire[2*i+1].Round(time.Millisecond),
			resolve[2*i].Round(time.Millisecond), resolve[2*i+1].Round(time.Millisecond))
	}
	time.Sleep(2 * time.Second) // anything arriving twice arrives now
	for name, s := range map[string]*sink{"Slack": slack, "PagerDuty": pd} {
		got, violations := s.notifications()
		assert.Empty(t, violations, "%s contract violations", name)
		perWorker := map[string]int{}
		for _, n := range got {
			if n.alert == "worker_failure" {
				perWorker[n.worker+" "+n.state]++
			}
		}
		for i := range trials {
			worker := fmt.Sprintf("page_worker_%02d", i)
			assert.Equal(t, 1, perWorker[worker+" firing"], "%s: one firing for %s", name, worker)
			assert.Equal(t, 1, perWorker[worker+" resolved"], "%s: one resolve for %s", name, worker)
		}
	}
	c.stop(t)

	f, r := summarize(fire), summarize(resolve)
	t.Logf("time to page over %d trials (Slack and PagerDuty, %d samples each): fire %s; resolve %s (goal p99 <= 5 s)", trials, len(fire), f, r)
	result(t, "time_to_page", "trials", trials, "samples", len(fire),
		"fire_p50_s", secs(f.p50), "fire_p99_s", secs(f.p99), "fire_max_s", secs(f.max), "fire_min_s", secs(f.min),
		"resolve_p50_s", secs(r.p50), "resolve_p99_s", secs(r.p99), "resolve_max_s", secs(r.max), "resolve_min_s", secs(r.min),
		"goal_s", "5.000", "fire_sorted_s", f.all, "resolve_sorted_s", r.all)
}

// latencies is a percentile summary of durations.
type latencies struct {
	min, p50, p99, max time.Duration
	all                string // sorted, seconds, comma-separated
}

func (l latencies) String() string {
	return fmt.Sprintf("min %s p50 %s p99 %s max %s", l.min.Round(time.Millisecond), l.p50.Round(time.Millisecond),
		l.p99.Round(time.Millisecond), l.max.Round(time.Millisecond))
}

func summarize(ds []time.Duration) latencies {
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var all []string
	for _, d := range sorted {
		all = append(all, fmt.Sprintf("%.2f", d.Seconds()))
	}
	return latencies{min: sorted[0], p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[len(sorted)-1], all: strings.Join(all, ",")}
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// preIssue14Timers are the intervals shipped before issue 14: metrics sent every 10 s only,
// alerts evaluated every 15 s only, and the batch processor (timeout 5 s) in the metrics pipeline.
var preIssue14Timers = []string{
	"--set=receivers::multiagents::metrics::max_delay=0s",
	"--set=processors::alert::evaluate_on_arrival=false",
	"--set=service::pipelines::metrics::processors=[memory_limiter,worker_health,alert,batch]",
}

// TestIdleCPU is what the shipped configuration costs while nothing happens, beside the
// intervals shipped before issue 14, one after the other on the same machine: the collector
// subscribed to a real redis, having seen BENCH_IDLE_WORKERS workers (so there are series to
// send and rules to evaluate), then BENCH_IDLE_SECONDS of an idle bus. CPU seconds from
// /proc/<pid>/stat. Measured, not asserted.
func TestIdleCPU(t *testing.T) {
	seconds := envInt("BENCH_IDLE_SECONDS", map[bool]int{true: 15, false: 60}[quick()])
	workers := envInt("BENCH_IDLE_WORKERS", 50)
	measure := func(name string, extra ...string) float64 {
		redis := testredis.Start(t)
		slack, pd := newSlackSink(t), newPagerDutySink(t)
		flags, env := notifierFlags(slack, pd)
		c := startCollector(t, redis.Addr, append(flags, extra...), env...)
		waitSubscribed(t, c, redis)
		var msgs []agentsim.Message
		for i := range workers {
			w := agentsim.NewWorkflow("multiagent:", "idle_cpu")
			worker := fmt.Sprintf("idle_worker_%03d", i)
			for range 10 {
				cmd, id := w.Command(worker, 30, nil)
				msgs = append(msgs, cmd, w.Result(worker, id, true, ""))
			}
			msgs = append(msgs, w.Started(), w.Completed())
		}
		publishPaced(t, redis.Addr, msgs, 20_000)
		time.Sleep(12 * time.Second) // past one metrics.interval: everything seen has been sent
		pid := c.proc.PID()
		start := cpuSeconds(t, pid)
		time.Sleep(time.Duration(seconds) * time.Second)
		used := cpuSeconds(t, pid) - start
		c.stop(t)
		t.Logf("%-28s %.3f CPU-s over %d s idle (%.2f %% of one core), %d workers known", name, used, seconds, 100*used/float64(seconds), workers)
		return used
	}
	before := measure("intervals before issue 14", preIssue14Timers...)
	shipped := measure("shipped")
	ratio := shipped / max(before, 1e-9)
	result(t, "idle_cpu", "seconds", seconds, "workers", workers, "shipped_cpu_s", fmt.Sprintf("%.3f", shipped),
		"before_cpu_s", fmt.Sprintf("%.3f", before), "ratio", fmt.Sprintf("%.2f", ratio))
}

// grepLines keeps the lines of text that contain s.
func grepLines(text, s string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
