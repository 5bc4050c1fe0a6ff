package workerhealthprocessor

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// t0 is where test clocks start; input series started at or after it count in full.
var t0 = time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)

const (
	execName = "multiagents.worker.executions"
	durName  = "multiagents.worker.duration"
)

var (
	cumulativeTemporality = pmetric.AggregationTemporalityCumulative
	delta                 = pmetric.AggregationTemporalityDelta
)

func testConfig() *Config {
	return createDefaultConfig().(*Config)
}

func newTestTracker(cfg *Config) *tracker {
	tr := newTracker(cfg)
	tr.startedAt = pcommon.Timestamp(t0.UnixNano())
	return tr
}

// metricNamed returns the metric of that name in md's first scope, adding it when missing.
func metricNamed(md pmetric.Metrics, name string) (pmetric.Metric, bool) {
	if md.ResourceMetrics().Len() == 0 {
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().PutStr("service.name", "multiagents")
		rm.ScopeMetrics().AppendEmpty().Scope().SetName("test")
	}
	ms := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics()
	for i := range ms.Len() {
		if ms.At(i).Name() == name {
			return ms.At(i), true
		}
	}
	m := ms.AppendEmpty()
	m.SetName(name)
	return m, false
}

// addExecutions appends one point of the executions counter.
func addExecutions(md pmetric.Metrics, temp pmetric.AggregationTemporality, start, ts time.Time, worker, status string, v int64) {
	m, ok := metricNamed(md, execName)
	if !ok {
		m.SetUnit("{execution}")
		m.SetEmptySum().SetAggregationTemporality(temp)
		m.Sum().SetIsMonotonic(true)
	}
	dp := m.Sum().DataPoints().AppendEmpty()
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	dp.SetIntValue(v)
	dp.Attributes().PutStr("worker.name", worker)
	dp.Attributes().PutStr("status", status)
}

// addDurations appends one point of the duration histogram (unit s).
func addDurations(md pmetric.Metrics, temp pmetric.AggregationTemporality, start, ts time.Time, worker string, bounds []float64, counts []uint64, sum float64) {
	m, ok := metricNamed(md, durName)
	if !ok {
		m.SetUnit("s")
		m.SetEmptyHistogram().SetAggregationTemporality(temp)
	}
	dp := m.Histogram().DataPoints().AppendEmpty()
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	dp.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	dp.ExplicitBounds().FromRaw(bounds)
	dp.BucketCounts().FromRaw(counts)
	var n uint64
	for _, c := range counts {
		n += c
	}
	dp.SetCount(n)
	dp.SetSum(sum)
	dp.Attributes().PutStr("worker.name", worker)
}

// series flattens health output into "metric{worker,extra}" → value.
func series(md pmetric.Metrics) map[string]float64 {
	out := map[string]float64{}
	rms := md.ResourceMetrics()
	for i := range rms.Len() {
		sms := rms.At(i).ScopeMetrics()
		for j := range sms.Len() {
			ms := sms.At(j).Metrics()
			for k := range ms.Len() {
				m := ms.At(k)
				if m.Type() != pmetric.MetricTypeGauge {
					continue
				}
				dps := m.Gauge().DataPoints()
				for l := range dps.Len() {
					dp := dps.At(l)
					var labels []string
					for key, v := range dp.Attributes().All() {
						labels = append(labels, key+"="+v.AsString())
					}
					sort.Strings(labels)
					out[fmt.Sprintf("%s{%s}", m.Name(), strings.Join(labels, ","))] = dp.DoubleValue()
				}
			}
		}
	}
	return out
}

func healthKey(worker, state string) string {
	return fmt.Sprintf("%s{state=%s,worker.name=%s}", metricHealth, state, worker)
}

func issueKey(worker, is string) string {
	return fmt.Sprintf("%s{issue=%s,worker.name=%s}", metricIssue, is, worker)
}

func gaugeKey(metric, worker string) string {
	return fmt.Sprintf("%s{worker.name=%s}", metric, worker)
}

// stateOf reads which state series is 1 for a worker; "" when none or several.
func stateOf(s map[string]float64, worker string) string {
	found := ""
	for _, st := range stateNames {
		if s[healthKey(worker, st)] == 1 {
			if found != "" {
				return ""
			}
			found = st
		}
	}
	return found
}
