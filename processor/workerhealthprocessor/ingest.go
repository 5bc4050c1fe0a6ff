package workerhealthprocessor

import (
	"encoding/binary"
	"math"
	"strings"

	"github.com/cespare/xxhash/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/cumulative"
)

// metricKind is what an input metric tells about workers.
type metricKind uint8

const (
	kindExecutions metricKind = iota
	kindDurations
	kindOverdue          // gauge: commands past their timeout with no result
	kindOldestPendingAge // gauge: age of the oldest command waiting for a result
)

// route says which input reads a metric name, and as what.
type route struct {
	id    uint64 // distinct per route; part of every stream key
	input *InputConfig
	kind  metricKind
}

func buildRoutes(inputs []InputConfig) map[string]route {
	routes := map[string]route{}
	for i := range inputs {
		in := &inputs[i]
		if in.ExecutionsMetric != "" {
			routes[in.ExecutionsMetric] = route{id: uint64(len(routes)) + 1, input: in, kind: kindExecutions}
		}
		if in.DurationMetric != "" {
			routes[in.DurationMetric] = route{id: uint64(len(routes)) + 1, input: in, kind: kindDurations}
		}
		if in.OverdueMetric != "" {
			routes[in.OverdueMetric] = route{id: uint64(len(routes)) + 1, input: in, kind: kindOverdue}
		}
		if in.OldestPendingAgeMetric != "" {
			routes[in.OldestPendingAgeMetric] = route{id: uint64(len(routes)) + 1, input: in, kind: kindOldestPendingAge}
		}
	}
	return routes
}

// rejectReason says why an input point could not be read; each is counted.
type rejectReason uint8

const (
	rejectWrongType rejectReason = iota
	rejectExponentialHistogram
	rejectUnknownUnit
	rejectMissingWorker
	rejectMissingStatus
	rejectInvalidValue
	rejectOutOfOrder
	rejectTooManySeries
	rejectReasonCount
)

// maxSeriesPerWorker bounds the input series one worker may have (the receiver gives it 5 per
// tier-1 replica, so 12 replicas fit; the span_metrics connector 4 per service and span kind),
// so that an input with a high-cardinality attribute cannot grow one worker's state without limit.
const maxSeriesPerWorker = 64

var rejectReasonNames = [rejectReasonCount]string{
	rejectWrongType:            "wrong_type",
	rejectExponentialHistogram: "exponential_histogram",
	rejectUnknownUnit:          "unknown_unit",
	rejectMissingWorker:        "missing_worker",
	rejectMissingStatus:        "missing_status",
	rejectInvalidValue:         "invalid_value",
	rejectOutOfOrder:           "out_of_order",
	rejectTooManySeries:        "too_many_series",
}

var rejectReasonHelp = [rejectReasonCount]string{
	rejectWrongType:            "executions metrics must be sums, duration metrics histograms, command metrics gauges",
	rejectExponentialHistogram: "exponential histograms are not read; configure explicit buckets (span_metrics: histogram.explicit)",
	rejectUnknownUnit:          "duration and age units must be s, ms, us, ns or empty (seconds)",
	rejectMissingWorker:        "the worker attribute is missing, not a string, or empty",
	rejectMissingStatus:        "the status attribute is missing",
	rejectInvalidValue:         "negative, NaN or infinite value, or bucket counts that do not match the bounds",
	rejectOutOfOrder:           "a cumulative point older than the series' last point",
	rejectTooManySeries:        "the worker already has the maximum of 64 input series; drop high-cardinality attributes from the input",
}

// ingestStats counts what ingestion and evaluation did, drained into telemetry by the processor.
type ingestStats struct {
	rejected   [rejectReasonCount]int64
	resets     int64
	evictedMax int64
	evictedTTL int64
}

// ingest reads the configured inputs out of md (without changing it) into the workers' windows.
func (t *tracker) ingest(md pmetric.Metrics, nowNs int64) {
	rms := md.ResourceMetrics()
	for i := range rms.Len() {
		rm := rms.At(i)
		resHash, hashed := uint64(0), false
		sms := rm.ScopeMetrics()
		for j := range sms.Len() {
			sm := sms.At(j)
			ms := sm.Metrics()
			for k := range ms.Len() {
				m := ms.At(k)
				r, ok := t.routes[m.Name()]
				if !ok {
					continue
				}
				if !hashed {
					resHash, hashed = hashAttributes(rm.Resource().Attributes()), true
				}
				base := resHash*31 + xxhashString(sm.Scope().Name())
				switch r.kind {
				case kindExecutions:
					t.ingestExecutions(r, base, m, nowNs)
				case kindDurations:
					t.ingestDurations(r, base, m, nowNs)
				case kindOverdue, kindOldestPendingAge:
					t.ingestCommandGauge(r, base, m, nowNs)
				}
			}
		}
	}
}

func (t *tracker) ingestExecutions(r route, base uint64, m pmetric.Metric, nowNs int64) {
	if m.Type() != pmetric.MetricTypeSum {
		t.stats.rejected[rejectWrongType] += int64(pointCount(m))
		return
	}
	sum := m.Sum()
	temporality := sum.AggregationTemporality()
	dps := sum.DataPoints()
	for i := range dps.Len() {
		dp := dps.At(i)
		v, ok := t.pointValue(dp)
		if !ok {
			continue
		}
		st := t.streamFor(r, base, dp.Attributes(), nowNs, true)
		if st == nil {
			continue
		}
		inc, outcome := st.sumIncrease(temporality, dp.StartTimestamp(), dp.Timestamp(), v)
		t.noteOutcome(outcome)
		if st.isError {
			st.worker.noteFailures(dp.Exemplars())
		}
		if inc > 0 {
			st.worker.addExecutions(nowNs, inc, st.isError)
			t.workers.touch(st.worker, nowNs)
			t.markChanged(st.worker)
		}
	}
}

// ingestCommandGauge reads one of the command gauges. Each input series (one per reporting
// instance) keeps its latest reading; the worker combines them when judged (see
// worker.commandReadings).
func (t *tracker) ingestCommandGauge(r route, base uint64, m pmetric.Metric, nowNs int64) {
	if m.Type() != pmetric.MetricTypeGauge {
		t.stats.rejected[rejectWrongType] += int64(pointCount(m))
		return
	}
	scale := 1.0
	if r.kind == kindOldestPendingAge {
		var ok bool
		if scale, ok = secondsPerUnit(m.Unit()); !ok {
			t.stats.rejected[rejectUnknownUnit] += int64(pointCount(m))
			return
		}
	}
	dps := m.Gauge().DataPoints()
	for i := range dps.Len() {
		dp := dps.At(i)
		v, ok := t.pointValue(dp)
		if !ok {
			continue
		}
		// A reading of 0 says nothing about a worker not tracked (an idle worker forgotten after
		// worker_ttl, whose gauges the receiver keeps sending): it does not bring it back.
		st := t.streamFor(r, base, dp.Attributes(), nowNs, v > 0)
		if st == nil {
			continue
		}
		if r.kind == kindOldestPendingAge {
			v *= scale
		}
		changed := st.readAt == 0 || st.reading != v
		if !st.noteReading(dp.Timestamp(), v, nowNs) {
			t.stats.rejected[rejectOutOfOrder]++
			continue
		}
		if changed {
			t.markChanged(st.worker)
		}
		if v > 0 {
			t.workers.keepAlive(st.worker, nowNs)
		}
	}
}

// numberValue reads a number point as float64 (NaN when it holds no value).
// pointValue is a number point's value, or false for a point with no recorded value (skipped)
// or a negative, NaN or infinite one (rejected and counted): neither counts nor durations can be.
func (t *tracker) pointValue(dp pmetric.NumberDataPoint) (float64, bool) {
	if dp.Flags().NoRecordedValue() {
		return 0, false
	}
	v := numberValue(dp)
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		t.stats.rejected[rejectInvalidValue]++
		return 0, false
	}
	return v, true
}

func numberValue(dp pmetric.NumberDataPoint) float64 {
	switch dp.ValueType() {
	case pmetric.NumberDataPointValueTypeInt:
		return float64(dp.IntValue())
	case pmetric.NumberDataPointValueTypeDouble:
		return dp.DoubleValue()
	}
	return math.NaN()
}

func (t *tracker) ingestDurations(r route, base uint64, m pmetric.Metric, nowNs int64) {
	switch m.Type() {
	case pmetric.MetricTypeHistogram:
	case pmetric.MetricTypeExponentialHistogram:
		t.stats.rejected[rejectExponentialHistogram] += int64(pointCount(m))
		return
	default:
		t.stats.rejected[rejectWrongType] += int64(pointCount(m))
		return
	}
	scale, ok := secondsPerUnit(m.Unit())
	if !ok {
		t.stats.rejected[rejectUnknownUnit] += int64(pointCount(m))
		return
	}
	h := m.Histogram()
	temporality := h.AggregationTemporality()
	dps := h.DataPoints()
	for i := range dps.Len() {
		dp := dps.At(i)
		if dp.Flags().NoRecordedValue() {
			continue
		}
		nBuckets, bounds := dp.BucketCounts().Len(), dp.ExplicitBounds()
		if nBuckets != 0 && nBuckets != bounds.Len()+1 {
			t.stats.rejected[rejectInvalidValue]++
			continue
		}
		if dp.HasSum() && (dp.Sum() < 0 || math.IsNaN(dp.Sum()) || math.IsInf(dp.Sum(), 0)) {
			t.stats.rejected[rejectInvalidValue]++
			continue
		}
		st := t.streamFor(r, base, dp.Attributes(), nowNs, true)
		if st == nil {
			continue
		}
		if cap(t.incBuckets) < nBuckets {
			t.incBuckets = make([]uint64, nBuckets)
		}
		inc := t.incBuckets[:nBuckets]
		count, sum, outcome := st.histogramIncrease(temporality, dp, inc)
		t.noteOutcome(outcome)
		if count == 0 {
			continue
		}
		t.scaledBounds = t.scaledBounds[:0]
		for j := range bounds.Len() {
			t.scaledBounds = append(t.scaledBounds, bounds.At(j)*scale)
		}
		sumCount := float64(count)
		if !dp.HasSum() {
			sumCount, sum = 0, 0
		}
		st.worker.addDurations(nowNs, t.scaledBounds, float64(count), sumCount, max(sum, 0)*scale, inc)
		t.workers.touch(st.worker, nowNs)
		t.markChanged(st.worker)
	}
}

func (t *tracker) noteOutcome(o cumulative.Outcome) {
	switch o {
	case cumulative.Reset:
		t.stats.resets++
	case cumulative.Stale:
		t.stats.rejected[rejectOutOfOrder]++
	}
}

// streamFor finds the series a point belongs to, creating it (and its worker) on first sight
// when create is set. It returns nil for points that are not about a worker (counted when
// malformed), and for unknown series when create is not set.
func (t *tracker) streamFor(r route, base uint64, attrs pcommon.Map, nowNs int64, create bool) *stream {
	key := streamKey(r.id, base, hashAttributes(attrs))
	if st := t.streams[key]; st != nil {
		st.seenAt = nowNs
		return st
	}
	if !create {
		return nil
	}
	name, isWorker := workerName(r.input, attrs)
	if !isWorker {
		return nil
	}
	if name == "" {
		t.stats.rejected[rejectMissingWorker]++
		return nil
	}
	isError := false
	if r.kind == kindExecutions {
		status, ok := attrs.Get(r.input.StatusAttribute)
		if !ok {
			t.stats.rejected[rejectMissingStatus]++
			return nil
		}
		s := status.AsString()
		for _, e := range r.input.ErrorValues {
			if s == e {
				isError = true
				break
			}
		}
	}
	w, evicted := t.workers.getOrAdd(name, nowNs)
	if evicted != nil {
		t.forget(evicted, nowNs)
		t.stats.evictedMax++
	}
	if len(w.streams) >= maxSeriesPerWorker && !t.reclaimAbandoned(w, nowNs) {
		t.stats.rejected[rejectTooManySeries]++
		return nil
	}
	st := &stream{worker: w, isError: isError, kind: r.kind, seenAt: nowNs, countFrom: t.countFrom()}
	if t.forgotten.take(key) {
		st.countFrom = maxTimestamp // seen before its worker was forgotten: its first point is a baseline
	}
	t.streams[key] = st
	w.streams = append(w.streams, key)
	if r.kind == kindOverdue || r.kind == kindOldestPendingAge {
		w.gauges = append(w.gauges, st)
	}
	return st
}

// workerName reads the worker a point is about. isWorker is false for points the input's
// name_prefix does not select; an empty name with isWorker true means the attribute is unusable.
func workerName(in *InputConfig, attrs pcommon.Map) (name string, isWorker bool) {
	v, ok := attrs.Get(in.WorkerAttribute)
	if !ok || v.Type() != pcommon.ValueTypeStr {
		return "", true
	}
	name = v.Str()
	if in.NamePrefix != "" {
		if !strings.HasPrefix(name, in.NamePrefix) {
			return "", false
		}
		name = name[len(in.NamePrefix):]
	}
	return name, true
}

func secondsPerUnit(unit string) (float64, bool) {
	switch unit {
	case "s", "":
		return 1, true
	case "ms":
		return 1e-3, true
	case "us":
		return 1e-6, true
	case "ns":
		return 1e-9, true
	}
	return 0, false
}

func pointCount(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	}
	return 0
}

// hashAttributes hashes an attribute map independently of its order.
func hashAttributes(m pcommon.Map) uint64 {
	var sum uint64
	for k, v := range m.All() {
		sum += hashAttribute(k, v)
	}
	return sum
}

func hashAttribute(k string, v pcommon.Value) uint64 {
	var d xxhash.Digest
	d.Reset()
	_, _ = d.WriteString(k)
	var buf [9]byte
	buf[0] = byte(v.Type())
	switch v.Type() {
	case pcommon.ValueTypeStr:
		_, _ = d.Write(buf[:1])
		_, _ = d.WriteString(v.Str())
	case pcommon.ValueTypeInt:
		binary.LittleEndian.PutUint64(buf[1:], uint64(v.Int()))
		_, _ = d.Write(buf[:])
	case pcommon.ValueTypeDouble:
		binary.LittleEndian.PutUint64(buf[1:], math.Float64bits(v.Double()))
		_, _ = d.Write(buf[:])
	case pcommon.ValueTypeBool:
		if v.Bool() {
			buf[1] = 1
		}
		_, _ = d.Write(buf[:2])
	default:
		_, _ = d.Write(buf[:1])
		_, _ = d.WriteString(v.AsString())
	}
	return d.Sum64()
}

func streamKey(routeID, base, attrs uint64) uint64 {
	var buf [24]byte
	binary.LittleEndian.PutUint64(buf[0:], routeID)
	binary.LittleEndian.PutUint64(buf[8:], base)
	binary.LittleEndian.PutUint64(buf[16:], attrs)
	return xxhash.Sum64(buf[:])
}

func xxhashString(s string) uint64 { return xxhash.Sum64String(s) }
