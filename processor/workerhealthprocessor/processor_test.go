package workerhealthprocessor

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/workerhealthprocessor/internal/metadata"
)

// newFakeClock is a clock that moves only when told; its tickers fire as time passes their
// next tick and, like time.Ticker's, drop ticks their reader is behind on.
func newFakeClock(now time.Time) *clockwork.FakeClock { return clockwork.NewFakeClockAt(now) }

// healthBatches returns the batches the sink got from the processor's ticker.
func healthBatches(sink *consumertest.MetricsSink) []pmetric.Metrics {
	var out []pmetric.Metrics
	for _, md := range sink.AllMetrics() {
		if md.ResourceMetrics().Len() > 0 && md.ResourceMetrics().At(0).ScopeMetrics().Len() > 0 &&
			md.ResourceMetrics().At(0).ScopeMetrics().At(0).Scope().Name() == metadata.ScopeName {
			out = append(out, md)
		}
	}
	return out
}

func startProcessor(t *testing.T, cfg *Config, clk clockwork.Clock, set processor.Settings) (processor.Metrics, *consumertest.MetricsSink) {
	t.Helper()
	sink := new(consumertest.MetricsSink)
	p, err := newMetricsProcessor(context.Background(), set, cfg, sink, clk)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	return p, sink
}

// tickAndWait advances the clock by one interval and waits for the evaluation it triggers.
func tickAndWait(t *testing.T, clk *clockwork.FakeClock, sink *consumertest.MetricsSink, interval time.Duration) map[string]float64 {
	t.Helper()
	before := len(healthBatches(sink))
	clk.Advance(interval)
	require.Eventually(t, func() bool { return len(healthBatches(sink)) > before }, 10*time.Second, time.Millisecond,
		"an evaluation is emitted after the ticker fires")
	batches := healthBatches(sink)
	return series(batches[len(batches)-1])
}

func TestSilentWorkerIsIdleNotFailed(t *testing.T) {
	cfg := testConfig()
	clk := newFakeClock(t0)
	p, sink := startProcessor(t, cfg, clk, processortest.NewNopSettings(metadata.Type))

	md := pmetric.NewMetrics()
	addExecutions(md, delta, t0, t0, "inventory_service", "success", 20)
	addDurations(md, delta, t0, t0, "inventory_service", []float64{0.1, 0.5, 1}, []uint64{10, 10, 0, 0}, 4)
	addCommandGauges(md, t0, "inventory_service", 0, 0)
	require.NoError(t, p.ConsumeMetrics(context.Background(), md))

	for i := range 6 { // up to 3 minutes without a command: idle
		s := tickAndWait(t, clk, sink, cfg.HealthCheckInterval)
		assert.Equal(t, "healthy", stateOf(s, "inventory_service"), "evaluation %d", i+1)
		assert.Equal(t, 0.0, s[issueKey("inventory_service", "unresponsive")])
		assert.Equal(t, float64(t0.Unix()), s[gaugeKey(metricLastSeen, "inventory_service")])
	}
	assert.Len(t, sink.AllMetrics(), 7, "one pass-through batch and six evaluations; nothing else was sent")
}

// Health follows the data: a batch that makes a worker unresponsive is followed downstream by
// that worker's health at once, before the batch itself, without waiting for the timer.
func TestHealthFollowsTheData(t *testing.T) {
	cfg := testConfig()
	clk := newFakeClock(t0)
	p, sink := startProcessor(t, cfg, clk, processortest.NewNopSettings(metadata.Type))
	ctx := context.Background()

	md := pmetric.NewMetrics()
	addExecutions(md, delta, t0, t0, "ship_order", "success", 20)
	addCommandGauges(md, t0, "ship_order", 0, 0)
	require.NoError(t, p.ConsumeMetrics(ctx, md))
	assert.Empty(t, healthBatches(sink), "a healthy newcomer changes nothing: no extra batch")

	clk.Advance(10 * time.Second)
	md = pmetric.NewMetrics()
	addCommandGauges(md, clk.Now(), "ship_order", 1, 40*time.Second)
	require.NoError(t, p.ConsumeMetrics(ctx, md))
	all := sink.AllMetrics()
	require.Len(t, all, 3, "pass-through, health, pass-through")
	require.Len(t, healthBatches(sink), 1)
	assert.Equal(t, metadata.ScopeName, all[1].ResourceMetrics().At(0).ScopeMetrics().At(0).Scope().Name(), "health goes just before the batch that caused it")
	s := series(all[1])
	assert.Equal(t, "failed", stateOf(s, "ship_order"))
	assert.Equal(t, 1.0, s[issueKey("ship_order", "unresponsive")])

	// The same reading again changes nothing: no further health batch until the timer.
	require.NoError(t, p.ConsumeMetrics(ctx, md))
	assert.Len(t, healthBatches(sink), 1)

	// It answers: the receiver resets overdue, and the worker is healthy at once.
	clk.Advance(10 * time.Second)
	md = pmetric.NewMetrics()
	addExecutions(md, delta, clk.Now(), clk.Now(), "ship_order", "success", 1)
	addCommandGauges(md, clk.Now(), "ship_order", 0, 0)
	require.NoError(t, p.ConsumeMetrics(ctx, md))
	require.Len(t, healthBatches(sink), 2)
	s = series(healthBatches(sink)[1])
	assert.Equal(t, "healthy", stateOf(s, "ship_order"))
	assert.Equal(t, 0.0, s[issueKey("ship_order", "unresponsive")])
}

func TestFrameworkProfileThresholds(t *testing.T) {
	cfg := testConfig()
	cfg.Profile = ProfileFramework
	cfg.applyProfile(ProfileFramework)
	clk := newFakeClock(t0)
	p, sink := startProcessor(t, cfg, clk, processortest.NewNopSettings(metadata.Type))
	md := pmetric.NewMetrics()
	addExecutions(md, delta, t0, t0, "w", "success", 85)
	addExecutions(md, delta, t0, t0, "w", "error", 15) // 15 %: degraded for the guide, healthy for the framework
	require.NoError(t, p.ConsumeMetrics(context.Background(), md))
	s := tickAndWait(t, clk, sink, 30*time.Second)
	assert.Equal(t, "healthy", stateOf(s, "w"))
	assert.Equal(t, 0.0, s[issueKey("w", "high_error_rate")], "0.15 < 0.2 raises no issue")
	for range 2 { // t0+60s, t0+90s: the framework's own monitor would say inactive; idle is healthy
		s = tickAndWait(t, clk, sink, 30*time.Second)
	}
	assert.Equal(t, "healthy", stateOf(s, "w"))
}

func TestMetricsPassThroughUntouched(t *testing.T) {
	clk := newFakeClock(t0)
	p, sink := startProcessor(t, testConfig(), clk, processortest.NewNopSettings(metadata.Type))
	md := pmetric.NewMetrics()
	addExecutions(md, cumulativeTemporality, t0, t0, "a", "success", 3)
	addDurations(md, cumulativeTemporality, t0, t0, "a", []float64{1}, []uint64{3, 0}, 1.5)
	other, _ := metricNamed(md, "multiagents.events")
	other.SetEmptySum().DataPoints().AppendEmpty().SetIntValue(9)
	want := pmetric.NewMetrics()
	md.CopyTo(want)

	require.NoError(t, p.ConsumeMetrics(context.Background(), md))
	require.Len(t, sink.AllMetrics(), 1)
	assert.Equal(t, want, sink.AllMetrics()[0], "passed on as received")
	assert.Equal(t, want, md, "input not mutated")
	assert.False(t, p.Capabilities().MutatesData)
}

func TestNoEmissionAfterShutdown(t *testing.T) {
	clk := newFakeClock(t0)
	sink := new(consumertest.MetricsSink)
	p, err := newMetricsProcessor(context.Background(), processortest.NewNopSettings(metadata.Type), testConfig(), sink, clk)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	md := pmetric.NewMetrics()
	addExecutions(md, delta, t0, t0, "a", "success", 3)
	require.NoError(t, p.ConsumeMetrics(context.Background(), md))
	require.NoError(t, p.Shutdown(context.Background()))
	clk.Advance(time.Minute)
	clk.Advance(time.Minute)
	assert.Empty(t, healthBatches(sink))
	require.NoError(t, p.Shutdown(context.Background()), "shutdown twice is harmless")
}

func TestShutdownWithoutStart(t *testing.T) {
	processortest.VerifyShutdown(t, NewFactory(), testConfig())
}

func TestTelemetryCountsRejectsResetsAndEvictions(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := testConfig()
	cfg.MaxWorkers = 1
	clk := newFakeClock(t0)
	p, sink := startProcessor(t, cfg, clk, set)

	md := pmetric.NewMetrics()
	addExecutions(md, cumulativeTemporality, t0, t0, "a", "success", 5)
	addExecutions(md, cumulativeTemporality, t0, t0, "b", "success", 5) // evicts a
	m, _ := metricNamed(md, execName)
	m.Sum().DataPoints().AppendEmpty().SetIntValue(1) // no worker
	require.NoError(t, p.ConsumeMetrics(context.Background(), md))
	md = pmetric.NewMetrics()
	addExecutions(md, cumulativeTemporality, t0, t0.Add(time.Second), "b", "success", 2) // reset
	require.NoError(t, p.ConsumeMetrics(context.Background(), md))
	tickAndWait(t, clk, sink, cfg.HealthCheckInterval)

	sumOf := func(name string, reason string) int64 {
		got, err := tel.GetMetric(name)
		require.NoError(t, err, name)
		var total int64
		for _, dp := range got.Data.(metricdata.Sum[int64]).DataPoints {
			if r, _ := dp.Attributes.Value("reason"); reason == "" || r.AsString() == reason {
				total += dp.Value
			}
		}
		return total
	}
	assert.Equal(t, int64(1), sumOf("otelcol_processor_worker_health_workers_evicted", "max_workers"))
	assert.Equal(t, int64(1), sumOf("otelcol_processor_worker_health_points_rejected", "missing_worker"))
	assert.Equal(t, int64(1), sumOf("otelcol_processor_worker_health_counter_resets", ""))
	tracked, err := tel.GetMetric("otelcol_processor_worker_health_workers_tracked")
	require.NoError(t, err)
	assert.Equal(t, int64(1), tracked.Data.(metricdata.Gauge[int64]).DataPoints[0].Value)
}

// Batches arriving while the ticker evaluates: run under -race, bounded in count.
func TestConcurrentConsumeAndEvaluate(t *testing.T) {
	clk := newFakeClock(t0)
	p, sink := startProcessor(t, testConfig(), clk, processortest.NewNopSettings(metadata.Type))
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				md := pmetric.NewMetrics()
				now := clk.Now()
				addExecutions(md, delta, now, now, fmt.Sprintf("w%d_%d", g, i%10), "success", 1)
				assert.NoError(t, p.ConsumeMetrics(context.Background(), md))
			}
		}()
	}
	for range 20 {
		clk.Advance(time.Second)
	}
	wg.Wait()
	s := tickAndWait(t, clk, sink, 30*time.Second)
	for g := range 2 {
		for i := range 10 {
			assert.Equal(t, "healthy", stateOf(s, fmt.Sprintf("w%d_%d", g, i)))
		}
	}
}

// Two worker_health instances on one meter provider (as in one collector) report their own
// telemetry apart: every point carries processor=<component id>, so Prometheus never sees the
// same series twice.
func TestTelemetryTellsInstancesApart(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	clk := newFakeClock(t0)
	var sinks []*consumertest.MetricsSink
	var procs []processor.Metrics
	for _, name := range []string{"", "framework"} {
		set := processortest.NewNopSettings(metadata.Type)
		set.ID = component.NewIDWithName(metadata.Type, name)
		set.TelemetrySettings = tel.NewTelemetrySettings()
		p, sink := startProcessor(t, testConfig(), clk, set)
		procs, sinks = append(procs, p), append(sinks, sink)
	}
	for i, p := range procs {
		md := pmetric.NewMetrics()
		for n := 0; n <= i; n++ { // 1 point without a worker for the first, 2 for the second
			m, _ := metricNamed(md, execName)
			if m.Type() != pmetric.MetricTypeSum {
				m.SetEmptySum().SetAggregationTemporality(delta)
			}
			m.Sum().DataPoints().AppendEmpty().SetIntValue(1)
		}
		addExecutions(md, delta, t0, t0, "w", "success", 1)
		require.NoError(t, p.ConsumeMetrics(context.Background(), md))
	}
	clk.Advance(testConfig().HealthCheckInterval)
	for _, sink := range sinks {
		require.Eventually(t, func() bool { return len(healthBatches(sink)) > 0 }, 10*time.Second, time.Millisecond)
	}

	byProcessor := func(name string) map[string]int64 {
		got, err := tel.GetMetric(name)
		require.NoError(t, err, name)
		out := map[string]int64{}
		switch data := got.Data.(type) {
		case metricdata.Sum[int64]:
			for _, dp := range data.DataPoints {
				id, ok := dp.Attributes.Value("processor")
				require.True(t, ok, "%s point without processor attribute", name)
				out[id.AsString()] += dp.Value
			}
		case metricdata.Gauge[int64]:
			for _, dp := range data.DataPoints {
				id, ok := dp.Attributes.Value("processor")
				require.True(t, ok, "%s point without processor attribute", name)
				out[id.AsString()] = dp.Value
			}
		}
		return out
	}
	assert.Equal(t, map[string]int64{"worker_health": 1, "worker_health/framework": 2},
		byProcessor("otelcol_processor_worker_health_points_rejected"))
	require.Eventually(t, func() bool {
		return len(byProcessor("otelcol_processor_worker_health_workers_tracked")) == 2
	}, 10*time.Second, time.Millisecond)
	assert.Equal(t, map[string]int64{"worker_health": 1, "worker_health/framework": 1},
		byProcessor("otelcol_processor_worker_health_workers_tracked"))
}
