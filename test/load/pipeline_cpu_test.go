//go:build loadtest

// Package load measures the built collector under load, side by side with a baseline run of the
// same binary on the same machine. Run with `make loadtest`; it is not part of `make test`.
package load

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const (
	pointsPerSecond = 10_000
	sendsPerSecond  = 10
	workers         = 1_000
)

// loadSeconds is how long each run is held (LOAD_SECONDS; default 60, 15 with BENCH_QUICK=1).
func loadSeconds() int {
	if n, err := strconv.Atoi(os.Getenv("LOAD_SECONDS")); err == nil && n > 0 {
		return n
	}
	if quick() {
		return 15
	}
	return 60
}

// TestMetricsPipelineCPU runs the shipped config twice at 10k points/s — once as shipped, once with
// worker_health and alert taken out of the metrics pipeline — and reports CPU seconds and peak RSS.
// The points arrive in 10 sends a second, each holding metrics the rules read, so the alert
// processor evaluates on arrival at most every min_evaluation_interval (shipped 1 s).
func TestMetricsPipelineCPU(t *testing.T) {
	seconds := loadSeconds()
	baseline := runPipeline(t, seconds, "[memory_limiter]")
	full := runPipeline(t, seconds, "[memory_limiter, worker_health, alert]")
	t.Logf("%d points/s for %d s each, %d workers", pointsPerSecond, seconds, workers)
	t.Logf("baseline (memory_limiter):                            cpu %.2f s, peak RSS %d MiB", baseline.cpu, baseline.rssKiB/1024)
	t.Logf("with worker_health + alert (memory_limiter, wh, alert): cpu %.2f s, peak RSS %d MiB", full.cpu, full.rssKiB/1024)
	t.Logf("CPU ratio %.2f (goal <= 1.25), RSS ratio %.2f", full.cpu/baseline.cpu, float64(full.rssKiB)/float64(baseline.rssKiB))
	result(t, "pipeline_cpu", "points_per_s", pointsPerSecond, "seconds", seconds, "workers", workers,
		"baseline_cpu_s", fmt.Sprintf("%.2f", baseline.cpu), "full_cpu_s", fmt.Sprintf("%.2f", full.cpu),
		"ratio", fmt.Sprintf("%.2f", full.cpu/baseline.cpu),
		"baseline_rss_mib", baseline.rssKiB/1024, "full_rss_mib", full.rssKiB/1024)
}

type usage struct {
	cpu    float64 // user+system seconds while loaded
	rssKiB int64
}

func runPipeline(t *testing.T, seconds int, processors string) usage {
	c := startCollector(t, "", []string{"--set=service::pipelines::metrics::processors=" + processors})
	p, ports := c.proc, c.ports

	conn, err := grpc.NewClient(ports.OTLPGRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	client := pmetricotlp.NewGRPCClient(conn)

	pid := p.PID()
	name := "pipeline-baseline"
	if strings.Contains(processors, "alert") {
		name = "pipeline-worker-health-alert"
	}
	waitProfile := profileDuring(t, c, name, min(seconds, 30))
	startCPU := cpuSeconds(t, pid)
	ticker := time.NewTicker(time.Second / sendsPerSecond)
	defer ticker.Stop()
	start := time.Now()
	for sends := 0; sends < seconds*sendsPerSecond; sends++ {
		<-ticker.C
		md := workerBatch(sends, start)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := client.Export(ctx, pmetricotlp.NewExportRequestFromMetrics(md))
		cancel()
		require.NoError(t, err)
	}
	u := usage{cpu: cpuSeconds(t, pid) - startCPU, rssKiB: peakRSSKiB(t, pid)}
	waitProfile()
	code, err := p.Stop(20 * time.Second)
	require.NoError(t, err)
	require.Equal(t, 0, code)
	return u
}

// durationBounds are the receiver's bucket bounds for multiagents.worker.duration, in seconds.
var durationBounds = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// workerBatch is one send of pointsPerSecond/sendsPerSecond points in the receiver's shapes: for
// each of half as many workers, its executions (cumulative sum, one status) and its duration
// (cumulative histogram), so worker_health reads both of its inputs as in service.
func workerBatch(send int, start time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	sm := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
	m := sm.Metrics().AppendEmpty()
	m.SetName("multiagents.worker.executions")
	m.SetUnit("{execution}")
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	hm := sm.Metrics().AppendEmpty()
	hm.SetName("multiagents.worker.duration")
	hm.SetUnit("s")
	hist := hm.SetEmptyHistogram()
	hist.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	perSend := pointsPerSecond / sendsPerSecond / 2
	now := pcommon.NewTimestampFromTime(time.Now())
	startTS := pcommon.NewTimestampFromTime(start)
	for i := 0; i < perSend; i++ {
		idx := send*perSend + i
		worker := idx % workers
		round := int64(idx/workers + 1)
		status := "success"
		if (idx/workers)%2 == 1 {
			status = "error"
		}
		name := fmt.Sprintf("worker_%04d", worker)
		dp := sum.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(startTS)
		dp.SetTimestamp(now)
		dp.SetIntValue(round)
		dp.Attributes().PutStr("worker.name", name)
		dp.Attributes().PutStr("status", status)

		// Every execution took 0.3 s: it lands in the (0.25, 0.5] bucket.
		hp := hist.DataPoints().AppendEmpty()
		hp.SetStartTimestamp(startTS)
		hp.SetTimestamp(now)
		hp.ExplicitBounds().FromRaw(durationBounds)
		counts := make([]uint64, len(durationBounds)+1)
		counts[6] = uint64(2 * round)
		hp.BucketCounts().FromRaw(counts)
		hp.SetCount(uint64(2 * round))
		hp.SetSum(0.3 * float64(2*round))
		hp.Attributes().PutStr("worker.name", name)
	}
	return md
}

func cpuSeconds(t *testing.T, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	require.NoError(t, err)
	// Fields after the command name (which may hold spaces) start after the last ')'.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // USER_HZ is 100 on Linux
}

func peakRSSKiB(t *testing.T, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			n, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return n
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}
