package multiagentsreceiver

import (
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/metricnames"
	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/metadata"
)

// Metric names and attribute keys: the contract in docs/architecture.md.
const (
	metricEvents           = metricnames.Events
	metricEventDuration    = metricnames.EventDuration
	metricWorkerExecutions = metricnames.WorkerExecutions
	metricWorkerDuration   = metricnames.WorkerDuration
	metricWorkflows        = metricnames.Workflows
	metricWorkflowDuration = metricnames.WorkflowDuration
	metricActiveWorkflows  = metricnames.ActiveWorkflows
	metricSystemCPU        = metricnames.SystemCPU
	metricSystemMemory     = metricnames.SystemMemory

	attrEventType  = "event_type"
	attrStatus     = "status"
	attrWorkerName = "worker.name"
	attrWorkflowID = "workflow.id"

	statusSuccess = "success"
	statusError   = "error"
)

// maxSeriesPerMetric bounds the label sets per metric; worker and workflow names are free
// text from the bus. Past it, values land in one series marked otel.metric.overflow, as the
// OpenTelemetry SDK does.
const maxSeriesPerMetric = 2000

const overflowKey = "\x00overflow"

// durationBounds are histogram bucket bounds in seconds, from 5 ms to 1 h.
var durationBounds = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

type labelPair struct{ a, b string }

// maxExemplarsPerSeries bounds the exemplars kept (and written) per failing series: the most
// recent failing transactions, so an alert can link to them. Each is one trace the receiver
// exported; three are enough to open from a page and keep every point small.
const maxExemplarsPerSeries = 3

// failureRef is a failing transaction behind a point: its trace, the span of what failed
// (the step, or the workflow's root), and when. The zero value (no trace) is not recorded.
type failureRef struct {
	traceID pcommon.TraceID
	spanID  pcommon.SpanID
	at      time.Time
}

// recordFailure keeps ref among the series' newest maxExemplarsPerSeries, newest first. The
// series key is the one its count uses (overflow included), so the map is bounded like it.
func recordFailure(m map[labelPair][]failureRef, k labelPair, ref failureRef) {
	if ref.traceID.IsEmpty() {
		return
	}
	refs := m[k]
	pos := len(refs)
	for i := range refs {
		if !ref.at.Before(refs[i].at) {
			pos = i
			break
		}
	}
	if pos >= maxExemplarsPerSeries {
		return
	}
	if len(refs) < maxExemplarsPerSeries {
		refs = append(refs, failureRef{})
	}
	copy(refs[pos+1:], refs[pos:len(refs)-1])
	refs[pos] = ref
	m[k] = refs
}

// putExemplars writes a series' failures on its point, newest first, each counting one.
func putExemplars(dst pmetric.ExemplarSlice, refs []failureRef) {
	for _, r := range refs {
		ex := dst.AppendEmpty()
		ex.SetTraceID(r.traceID)
		ex.SetSpanID(r.spanID)
		ex.SetTimestamp(pcommon.NewTimestampFromTime(r.at))
		ex.SetIntValue(1)
	}
}

type histogram struct {
	counts []uint64
	count  uint64
	sum    float64
	min    float64
	max    float64
}

func (h *histogram) record(v float64) {
	if h.counts == nil {
		h.counts = make([]uint64, len(durationBounds)+1)
		h.min, h.max = v, v
	}
	i := sort.SearchFloat64s(durationBounds, v) // first bound >= v: OTel buckets are (prev, bound]
	h.counts[i]++
	h.count++
	h.sum += v
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

// workflowMetrics accumulates the cumulative metrics of the receiver table. It is guarded
// by the assembler's lock.
type workflowMetrics struct {
	start time.Time

	events           map[labelPair]int64 // event_type, status
	eventDuration    map[string]*histogram
	workerExecutions map[labelPair]int64 // worker.name, status
	workerDuration   map[string]*histogram
	workflows        map[labelPair]int64 // workflow.id, status
	workflowDuration map[string]*histogram

	// The newest failing transactions of the error series of workerExecutions and of the
	// unsuccessful series of workflows, written as exemplars on their points.
	workerFailures   map[labelPair][]failureRef
	workflowFailures map[labelPair][]failureRef

	// genAITokens counts tokens by worker.name and gen_ai.token.type; nil until genai reads
	// a usage, so the default output has no such metric (genai.go).
	genAITokens map[labelPair]int64

	// workflowGauges computes the per-workflow open/idle/stuck gauges (stuck.go); called
	// under the assembler's lock by build.
	workflowGauges func(now time.Time) map[string]*workflowGauge
}

func newWorkflowMetrics(start time.Time) *workflowMetrics {
	return &workflowMetrics{
		start:            start,
		events:           map[labelPair]int64{},
		eventDuration:    map[string]*histogram{},
		workerExecutions: map[labelPair]int64{},
		workerDuration:   map[string]*histogram{},
		workflows:        map[labelPair]int64{},
		workflowDuration: map[string]*histogram{},
		workerFailures:   map[labelPair][]failureRef{},
		workflowFailures: map[labelPair][]failureRef{},
	}
}

// addPair counts one at k and returns the series key it was counted under (the overflow
// series past maxSeriesPerMetric).
func addPair(m map[labelPair]int64, k labelPair) labelPair {
	if _, ok := m[k]; !ok && len(m) >= maxSeriesPerMetric {
		k = labelPair{a: overflowKey, b: overflowKey}
	}
	m[k]++
	return k
}

func recordHistogram(m map[string]*histogram, k string, seconds float64) {
	if seconds < 0 {
		return // publisher clocks differ; a negative span of time says nothing
	}
	h, ok := m[k]
	if !ok {
		if len(m) >= maxSeriesPerMetric {
			k = overflowKey
			h = m[k]
		}
		if h == nil {
			h = &histogram{}
			m[k] = h
		}
	}
	h.record(seconds)
}

func (wm *workflowMetrics) event(eventType string, ok bool) {
	addPair(wm.events, labelPair{eventType, statusLabel(ok)})
}

func (wm *workflowMetrics) eventDurationSeconds(eventType string, d time.Duration) {
	recordHistogram(wm.eventDuration, eventType, d.Seconds())
}

// workerExecution counts one execution; a failed one with a known trace (failed) is kept as
// an exemplar of the worker's error series.
func (wm *workflowMetrics) workerExecution(worker string, ok bool, d time.Duration, hasDuration bool, failed failureRef) {
	k := addPair(wm.workerExecutions, labelPair{worker, statusLabel(ok)})
	if !ok {
		recordFailure(wm.workerFailures, k, failed)
	}
	if hasDuration {
		recordHistogram(wm.workerDuration, worker, d.Seconds())
	}
}

// workflowEnded counts one ended workflow; an unsuccessful one with a known trace (failed)
// is kept as an exemplar of its series.
func (wm *workflowMetrics) workflowEnded(workflowID, status string, d time.Duration, hasDuration bool, failed failureRef) {
	k := addPair(wm.workflows, labelPair{workflowID, status})
	if status != workflowCompleted {
		recordFailure(wm.workflowFailures, k, failed)
	}
	if hasDuration {
		recordHistogram(wm.workflowDuration, workflowID, d.Seconds())
	}
}

func statusLabel(ok bool) string {
	if ok {
		return statusSuccess
	}
	return statusError
}

// hostUtilisation is the host's CPU and memory use in percent; ok is false when unknown.
type hostUtilisation struct {
	cpuPercent, memoryPercent float64
	cpuOK, memoryOK           bool
}

// build writes the current cumulative state as one pmetric.Metrics.
func (wm *workflowMetrics) build(now time.Time, activeWorkflows int, host hostUtilisation) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", serviceName)
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(metadata.ScopeName)
	ms := sm.Metrics()
	start := pcommon.NewTimestampFromTime(wm.start)
	ts := pcommon.NewTimestampFromTime(now)

	buildSum(ms, metricEvents, "Events seen on the framework's bus, by event type and outcome.", "{event}", wm.events, attrEventType, attrStatus, start, ts, nil)
	buildHistogram(ms, metricEventDuration, "Time from a CommandEvent to its result or timeout, and from a workflow's start StatusEvent to its terminal one.", wm.eventDuration, attrEventType, start, ts)
	buildSum(ms, metricWorkerExecutions, "Commands that reached an outcome, by worker and outcome.", "{execution}", wm.workerExecutions, attrWorkerName, attrStatus, start, ts, wm.workerFailures)
	buildHistogram(ms, metricWorkerDuration, "Time from a command to its result or timeout, by worker.", wm.workerDuration, attrWorkerName, start, ts)
	buildSum(ms, metricWorkflows, "Workflows that ended, by workflow id and final status.", "{workflow}", wm.workflows, attrWorkflowID, attrStatus, start, ts, wm.workflowFailures)
	buildHistogram(ms, metricWorkflowDuration, "Workflow run time from start to its terminal status.", wm.workflowDuration, attrWorkflowID, start, ts)
	buildSum(ms, metricGenAITokens, "Tokens reported in worker results (genai.usage), by worker and token type.", "{token}", wm.genAITokens, attrWorkerName, attrGenAITokenType, start, ts, nil)

	active := ms.AppendEmpty()
	active.SetName(metricActiveWorkflows)
	active.SetDescription("Workflows started and not yet ended.")
	active.SetUnit("{workflow}")
	dp := active.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(ts)
	dp.SetIntValue(int64(activeWorkflows))
	if wm.workflowGauges != nil {
		buildWorkflowGauges(ms, wm.workflowGauges(now), ts)
	}

	if host.cpuOK {
		buildPercentGauge(ms, metricSystemCPU, "Host CPU utilisation.", host.cpuPercent, ts)
	}
	if host.memoryOK {
		buildPercentGauge(ms, metricSystemMemory, "Host memory utilisation.", host.memoryPercent, ts)
	}
	return md
}

func buildPercentGauge(ms pmetric.MetricSlice, name, desc string, v float64, ts pcommon.Timestamp) {
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetDescription(desc)
	m.SetUnit("%")
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(ts)
	dp.SetDoubleValue(v)
}

func putOverflowOr(attrs pcommon.Map, key, value string) {
	if value == overflowKey {
		attrs.PutBool("otel.metric.overflow", true)
		return
	}
	attrs.PutStr(key, value)
}

func buildSum(ms pmetric.MetricSlice, name, desc, unit string, values map[labelPair]int64, keyA, keyB string, start, ts pcommon.Timestamp, failures map[labelPair][]failureRef) {
	if len(values) == 0 {
		return
	}
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetDescription(desc)
	m.SetUnit(unit)
	sum := m.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	keys := make([]labelPair, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].a != keys[j].a {
			return keys[i].a < keys[j].a
		}
		return keys[i].b < keys[j].b
	})
	for _, k := range keys {
		dp := sum.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(ts)
		dp.SetIntValue(values[k])
		putExemplars(dp.Exemplars(), failures[k])
		if k.a == overflowKey {
			dp.Attributes().PutBool("otel.metric.overflow", true)
			continue
		}
		dp.Attributes().PutStr(keyA, k.a)
		dp.Attributes().PutStr(keyB, k.b)
	}
}

func buildHistogram(ms pmetric.MetricSlice, name, desc string, values map[string]*histogram, key string, start, ts pcommon.Timestamp) {
	if len(values) == 0 {
		return
	}
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetDescription(desc)
	m.SetUnit("s")
	hist := m.SetEmptyHistogram()
	hist.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h := values[k]
		dp := hist.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(start)
		dp.SetTimestamp(ts)
		dp.SetCount(h.count)
		dp.SetSum(h.sum)
		dp.SetMin(h.min)
		dp.SetMax(h.max)
		dp.ExplicitBounds().FromRaw(durationBounds)
		dp.BucketCounts().FromRaw(h.counts)
		putOverflowOr(dp.Attributes(), key, k)
	}
}
