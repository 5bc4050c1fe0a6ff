package alertprocessor

import (
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// metricStore holds the series of one metric that at least one rule reads.
type metricStore struct {
	name   string
	rules  []*compiledRule
	window time.Duration // the longest look-back of its rules; 0 when only `value` is read
	series map[uint64]*series
	attrs  metric.MeasurementOption // the metric attribute of the processor's own telemetry

	loggedOverflow    bool
	loggedUnsupported bool
}

func newMetricStores(rules []*compiledRule, processorAttr attribute.KeyValue) map[string]*metricStore {
	stores := map[string]*metricStore{}
	for _, r := range rules {
		ms := stores[r.cfg.Metric]
		if ms == nil {
			ms = &metricStore{
				name:   r.cfg.Metric,
				series: map[uint64]*series{},
				attrs:  metric.WithAttributeSet(attribute.NewSet(processorAttr, attribute.String("metric", r.cfg.Metric))),
			}
			stores[r.cfg.Metric] = ms
		}
		ms.rules = append(ms.rules, r)
		ms.window = max(ms.window, r.lookBack())
	}
	return stores
}

// ingest remembers the latest state of every series a rule reads, and tells whether md held
// any. It never changes md. The caller holds p.mu.
func (p *alertProcessor) ingest(md pmetric.Metrics, now time.Time) (read bool) {
	rms := md.ResourceMetrics()
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		resource := rm.Resource().Attributes()
		resourceHashed := false
		var resourceKey uint64
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				store := p.stores[m.Name()]
				if store == nil {
					continue
				}
				if !resourceHashed {
					resourceKey = mix64(seriesHash(p.seed, resource) ^ 0x5bd1e995)
					resourceHashed = true
				}
				p.ingestMetric(store, m, resource, resourceKey, now)
				read = true
			}
		}
	}
	return read
}

func (p *alertProcessor) ingestMetric(store *metricStore, m pmetric.Metric, resource pcommon.Map, resourceKey uint64, now time.Time) {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		p.ingestNumbers(store, m.Gauge().DataPoints(), typeGauge, false, resource, resourceKey, now)
	case pmetric.MetricTypeSum:
		sum := m.Sum()
		if !sum.IsMonotonic() {
			// An up-down counter is read like a gauge: its value, not its increase.
			p.ingestNumbers(store, sum.DataPoints(), typeGauge, false, resource, resourceKey, now)
			return
		}
		p.ingestNumbers(store, sum.DataPoints(), typeCounter,
			sum.AggregationTemporality() == pmetric.AggregationTemporalityCumulative, resource, resourceKey, now)
	case pmetric.MetricTypeHistogram:
		h := m.Histogram()
		cumulative := h.AggregationTemporality() == pmetric.AggregationTemporalityCumulative
		dps := h.DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			if dp.Flags().NoRecordedValue() {
				continue
			}
			if dp.BucketCounts().Len() != dp.ExplicitBounds().Len()+1 || math.IsNaN(dp.Sum()) {
				p.unsupported(store, 1, "histogram point with bucket counts not matching its bounds")
				continue
			}
			s := p.seriesFor(store, dp.Attributes(), resource, resourceKey, typeHistogram, now)
			if s == nil {
				continue
			}
			n := dp.BucketCounts().Len()
			if cap(p.incBuckets) < n {
				p.incBuckets = make([]uint64, n)
			}
			s.observeHistogram(now, dp, cumulative, p.startedAfterUs(dp.StartTimestamp()), p.incBuckets[:n])
			s.record(now, store.window)
			s.traces = keepExemplars(s.traces, dp.Exemplars(), p.cfg.MaxTraceIDs)
		}
	default:
		p.unsupported(store, dataPointCount(m), "metric type "+m.Type().String()+" is not read by any rule function")
	}
}

func (p *alertProcessor) ingestNumbers(store *metricStore, dps pmetric.NumberDataPointSlice, kind metricType, cumulative bool, resource pcommon.Map, resourceKey uint64, now time.Time) {
	for i := 0; i < dps.Len(); i++ {
		dp := dps.At(i)
		var v float64
		switch dp.ValueType() {
		case pmetric.NumberDataPointValueTypeDouble:
			v = dp.DoubleValue()
		case pmetric.NumberDataPointValueTypeInt:
			v = float64(dp.IntValue())
		default:
			p.unsupported(store, 1, "number point without a value")
			continue
		}
		if dp.Flags().NoRecordedValue() || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		s := p.seriesFor(store, dp.Attributes(), resource, resourceKey, kind, now)
		if s == nil {
			continue
		}
		if kind == typeGauge {
			s.observeGauge(now, v)
		} else {
			s.observeCounter(now, v, cumulative, dp.StartTimestamp(), dp.Timestamp(), p.startedAfterUs(dp.StartTimestamp()))
		}
		s.record(now, store.window)
		s.traces = keepExemplars(s.traces, dp.Exemplars(), p.cfg.MaxTraceIDs)
	}
}

// startedAfterUs says whether a cumulative series began while the processor was running, so
// that its first point is all increase (an error counter born at 1 is one error); otherwise
// its first point only sets the baseline, as in Prometheus.
func (p *alertProcessor) startedAfterUs(start pcommon.Timestamp) bool {
	return start != 0 && start >= p.startedAt
}

// seriesFor finds or creates the series of a point; nil when max_series stops a new one.
func (p *alertProcessor) seriesFor(store *metricStore, attrs, resource pcommon.Map, resourceKey uint64, kind metricType, now time.Time) *series {
	key := seriesHash(p.seed, attrs) + resourceKey
	s := store.series[key]
	if s != nil && s.kind == kind {
		return s
	}
	if s == nil {
		if p.seriesCount >= p.cfg.MaxSeries {
			p.telemetry.ProcessorAlertSeriesOverflow.Add(p.ctx, 1, store.attrs)
			if !store.loggedOverflow {
				store.loggedOverflow = true
				p.logger.Warn("max_series reached: new series of this metric are not evaluated until old ones go stale",
					zap.String("metric", store.name), zap.Int("max_series", p.cfg.MaxSeries))
			}
			return nil
		}
		p.seriesCount++
	}
	// New series, or the metric changed type under the same name: start over.
	s = newSeries(kind, now)
	s.logicalKey = logicalSeriesKey(p.seed, attrs, resource)
	for _, r := range store.rules {
		if m, ok := r.membership(attrs, resource); ok {
			s.members = append(s.members, m)
		}
	}
	if store.window > 0 {
		s.startSnapshots(now)
	}
	store.series[key] = s
	return s
}

func (p *alertProcessor) unsupported(store *metricStore, n int, reason string) {
	p.telemetry.ProcessorAlertUnsupportedPoints.Add(p.ctx, int64(n), store.attrs)
	if !store.loggedUnsupported {
		store.loggedUnsupported = true
		p.logger.Warn("data points of a rule's metric are skipped", zap.String("metric", store.name), zap.String("reason", reason))
	}
}

func dataPointCount(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	}
	return 1
}
