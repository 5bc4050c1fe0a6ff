package alertprocessor

import (
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
	// The shipped config keeps alert state in file_storage; these tests run the rules without a
	// collector host (restart_test.go covers storage with the real extension).
	require.NotNil(t, cfg.Storage, "the shipped config persists alert state")
	cfg.Storage = nil
	return cfg
}

func TestShippedRulesAreTheGuidesRules(t *testing.T) {
	cfg := loadShippedConfig(t)
	want := map[string]string{
		"high_error_rate": "warning", "high_latency": "warning", "critical_cpu_usage": "critical",
		"worker_failure": "error", "error_spike": "error", "slow_workflow": "warning", "bus_silent": "warning",
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
}

func newShippedRun(t *testing.T, rule string, labels map[string]string) *shippedRun {
	cfg := loadShippedConfig(t)
	return &shippedRun{t: t, h: newHarness(t, cfg), cfg: cfg, rule: rule, labels: labels, states: []string{""}}
}

// tick sends md (if any), advances one evaluation_interval and evaluates.
func (r *shippedRun) tick(md *pmetric.Metrics) string {
	if md != nil {
		r.h.push(*md)
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

func TestShippedHighErrorRate(t *testing.T) {
	w1 := map[string]string{"worker.name": "payment_processor"}
	r := newShippedRun(t, "high_error_rate", w1)
	rate := func(v float64) func(int) *pmetric.Metrics {
		return func(int) *pmetric.Metrics {
			return ptr(newMetrics().
				gauge("multiagents.worker.error_rate", "1", v, "worker.name", "payment_processor").
				gauge("multiagents.worker.error_rate", "1", 0.02, "worker.name", "inventory").build())
		}
	}
	n := r.until("firing", 20, rate(0.35))
	assert.Equal(t, 5, n, "pending at the first evaluation, firing once for (1m) has passed")
	assert.Equal(t, "Error rate of payment_processor exceeded 10%", r.last.description)
	assert.InDelta(t, 0.35, r.last.value, 1e-12)
	n = r.until("resolved", 20, rate(0.01))
	assert.Equal(t, 9, n, "keep_firing_for 2m after the first clear evaluation")
	assert.Equal(t, []string{"", "pending", "firing", "resolved"}, r.states)
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
	r := newShippedRun(t, "error_spike", nil)
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
	assert.Equal(t, 1, r.until("firing", 4, send(1, 0)), "the 11th error within 5 minutes")
	assert.Equal(t, 11.0, r.last.value)
	// No more errors: the counters are re-sent unchanged until the spike leaves the window.
	// The first two errors were sent at 0 s; at 300 s they leave the window: 9 remain.
	assert.Equal(t, 14, r.until("resolved", 40, send(0, 0)), "firing at 90 s, resolved at 300 s")
	assert.Equal(t, []string{"", "firing", "resolved"}, r.states)
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
