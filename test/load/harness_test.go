//go:build loadtest

package load

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// quick is BENCH_QUICK=1: shorter runs for trying the benchmark, not for the committed figures.
func quick() bool { return envInt("BENCH_QUICK", 0) == 1 }

// envInt reads a positive integer from the environment, or def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(os.Getenv(name))); err == nil && n > 0 {
		return n
	}
	return def
}

// fastTimers let one failing result per fresh worker be the evidence worker_failure needs (the
// shipped min_executions is 10), for the runs that fail many workers at once; the intervals,
// rules and thresholds stay as shipped.
var fastTimers = []string{
	"--set=processors::worker_health::recent_window=10m",
	"--set=processors::worker_health::min_executions=1",
}

// quietExporters replace the unreachable OTLP backend of the shipped config: traces and logs go
// to the debug exporter (one line per batch), metrics to Prometheus only. Without this the
// otlp_grpc exporter's retry queue would fill with everything the run produces and blur CPU
// and heap figures.
var quietExporters = []string{
	"--set=exporters::debug::verbosity=basic",
	"--set=service::pipelines::traces/multiagents::exporters=[debug]",
	"--set=service::pipelines::traces/agents::exporters=[debug,span_metrics]",
	"--set=service::pipelines::logs::exporters=[debug]",
}

// collector is one built collector started for a load run.
type collector struct {
	proc  *collectortest.Process
	ports collectortest.Ports
}

// startCollector runs the built binary with the shipped config, every listener on a free
// loopback port, the extra flags and environment, and waits until it is healthy. Free ports are
// picked, released and then bound by the collector, so another process on the machine can take
// one in between: a start that fails on "address already in use" is retried with fresh ports.
func startCollector(t *testing.T, redisAddr string, extra []string, env ...string) *collector {
	t.Helper()
	if redisAddr == "" {
		redisAddr = collectortest.FreeAddr(t) // nothing listens: the tap retries in the background
	}
	storage := t.TempDir()
	for attempt := 1; ; attempt++ {
		ports := collectortest.NewPorts(t)
		args := append([]string{"--config", "otelcol-config.yaml"}, ports.SetFlags()...)
		args = append(args, extra...)
		fullEnv := append(append(ports.Env(), "REDIS_ENDPOINT="+redisAddr, "OTELCOL_STORAGE_DIR="+storage), env...)
		p := collectortest.Start(t, args, fullEnv...)
		up := collectortest.Eventually(60*time.Second, 100*time.Millisecond, func() bool {
			if p.Exited() {
				return true
			}
			code, _, err := collectortest.Get(collectortest.URL(ports.Health, "/"), 0)
			return err == nil && code == http.StatusOK
		})
		if up && !p.Exited() {
			return &collector{proc: p, ports: ports}
		}
		if attempt < 3 && p.Exited() && strings.Contains(p.Logs(), "address already in use") {
			t.Logf("collector start %d: a port was taken in between, retrying with fresh ports", attempt)
			continue
		}
		t.Fatalf("collector did not come up:\n%s", p.Logs())
	}
}

// waitSubscribed waits until the receiver's PSUBSCRIBE is registered on redis.
func waitSubscribed(t *testing.T, c *collector, redis *testredis.Server) {
	t.Helper()
	require.True(t, collectortest.Eventually(30*time.Second, 100*time.Millisecond, func() bool {
		n, err := redis.Do("PUBSUB", "NUMPAT")
		return err == nil && n != ":0"
	}), "receiver never subscribed:\n%s", c.proc.Logs())
}

// stop sends SIGTERM and requires a clean exit.
func (c *collector) stop(t *testing.T) {
	t.Helper()
	code, err := c.proc.Stop(30 * time.Second)
	require.NoError(t, err)
	require.Equal(t, 0, code, c.proc.Logs())
}

// scrape fetches a Prometheus text page.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	_, body, err := collectortest.Get(collectortest.URL(addr, "/metrics"), 10*time.Second)
	require.NoError(t, err)
	return body
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.eE+-]+|NaN|[+-]Inf)`)

// sumSamples adds up every sample of metric name whose labels contain each of labels (`k="v"`).
func sumSamples(body, name string, labels ...string) float64 {
	total := 0.0
	for _, line := range strings.Split(body, "\n") {
		m := sampleLine.FindStringSubmatch(line)
		if m == nil || m[1] != name {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(m[2], l)
		}
		if v, err := strconv.ParseFloat(m[3], 64); ok && err == nil {
			total += v
		}
	}
	return total
}

// heapAlloc is the collector's live heap right after a forced GC, read from the pprof extension
// (the heap profile's debug text ends with runtime.MemStats).
func heapAlloc(t *testing.T, c *collector) int64 {
	t.Helper()
	_, body, err := collectortest.Get(collectortest.URL(c.ports.PProf, "/debug/pprof/heap?gc=1&debug=1"), 30*time.Second)
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^# HeapAlloc = (\d+)$`).FindStringSubmatch(body)
	require.NotNil(t, m, "no HeapAlloc in the heap profile")
	n, err := strconv.ParseInt(m[1], 10, 64)
	require.NoError(t, err)
	return n
}

// publishPaced PUBLISHes msgs in pipelined batches of 500 at about rate messages per second,
// so that the receiver's raw queue never overflows; it is bounded by len(msgs).
func publishPaced(t *testing.T, addr string, msgs []agentsim.Message, rate int) {
	t.Helper()
	pub := agentsim.NewRedisPublisher(addr, "")
	defer pub.Close()
	const batch = 500
	start := time.Now()
	for i := 0; i < len(msgs); i += batch {
		due := start.Add(time.Duration(float64(i) / float64(rate) * float64(time.Second)))
		time.Sleep(time.Until(due))
		failed, err := pub.Publish(context.Background(), msgs[i:min(i+batch, len(msgs))])
		require.NoError(t, err)
		require.Zero(t, failed)
	}
}

// percentile is the nearest-rank percentile (0 < p <= 100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

// maxInWindow is the most arrivals within any window of length w (half-open: [t, t+w)).
func maxInWindow(arrivals []time.Time, w time.Duration) int {
	ts := append([]time.Time(nil), arrivals...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	best, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) >= w {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// profileDuring starts a CPU profile of the collector for the next seconds when BENCH_PROFILE_DIR
// is set, written to <dir>/<name>.pprof; the returned func waits for it. scripts/bench.sh prints
// its hot spots with go tool pprof.
func profileDuring(t *testing.T, c *collector, name string, seconds int) func() {
	t.Helper()
	dir := os.Getenv("BENCH_PROFILE_DIR")
	if dir == "" {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := collectortest.WriteCPUProfile(c.ports.PProf, filepath.Join(dir, name+".pprof"), seconds); err != nil {
			t.Errorf("profile %s: %v", name, err)
		}
	}()
	return func() { <-done }
}

// minGap is the smallest time between two consecutive arrivals.
func minGap(arrivals []time.Time) time.Duration {
	ts := append([]time.Time(nil), arrivals...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	gap := time.Duration(0)
	for i := 1; i < len(ts); i++ {
		if d := ts[i].Sub(ts[i-1]); i == 1 || d < gap {
			gap = d
		}
	}
	return gap
}

// result logs one machine-readable line for scripts/bench.sh: RESULT <figure> key=value ...
func result(t *testing.T, figure string, kv ...any) {
	t.Helper()
	var b strings.Builder
	b.WriteString("RESULT " + figure)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, " %v=%v", kv[i], kv[i+1])
	}
	t.Log(b.String())
}
