package workerhealthprocessor

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// counts sums a worker's recent window at now.
func counts(t *testing.T, tr *tracker, worker string, now time.Time) windowTotals {
	t.Helper()
	w := tr.workers.byName[worker]
	require.NotNil(t, w, "worker %q is tracked", worker)
	var tot windowTotals
	w.recent.sum(now.UnixNano(), len(w.bounds)+1, &tot)
	return tot
}

func TestCumulativeCounterAcrossResets(t *testing.T) {
	tr := newTestTracker(testConfig())
	start := t0.Add(time.Second)
	restart := t0.Add(time.Minute)
	steps := []struct {
		start time.Time
		value int64
	}{
		{start, 5},    // first point of a series that started while we watched: all 5 count
		{start, 8},    // +3
		{start, 12},   // +4
		{start, 3},    // value dropped: a reset, the 3 are new
		{start, 7},    // +4
		{restart, 10}, // start time moved: a reset even though the value grew; the 10 are new
		{restart, 10}, // +0
	}
	now := t0
	for _, s := range steps {
		now = now.Add(10 * time.Second)
		md := pmetric.NewMetrics()
		addExecutions(md, cumulativeTemporality, s.start, now, "a", "success", s.value)
		tr.ingest(md, now.UnixNano())
	}
	assert.Equal(t, 5.0+3+4+3+4+10, counts(t, tr, "a", now).successes)
	assert.Equal(t, int64(2), tr.stats.resets)
}

func TestFirstPointOfOlderSeriesIsABaseline(t *testing.T) {
	tr := newTestTracker(testConfig())
	old := t0.Add(-time.Hour) // the source was counting long before this processor started
	md := pmetric.NewMetrics()
	addExecutions(md, cumulativeTemporality, old, t0.Add(10*time.Second), "a", "success", 1000)
	tr.ingest(md, t0.Add(10*time.Second).UnixNano())
	md = pmetric.NewMetrics()
	addExecutions(md, cumulativeTemporality, old, t0.Add(20*time.Second), "a", "success", 1004)
	tr.ingest(md, t0.Add(20*time.Second).UnixNano())
	assert.Equal(t, 4.0, counts(t, tr, "a", t0.Add(20*time.Second)).successes)
}

func TestOutOfOrderPointIsIgnoredAndCounted(t *testing.T) {
	tr := newTestTracker(testConfig())
	for _, p := range []struct {
		at time.Duration
		v  int64
	}{{20 * time.Second, 5}, {10 * time.Second, 2}, {30 * time.Second, 6}} {
		md := pmetric.NewMetrics()
		addExecutions(md, cumulativeTemporality, t0, t0.Add(p.at), "a", "success", p.v)
		tr.ingest(md, t0.Add(30*time.Second).UnixNano())
	}
	assert.Equal(t, 6.0, counts(t, tr, "a", t0.Add(30*time.Second)).successes)
	assert.Equal(t, int64(1), tr.stats.rejected[rejectOutOfOrder])
	assert.Equal(t, int64(0), tr.stats.resets)
}

func TestHistogramDeltasAcrossReset(t *testing.T) {
	tr := newTestTracker(testConfig())
	bounds := []float64{1, 2, 5}
	now := t0
	feed := func(start time.Time, c []uint64, sum float64) {
		now = now.Add(10 * time.Second)
		md := pmetric.NewMetrics()
		addDurations(md, cumulativeTemporality, start, now, "a", bounds, c, sum)
		tr.ingest(md, now.UnixNano())
	}
	feed(t0, []uint64{1, 0, 0, 0}, 0.5)
	feed(t0, []uint64{3, 1, 0, 0}, 3)                 // +2 in (0,1], +1 in (1,2], +2.5 s
	feed(t0, []uint64{0, 0, 1, 0}, 4)                 // a bucket dropped: reset, this point is new
	feed(t0.Add(time.Hour), []uint64{0, 0, 2, 1}, 16) // start moved: reset
	tot := counts(t, tr, "a", now)
	assert.Equal(t, []uint64{3, 1, 3, 1}, tot.buckets)
	assert.Equal(t, 8.0, tot.durCount)
	assert.InDelta(t, 0.5+2.5+4+16, tot.durSum, 1e-9)
	assert.Equal(t, int64(2), tr.stats.resets)
}

// The same executions sent as delta points and as cumulative points (including a source
// restart) must give the same health series.
func TestDeltaAndCumulativeInputsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	bounds := []float64{0.05, 0.1, 0.5, 1, 2.5, 5, 10}
	workers := []string{"validate_order", "process_payment", "ship"}
	cfg := testConfig()
	byDelta, byCumulative := newTestTracker(cfg), newTestTracker(cfg)

	type running struct {
		ok, failed int64
		buckets    []uint64
		sum        float64
		start      time.Time
	}
	cum := map[string]*running{}
	for _, w := range workers {
		cum[w] = &running{buckets: make([]uint64, len(bounds)+1), start: t0.Add(time.Second)}
	}
	prev := t0
	for step := 1; step <= 60; step++ {
		now := t0.Add(time.Duration(step) * 10 * time.Second)
		dmd, cmd := pmetric.NewMetrics(), pmetric.NewMetrics()
		for wi, w := range workers {
			c := cum[w]
			if step == 30 && wi == 1 { // this worker's source restarts: its cumulative counts start over
				*c = running{buckets: make([]uint64, len(bounds)+1), start: now.Add(-time.Second)}
			}
			ok, failed := int64(rng.IntN(20)), int64(rng.IntN(4*(wi+1)))
			inc := make([]uint64, len(bounds)+1)
			var sum float64
			for range ok + failed {
				d := rng.ExpFloat64() * float64(wi+1)
				inc[bucketIndex(bounds, d)]++
				sum += d
			}
			c.ok += ok
			c.failed += failed
			c.sum += sum
			for i := range inc {
				c.buckets[i] += inc[i]
			}
			addExecutions(dmd, delta, prev, now, w, "success", ok)
			addExecutions(dmd, delta, prev, now, w, "error", failed)
			addDurations(dmd, delta, prev, now, w, bounds, inc, sum)
			addExecutions(cmd, cumulativeTemporality, c.start, now, w, "success", c.ok)
			addExecutions(cmd, cumulativeTemporality, c.start, now, w, "error", c.failed)
			addDurations(cmd, cumulativeTemporality, c.start, now, w, bounds, append([]uint64(nil), c.buckets...), c.sum)
		}
		byDelta.ingest(dmd, now.UnixNano())
		byCumulative.ingest(cmd, now.UnixNano())
		prev = now
		if step%3 == 0 {
			want, got := series(byDelta.evaluate(now.UnixNano())), series(byCumulative.evaluate(now.UnixNano()))
			require.NotEmpty(t, want)
			require.Len(t, got, len(want))
			for k, v := range want {
				assert.InDelta(t, v, got[k], 1e-9, "step %d %s", step, k)
			}
		}
	}
}

func bucketIndex(bounds []float64, v float64) int {
	for i, b := range bounds {
		if v <= b {
			return i
		}
	}
	return len(bounds)
}

func TestWindowsForgetOldExecutions(t *testing.T) {
	cfg := testConfig()
	cfg.ReportWindow = ReportPerformance
	tr := newTestTracker(cfg)
	md := pmetric.NewMetrics()
	addExecutions(md, delta, t0, t0.Add(time.Second), "a", "error", 10)
	tr.ingest(md, t0.Add(time.Second).UnixNano())
	later := t0.Add(10 * time.Minute)
	md = pmetric.NewMetrics()
	addExecutions(md, delta, t0, later, "a", "success", 10)
	tr.ingest(md, later.UnixNano())

	s := series(tr.evaluate(later.UnixNano()))
	assert.InDelta(t, 0.5, s[gaugeKey(metricErrorRate, "a")], 1e-9, "the 60m performance window still holds the errors")
	assert.Equal(t, "healthy", stateOf(s, "a"), "the 5m recent window no longer does")
	assert.Equal(t, 0.0, s[issueKey("a", "high_error_rate")])

	cfg2 := testConfig()
	cfg2.ReportWindow = ReportRecent
	tr2 := newTestTracker(cfg2)
	md = pmetric.NewMetrics()
	addExecutions(md, delta, t0, t0.Add(time.Second), "a", "error", 10)
	tr2.ingest(md, t0.Add(time.Second).UnixNano())
	md = pmetric.NewMetrics()
	addExecutions(md, delta, t0, later, "a", "success", 10)
	tr2.ingest(md, later.UnixNano())
	s = series(tr2.evaluate(later.UnixNano()))
	assert.InDelta(t, 0.0, s[gaugeKey(metricErrorRate, "a")], 1e-9, "report_window: recent")
}

func TestHealthSeriesOfOneEvaluation(t *testing.T) {
	tr := newTestTracker(testConfig())
	now := t0.Add(10 * time.Second)
	md := pmetric.NewMetrics()
	addExecutions(md, delta, t0, now, "pay", "success", 6)
	addExecutions(md, delta, t0, now, "pay", "error", 4)
	addDurations(md, delta, t0, now, "pay", []float64{1, 2, 5, 10}, []uint64{0, 0, 0, 10, 0}, 70)
	tr.ingest(md, now.UnixNano())
	out := tr.evaluate(now.UnixNano())
	s := series(out)

	assert.Equal(t, map[string]float64{
		healthKey("pay", "healthy"):        0,
		healthKey("pay", "degraded"):       1,
		healthKey("pay", "failed"):         0,
		issueKey("pay", "high_error_rate"): 1,
		issueKey("pay", "slow_execution"):  1,
		issueKey("pay", "unresponsive"):    0,
		gaugeKey(metricSuccessRate, "pay"): 0.6,
		gaugeKey(metricErrorRate, "pay"):   0.4,
		gaugeKey(metricDurationAvg, "pay"): 7,
		gaugeKey(metricDurationP95, "pay"): 5 + 5*0.95,
		gaugeKey(metricLastSeen, "pay"):    float64(now.UnixNano()) / 1e9,
	}, s)

	units := map[string]string{}
	ms := out.ResourceMetrics().At(0).ScopeMetrics().At(0)
	assert.Equal(t, "github.com/otelcol-multiagents/otelcol-multiagents/processor/workerhealthprocessor", ms.Scope().Name())
	for i := range ms.Metrics().Len() {
		m := ms.Metrics().At(i)
		assert.Equal(t, pmetric.MetricTypeGauge, m.Type())
		units[m.Name()] = m.Unit()
	}
	assert.Equal(t, map[string]string{
		metricHealth: "{state}", metricSuccessRate: "1", metricErrorRate: "1",
		metricDurationAvg: "s", metricDurationP95: "s", metricLastSeen: "s", metricIssue: "{issue}",
	}, units)
}

func TestRejectedInputIsCountedAndNeighboursSurvive(t *testing.T) {
	tr := newTestTracker(testConfig())
	now := t0.Add(10 * time.Second)
	md := pmetric.NewMetrics()
	addExecutions(md, delta, t0, now, "good", "success", 3)
	// A point without a worker, one without a status, a negative one.
	m, _ := metricNamed(md, execName)
	dp := m.Sum().DataPoints().AppendEmpty()
	dp.SetIntValue(1)
	dp.Attributes().PutStr("status", "success")
	dp = m.Sum().DataPoints().AppendEmpty()
	dp.SetIntValue(1)
	dp.Attributes().PutStr("worker.name", "nostatus")
	dp = m.Sum().DataPoints().AppendEmpty()
	dp.SetIntValue(-1)
	dp.Attributes().PutStr("worker.name", "neg")
	dp.Attributes().PutStr("status", "success")
	// The duration metric as a gauge, in an unknown unit, and as an exponential histogram.
	sm := md.ResourceMetrics().At(0).ScopeMetrics().AppendEmpty()
	g := sm.Metrics().AppendEmpty()
	g.SetName(durName)
	g.SetEmptyGauge().DataPoints().AppendEmpty().SetDoubleValue(1)
	sm2 := md.ResourceMetrics().At(0).ScopeMetrics().AppendEmpty()
	h := sm2.Metrics().AppendEmpty()
	h.SetName(durName)
	h.SetUnit("min")
	h.SetEmptyHistogram().DataPoints().AppendEmpty().SetCount(1)
	sm3 := md.ResourceMetrics().At(0).ScopeMetrics().AppendEmpty()
	e := sm3.Metrics().AppendEmpty()
	e.SetName(durName)
	e.SetEmptyExponentialHistogram().DataPoints().AppendEmpty().SetCount(1)

	tr.ingest(md, now.UnixNano())
	assert.Equal(t, int64(1), tr.stats.rejected[rejectMissingWorker])
	assert.Equal(t, int64(1), tr.stats.rejected[rejectMissingStatus])
	assert.Equal(t, int64(1), tr.stats.rejected[rejectInvalidValue])
	assert.Equal(t, int64(1), tr.stats.rejected[rejectWrongType])
	assert.Equal(t, int64(1), tr.stats.rejected[rejectUnknownUnit])
	assert.Equal(t, int64(1), tr.stats.rejected[rejectExponentialHistogram])
	assert.Equal(t, 3.0, counts(t, tr, "good", now).successes)
	assert.Equal(t, 1, tr.workers.len())
}

func TestMaxWorkersEvictsLeastRecentlySeen(t *testing.T) {
	cfg := testConfig()
	cfg.MaxWorkers = 2
	tr := newTestTracker(cfg)
	feed := func(at time.Duration, worker string, v int64) {
		md := pmetric.NewMetrics()
		addExecutions(md, cumulativeTemporality, t0.Add(time.Second), t0.Add(at), worker, "success", v)
		tr.ingest(md, t0.Add(at).UnixNano())
	}
	feed(10*time.Second, "a", 1)
	feed(20*time.Second, "b", 1)
	feed(30*time.Second, "a", 2) // a is now more recent than b
	feed(40*time.Second, "c", 1) // b goes
	assert.ElementsMatch(t, []string{"a", "c"}, keys(tr.workers.byName))
	assert.Equal(t, int64(1), tr.stats.evictedMax)
	assert.Len(t, tr.streams, 2, "the evicted worker's series went with it")

	// b's series comes back with its old start time: it is a baseline now, not 5 new executions.
	feed(50*time.Second, "b", 5)
	assert.Equal(t, 0.0, counts(t, tr, "b", t0.Add(50*time.Second)).successes)
	feed(60*time.Second, "b", 6)
	assert.Equal(t, 1.0, counts(t, tr, "b", t0.Add(60*time.Second)).successes)
	assert.LessOrEqual(t, tr.workers.len(), 2)

	// A worker never seen before still counts in full, though its series started before the evictions.
	feed(70*time.Second, "d", 4)
	assert.Equal(t, 4.0, counts(t, tr, "d", t0.Add(70*time.Second)).successes)
}

func TestTombstonesAreBounded(t *testing.T) {
	ts := newTombstones(2)
	ts.add(1, 100)
	ts.add(2, 200)
	ts.add(3, 300) // pushes out key 1, evicted at 100
	assert.Equal(t, pcommon.Timestamp(100), ts.watermark, "series started before the lost tombstone are baselines")
	assert.False(t, ts.take(1))
	assert.True(t, ts.take(2))
	assert.False(t, ts.take(2), "taken once")
	ts.add(3, 400) // key 3 again
	ts.add(5, 500) // takes the slot of the taken 2: the live 3 stays
	assert.True(t, ts.take(3))
	assert.Equal(t, 1, ts.forgottenAt.Len())
}

func TestWorkerTTLForgetsSilentWorkers(t *testing.T) {
	cfg := testConfig()
	cfg.WorkerTTL = time.Hour
	tr := newTestTracker(cfg)
	md := pmetric.NewMetrics()
	addExecutions(md, delta, t0, t0.Add(time.Second), "old", "success", 1)
	tr.ingest(md, t0.Add(time.Second).UnixNano())

	s := series(tr.evaluate(t0.Add(59 * time.Minute).UnixNano()))
	assert.Equal(t, "healthy", stateOf(s, "old"), "silent (idle) but not yet forgotten")
	assert.Equal(t, 0.0, s[issueKey("old", "unresponsive")])
	require.NotNil(t, tr.streams[streamKeyOf(t, tr, "old")])

	md = pmetric.NewMetrics()
	addExecutions(md, delta, t0, t0.Add(60*time.Minute), "new", "success", 1)
	tr.ingest(md, t0.Add(60*time.Minute).UnixNano())
	s = series(tr.evaluate(t0.Add(61 * time.Minute).UnixNano()))
	assert.NotContains(t, s, healthKey("old", "healthy"), "forgotten after worker_ttl")
	assert.Equal(t, "healthy", stateOf(s, "new"))
	assert.Equal(t, int64(1), tr.stats.evictedTTL)
	assert.Nil(t, tr.streams[streamKeyOf(t, tr, "old")])
	assert.Equal(t, 1, tr.workers.len())
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// streamKeyOf recomputes the key a test executions point of worker would have.
func streamKeyOf(t *testing.T, tr *tracker, worker string) uint64 {
	t.Helper()
	md := pmetric.NewMetrics()
	addExecutions(md, delta, t0, t0, worker, "success", 1)
	rm := md.ResourceMetrics().At(0)
	sm := rm.ScopeMetrics().At(0)
	base := hashAttributes(rm.Resource().Attributes())*31 + xxhashString(sm.Scope().Name())
	return streamKey(tr.routes[execName].id, base, hashAttributes(sm.Metrics().At(0).Sum().DataPoints().At(0).Attributes()))
}

// After a collector restart the processor starts empty: the receiver's counters restart with it
// (start time after the processor's start) and count in full; an outside source that kept
// counting through the restart is only a baseline, so its history is not taken as new executions.
func TestCollectorRestart(t *testing.T) {
	restartAt := t0.Add(time.Hour)
	cfg := testConfig()
	tr := newTracker(cfg)
	tr.startedAt = pcommon.NewTimestampFromTime(restartAt)

	md := pmetric.NewMetrics()
	addExecutions(md, cumulativeTemporality, restartAt.Add(time.Second), restartAt.Add(10*time.Second), "bus_worker", "success", 7)
	addExecutions(md, cumulativeTemporality, t0, restartAt.Add(10*time.Second), "otlp_worker", "success", 5000)
	tr.ingest(md, restartAt.Add(10*time.Second).UnixNano())
	md = pmetric.NewMetrics()
	addExecutions(md, cumulativeTemporality, restartAt.Add(time.Second), restartAt.Add(20*time.Second), "bus_worker", "success", 9)
	addExecutions(md, cumulativeTemporality, t0, restartAt.Add(20*time.Second), "otlp_worker", "success", 5003)
	tr.ingest(md, restartAt.Add(20*time.Second).UnixNano())

	at := restartAt.Add(20 * time.Second)
	assert.Equal(t, 9.0, counts(t, tr, "bus_worker", at).successes)
	assert.Equal(t, 3.0, counts(t, tr, "otlp_worker", at).successes)
}

func TestSeriesPerWorkerAreBounded(t *testing.T) {
	tr := newTestTracker(testConfig())
	md := pmetric.NewMetrics()
	for i := range maxSeriesPerWorker + 5 {
		addExecutions(md, delta, t0, t0.Add(time.Second), "a", "success", 1)
		m, _ := metricNamed(md, execName)
		m.Sum().DataPoints().At(i).Attributes().PutInt("request.id", int64(i))
	}
	tr.ingest(md, t0.Add(time.Second).UnixNano())
	assert.Len(t, tr.streams, maxSeriesPerWorker)
	assert.Equal(t, int64(5), tr.stats.rejected[rejectTooManySeries])
	assert.Equal(t, float64(maxSeriesPerWorker), counts(t, tr, "a", t0.Add(time.Second)).successes)
}
