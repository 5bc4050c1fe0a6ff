package alertprocessor

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// loadShippedConfig reads the alert block of the collector configuration we ship. Only the
// processors::alert sub-map is read: the rest of the file holds ${env:...} placeholders.
func loadShippedConfig(t *testing.T) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("..", "..", "otelcol-config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub("processors::alert")
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	require.NoError(t, confmap.Validate(cfg))
	// The shipped config keeps alert state in file_storage and reads silences from the silences
	// extension; these tests run the rules without a collector host (restart_test.go covers
	// storage with the real extension, silence_test.go the real silences extension).
	require.NotNil(t, cfg.Storage, "the shipped config persists alert state")
	require.NotNil(t, cfg.Silences, "the shipped config reads silences")
	cfg.Storage, cfg.Silences = nil, nil
	// The shipped config evaluates on arrival; these tests count evaluations, one per tick, so
	// they place every evaluation by hand (arrival_test.go runs the shipped rules on arrival).
	require.True(t, cfg.EvaluateOnArrival, "the shipped config evaluates on arrival")
	cfg.EvaluateOnArrival = false
	return cfg
}

// shippedRule returns the rule named name in cfg, for tests that adjust one field of it.
func shippedRule(t *testing.T, cfg *Config, name string) *Rule {
	t.Helper()
	for i := range cfg.Rules {
		if cfg.Rules[i].Name == name {
			return &cfg.Rules[i]
		}
	}
	t.Fatalf("no shipped rule %q", name)
	return nil
}

// withFor sets one rule's for, so that a test counting evaluations does not depend on it.
func withFor(name string, d time.Duration) func(*Config) {
	return func(cfg *Config) {
		for i := range cfg.Rules {
			if cfg.Rules[i].Name == name {
				cfg.Rules[i].For = d
			}
		}
	}
}

// An outage (every execution failing) crosses high_error_rate's 10 % after a tenth of its
// 5-minute window, but worker_health's failed (50 % of its 5-minute recent window) only after
// half of it, 2.5 minutes. The warnings that worker_failure explains must wait longer than
// that, so that worker_failure fires first and mutes them (inhibit_rules): one message per
// outage, not a warning and then a page. test/e2e/trustworthy_test.go shows it end to end.
func TestShippedWarningsWaitForWorkerFailure(t *testing.T) {
	cfg := loadShippedConfig(t)
	recentWindow := 5 * time.Minute // worker_health's shipped recent_window
	for _, name := range []string{"high_error_rate", "error_spike"} {
		assert.Greater(t, shippedRule(t, cfg, name).For, recentWindow/2, "%s: for must outlast the time an outage takes to become worker_failure", name)
	}
}

func TestShippedRulesAreTheGuidesRules(t *testing.T) {
	cfg := loadShippedConfig(t)
	want := map[string]string{
		"high_error_rate": "warning", "high_latency": "warning", "critical_cpu_usage": "critical",
		"worker_failure": "error", "error_spike": "error", "slow_workflow": "warning", "bus_silent": "warning",
		"bus_unobservable": "error", "workflow_stuck": "error",
	}
	got := map[string]string{}
	for _, r := range cfg.Rules {
		got[r.Name] = r.Severity
	}
	assert.Equal(t, want, got)
}

// shippedRun drives the shipped rules through the real processor, one evaluation per
// evaluation_interval, and records the states one rule's instance goes through.
type shippedRun struct {
	t      *testing.T
	h      *harness
	cfg    *Config
	rule   string
	labels map[string]string
	states []string // distinct consecutive states, "" for no instance
	last   alertPoint
	// busEvents, when not nil, counts events on the bus: each tick adds one, so that bus_silent
	// (which mutes the per-worker alerts) stays quiet in tests of other rules.
	busEvents *int64
}

// newShippedRun runs the shipped configuration, changed by adjust when given.
func newShippedRun(t *testing.T, rule string, labels map[string]string, adjust ...func(*Config)) *shippedRun {
	cfg := loadShippedConfig(t)
	for _, f := range adjust {
		f(cfg)
	}
	return &shippedRun{t: t, h: newHarness(t, cfg), cfg: cfg, rule: rule, labels: labels, states: []string{""}, busEvents: new(int64)}
}

// tick sends md (if any), advances one evaluation_interval and evaluates.
func (r *shippedRun) tick(md *pmetric.Metrics) string {
	if md != nil {
		r.h.push(*md)
	}
	if r.busEvents != nil {
		*r.busEvents++
		r.h.push(newMetrics().counter("multiagents.events", "{event}", *r.busEvents, testEpoch.Add(time.Second),
			"event_type", "ResultEvent", "status", "success").build())
	}
	points := r.h.step(r.cfg.EvaluationInterval)
	state := stateOf(points, r.rule, r.labels)
	for _, p := range points {
		if p.name == r.rule && p.state == state {
			r.last = p
		}
	}
	if state != r.states[len(r.states)-1] {
		r.states = append(r.states, state)
	}
	return state
}

// until ticks with send() until the rule's instance is in state want, at most limit ticks.
func (r *shippedRun) until(want string, limit int, send func(i int) *pmetric.Metrics) int {
	r.t.Helper()
	for i := range limit {
		if r.tick(send(i)) == want {
			return i + 1
		}
	}
	r.t.Fatalf("%s did not reach %q in %d evaluations; states %v", r.rule, want, limit, r.states)
	return 0
}

func ptr(md pmetric.Metrics) *pmetric.Metrics { return &md }

var durationBounds = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600} // the receiver's

// histogramCounts puts n observations in the bucket whose upper bound is le.
func histogramCounts(n uint64, le float64) []uint64 {
	counts := make([]uint64, len(durationBounds)+1)
	counts[slices.Index(durationBounds, le)] = n
	return counts
}

func addCounts(a, b []uint64) []uint64 {
	out := slices.Clone(a)
	for i := range b {
		out[i] += b[i]
	}
	return out
}

// executionsOf adds the receiver's execution counters of one worker (cumulative, started after
// the processor).
func executionsOf(b *metricsBuilder, worker string, success, failed int64) *metricsBuilder {
	start := testEpoch.Add(time.Second)
	return b.
		counter("multiagents.worker.executions", "{execution}", success, start, "worker.name", worker, "status", "success").
		counter("multiagents.worker.executions", "{execution}", failed, start, "worker.name", worker, "status", "error")
}

func TestShippedHighErrorRate(t *testing.T) {
	w1 := map[string]string{"worker.name": "payment_processor"}
	// for is pinned to 1m to count evaluations; the shipped 3m is TestShippedWarningsWaitForWorkerFailure's.
	r := newShippedRun(t, "high_error_rate", w1, withFor("high_error_rate", time.Minute))
	var ok, failed, inventoryOK int64
	send := func(okPerTick, failedPerTick int64) func(int) *pmetric.Metrics {
		return func(int) *pmetric.Metrics {
			ok += okPerTick
			failed += failedPerTick
			inventoryOK += 20
			b := executionsOf(newMetrics(), "payment_processor", ok, failed)
			return ptr(executionsOf(b, "inventory", inventoryOK, 1).build())
		}
	}
	// 3 successes and 1 failure per evaluation: 4, then 8 executions are too little evidence;
	// the third evaluation has 12 (min_samples 10): pending at 0.25, firing a minute later.
	n := r.until("firing", 20, send(3, 1))
	assert.Equal(t, 7, n, "no value at 4 and 8 executions, pending at 12, firing once for (1m) has passed")
	assert.Equal(t, "Error rate of payment_processor exceeded 10%", r.last.description)
	assert.InDelta(t, 0.25, r.last.value, 1e-12)
	// Successes only: 7 failures stay in the window while the successes pile up; at the 11th
	// evaluation 7/72 <= 0.1, then keep_firing_for (2m) to resolved.
	n = r.until("resolved", 40, send(4, 0))
	assert.Equal(t, 19, n)
	assert.Equal(t, []string{"", "pending", "firing", "resolved"}, r.states)
	assert.Empty(t, stateOf(r.h.evaluate(), "high_error_rate", map[string]string{"worker.name": "inventory"}), "1 failure in hundreds")
}

// Issue 11: validate_order (3 failures in 50 executions, one every 11 s) fired
// high_error_rate four minutes after its last execution, on 1 failure among the 5 executions
// left in the window. Neither the evidence minimum nor even aging lets that happen; each of
// them alone is enough.
func TestShippedHighErrorRateAfterTrafficStops(t *testing.T) {
	for _, minSamples := range []int{10, 1} {
		t.Run(fmt.Sprintf("min_samples=%d", minSamples), func(t *testing.T) {
			r := newShippedRun(t, "high_error_rate", map[string]string{"worker.name": "validate_order"},
				func(cfg *Config) { cfg.MinSamples = minSamples })
			failedAt := map[int]bool{10: true, 30: true, 48: true} // executions 1..50
			elapsed := time.Duration(0)
			for range 60 { // 15 minutes: the traffic (550 s), then 10 minutes of re-sent counters
				var ok, failed int64
				for i := 1; i <= 50 && time.Duration(i)*11*time.Second <= elapsed; i++ {
					if failedAt[i] {
						failed++
					} else {
						ok++
					}
				}
				assert.Empty(t, r.tick(ptr(executionsOf(newMetrics(), "validate_order", ok, failed).build())), "at %s", elapsed)
				elapsed += r.cfg.EvaluationInterval
			}
			assert.Equal(t, []string{""}, r.states)
		})
	}
}

func TestShippedHighLatency(t *testing.T) {
	r := newShippedRun(t, "high_latency", nil)
	start := testEpoch.Add(time.Second)
	slow, fast := histogramCounts(0, 10), histogramCounts(0, 0.1)
	var slowSum, fastSum float64
	send := func(slowEvents, fastEvents uint64) func(int) *pmetric.Metrics {
		return func(int) *pmetric.Metrics {
			slow = addCounts(slow, histogramCounts(slowEvents, 10))
			fast = addCounts(fast, histogramCounts(fastEvents, 0.1))
			slowSum += 8 * float64(slowEvents)
			fastSum += 0.08 * float64(fastEvents)
			return ptr(newMetrics().
				histogram("multiagents.event.duration", durationBounds, slow, slowSum, start, "event_type", "CommandEvent").
				histogram("multiagents.event.duration", durationBounds, fast, fastSum, start, "event_type", "ResultEvent").build())
		}
	}
	// Commands take 8 s, results 0.08 s, one each: the average of all events is 4.04 s.
	for range 8 {
		r.tick(send(1, 1)(0))
	}
	assert.Equal(t, []string{""}, r.states, "average below 5 s")
	// Commands alone for a while: the 5-minute average climbs over 5 s.
	r.until("firing", 40, send(3, 0))
	assert.Greater(t, r.last.value, 5.0)
	r.until("resolved", 40, send(0, 50))
	assert.Equal(t, []string{"", "pending", "firing", "resolved"}, r.states)
}

func TestShippedCriticalCPUUsage(t *testing.T) {
	r := newShippedRun(t, "critical_cpu_usage", nil)
	cpu := func(v float64) func(int) *pmetric.Metrics {
		return func(int) *pmetric.Metrics { return ptr(newMetrics().gauge("multiagents.system.cpu", "%", v).build()) }
	}
	assert.Equal(t, 5, r.until("firing", 20, cpu(97.5)))
	assert.Equal(t, "critical", r.last.severity)
	assert.Equal(t, "> 90", r.last.threshold)
	assert.Equal(t, 5, r.until("resolved", 20, cpu(35)), "keep_firing_for 1m")
	assert.Equal(t, []string{"", "pending", "firing", "resolved"}, r.states)
}

func TestShippedWorkerFailure(t *testing.T) {
	w := map[string]string{"worker.name": "payment_processor"}
	r := newShippedRun(t, "worker_failure", w)
	health := func(state string) func(int) *pmetric.Metrics {
		return func(int) *pmetric.Metrics {
			b := newMetrics()
			for _, s := range []string{"healthy", "degraded", "failed"} {
				v := 0.0
				if s == state {
					v = 1
				}
				b.gauge("multiagents.worker.health", "{state}", v, "worker.name", "payment_processor", "state", s)
				b.gauge("multiagents.worker.health", "{state}", map[bool]float64{true: 1}[s == "healthy"], "worker.name", "inventory", "state", s)
			}
			return ptr(b.build())
		}
	}
	r.until("", 2, health("healthy"))
	assert.Equal(t, 1, r.until("firing", 4, health("failed")), "for 0s: fires at the first evaluation")
	assert.Equal(t, "Worker payment_processor has failed", r.last.description)
	assert.Equal(t, "error", r.last.severity)
	assert.Equal(t, map[string]string{"worker.name": "payment_processor"}, r.last.labels)
	assert.Equal(t, 1, r.until("resolved", 4, health("healthy")))
	assert.Equal(t, []string{"", "firing", "resolved"}, r.states)
}

func TestShippedErrorSpike(t *testing.T) {
	// for is pinned to 1m to count evaluations; the shipped 3m is TestShippedWarningsWaitForWorkerFailure's.
	r := newShippedRun(t, "error_spike", nil, withFor("error_spike", time.Minute))
	start := testEpoch.Add(time.Second)
	errorsA, errorsB, ok := int64(0), int64(0), int64(0)
	send := func(a, b int64) func(int) *pmetric.Metrics {
		return func(int) *pmetric.Metrics {
			errorsA += a
			errorsB += b
			ok += 10
			return ptr(newMetrics().
				counter("multiagents.worker.executions", "{execution}", errorsA, start, "worker.name", "payment_processor", "status", "error").
				counter("multiagents.worker.executions", "{execution}", errorsB, start, "worker.name", "inventory", "status", "error").
				counter("multiagents.worker.executions", "{execution}", ok, start, "worker.name", "inventory", "status", "success").build())
		}
	}
	// 10 errors in 5 minutes is not a spike.
	for range 5 {
		r.tick(send(1, 1)(0))
	}
	assert.Equal(t, []string{""}, r.states)
	// The 11th error within 5 minutes (at 90 s): pending, firing once for (1m) has passed.
	assert.Equal(t, 5, r.until("firing", 8, send(1, 0)), "pending at 90 s, firing at 150 s")
	assert.Equal(t, 15.0, r.last.value)
	// No more errors: the counters are re-sent unchanged until the spike leaves the window.
	// Errors were sent 2 at a time at 0..60 s, then 1 at a time until 135 s; at 330 s those
	// sent up to 30 s have left the window: 9 remain.
	assert.Equal(t, 12, r.until("resolved", 40, send(0, 0)), "firing at 150 s, resolved at 330 s")
	assert.Equal(t, []string{"", "pending", "firing", "resolved"}, r.states)
}

func TestShippedSlowWorkflow(t *testing.T) {
	order := map[string]string{"workflow.id": "order_processing"}
	r := newShippedRun(t, "slow_workflow", order)
	start := testEpoch.Add(time.Second)
	counts := histogramCounts(0, 1)
	var sum float64
	send := func(n uint64, le float64) func(int) *pmetric.Metrics {
		return func(int) *pmetric.Metrics {
			counts = addCounts(counts, histogramCounts(n, le))
			sum += float64(n) * le * 0.9
			return ptr(newMetrics().
				histogram("multiagents.workflow.duration", durationBounds, counts, sum, start, "workflow.id", "order_processing").
				histogram("multiagents.workflow.duration", durationBounds, histogramCounts(5, 1), 4, start, "workflow.id", "quick_lookup").build())
		}
	}
	for range 4 {
		r.tick(send(10, 2.5)(0))
	}
	assert.Equal(t, []string{""}, r.states, "workflows take 2.5 s")
	assert.Equal(t, 1, r.until("firing", 4, send(10, 60)), "a fifth of the window takes up to 60 s: p95 is above 30 s")
	assert.Equal(t, "p95 duration of workflow order_processing exceeded 30 seconds", r.last.description)
	assert.Greater(t, r.last.value, 30.0)
	assert.Equal(t, "", stateOf(r.h.evaluate(), "slow_workflow", map[string]string{"workflow.id": "quick_lookup"}))
	r.until("resolved", 4, send(400, 2.5))
	assert.Equal(t, []string{"", "firing", "resolved"}, r.states)
}

func TestShippedBusSilent(t *testing.T) {
	r := newShippedRun(t, "bus_silent", nil)
	r.busEvents = nil // this test drives the bus itself
	start := testEpoch.Add(time.Second)
	total := int64(0)
	send := func(events int64) func(int) *pmetric.Metrics {
		return func(int) *pmetric.Metrics {
			total += events
			return ptr(newMetrics().
				counter("multiagents.events", "{event}", total, start, "event_type", "CommandEvent", "status", "success").build())
		}
	}
	for range 30 {
		r.tick(send(2)(0))
	}
	assert.Equal(t, []string{""}, r.states, "events flowing")
	// The receiver keeps re-sending the unchanged counter: that is silence.
	// The last increase was sent at 435 s; the evaluation at 735 s is the first 5 minutes later.
	assert.Equal(t, 19, r.until("firing", 30, send(0)), "5 minutes without an event")
	assert.Equal(t, "No event on the MultiAgents bus for 5 minutes", r.last.description)
	assert.Equal(t, 1, r.until("resolved", 2, send(1)))
	assert.Equal(t, []string{"", "firing", "resolved"}, r.states)
}

// The shipped inhibit rules: worker_failure mutes high_error_rate of the same worker only and
// error_spike; bus_silent mutes worker_failure. Muted instances are written as "inhibited" with
// their own fingerprint, and go back to "firing" when the source stops firing.
func TestShippedInhibitions(t *testing.T) {
	cfg := loadShippedConfig(t)
	h := newHarness(t, cfg)
	start := testEpoch.Add(time.Second)
	var events, paymentOK, paymentFailed, inventoryOK, inventoryFailed int64
	send := func(traffic bool) {
		if traffic {
			events += 10
			paymentOK, paymentFailed = paymentOK+2, paymentFailed+2
			inventoryOK, inventoryFailed = inventoryOK+6, inventoryFailed+2
		}
		b := newMetrics().counter("multiagents.events", "{event}", events, start, "event_type", "ResultEvent", "status", "success")
		executionsOf(b, "payment_processor", paymentOK, paymentFailed)
		executionsOf(b, "inventory", inventoryOK, inventoryFailed)
		for _, s := range []string{"healthy", "degraded", "failed"} {
			b.gauge("multiagents.worker.health", "{state}", map[bool]float64{true: 1}[s == "failed"], "worker.name", "payment_processor", "state", s)
			b.gauge("multiagents.worker.health", "{state}", map[bool]float64{true: 1}[s == "healthy"], "worker.name", "inventory", "state", s)
		}
		h.push(b.build())
	}
	payment := map[string]string{"worker.name": "payment_processor"}
	inventory := map[string]string{"worker.name": "inventory"}
	var points []alertPoint
	var longestFor time.Duration
	for _, r := range cfg.Rules {
		longestFor = max(longestFor, r.For)
	}
	// Every rule's condition holds by the third evaluation (min_samples, the 11th error), then
	// its for runs: traffic until the longest for has passed.
	for range 3 + int(longestFor/cfg.EvaluationInterval) + 1 {
		send(true)
		points = h.step(cfg.EvaluationInterval)
	}
	assert.Equal(t, "firing", stateOf(points, "worker_failure", payment))
	assert.Equal(t, "inhibited", stateOf(points, "high_error_rate", payment), "worker_failure of the same worker mutes it")
	assert.Equal(t, "firing", stateOf(points, "high_error_rate", inventory), "equal: [worker.name]: another worker's failure does not mute it")
	assert.Equal(t, "inhibited", stateOf(points, "error_spike", nil), "any failed worker mutes the spike")
	for _, p := range points {
		if p.name == "high_error_rate" && p.labels["worker.name"] == "payment_processor" {
			assert.Equal(t, fingerprint("high_error_rate", []string{"worker.name"}, []string{"payment_processor"}), p.fingerprint)
			assert.InDelta(t, 0.5, p.value, 1e-12, "an inhibited instance keeps its value")
		}
	}

	// The bus goes quiet (counters re-sent unchanged), payment_processor still reported failed.
	firstSilent := -1
	for i := range 30 {
		send(false)
		points = h.step(cfg.EvaluationInterval)
		if stateOf(points, "bus_silent", nil) == "firing" {
			firstSilent = i
			break
		}
		assert.Equal(t, "firing", stateOf(points, "worker_failure", payment), "before bus_silent fires")
	}
	require.GreaterOrEqual(t, firstSilent, 0, "bus_silent fires")
	assert.Equal(t, "inhibited", stateOf(points, "worker_failure", payment), "in the evaluation in which bus_silent fires")
	inhibited := countState(points, "inhibited")
	assert.GreaterOrEqual(t, inhibited, 1)
	assert.Equal(t, int64(inhibited), h.instancesGauge("inhibited"), "the instances gauge counts them by written state")
	assert.Equal(t, int64(countState(points, "firing")), h.instancesGauge("firing"))

	// Events again: bus_silent resolves and worker_failure is firing again, same fingerprint.
	send(true)
	points = h.step(cfg.EvaluationInterval)
	assert.Equal(t, "resolved", stateOf(points, "bus_silent", nil))
	assert.Equal(t, "firing", stateOf(points, "worker_failure", payment))
}

// A worker fails for two minutes (error rate 50 %) and recovers at once: worker_failure
// resolves, while error_spike and the worker's high_error_rate still hold the failures in
// their 5-minute windows. With the shipped keep_inhibiting_for they stay muted until they
// resolve: the incident is paged once (worker_failure), not again after it is over. The
// worker is reported failed only 45 s after its failures start counting (worker_health judges
// every 30 s): error_spike's for (3m) lets worker_failure fire first, so it is never paged.
func TestShippedInhibitionOutlastsTheRecoveredWorker(t *testing.T) {
	cfg := loadShippedConfig(t)
	h := newHarness(t, cfg)
	start := testEpoch.Add(time.Second)
	var events, ok, failed int64
	failing, ticks := true, 0
	send := func() {
		events += 10
		health := "healthy"
		if failing { // the 11th error is in the third evaluation, before worker_failure fires
			ok, failed = ok+4, failed+4
			if ticks >= 3 {
				health = "failed"
			}
		} else {
			ok += 8
		}
		ticks++
		b := newMetrics().counter("multiagents.events", "{event}", events, start, "event_type", "ResultEvent", "status", "success")
		executionsOf(b, "payment_processor", ok, failed)
		for _, s := range []string{"healthy", "degraded", "failed"} {
			b.gauge("multiagents.worker.health", "{state}", map[bool]float64{true: 1}[s == health], "worker.name", "payment_processor", "state", s)
		}
		h.push(b.build())
	}
	payment := map[string]string{"worker.name": "payment_processor"}
	seen := map[string][]string{} // rule → distinct consecutive written states
	record := func(points []alertPoint) {
		for rule, labels := range map[string]map[string]string{"worker_failure": payment, "high_error_rate": payment, "error_spike": nil} {
			st := stateOf(points, rule, labels)
			if n := len(seen[rule]); n == 0 || seen[rule][n-1] != st {
				seen[rule] = append(seen[rule], st)
			}
		}
	}
	for range 8 {
		send()
		record(h.step(cfg.EvaluationInterval))
	}
	failing = false
	for range 60 { // 15 minutes of recovered traffic
		send()
		record(h.step(cfg.EvaluationInterval))
	}
	assert.Equal(t, []string{"", "firing", "resolved"}, seen["worker_failure"])
	assert.Equal(t, []string{"", "pending", "inhibited", "resolved"}, seen["error_spike"], "never firing: muted until its window drained")
	assert.Equal(t, []string{"", "pending", "inhibited", "resolved"}, seen["high_error_rate"], "never firing")
}
