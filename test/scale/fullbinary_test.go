//go:build e2e && loadtest

package scale

// Issue 14's full-binary throughput (a benchmark, not a timed test): the highest event rate that
// the built binary with the SHIPPED configuration takes off one real redis-server with zero loss,
// beside a bare go-redis subscriber measured in the same run with the same publisher, for
// realistic transactions and for transactions that never end (every one evicted at max_open).
//
//	make build
//	LOADTEST_HOLD=60s go test -tags e2e,loadtest -count=1 -v -timeout 120m -run '^TestFullBinaryZeroLossRate$' ./test/scale/
//
// LOADTEST_HOLD (default 60s) is how long each rate is held. LOADTEST_WORKLOADS (default
// "realistic,never_ending") picks the workloads; LOADTEST_START_RATE (default 10000) and
// LOADTEST_BARE_START_RATE (default 40000) where the doubling search starts. With
// LOADTEST_PROFILE_DIR set, every rate held against the binary leaves a CPU profile of its
// pprof extension in <dir>/<workload>-<rate>.pprof.

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/testredis"
	"github.com/otelcol-multiagents/otelcol-multiagents/test/collectortest"
)

// lossSeries are the collector's own counters of data lost between the bus and the exporters:
// the receiver's full decode queue, a Redis disconnect (Redis cuts off a subscriber whose
// output buffer overflows: everything published until the reconnect is lost), and anything a receiver, processor or exporter refused or
// failed. Their sum must not move during a zero-loss rate.
var lossSeries = regexp.MustCompile(`^otelcol_(receiver_multiagents_queue_dropped|receiver_multiagents_redis_gaps|receiver_(refused|failed)_[a-z_]+|processor_[a-z_]*(refused|dropped)[a-z_]*|exporter_(send|enqueue)_failed_[a-z_]+)(_total)?$`)

// sumLossSeries totals every sample of the lossSeries in a Prometheus text exposition.
func sumLossSeries(body string) float64 {
	total := 0.0
	for _, line := range strings.Split(body, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		if !lossSeries.MatchString(name) {
			continue
		}
		fields := strings.Fields(line)
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil {
			total += v
		}
	}
	return total
}

// fullBinary starts the built binary with otelcol-config.yaml as shipped: only its listeners
// move to free loopback ports and REDIS_ENDPOINT to redis; traces and logs go to the default nop
// exporter, metrics to Prometheus, worker_health, alert and the (unconfigured, so off) notifiers.
// Its intake is multiagents_events_total on the Prometheus endpoint, which moves every
// metrics.interval (10 s) plus the batch timeout (5 s): the count settles over 30 s.
func fullBinary(t *testing.T, redis *testredis.Server, kind workload, hold time.Duration, profileDir string) benchSubject {
	c := newCollector(t, "full binary", []string{"otelcol-config.yaml"}, nil, "REDIS_ENDPOINT="+redis.Addr)
	c.start(t)
	waitSubscribers(t, redis, 1, c.proc.Logs)
	scrape := func(addr string) (string, bool) {
		code, body, err := collectortest.Get(collectortest.URL(addr, "/metrics"), 5*time.Second)
		return body, err == nil && code == http.StatusOK
	}
	s := benchSubject{
		name:   "full binary " + string(kind),
		settle: 30 * time.Second,
		count: func() int64 {
			body, ok := scrape(c.ports.Prometheus)
			if !ok {
				return -1
			}
			return int64(collectortest.SumSeries(body, "multiagents_events_total"))
		},
		losses: func() float64 {
			body, ok := scrape(c.ports.Telemetry)
			require.True(t, ok, "scrape the collector's own metrics")
			return sumLossSeries(body)
		},
		alive: func() bool { return !c.proc.Exited() },
		stop: func() {
			code, err := c.proc.Stop(30 * time.Second)
			require.NoError(t, err)
			require.Equal(t, 0, code, "the collector's exit code")
		},
	}
	if profileDir != "" {
		seconds := int(min(20*time.Second, hold).Seconds())
		s.duringRate = func(rate int) func() {
			return profileRate(t, c.ports.PProf, filepath.Join(profileDir, fmt.Sprintf("%s-%d.pprof", kind, rate)), seconds)
		}
	}
	return s
}

// profileRate takes a CPU profile of the collector through its pprof extension for the next
// seconds and writes it to path; the returned func waits for it. A failed profile is only logged:
// it is evidence for the reader, not part of the measurement.
func profileRate(t *testing.T, pprofAddr, path string, seconds int) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := collectortest.WriteCPUProfile(pprofAddr, path, seconds); err != nil {
			t.Logf("profile %s: %v", path, err)
		}
	}()
	return func() { <-done }
}

func TestFullBinaryZeroLossRate(t *testing.T) {
	hold := envDuration(t, "LOADTEST_HOLD", 60*time.Second)
	first := envInt(t, "LOADTEST_START_RATE", 10000)
	bareFirst := envInt(t, "LOADTEST_BARE_START_RATE", 40000)
	kinds := []workload{realistic, neverEnding}
	if v := os.Getenv("LOADTEST_WORKLOADS"); v != "" {
		kinds = nil
		for _, f := range strings.Split(v, ",") {
			k := workload(strings.TrimSpace(f))
			require.Contains(t, []workload{realistic, neverEnding}, k, "LOADTEST_WORKLOADS")
			kinds = append(kinds, k)
		}
	}
	profileDir := os.Getenv("LOADTEST_PROFILE_DIR")
	t.Logf("hold per rate %s; load average %s", hold, loadAverage())
	for _, kind := range kinds {
		loadBefore := loadAverage()

		redis := testredis.Start(t)
		bare := bareSubscriber(t, redis.Addr)
		bareRate, publisherBound := maxZeroLossRate(t, redis.Addr, bare, hold, newStream(kind), bareFirst)
		bare.stop()
		redis.Stop()

		redis = testredis.Start(t)
		binary := fullBinary(t, redis, kind, hold, profileDir)
		rate, _ := maxZeroLossRate(t, redis.Addr, binary, hold, newStream(kind), first)
		binary.stop()
		redis.Stop()

		ratio := rate / bareRate
		t.Logf("RESULT full_binary workload=%s eps=%.0f bare_eps=%.0f ratio=%.2f hold=%s", kind, rate, bareRate, ratio, hold)
		bound := "the bare subscriber's own limit"
		if publisherBound {
			bound = "publisher-bound: the bare subscriber received every event the publisher managed, so its figure (and the ratio's denominator) is a lower bound and the ratio an upper bound"
		}
		t.Logf("full_binary workload=%s bare figure: %s; load average before %s after %s", kind, bound, loadBefore, loadAverage())
	}
}
