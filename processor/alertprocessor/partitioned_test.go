package alertprocessor

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// The tier-2 topology: the alert processor reads the counters of N partitioned tier-1
// replicas, each with its own service.instance.id, in separate batches. Its alerts must be
// the ones it raises on a single collector's whole stream of the same events.

const (
	tierStep     = 10 * time.Second // the receiver's metrics.interval
	tierReplicas = 3
)

// tierSource is one tier-1 collector's cumulative counters.
type tierSource struct {
	instance  string
	partition int
	start     time.Time
	counts    map[[2]string]int64 // (worker, status) → executions
	events    int64
	down      bool
}

func newTierSource(instance string, partition int, start time.Time) *tierSource {
	return &tierSource{instance: instance, partition: partition, start: start, counts: map[[2]string]int64{}}
}

// batch is what the source exports at ts: every series it has, cumulative (unchanged ones
// re-sent, as the receiver does).
func (s *tierSource) batch(ts time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	res := rm.Resource().Attributes()
	res.PutStr("service.name", "otelcol-multiagents")
	res.PutStr("service.instance.id", s.instance)
	res.PutInt("multiagents.partition.index", int64(s.partition))
	res.PutInt("multiagents.partition.count", tierReplicas)
	sm := rm.ScopeMetrics().AppendEmpty()
	keys := make([][2]string, 0, len(s.counts))
	for k := range s.counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	counter := func(name string, v int64, kv ...string) {
		m := sm.Metrics().AppendEmpty()
		m.SetName(name)
		sum := m.SetEmptySum()
		sum.SetIsMonotonic(true)
		sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dp := sum.DataPoints().AppendEmpty()
		dp.SetIntValue(v)
		dp.SetStartTimestamp(pcommon.NewTimestampFromTime(s.start))
		dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
		putAttrs(dp.Attributes(), kv...)
	}
	for _, k := range keys {
		counter("multiagents.worker.executions", s.counts[k], "worker.name", k[0], "status", k[1])
	}
	counter("multiagents.events", s.events, "event.type", "result")
	return md
}

func tierPartition(txn int) int {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "txn-%08d", txn)
	return int(h.Sum64() % tierReplicas)
}

// tierRules are the shipped rules that read the receiver's counters (ratio, increase summed,
// absent), with shorter for: so that the run sees them fire and resolve, plus increase and
// rate with aggregate max, whose per-worker value must be the worker's whole increase.
func tierRules() []Rule {
	return []Rule{
		{
			Name: "high_error_rate", Metric: "multiagents.worker.executions", GroupBy: []string{"worker.name"},
			Function: fnRatio, RatioMatch: map[string]string{"status": "error"}, Window: 5 * time.Minute,
			Condition: "> 0.1", For: 30 * time.Second, KeepFiringFor: 30 * time.Second, Severity: "warning",
		},
		{
			Name: "error_spike", Metric: "multiagents.worker.executions", Match: map[string]string{"status": "error"},
			Function: fnIncrease, Window: 2 * time.Minute, Aggregate: aggSum, Condition: "> 30", Severity: "error",
		},
		{
			Name: "worst_worker_errors", Metric: "multiagents.worker.executions", Match: map[string]string{"status": "error"},
			Function: fnIncrease, Window: 2 * time.Minute, Aggregate: aggMax, Condition: "> 25", Severity: "warning",
		},
		{
			Name: "busiest_worker", Metric: "multiagents.worker.executions", GroupBy: []string{"status"},
			Function: fnRate, Window: time.Minute, Aggregate: aggMax, Condition: "> 0.5", Severity: "info",
		},
		{
			Name: "bus_silent", Kind: kindAbsent, Metric: "multiagents.events", Window: 2 * time.Minute, Severity: "warning",
		},
	}
}

type tierScenario struct {
	name      string
	restartAt int  // step at which replica 1, down since restartAt-2, returns with counters from 0
	killAt    int  // step from which replica 2 sends nothing more
	reverse   bool // the replicas' batches arrive in the opposite order every other step
	// stagger: the replicas' batches arrive this far apart within a step (their export
	// ticks are not aligned); the control's arrives with the last one.
	stagger time.Duration
	// tolerance: how many evaluations apart the two runs' transitions may be (0: the same).
	tolerance int
}

func TestPartialStreamsGiveTheWholeStreamsAlerts(t *testing.T) {
	scenarios := []tierScenario{
		{name: "all replicas up"},
		{name: "interleaved in changing order", reverse: true},
		{name: "one replica restarts, one is killed", restartAt: 22, killAt: 45, reverse: true},
		// A replica's increase reaches the window's edge up to 4s before the control's: a
		// transition may come one evaluation apart, never more, and never an extra one.
		{name: "export ticks not aligned", stagger: 2 * time.Second, restartAt: 22, killAt: 45, tolerance: 1},
	}
	const steps = 80
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			cfg := configWith(tierRules()...)
			whole, parts := newHarness(t, cfg), newHarness(t, configWith(tierRules()...))
			rng := rand.New(rand.NewPCG(13, 2))
			start := testEpoch.Add(time.Second)
			control := newTierSource("single", 0, start)
			replicas := make([]*tierSource, tierReplicas)
			for i := range replicas {
				replicas[i] = newTierSource(fmt.Sprintf("tier1-p%d", i), i, start)
			}
			txn := 0
			var lastEval time.Time = testEpoch
			fired := map[string]bool{}
			wholeLog, partsLog := transitionLog{}, transitionLog{}
			evaluation := 0
			for k := 1; k <= steps; k++ {
				stepStart := testEpoch.Add(time.Duration(k) * tierStep)
				if sc.restartAt > 0 && k == sc.restartAt-2 {
					replicas[1].down = true
				}
				if sc.restartAt > 0 && k == sc.restartAt {
					replicas[1] = newTierSource(replicas[1].instance, 1, stepStart.Add(-time.Second))
				}
				if sc.killAt > 0 && k == sc.killAt {
					replicas[2].down = true
				}
				if k < 65 { // then the bus goes quiet
					for _, worker := range []string{"w1", "w2", "w3"} {
						for range 6 {
							txn++
							status := "success"
							switch {
							case worker == "w1" && k >= 10 && k < 30 && rng.Float64() < 0.5,
								worker == "w2" && k >= 35 && k < 42 && rng.Float64() < 0.3,
								rng.Float64() < 0.01:
								status = "error"
							}
							r := replicas[tierPartition(txn)]
							if r.down {
								continue // no one sees it
							}
							r.counts[[2]string{worker, status}]++
							r.events++
							control.counts[[2]string{worker, status}]++
							control.events++
						}
					}
				}
				order := []int{0, 1, 2}
				if sc.reverse && k%2 == 0 {
					order = []int{2, 1, 0}
				}
				var at time.Time
				for n, i := range order {
					at = stepStart.Add(time.Duration(n) * sc.stagger)
					setClock(parts.clock, at)
					if !replicas[i].down {
						parts.push(replicas[i].batch(at))
					}
				}
				setClock(whole.clock, at)
				whole.push(control.batch(at))

				// Evaluations every evaluation_interval (15s), on both at the same instants.
				for next := lastEval.Add(cfg.EvaluationInterval); !next.After(at.Add(tierStep - sc.stagger*tierReplicas)); next = next.Add(cfg.EvaluationInterval) {
					setClock(whole.clock, next)
					setClock(parts.clock, next)
					w, p := alertStates(whole.evaluate()), alertStates(parts.evaluate())
					if sc.tolerance == 0 {
						assert.Equal(t, w, p, "evaluation at t+%s", next.Sub(testEpoch))
					}
					evaluation++
					wholeLog.note(evaluation, w)
					partsLog.note(evaluation, p)
					for key, state := range w {
						if state == "firing" {
							fired[strings.SplitN(key, "{", 2)[0]] = true
						}
					}
					lastEval = next
				}
			}
			wholeLog.assertMatches(t, partsLog, sc.tolerance)
			// Every rule fired at some point, so the equality above is not vacuous.
			for _, r := range tierRules() {
				assert.True(t, fired[r.Name], "%s fired in the run", r.Name)
			}
		})
	}
}

// transitionLog is, per alert instance, each change of its state and the evaluation it came at.
type transitionLog map[string][]transition

type transition struct {
	evaluation int
	state      string
}

func (l transitionLog) note(evaluation int, states map[string]string) {
	for key, state := range states {
		if h := l[key]; len(h) == 0 || h[len(h)-1].state != state {
			l[key] = append(h, transition{evaluation, state})
		}
	}
}

// assertMatches checks that got went through the same transitions, each at most tolerance
// evaluations away from want's.
func (l transitionLog) assertMatches(t *testing.T, got transitionLog, tolerance int) {
	t.Helper()
	require.ElementsMatch(t, keysOf(l), keysOf(got), "the same alert instances")
	for key, want := range l {
		have := got[key]
		if !assert.Len(t, have, len(want), "%s: transitions %v vs %v", key, want, have) {
			continue
		}
		for i := range want {
			assert.Equal(t, want[i].state, have[i].state, "%s transition %d", key, i)
			assert.InDelta(t, want[i].evaluation, have[i].evaluation, float64(tolerance), "%s transition %d to %s", key, i, want[i].state)
		}
	}
}

func keysOf(l transitionLog) []string {
	out := make([]string, 0, len(l))
	for k := range l {
		out = append(out, k)
	}
	return out
}

// alertStates maps rule{labels} to alertstate.
func alertStates(points []alertPoint) map[string]string {
	out := map[string]string{}
	for _, p := range points {
		labels := make([]string, 0, len(p.labels))
		for k, v := range p.labels {
			labels = append(labels, k+"="+v)
		}
		sort.Strings(labels)
		out[p.name+"{"+strings.Join(labels, ",")+"}"] = p.state
	}
	return out
}

// Two instances' shares of one worker's counter are one series for the aggregate: max of the
// increases across workers sees each worker's whole increase, count counts workers.
func TestCountersOfSeveralInstancesAreSummedBeforeTheAggregate(t *testing.T) {
	for _, tt := range []struct {
		aggregate string
		want      float64
	}{
		{aggSum, 9},   // (4+3) + 2
		{aggMax, 7},   // w1: 4+3, not 4
		{aggMin, 2},   // w2
		{aggAvg, 4.5}, // (7+2)/2
		{aggCount, 2}, // two workers, not three series
	} {
		t.Run(tt.aggregate, func(t *testing.T) {
			h := newHarness(t, configWith(Rule{
				Name: "probe", Metric: "multiagents.worker.executions", Function: fnIncrease, Window: time.Minute,
				Aggregate: tt.aggregate, Condition: ">= 0", Severity: "info",
			}))
			start := testEpoch.Add(time.Second)
			h.clock.Advance(10 * time.Second)
			for i, share := range []map[string]int64{{"w1": 4, "w2": 2}, {"w1": 3}} {
				b := newMetrics()
				b.md.ResourceMetrics().At(0).Resource().Attributes().PutStr("service.instance.id", fmt.Sprintf("p%d", i))
				for worker, n := range share {
					b.counter("multiagents.worker.executions", "{execution}", n, start, "worker.name", worker, "status", "success")
				}
				h.push(b.build())
			}
			points := h.step(15 * time.Second)
			require.Len(t, points, 1)
			assert.Equal(t, tt.want, points[0].value)
		})
	}
}

// A gauge whose source stopped (a killed replica) stops counting in `value` after 3 of its
// intervals (at least evaluation_interval), long before stale_after, while the others count.
func TestGaugeOfAStoppedInstanceStopsCounting(t *testing.T) {
	h := newHarness(t, configWith(Rule{
		Name: "pending", Metric: "multiagents.worker.commands.pending", GroupBy: []string{"worker.name"},
		Aggregate: aggSum, Condition: "> 5", Severity: "warning",
	}))
	push := func(instance string, v float64) {
		b := newMetrics().gauge("multiagents.worker.commands.pending", "{command}", v, "worker.name", "w1")
		b.md.ResourceMetrics().At(0).Resource().Attributes().PutStr("service.instance.id", instance)
		h.push(b.build())
	}
	// Both report every 10s; p1 holds 4 pending commands, p0 2: 6 in all.
	for range 3 {
		h.clock.Advance(10 * time.Second)
		push("p0", 2)
		push("p1", 4)
	}
	assert.Equal(t, "firing", stateOf(h.evaluate(), "pending", nil))
	// p1 is killed; p0 goes on reporting 2.
	for i := range 7 {
		h.clock.Advance(10 * time.Second)
		push("p0", 2)
		if i < 6 {
			assert.Equal(t, "firing", stateOf(h.evaluate(), "pending", nil), "p1 still fresh %ds after its last reading", (i+1)*10)
		}
	}
	assert.Equal(t, "resolved", stateOf(h.evaluate(), "pending", nil), "p1's reading stale after 3 intervals (30s), but never sooner than a minute")
}

// worker_health sends a worker's health on every change and on its 30 s timer: two points a
// second apart, then none for 30 s. Evaluated every second (on arrival of other data), the
// gauge must not drop out between two timer points: that resolved worker_failure while the
// worker was still failed, and paged again at the next timer point (make demo, issue 14).
func TestAGaugeSentOnChangeAndOnATimerStaysFreshBetweenTimerPoints(t *testing.T) {
	cfg := configWith(Rule{
		Name: "worker_failure", Metric: "multiagents.worker.health", Match: map[string]string{"state": "failed"},
		GroupBy: []string{"worker.name"}, Condition: "== 1", Severity: "error",
	})
	h := newHarness(t, cfg)
	w := map[string]string{"worker.name": "w1"}
	failed := func() { h.push(workerHealth("w1", "failed")) }
	failed()                     // the change to failed
	h.clock.Advance(time.Second) // another change a second later (an issue raised)
	failed()
	for range 3 { // three timer periods of 30 s, evaluated every second
		for range 29 {
			h.clock.Advance(time.Second)
			require.Equal(t, "firing", stateOf(h.evaluate(), "worker_failure", w), "at %s", h.clock.Now().Sub(testEpoch))
		}
		h.clock.Advance(time.Second)
		failed() // the timer point
	}
}

// A killed replica's counter keeps its increases within the rule's window even past
// stale_after: they happened, and dropping them would lower the group's sum (a false resolve).
func TestCounterOfAStoppedInstanceKeepsItsIncreasesInTheWindow(t *testing.T) {
	cfg := configWith(Rule{
		Name: "errors", Metric: "multiagents.worker.executions", Function: fnIncrease, Window: 5 * time.Minute,
		Aggregate: aggSum, Condition: "> 5", Severity: "warning",
	})
	cfg.StaleAfter = time.Minute
	h := newHarness(t, cfg)
	start := testEpoch.Add(time.Second)
	push := func(instance string, v int64) {
		b := newMetrics().counter("multiagents.worker.executions", "{execution}", v, start, "worker.name", "w1", "status", "error")
		b.md.ResourceMetrics().At(0).Resource().Attributes().PutStr("service.instance.id", instance)
		h.push(b.build())
	}
	h.clock.Advance(10 * time.Second)
	push("p0", 3)
	push("p1", 4)
	assert.Equal(t, "firing", stateOf(h.step(5*time.Second), "errors", nil))
	// p1 is killed; p0 re-sends its unchanged counter for 3 minutes.
	for range 18 {
		h.clock.Advance(10 * time.Second)
		push("p0", 3)
	}
	assert.Equal(t, "firing", stateOf(h.evaluate(), "errors", nil), "p1's 4 errors are within the 5m window, 3m after its last point")
	// Once they left the window, the series goes: 5m after its last increase.
	h.clock.Advance(2 * time.Minute)
	push("p0", 3)
	assert.Equal(t, "resolved", stateOf(h.evaluate(), "errors", nil))
	assert.Equal(t, int64(1), h.telemetry("otelcol_processor_alert_series_evicted"), "p1's series evicted, p0's kept")
}

// worker_health sends a worker's health on its timer and, in between, on every change: a few
// such early points do not make the health gauge expire before the next timer point.
func TestGaugeSentOnChangeAndOnTimerStaysFresh(t *testing.T) {
	h := newHarness(t, configWith(Rule{
		Name: "worker_failure", Metric: "multiagents.worker.health", Match: map[string]string{"state": "failed"},
		GroupBy: []string{"worker.name"}, Condition: "== 1", Severity: "error",
	}))
	push := func() {
		h.push(newMetrics().gauge("multiagents.worker.health", "{state}", 1, "worker.name", "w1", "state", "failed").build())
	}
	for range 3 { // the 30s timer
		h.clock.Advance(30 * time.Second)
		push()
	}
	for range 3 { // three changes within a second
		h.clock.Advance(300 * time.Millisecond)
		push()
	}
	for range 2 {
		assert.Equal(t, "firing", stateOf(h.step(14*time.Second), "worker_failure", nil))
	}
	h.clock.Advance(time.Second) // 29.9s after the last point: the timer's is due now
	assert.Equal(t, "firing", stateOf(h.evaluate(), "worker_failure", nil), "no false resolve before the next timer point")
}
