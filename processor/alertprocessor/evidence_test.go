package alertprocessor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func labelledRule() Rule {
	return Rule{
		Name: "worker_errors", Metric: "test.errors", GroupBy: []string{"worker.name"}, Condition: "> 0",
		Severity: "warning", Description: "errors on {{ worker.name }}",
		Labels: map[string]string{"team": "payments"},
		Annotations: map[string]string{
			"summary":     "{{ worker.name }} of {{ team }} fails ({{ $value }})",
			"runbook_url": "https://runbooks.example/worker-errors",
		},
	}
}

func TestStaticLabelsAndAnnotationsAreWritten(t *testing.T) {
	h := newHarness(t, configWith(labelledRule()))
	h.push(newMetrics().gauge("test.errors", "1", 2, "worker.name", "w1").build())
	points := h.evaluate()
	require.Len(t, points, 1)
	p := points[0]
	assert.Equal(t, "firing", p.state)
	assert.Equal(t, map[string]string{
		"worker.name":             "w1",
		"team":                    "payments",
		"annotations.summary":     "{{ worker.name }} of {{ team }} fails ({{ $value }})", // rendered by the notifiers
		"annotations.runbook_url": "https://runbooks.example/worker-errors",
	}, p.labels)
	// Static labels identify the instance: another team is another alert.
	assert.NotEqual(t, fingerprint("worker_errors", []string{"worker.name"}, []string{"w1"}), p.fingerprint)
	assert.Equal(t, fingerprintWithLabels("worker_errors", []string{"worker.name"}, []string{"w1"}, map[string]string{"team": "payments"}), p.fingerprint)
	assert.NotEqual(t, p.fingerprint, fingerprintWithLabels("worker_errors", []string{"worker.name"}, []string{"w1"}, map[string]string{"team": "search"}))
	// Annotations do not: changing their text keeps the fingerprint.
	other := labelledRule()
	other.Annotations = map[string]string{"summary": "changed"}
	h2 := newHarness(t, configWith(other))
	h2.push(newMetrics().gauge("test.errors", "1", 2, "worker.name", "w1").build())
	assert.Equal(t, p.fingerprint, h2.evaluate()[0].fingerprint)
}

func TestStaticLabelsAreSeenByInhibitRules(t *testing.T) {
	source := outageRule()
	source.Labels = map[string]string{"team": "payments"}
	target := labelledRule()
	cfg := configWith(source, target)
	cfg.InhibitRules = []InhibitRule{{SourceMatchers: []string{`alertname="outage"`}, TargetMatchers: []string{`alertname="worker_errors"`}, Equal: []string{"team"}}}
	h := newHarness(t, cfg)
	h.push(newMetrics().gauge("test.outage", "1", 1).gauge("test.errors", "1", 1, "worker.name", "w1").build())
	points := h.evaluate()
	assert.Equal(t, "inhibited", stateOf(points, "worker_errors", nil), "equal: [team] matches the static label on both sides")
}

func TestLabelsAndAnnotationsValidation(t *testing.T) {
	for name, tc := range map[string]struct {
		mutate  func(r *Rule)
		wantErr string
	}{
		"reserved label":          {func(r *Rule) { r.Labels = map[string]string{"severity": "x"} }, "rules[0] (worker_errors).labels.severity: is an attribute the alert processor writes itself"},
		"label shadows group_by":  {func(r *Rule) { r.Labels = map[string]string{"worker.name": "x"} }, "rules[0] (worker_errors).labels.worker.name: is also a group_by label"},
		"label clashes mapped":    {func(r *Rule) { r.Labels = map[string]string{"worker_name": "x"} }, `rules[0] (worker_errors).labels.worker_name: is worker_name as an Alertmanager label name, like "worker.name"`},
		"empty label value":       {func(r *Rule) { r.Labels = map[string]string{"team": ""} }, "rules[0] (worker_errors).labels.team: value must not be empty"},
		"annotations prefix":      {func(r *Rule) { r.Labels = map[string]string{"annotations.x": "y"} }, `rules[0] (worker_errors).labels.annotations.x: names starting with "annotations."`},
		"unknown annotation ref":  {func(r *Rule) { r.Annotations = map[string]string{"summary": "{{ workflow.id }}"} }, "rules[0] (worker_errors).annotations.summary: {{ workflow.id }} is neither a group_by nor a static label"},
		"unclosed annotation":     {func(r *Rule) { r.Annotations = map[string]string{"summary": "{{ $value"} }, "rules[0] (worker_errors).annotations.summary: unclosed"},
		"empty annotation name":   {func(r *Rule) { r.Annotations = map[string]string{"": "x"} }, "rules[0] (worker_errors).annotations: annotation name must not be empty"},
		"description uses $value": {func(r *Rule) { r.Description = "{{ $value }}" }, "rules[0] (worker_errors).description: {{ $value }} is not a group_by label"},
		"reserved group_by":       {func(r *Rule) { r.GroupBy = []string{"fingerprint"}; r.Description = "" }, "rules[0] (worker_errors).group_by: \"fingerprint\" is an attribute the alert processor writes itself"},
	} {
		t.Run(name, func(t *testing.T) {
			r := labelledRule()
			tc.mutate(&r)
			err := configWith(r).Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
	for _, n := range []int{-1, maxTraceIDsLimit + 1} {
		cfg := configWith(labelledRule())
		cfg.MaxTraceIDs = n
		assert.ErrorContains(t, cfg.Validate(), "max_trace_ids: must be between 0 and 20")
	}
	assert.NoError(t, configWith(labelledRule()).Validate())
}

// failingPoint is a worker error counter point carrying exemplars (trace id byte, seconds
// after testEpoch), as the receiver writes them.
func failingPoint(b *metricsBuilder, worker string, total int64, exemplars ...[2]int) *metricsBuilder {
	b.counter("multiagents.worker.executions", "{execution}", total, testEpoch, "worker.name", worker, "status", "error")
	ms := b.sm.Metrics()
	dp := ms.At(ms.Len() - 1).Sum().DataPoints().At(0)
	for _, e := range exemplars {
		ex := dp.Exemplars().AppendEmpty()
		ex.SetTraceID(traceID(byte(e[0])))
		ex.SetSpanID(pcommon.SpanID{0xa, byte(e[0])})
		ex.SetTimestamp(pcommon.NewTimestampFromTime(testEpoch.Add(time.Duration(e[1]) * time.Second)))
		ex.SetIntValue(1)
	}
	return b
}

func traceID(b byte) pcommon.TraceID { return pcommon.TraceID{0: 0xee, 15: b} }

// alertExemplars returns the trace ids (last byte) on the last written point of each
// fingerprint, in the order written.
func alertExemplars(t *testing.T, h *harness) map[string][]byte {
	t.Helper()
	all := h.sink.AllMetrics()
	require.NotEmpty(t, all)
	dps := all[len(all)-1].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Gauge().DataPoints()
	out := map[string][]byte{}
	for i := 0; i < dps.Len(); i++ {
		dp := dps.At(i)
		w, _ := dp.Attributes().Get("worker.name")
		var ids []byte
		for j := 0; j < dp.Exemplars().Len(); j++ {
			ex := dp.Exemplars().At(j)
			require.Equal(t, byte(0xee), ex.TraceID()[0])
			require.Equal(t, pcommon.SpanID{0xa, ex.TraceID()[15]}, ex.SpanID(), "the failed step's span travels with its trace")
			ids = append(ids, ex.TraceID()[15])
		}
		out[w.Str()] = ids
	}
	return out
}

func TestExemplarsOfTheGroupAreWrittenNewestFirst(t *testing.T) {
	rule := Rule{Name: "worker_failure", Metric: "multiagents.worker.executions", Match: map[string]string{"status": "error"},
		GroupBy: []string{"worker.name"}, Function: fnIncrease, Window: 5 * time.Minute, Condition: "> 0", Severity: "error"}
	h := newHarness(t, configWith(rule))
	h.clock.Advance(time.Second)
	// w1: five failures in three batches, one repeated (a cumulative point re-sends its
	// exemplars); w2: one failure. Only the newest 3 of w1 are kept, newest first.
	h.push(failingPoint(newMetrics(), "w1", 2, [2]int{1, 1}, [2]int{2, 2}).
		failingPointOf("w2", 1, [2]int{9, 3}).build())
	h.step(time.Second)
	h.push(failingPoint(newMetrics(), "w1", 4, [2]int{2, 2}, [2]int{4, 4}, [2]int{3, 3}).build())
	h.push(failingPoint(newMetrics(), "w1", 5, [2]int{5, 5}).build())
	points := h.step(time.Second)
	require.Equal(t, "firing", stateOf(points, "worker_failure", map[string]string{"worker.name": "w1"}))
	got := alertExemplars(t, h)
	assert.Equal(t, []byte{5, 4, 3}, got["w1"])
	assert.Equal(t, []byte{9}, got["w2"], "each group gets its own series' exemplars only")

	// Resolved, the instance keeps the evidence it had.
	h.clock.Advance(6 * time.Minute)
	h.push(failingPoint(newMetrics(), "w1", 5).failingPointOf("w2", 1).build())
	points = h.evaluate()
	require.Equal(t, "resolved", stateOf(points, "worker_failure", map[string]string{"worker.name": "w1"}))
	assert.Equal(t, []byte{5, 4, 3}, alertExemplars(t, h)["w1"])
}

func TestMaxTraceIDsZeroKeepsNoExemplars(t *testing.T) {
	rule := Rule{Name: "worker_failure", Metric: "multiagents.worker.executions", Match: map[string]string{"status": "error"},
		GroupBy: []string{"worker.name"}, Function: fnIncrease, Window: 5 * time.Minute, Condition: "> 0", Severity: "error"}
	cfg := configWith(rule)
	cfg.MaxTraceIDs = 0
	h := newHarness(t, cfg)
	h.clock.Advance(time.Second)
	h.push(failingPoint(newMetrics(), "w1", 2, [2]int{1, 1}).build())
	require.Equal(t, "firing", stateOf(h.step(time.Second), "worker_failure", nil))
	assert.Empty(t, alertExemplars(t, h)["w1"])
}

func TestAddNewestBoundsAndOrders(t *testing.T) {
	ref := func(id byte, at int) traceRef { return traceRef{traceID: traceID(id), at: pcommon.Timestamp(at)} }
	var refs []traceRef
	for _, r := range []traceRef{ref(1, 10), ref(2, 30), ref(3, 20), ref(1, 40), ref(4, 5), {at: 99}} {
		refs = addNewest(refs, r, 3)
	}
	var ids []byte
	for _, r := range refs {
		ids = append(ids, r.traceID[15])
	}
	assert.Equal(t, []byte{1, 2, 3}, ids, "trace 1 moved to the front by its newer failure, 4 too old, the empty trace id ignored")
	assert.Len(t, refs, 3)
}

func (b *metricsBuilder) failingPointOf(worker string, total int64, exemplars ...[2]int) *metricsBuilder {
	return failingPoint(b, worker, total, exemplars...)
}

// A rule's static labels identify its instances across a restart too: restored with the same
// labels it is the same instance; once its labels change (or the rule goes) the old instance
// is written resolved once with the labels and annotations it fired with.
func TestStaticLabelsSurviveRestartAndOrphaning(t *testing.T) {
	dir := t.TempDir()
	clock := newFakeClock(testEpoch)
	rule := errorRateRule(time.Minute, 0)
	rule.Labels = map[string]string{"team": "payments"}
	rule.Annotations = map[string]string{"summary": "{{ worker.name }} fails"}
	first := startRun(t, storedConfig(rule), clock, dir)
	fp := fireW1(t, first)
	first.stop()

	second := startRun(t, storedConfig(rule), clock, dir)
	second.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "w1").build())
	p, ok := pointOf(second.evaluate(), "high_error_rate")
	require.True(t, ok)
	assert.Equal(t, "firing", p.state, "same rule, same labels: the restored instance goes on")
	assert.Equal(t, fp, p.fingerprint)
	second.stop()

	moved := rule
	moved.Labels = map[string]string{"team": "checkout"}
	third := startRun(t, storedConfig(moved), clock, dir)
	points := third.evaluate()
	require.Len(t, points, 1)
	assert.Equal(t, "resolved", points[0].state, "new labels are a new alert: the old one resolves")
	assert.Equal(t, fp, points[0].fingerprint)
	assert.Equal(t, "payments", points[0].labels["team"])
	assert.Equal(t, "{{ worker.name }} fails", points[0].labels["annotations.summary"])
}
