package workerhealthprocessor

import (
	"fmt"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/sourceinterval"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// The tier-2 topology: N partitioned tier-1 replicas each count their own share of the
// transactions and send it, with their own service.instance.id, in their own batches. The
// health worker_health derives from those partial streams must be the one it derives from a
// single collector's whole stream of the same events.

const (
	simStep     = 10 * time.Second // the receiver's metrics.interval
	simSteps    = 100
	simReplicas = 3
)

var simBounds = []float64{0.5, 1, 2, 5, 10}

// simCounts are one source's cumulative counters and command gauges for one worker.
type simCounts struct {
	ok, fail  int64
	durCounts [6]uint64
	durSum    float64
	// failing are the newest failing transactions (exemplars), newest first, at most 3.
	failing []simFailure
	overdue int64
	oldest  time.Duration
}

type simFailure struct {
	txn int
	at  time.Time
}

// simSource is a tier-1 collector: a replica (or, for the control, the single collector).
type simSource struct {
	instance string
	start    time.Time // start time of its cumulative series; changes when it restarts
	counts   map[string]*simCounts
	down     bool
}

func newSimSource(instance string, start time.Time) *simSource {
	return &simSource{instance: instance, start: start, counts: map[string]*simCounts{}}
}

func (s *simSource) of(worker string) *simCounts {
	c := s.counts[worker]
	if c == nil {
		c = &simCounts{}
		s.counts[worker] = c
	}
	return c
}

// simPending is a command waiting for a result.
type simPending struct {
	txn     int
	sent    time.Time
	timeout time.Duration
}

// simWorld generates the framework's traffic: workers that succeed, fail for a while, slow
// down for a while, stop answering for a while, or stop receiving work.
type simWorld struct {
	rng     *rand.Rand
	nextTxn int
	pending map[string][]simPending // per worker, commands without a result
}

var simWorkers = []string{"steady", "flaky", "slow", "dead", "quiet"}

// partitionOf is the receiver's partition rule: FNV-1a-64 of the transaction id mod count.
func partitionOf(txn int) int {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "txn-%08d", txn)
	return int(h.Sum64() % simReplicas)
}

// execution is one finished step of a transaction.
type execution struct {
	worker string
	txn    int
	failed bool
	dur    float64 // seconds
}

// step returns the executions finished during step k and updates the commands waiting.
func (w *simWorld) step(k int, now time.Time) []execution {
	var out []execution
	for _, name := range simWorkers {
		n := 9
		switch {
		case name == "quiet" && k >= 15:
			n = 0
		case name == "dead" && k >= 40 && k < 75:
			// It stops answering: its commands wait.
			for range 3 {
				w.nextTxn++
				w.pending[name] = append(w.pending[name], simPending{txn: w.nextTxn, sent: now, timeout: 30 * time.Second})
			}
			continue
		case name == "dead" && k == 75:
			// It answers again: every waiting command gets its (failed) result.
			for _, p := range w.pending[name] {
				out = append(out, execution{worker: name, txn: p.txn, failed: true, dur: 0.3})
			}
			w.pending[name] = nil
		}
		for range n {
			w.nextTxn++
			e := execution{worker: name, txn: w.nextTxn, dur: 0.2 + 0.2*w.rng.Float64()}
			switch {
			case name == "flaky" && k >= 20 && k < 50:
				e.failed = w.rng.Float64() < 0.6
			case name == "flaky":
				e.failed = w.rng.Float64() < 0.02
			case name == "slow" && k >= 30 && k < 60:
				e.dur = 6 + 2*w.rng.Float64()
			}
			out = append(out, e)
		}
	}
	return out
}

func (c *simCounts) add(e execution, at time.Time) {
	if e.failed {
		c.fail++
		// Distinct instants (later transactions later), so "newest" is one order.
		c.failing = append([]simFailure{{txn: e.txn, at: at.Add(time.Duration(e.txn) * time.Microsecond)}}, c.failing...)
		if len(c.failing) > maxFailureExemplars {
			c.failing = c.failing[:maxFailureExemplars]
		}
	} else {
		c.ok++
	}
	b := sort.SearchFloat64s(simBounds, e.dur)
	c.durCounts[b]++
	c.durSum += e.dur
}

// commandGauges sets, for every worker, what a source's receiver would report of the
// commands of the given transactions: overdue (past their timeout) and the oldest's age.
func setCommandGauges(src *simSource, pending map[string][]simPending, mine func(txn int) bool, now time.Time) {
	for _, name := range simWorkers {
		c := src.of(name)
		c.overdue, c.oldest = 0, 0
		for _, p := range pending[name] {
			if !mine(p.txn) {
				continue
			}
			age := now.Sub(p.sent)
			if age >= p.timeout {
				c.overdue++
			}
			c.oldest = max(c.oldest, age)
		}
	}
}

// batch renders what a source exports at ts, in the given temporality (delta: the increase
// since prev, which the caller keeps).
func (s *simSource) batch(ts time.Time, temp pmetric.AggregationTemporality, prev map[string]simCounts) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "multiagents")
	rm.Resource().Attributes().PutStr("service.instance.id", s.instance)
	rm.ScopeMetrics().AppendEmpty().Scope().SetName("github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver")
	start := s.start
	for _, name := range simWorkers {
		c := *s.of(name)
		if temp == pmetric.AggregationTemporalityDelta {
			p := prev[name]
			prev[name] = c
			c.ok -= p.ok
			c.fail -= p.fail
			c.durSum -= p.durSum
			for i := range c.durCounts {
				c.durCounts[i] -= p.durCounts[i]
			}
			start = ts.Add(-simStep)
		}
		addExecutions(md, temp, start, ts, name, "success", c.ok)
		addExecutions(md, temp, start, ts, name, "error", c.fail)
		errPoints := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
		for i := range errPoints.Len() {
			if errPoints.At(i).Name() != execName {
				continue
			}
			dps := errPoints.At(i).Sum().DataPoints()
			last := dps.At(dps.Len() - 1)
			for _, f := range c.failing {
				ex := last.Exemplars().AppendEmpty()
				ex.SetTraceID(simTraceID(f.txn))
				ex.SetTimestamp(pcommon.NewTimestampFromTime(f.at))
				ex.SetIntValue(1)
			}
		}
		addDurations(md, temp, start, ts, name, simBounds, c.durCounts[:], c.durSum)
		addCommandGauges(md, ts, name, c.overdue, c.oldest)
	}
	return md
}

func simTraceID(txn int) pcommon.TraceID {
	var id pcommon.TraceID
	id[14], id[15] = byte(txn>>8), byte(txn)
	id[0] = 1
	return id
}

// partitionScenario is one way the tier-1 replicas behave during the run.
type partitionScenario struct {
	name        string
	temporality pmetric.AggregationTemporality
	// restartAt: the step at which replica 1, down since restartAt-2, comes back with its
	// counters from 0 (a new start time); 0 = never.
	restartAt int
	// killAt: the step from which replica 2 sends nothing more (SIGKILL); 0 = never.
	killAt int
	// reverse: the replicas' batches arrive in the opposite order every other step.
	reverse bool
	// stagger: the replicas' batches arrive this far apart within a step (their export ticks
	// are not aligned); the control's arrives with the last one. Executions then may land one
	// window slot apart from the control's, so states and issues may change one evaluation
	// apart, never more, and go through the same changes.
	stagger time.Duration
}

// healthRun is one tracker fed like a tier-2 collector, and what it reported.
type healthRun struct {
	tr *tracker
	// deltaPrev: per source, the counts at its last delta export.
	deltaPrev map[string]map[string]simCounts
}

func newHealthRun() *healthRun {
	return &healthRun{tr: newTestTracker(testConfig()), deltaPrev: map[string]map[string]simCounts{}}
}

// consume is the processor's per-batch path: ingest, then judge the workers it changed.
func (r *healthRun) consume(src *simSource, ts time.Time, temp pmetric.AggregationTemporality) {
	prev := r.deltaPrev[src.instance]
	if prev == nil {
		prev = map[string]simCounts{}
		r.deltaPrev[src.instance] = prev
	}
	r.tr.ingest(src.batch(ts, temp, prev), ts.UnixNano())
	r.tr.evaluateChanged(ts.UnixNano())
}

// committed is every worker's state and issues as the tracker holds them.
func (r *healthRun) committed() map[string]string {
	out := map[string]string{}
	r.tr.workers.each(func(w *worker) {
		out[w.name] = fmt.Sprintf("%s %v", w.state, w.issues)
	})
	return out
}

func (r *healthRun) failures(worker string) []failureExemplar {
	if w := r.tr.workers.byName[worker]; w != nil {
		return w.failures
	}
	return nil
}

// assertSameSeries compares two health outputs; float sums may differ in the last bits.
func assertSameSeries(t *testing.T, want, got map[string]float64, where string) {
	t.Helper()
	for k, v := range want {
		g, ok := got[k]
		if assert.True(t, ok, "%s: %s missing from the partitioned run", where, k) {
			assert.InDelta(t, v, g, 1e-9*math.Max(1, math.Abs(v)), "%s: %s", where, k)
		}
	}
	for k := range got {
		_, ok := want[k]
		assert.True(t, ok, "%s: %s only in the partitioned run", where, k)
	}
}

func TestPartialStreamsGiveTheWholeStreamsHealth(t *testing.T) {
	cum, delta := pmetric.AggregationTemporalityCumulative, pmetric.AggregationTemporalityDelta
	scenarios := []partitionScenario{
		{name: "cumulativeTemporality, all replicas up", temporality: cum},
		{name: "cumulativeTemporality, batches interleaved in changing order", temporality: cum, reverse: true},
		{name: "cumulativeTemporality, one replica restarts, one is killed", temporality: cum, restartAt: 32, killAt: 60, reverse: true},
		{name: "delta, one replica restarts, one is killed", temporality: delta, restartAt: 32, killAt: 60},
		{name: "cumulativeTemporality, a replica is killed while its commands are overdue", temporality: cum, killAt: 50},
		{name: "cumulativeTemporality, export ticks not aligned, restart and kill", temporality: cum, restartAt: 32, killAt: 60, stagger: 3 * time.Second},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			world := &simWorld{rng: rand.New(rand.NewPCG(13, 3)), pending: map[string][]simPending{}}
			control := newSimSource("single", t0)
			replicas := make([]*simSource, simReplicas)
			for i := range replicas {
				replicas[i] = newSimSource(fmt.Sprintf("tier1-p%d", i), t0)
			}
			whole, parts := newHealthRun(), newHealthRun()
			sawUnresponsive, sawFailed, sawDegraded := false, false, false
			wholeLog, partsLog := healthLog{}, healthLog{}
			evaluation := 0

			for k := 1; k <= simSteps; k++ {
				now := t0.Add(time.Duration(k) * simStep)
				if sc.restartAt > 0 && k == sc.restartAt-2 {
					replicas[1].down = true
				}
				if sc.restartAt > 0 && k == sc.restartAt {
					// Back with fresh counters and a new start time: a reset, not a decrease.
					replicas[1] = newSimSource(replicas[1].instance, now.Add(-time.Second))
					delete(parts.deltaPrev, replicas[1].instance)
				}
				if sc.killAt > 0 && k == sc.killAt {
					replicas[2].down = true
				}
				// The events a replica does not see (down) are seen by no one: the control is
				// what one collector would have counted of the same processed events.
				up := func(txn int) bool { return !replicas[partitionOf(txn)].down }
				for _, e := range world.step(k, now) {
					if !up(e.txn) {
						continue
					}
					control.of(e.worker).add(e, now)
					replicas[partitionOf(e.txn)].of(e.worker).add(e, now)
				}
				setCommandGauges(control, world.pending, up, now)
				for i, r := range replicas {
					setCommandGauges(r, world.pending, func(txn int) bool { return partitionOf(txn) == i }, now)
				}

				order := []int{0, 1, 2}
				if sc.reverse && k%2 == 0 {
					order = []int{2, 1, 0}
				}
				for n, i := range order {
					if !replicas[i].down {
						parts.consume(replicas[i], now.Add(time.Duration(n)*sc.stagger), sc.temporality)
					}
				}
				whole.consume(control, now.Add(time.Duration(len(order)-1)*sc.stagger), sc.temporality)

				where := fmt.Sprintf("step %d (t0+%s)", k, now.Sub(t0))
				if sc.stagger == 0 {
					assert.Equal(t, whole.committed(), parts.committed(), where+": committed health")
				}
				if k%3 == 0 { // the health_check_interval timer, late in the step
					evalAt := now.Add(simStep - time.Second).UnixNano()
					w, p := series(whole.tr.evaluate(evalAt)), series(parts.tr.evaluate(evalAt))
					evaluation++
					wholeLog.note(evaluation, w)
					partsLog.note(evaluation, p)
					if sc.stagger == 0 {
						assertSameSeries(t, w, p, where)
					}
					sawUnresponsive = sawUnresponsive || w[issueKey("dead", "unresponsive")] == 1
					sawFailed = sawFailed || stateOf(w, "flaky") == "failed"
					sawDegraded = sawDegraded || stateOf(w, "slow") == "degraded"
				}
			}
			tolerance := 0
			if sc.stagger > 0 {
				tolerance = 1
			}
			wholeLog.assertMatches(t, partsLog, tolerance)
			assert.Equal(t, whole.failures("flaky"), parts.failures("flaky"), "exemplars merged, newest first")
			require.Len(t, whole.failures("flaky"), maxFailureExemplars)
			// The traffic exercised every state, so the equality above is not vacuous.
			assert.True(t, sawUnresponsive, "dead was unresponsive at some point")
			assert.True(t, sawFailed, "flaky failed at some point")
			assert.True(t, sawDegraded, "slow was degraded at some point")
		})
	}
}

// healthLog is, per worker, each change of its state and issues and the evaluation it came at.
type healthLog map[string][]healthChange

type healthChange struct {
	evaluation int
	verdict    string // state and issues
}

func (l healthLog) note(evaluation int, s map[string]float64) {
	for _, name := range simWorkers {
		verdict := stateOf(s, name)
		for _, is := range issueNames {
			if s[issueKey(name, is)] == 1 {
				verdict += " " + is
			}
		}
		if h := l[name]; len(h) == 0 || h[len(h)-1].verdict != verdict {
			l[name] = append(h, healthChange{evaluation, verdict})
		}
	}
}

// assertMatches checks that got went through the same changes, each at most tolerance
// evaluations away from l's.
func (l healthLog) assertMatches(t *testing.T, got healthLog, tolerance int) {
	t.Helper()
	for _, name := range simWorkers {
		want, have := l[name], got[name]
		if !assert.Len(t, have, len(want), "%s: changes %v vs %v", name, want, have) {
			continue
		}
		for i := range want {
			assert.Equal(t, want[i].verdict, have[i].verdict, "%s change %d", name, i)
			assert.InDelta(t, want[i].evaluation, have[i].evaluation, float64(tolerance), "%s change %d to %q", name, i, want[i].verdict)
		}
	}
}

// A replica killed while it counted overdue commands of a worker: its last reading goes stale
// after 3 of its intervals (at least health_check_interval), while the others' still count.
func TestCommandGaugesCombineAcrossInstancesAndExpire(t *testing.T) {
	cfg := testConfig() // health_check_interval 30s, recent_window 5m
	tr := newTestTracker(cfg)
	reading := func(at time.Duration, instance string, overdue int64, oldest time.Duration) {
		now := t0.Add(at)
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.instance.id", instance)
		rm.ScopeMetrics().AppendEmpty()
		addCommandGauges(md, now, "w", overdue, oldest)
		tr.ingest(md, now.UnixNano())
	}
	combined := func(at time.Duration) (float64, float64) {
		return tr.workers.byName["w"].commandReadings(t0.Add(at).UnixNano(), cfg.HealthCheckInterval, cfg.RecentWindow)
	}
	unresponsive := func(at time.Duration) bool {
		return series(tr.evaluate(t0.Add(at).UnixNano()))[issueKey("w", "unresponsive")] == 1
	}

	// a reports every 10s, b every 20s; c reports once only.
	for at := time.Duration(0); at <= 40*time.Second; at += 10 * time.Second {
		reading(at, "a", 1, 40*time.Second+at)
		if at%(20*time.Second) == 0 {
			reading(at, "b", 2, 90*time.Second+at)
		}
	}
	reading(40*time.Second, "c", 0, 10*time.Second)
	overdue, oldest := combined(40 * time.Second)
	assert.Equal(t, 3.0, overdue, "overdue: the sum of the instances' latest readings")
	assert.Equal(t, 130.0, oldest, "oldest pending age: the largest")
	assert.True(t, unresponsive(40*time.Second))

	// b goes quiet (killed) at 40s: its interval is 20s, so it counts for 60s, until 100s.
	// a keeps reporting 1 overdue.
	for at := 50 * time.Second; at <= 110*time.Second; at += 10 * time.Second {
		reading(at, "a", 1, 40*time.Second+at)
	}
	overdue, _ = combined(100 * time.Second)
	assert.Equal(t, 3.0, overdue, "b's reading still fresh 3 intervals after it")
	overdue, oldest = combined(110 * time.Second)
	assert.Equal(t, 1.0, overdue, "b's reading expired; a's counts")
	assert.Equal(t, 150.0, oldest)

	// a's commands are answered (0), b's last reading (2 overdue) has expired: not unresponsive.
	reading(120*time.Second, "a", 0, 0)
	assert.False(t, unresponsive(120*time.Second), "a killed instance's last reading does not hold the worker unresponsive")

	// A reading is fresh for at least health_check_interval, even from a fast source.
	tr2 := newTestTracker(cfg)
	tr = tr2
	for at := time.Duration(0); at <= time.Second; at += 100 * time.Millisecond {
		reading(at, "fast", 1, 0)
	}
	overdue, _ = combined(31 * time.Second)
	assert.Equal(t, 1.0, overdue, "fresh for health_check_interval (30s)")
	overdue, _ = combined(32 * time.Second)
	assert.Equal(t, 0.0, overdue, "stale after it")

	// A source seen once has no interval: it is fresh for recent_window.
	tr = newTestTracker(cfg)
	reading(0, "once", 1, 0)
	overdue, _ = combined(5 * time.Minute)
	assert.Equal(t, 1.0, overdue)
	overdue, _ = combined(5*time.Minute + time.Second)
	assert.Equal(t, 0.0, overdue)
}

// Replicas that come back under new service.instance.ids leave series behind; once those sent
// nothing for recent_window they make room for new ones instead of filling the worker's 64.
func TestAbandonedInstanceSeriesAreReclaimed(t *testing.T) {
	cfg := testConfig()
	tr := newTestTracker(cfg)
	feed := func(at time.Duration, instance string) {
		now := t0.Add(at)
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.instance.id", instance)
		rm.ScopeMetrics().AppendEmpty()
		addExecutions(md, pmetric.AggregationTemporalityCumulative, now, now, "w", "success", 1)
		addExecutions(md, pmetric.AggregationTemporalityCumulative, now, now, "w", "error", 0)
		addDurations(md, pmetric.AggregationTemporalityCumulative, now, now, "w", simBounds, []uint64{1, 0, 0, 0, 0, 0}, 0.1)
		addCommandGauges(md, now, "w", 1, time.Second) // a 0 reading would not create a series
		tr.ingest(md, now.UnixNano())
	}
	// 12 instance ids × 5 series = 60, then a 13th within recent_window is refused in part.
	for i := range 13 {
		feed(time.Duration(i)*time.Second, fmt.Sprintf("pod-%d", i))
	}
	s := tr.drainStats()
	assert.Equal(t, int64(1), s.rejected[rejectTooManySeries], "the 13th instance's last series: no room, none abandoned")
	assert.Len(t, tr.workers.byName["w"].streams, maxSeriesPerWorker)

	// Ten minutes later a new id: the oldest (abandoned) series make room.
	feed(10*time.Minute, "pod-new")
	s = tr.drainStats()
	assert.Zero(t, s.rejected[rejectTooManySeries])
	w := tr.workers.byName["w"]
	assert.Len(t, w.streams, maxSeriesPerWorker)
	assert.Len(t, w.gauges, 2*12+1, "pod-0's two gauge series left the list, pod-new's two joined it")
	for _, key := range w.streams {
		assert.NotNil(t, tr.streams[key])
	}
}

// The interval estimate trusts a longer gap at once and a shorter one slowly, so a burst of
// early points does not make a live source's reading expire between two of its points.
func TestSourceIntervalEstimate(t *testing.T) {
	s := int64(time.Second)
	tests := []struct {
		name string
		gaps []int64
		want int64
	}{
		{name: "steady 10s", gaps: []int64{10 * s, 10 * s, 10 * s}, want: 10 * s},
		{name: "a restart gap is taken at once", gaps: []int64{10 * s, 60 * s}, want: 60 * s},
		{name: "then it comes back by 1/8 per point", gaps: []int64{10 * s, 60 * s, 10 * s}, want: 60*s - 50*s/8},
		{name: "a burst of 3 quick points lowers it by about a third", gaps: []int64{30 * s, s, s, s}, want: 20_427_734_375},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var interval int64
			for _, g := range tt.gaps {
				interval = sourceinterval.Next(interval, g)
			}
			assert.Equal(t, tt.want, interval)
		})
	}
}
