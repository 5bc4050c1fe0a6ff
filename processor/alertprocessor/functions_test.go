package alertprocessor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// valueOf returns the observed value written for the rule's instance with the given labels.
func valueOf(t *testing.T, points []alertPoint, rule string, labels map[string]string) float64 {
	t.Helper()
	for _, p := range points {
		if p.name != rule {
			continue
		}
		match := true
		for k, v := range labels {
			if p.labels[k] != v {
				match = false
			}
		}
		if match {
			return p.value
		}
	}
	t.Fatalf("no instance of %s %v in %+v", rule, labels, points)
	return 0
}

// A rule that always holds (>= -1) exposes the computed value on its instance.
func probeRule(name, metric, function string, window time.Duration, groupBy ...string) Rule {
	return Rule{Name: name, Metric: metric, Function: function, Window: window, GroupBy: groupBy,
		Condition: ">= -1", Severity: "info"}
}

func TestIncreaseAndRateOnCumulativeCounterAcrossReset(t *testing.T) {
	const metric = "multiagents.worker.executions"
	inc := probeRule("inc", metric, fnIncrease, 5*time.Minute)
	inc.Aggregate = aggSum
	inc.Match = map[string]string{"status": "error"}
	rate := probeRule("rate", metric, fnRate, 5*time.Minute)
	rate.Aggregate = aggSum
	rate.Match = map[string]string{"status": "error"}
	h := newHarness(t, configWith(inc, rate))
	start := testEpoch.Add(time.Second) // the counters started after the processor
	send := func(v int64, start time.Time) {
		h.push(newMetrics().
			counter(metric, "{execution}", v, start, "worker.name", "w1", "status", "error").
			counter(metric, "{execution}", 1000, start, "worker.name", "w1", "status", "success").build())
	}
	h.clock.Advance(10 * time.Second)
	send(3, start) // born at 3 while we watch: 3 errors
	points := h.evaluate()
	assert.Equal(t, 3.0, valueOf(t, points, "inc", nil))
	assert.InDelta(t, 3.0/300, valueOf(t, points, "rate", nil), 1e-12)

	h.clock.Advance(10 * time.Second)
	send(7, start)
	assert.Equal(t, 7.0, valueOf(t, h.evaluate(), "inc", nil))

	// The producer restarts: the counter starts again from 2, which is all increase.
	h.clock.Advance(10 * time.Second)
	send(2, start.Add(25*time.Second))
	assert.Equal(t, 9.0, valueOf(t, h.evaluate(), "inc", nil))

	// Unchanged re-sends add nothing; 5 minutes after the last increase the window is empty.
	for range 30 {
		h.clock.Advance(10 * time.Second)
		send(2, start.Add(25*time.Second))
	}
	assert.Equal(t, 0.0, valueOf(t, h.evaluate(), "inc", nil))
}

// A cumulative point older than the series' last one (a retried batch arriving late) is
// ignored, as worker_health ignores it (internal/cumulative): it used to count as a reset and
// add its whole value again.
func TestOutOfOrderCumulativePointIsIgnored(t *testing.T) {
	const metric = "multiagents.worker.executions"
	r := probeRule("inc", metric, fnIncrease, 5*time.Minute)
	r.Aggregate = aggSum
	h := newHarness(t, configWith(r))
	start := testEpoch.Add(time.Second)
	send := func(v int64, at time.Duration) {
		md := newMetrics().counter(metric, "{execution}", v, start, "worker.name", "w1").build()
		dp := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Sum().DataPoints().At(0)
		dp.SetTimestamp(pcommon.NewTimestampFromTime(testEpoch.Add(at)))
		h.push(md)
	}
	h.clock.Advance(10 * time.Second)
	send(5, 20*time.Second)
	send(2, 10*time.Second) // late
	send(6, 30*time.Second)
	assert.Equal(t, 6.0, valueOf(t, h.evaluate(), "inc", nil))
}

func TestCumulativeCounterSeenMidLifeOnlySetsTheBaseline(t *testing.T) {
	const metric = "multiagents.events"
	r := probeRule("inc", metric, fnIncrease, 5*time.Minute)
	r.Aggregate = aggSum
	h := newHarness(t, configWith(r))
	before := testEpoch.Add(-time.Hour) // started long before this processor: history unknown
	h.push(newMetrics().counter(metric, "{event}", 500, before, "event_type", "CommandEvent", "status", "success").build())
	h.clock.Advance(15 * time.Second)
	assert.Equal(t, 0.0, valueOf(t, h.evaluate(), "inc", nil))
	h.push(newMetrics().counter(metric, "{event}", 504, before, "event_type", "CommandEvent", "status", "success").build())
	h.clock.Advance(15 * time.Second)
	assert.Equal(t, 4.0, valueOf(t, h.evaluate(), "inc", nil))
}

func TestIncreaseOnDeltaCounter(t *testing.T) {
	const metric = "multiagents.workflows"
	r := probeRule("inc", metric, fnIncrease, time.Minute)
	r.Aggregate = aggSum
	h := newHarness(t, configWith(r))
	for range 4 {
		h.clock.Advance(20 * time.Second)
		h.push(newMetrics().sum(metric, "{workflow}", 2, time.Time{}, pmetric.AggregationTemporalityDelta, "workflow.id", "order", "status", "completed").build())
	}
	// Points at 20s, 40s, 60s, 80s; the window (20s, 80s] holds the last three.
	assert.Equal(t, 6.0, valueOf(t, h.evaluate(), "inc", nil))
}

func TestAggregatesAcrossTheSeriesOfAGroup(t *testing.T) {
	const metric = "multiagents.worker.duration.p95"
	var rules []Rule
	for _, agg := range []string{aggAvg, aggMin, aggMax, aggSum, aggCount} {
		r := probeRule(agg, metric, fnValue, 0, "worker.name")
		r.Aggregate = agg
		rules = append(rules, r)
	}
	h := newHarness(t, configWith(rules...))
	h.push(newMetrics().
		gauge(metric, "s", 1, "worker.name", "a", "host", "h1").
		gauge(metric, "s", 2, "worker.name", "a", "host", "h2").
		gauge(metric, "s", 6, "worker.name", "a", "host", "h3").
		gauge(metric, "s", 10, "worker.name", "b", "host", "h1").build())
	points := h.evaluate()
	a := map[string]string{"worker.name": "a"}
	assert.Equal(t, 3.0, valueOf(t, points, aggAvg, a))
	assert.Equal(t, 1.0, valueOf(t, points, aggMin, a))
	assert.Equal(t, 6.0, valueOf(t, points, aggMax, a))
	assert.Equal(t, 9.0, valueOf(t, points, aggSum, a))
	assert.Equal(t, 3.0, valueOf(t, points, aggCount, a))
	assert.Equal(t, 10.0, valueOf(t, points, aggMax, map[string]string{"worker.name": "b"}))
}

func TestAvgOfHistogramsMergesTheGroupsObservations(t *testing.T) {
	const metric = "multiagents.event.duration"
	h := newHarness(t, configWith(probeRule("avg", metric, fnAvg, 5*time.Minute)))
	start := testEpoch.Add(time.Second)
	bounds := []float64{0.1, 1, 5, 10}
	h.clock.Advance(10 * time.Second)
	h.push(newMetrics().
		histogram(metric, bounds, []uint64{0, 1, 0, 0, 0}, 0.5, start, "event_type", "CommandEvent").
		histogram(metric, bounds, []uint64{0, 0, 0, 3, 0}, 24, start, "event_type", "ResultEvent").build())
	// (0.5 + 24) / 4 observations, not the average of the two series' averages.
	assert.InDelta(t, 24.5/4, valueOf(t, h.evaluate(), "avg", nil), 1e-12)

	// Window slides: 6 minutes later only the new observations count.
	h.clock.Advance(6 * time.Minute)
	h.push(newMetrics().
		histogram(metric, bounds, []uint64{0, 3, 0, 0, 0}, 1.5, start, "event_type", "CommandEvent").
		histogram(metric, bounds, []uint64{0, 0, 0, 3, 0}, 24, start, "event_type", "ResultEvent").build())
	assert.InDelta(t, 0.5, valueOf(t, h.evaluate(), "avg", nil), 1e-12)
}

func TestAvgOfGaugeOverWindow(t *testing.T) {
	const metric = "multiagents.system.cpu"
	h := newHarness(t, configWith(probeRule("avg", metric, fnAvg, time.Minute)))
	for _, v := range []float64{10, 20, 30, 40, 50} {
		h.clock.Advance(20 * time.Second)
		h.push(newMetrics().gauge(metric, "%", v).build())
	}
	// Points at 20s..100s; the window (40s, 100s] holds 30, 40, 50.
	assert.InDelta(t, 40, valueOf(t, h.evaluate(), "avg", nil), 1e-12)
}

func TestQuantileInterpolatesFromBucketsOverWindow(t *testing.T) {
	const metric = "multiagents.workflow.duration"
	r := probeRule("p95", metric, fnQuantile, 5*time.Minute, "workflow.id")
	r.Quantile = 0.95
	h := newHarness(t, configWith(r))
	start := testEpoch.Add(time.Second)
	bounds := []float64{1, 10, 30, 60}
	h.clock.Advance(10 * time.Second)
	// 100 observations: 50 in (0,1], 40 in (1,10], 10 in (30,60].
	h.push(newMetrics().histogram(metric, bounds, []uint64{50, 40, 0, 10, 0}, 600, start, "workflow.id", "order_processing").build())
	// rank 95 falls in (30,60] after 90: 30 + 30*(95-90)/10 = 45.
	assert.InDelta(t, 45, valueOf(t, h.evaluate(), "p95", map[string]string{"workflow.id": "order_processing"}), 1e-9)
}

func TestMatchers(t *testing.T) {
	const metric = "multiagents.worker.error_rate"
	eq := probeRule("eq", metric, fnValue, 0, "worker.name")
	eq.Match = map[string]string{"worker.name": "payment"}
	re := probeRule("re", metric, fnValue, 0, "worker.name")
	re.Match = map[string]string{"worker.name": "=~pay.*"}
	ne := probeRule("ne", metric, fnValue, 0, "worker.name")
	ne.Match = map[string]string{"worker.name": "!=payment"}
	nre := probeRule("nre", metric, fnValue, 0, "worker.name")
	nre.Match = map[string]string{"worker.name": "!~pay.*"}
	res := probeRule("resource", metric, fnValue, 0, "worker.name")
	res.Match = map[string]string{"service.name": "otelcol-multiagents"} // a resource attribute
	h := newHarness(t, configWith(eq, re, ne, nre, res))
	h.push(newMetrics().
		gauge(metric, "1", 0.1, "worker.name", "payment").
		gauge(metric, "1", 0.2, "worker.name", "payments").
		gauge(metric, "1", 0.3, "worker.name", "inventory").build())
	names := func(rule string) []string {
		var out []string
		for _, p := range h.evaluate() {
			if p.name == rule {
				out = append(out, p.labels["worker.name"])
			}
		}
		return out
	}
	assert.ElementsMatch(t, []string{"payment"}, names("eq"))
	assert.ElementsMatch(t, []string{"payment", "payments"}, names("re"))
	assert.ElementsMatch(t, []string{"payments", "inventory"}, names("ne"))
	assert.ElementsMatch(t, []string{"inventory"}, names("nre"))
	assert.ElementsMatch(t, []string{"payment", "payments", "inventory"}, names("resource"))
}

func TestAbsentRule(t *testing.T) {
	const metric = "multiagents.events"
	rule := Rule{Name: "bus_silent", Kind: kindAbsent, Metric: metric, Window: time.Minute, Severity: "warning"}
	start := testEpoch.Add(time.Second)

	t.Run("nothing ever arrives: fires once the processor has watched for window", func(t *testing.T) {
		h := newHarness(t, configWith(rule))
		assert.Empty(t, h.step(45*time.Second))
		assert.Equal(t, "firing", stateOf(h.step(15*time.Second), "bus_silent", nil))
	})

	t.Run("cumulative counter re-sent unchanged counts as absent", func(t *testing.T) {
		h := newHarness(t, configWith(rule))
		total := int64(0)
		send := func() {
			h.push(newMetrics().counter(metric, "{event}", total, start, "event_type", "CommandEvent", "status", "success").build())
		}
		// Events every 10 s: never absent.
		for range 12 {
			total++
			h.clock.Advance(10 * time.Second)
			send()
			assert.Empty(t, h.evaluate())
		}
		// The bus goes quiet but the receiver keeps re-sending the same total every 10 s.
		var points []alertPoint
		for i := range 6 {
			h.clock.Advance(10 * time.Second)
			send()
			points = h.evaluate()
			if i < 5 {
				assert.Empty(t, points, "quiet for %ds only", (i+1)*10)
			}
		}
		require.Len(t, points, 1)
		assert.Equal(t, "firing", points[0].state)
		assert.Equal(t, 0.0, points[0].value, "value is the number of active series")
		assert.Equal(t, "absent for 1m0s", points[0].threshold)
		// An event arrives: resolved.
		total++
		h.clock.Advance(10 * time.Second)
		send()
		assert.Equal(t, "resolved", stateOf(h.evaluate(), "bus_silent", nil))
	})

	t.Run("for delays firing like any rule", func(t *testing.T) {
		r := rule
		r.For = 30 * time.Second
		h := newHarness(t, configWith(r))
		assert.Equal(t, "pending", stateOf(h.step(time.Minute), "bus_silent", nil))
		assert.Equal(t, "pending", stateOf(h.step(15*time.Second), "bus_silent", nil))
		assert.Equal(t, "firing", stateOf(h.step(15*time.Second), "bus_silent", nil))
	})

	t.Run("gauge series count as present while points arrive", func(t *testing.T) {
		r := Rule{Name: "cpu_absent", Kind: kindAbsent, Metric: "multiagents.system.cpu", Window: time.Minute, Severity: "warning"}
		h := newHarness(t, configWith(r))
		for range 8 {
			h.clock.Advance(15 * time.Second)
			h.push(newMetrics().gauge("multiagents.system.cpu", "%", 12).build())
			assert.Empty(t, h.evaluate())
		}
		for range 3 {
			assert.Empty(t, h.step(15*time.Second))
		}
		assert.Equal(t, "firing", stateOf(h.step(15*time.Second), "cpu_absent", nil))
	})
}

func TestRuleThatCannotApplyIsReportedOnce(t *testing.T) {
	// custom.latency is not a contract metric, so Validate cannot know it is a gauge.
	r := probeRule("p95", "custom.latency", fnQuantile, 5*time.Minute)
	r.Quantile = 0.95
	ok := probeRule("ok", "custom.latency", fnValue, 0)
	h := newHarness(t, configWith(r, ok))
	for range 3 {
		h.push(newMetrics().gauge("custom.latency", "s", 1).gauge("custom.latency", "s", 2, "k", "v").build())
		points := h.step(15 * time.Second)
		assert.Empty(t, stateOf(points, "p95", nil))
		assert.Equal(t, "firing", stateOf(points, "ok", nil), "the neighbour rule still works")
	}
	assert.Equal(t, int64(1), h.telemetry("otelcol_processor_alert_rule_errors"))
	logged := h.logs.FilterMessage("alert rule cannot be evaluated on some series; they are skipped").All()
	require.Len(t, logged, 1)
	assert.Equal(t, "p95", logged[0].ContextMap()["rule"])
	assert.Contains(t, logged[0].ContextMap()["reason"], "quantile does not apply to a gauge")
}

func TestUnsupportedPointTypesAreCountedNotFatal(t *testing.T) {
	h := newHarness(t, configWith(probeRule("v", "custom.summary", fnValue, 0)))
	md := pmetric.NewMetrics()
	m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("custom.summary")
	m.SetEmptySummary().DataPoints().AppendEmpty()
	m.Summary().DataPoints().AppendEmpty()
	h.push(md)
	h.push(newMetrics().histogram("custom.summary", []float64{1}, []uint64{1}, 1, testEpoch).build()) // counts/bounds mismatch
	assert.Empty(t, h.step(15*time.Second))
	assert.Equal(t, int64(3), h.telemetry("otelcol_processor_alert_unsupported_points"))
	assert.Len(t, h.logs.FilterMessage("data points of a rule's metric are skipped").All(), 1)
}

func TestHistogramWithoutBoundsKeepsItsHistory(t *testing.T) {
	r := probeRule("inc", "custom.duration", fnIncrease, time.Minute)
	h := newHarness(t, configWith(r))
	start := testEpoch.Add(time.Second)
	for i := range 4 {
		h.clock.Advance(10 * time.Second)
		h.push(newMetrics().histogram("custom.duration", nil, []uint64{uint64(5 * (i + 1))}, 1, start).build())
	}
	assert.Equal(t, 20.0, valueOf(t, h.evaluate(), "inc", nil), "four points of 5 observations each")
}
