package alertprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
	"github.com/otelcol-multiagents/otelcol-multiagents/processor/alertprocessor/internal/metadata"
)

// fakeClock is the injectable clock of the state-machine tests: it moves only when told.
type fakeClock = clockwork.FakeClock

func newFakeClock(at time.Time) *fakeClock { return clockwork.NewFakeClockAt(at) }

// setClock moves c to at, forward or back.
func setClock(c *fakeClock, at time.Time) { c.Advance(at.Sub(c.Now())) }

// harness is the real processor (factory path, processorhelper wrapper) with a fake clock, a
// sink as next consumer, an in-memory meter and an observed logger.
type harness struct {
	t     *testing.T
	clock *fakeClock
	proc  *metricsProcessor
	sink  *consumertest.MetricsSink
	tel   *componenttest.Telemetry
	logs  *observer.ObservedLogs
}

var testEpoch = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, cfg *Config) *harness {
	t.Helper()
	return newHarnessWithClock(t, cfg, newFakeClock(testEpoch))
}

// newHarnessWithClock is newHarness on a given clock, so that a processor started after
// another one's shutdown (a restart) continues its time.
func newHarnessWithClock(t *testing.T, cfg *Config, clock *fakeClock) *harness {
	t.Helper()
	require.NoError(t, cfg.Validate())
	h := &harness{t: t, clock: clock, sink: new(consumertest.MetricsSink), tel: componenttest.NewTelemetry()}
	t.Cleanup(func() { require.NoError(t, h.tel.Shutdown(context.Background())) })
	set := processortest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = h.tel.NewTelemetrySettings()
	core, logs := observer.New(zap.DebugLevel)
	set.Logger = zap.New(core)
	h.logs = logs
	var err error
	h.proc, err = newMetricsProcessor(context.Background(), set, cfg, h.sink, h.clock)
	require.NoError(t, err)
	return h
}

// configWith is the default configuration with the given rules, evaluated only when a test
// says so (evaluate, step): the state-machine tests place every evaluation by hand. Evaluation on
// arrival has its own tests (arrival_test.go).
func configWith(rules ...Rule) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Rules = rules
	cfg.EvaluateOnArrival = false
	return cfg
}

func (h *harness) push(md pmetric.Metrics) {
	h.t.Helper()
	require.NoError(h.t, h.proc.ConsumeMetrics(context.Background(), md))
}

// evaluate runs one evaluation at the clock's time and returns the alert points it wrote.
func (h *harness) evaluate() []alertPoint {
	h.t.Helper()
	before := len(h.sink.AllMetrics())
	h.proc.alerts.evaluateAndEmit(context.Background())
	all := h.sink.AllMetrics()
	if len(all) == before {
		return nil
	}
	require.Len(h.t, all, before+1, "one pmetric.Metrics per evaluation")
	return parseAlerts(h.t, all[before])
}

// step advances the clock and evaluates.
func (h *harness) step(d time.Duration) []alertPoint {
	h.clock.Advance(d)
	return h.evaluate()
}

// telemetry sums the points of one of the processor's own metrics (0 when never recorded).
func (h *harness) telemetry(name string) int64 {
	h.t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	var total int64
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			total += dp.Value
		}
	case metricdata.Gauge[int64]:
		for _, dp := range d.DataPoints {
			total += dp.Value
		}
	default:
		h.t.Fatalf("unexpected telemetry data %T", m.Data)
	}
	return total
}

// alertPoint is one multiagents.alerts point, flattened.
type alertPoint struct {
	name, state, severity, fingerprint, description, threshold, cooldown string
	labels                                                               map[string]string
	value                                                                float64
}

func parseAlerts(t *testing.T, md pmetric.Metrics) []alertPoint {
	t.Helper()
	require.Equal(t, 1, md.ResourceMetrics().Len())
	sm := md.ResourceMetrics().At(0).ScopeMetrics()
	require.Equal(t, 1, sm.Len())
	require.Equal(t, metadata.ScopeName, sm.At(0).Scope().Name())
	ms := sm.At(0).Metrics()
	require.Equal(t, 1, ms.Len())
	m := ms.At(0)
	require.Equal(t, alertstate.MetricName, m.Name())
	require.Equal(t, pmetric.MetricTypeGauge, m.Type())
	require.Empty(t, m.Unit())
	var out []alertPoint
	dps := m.Gauge().DataPoints()
	for i := 0; i < dps.Len(); i++ {
		dp := dps.At(i)
		p := alertPoint{value: dp.DoubleValue(), labels: map[string]string{}}
		for k, v := range dp.Attributes().All() {
			switch k {
			case alertstate.AttrAlertName:
				p.name = v.Str()
			case alertstate.AttrAlertState:
				p.state = v.Str()
			case alertstate.AttrSeverity:
				p.severity = v.Str()
			case alertstate.AttrFingerprint:
				p.fingerprint = v.Str()
			case alertstate.AttrDescription:
				p.description = v.Str()
			case alertstate.AttrThreshold:
				p.threshold = v.Str()
			case alertstate.AttrCooldown:
				p.cooldown = v.Str()
			default:
				p.labels[k] = v.Str()
			}
		}
		out = append(out, p)
	}
	return out
}

// stateOf returns the alertstate of the rule's instance with the given group labels, or ""
// when no such instance was written.
func stateOf(points []alertPoint, rule string, labels map[string]string) string {
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
			return p.state
		}
	}
	return ""
}

// metricsBuilder writes metrics in the shapes of the architecture's contract tables.
type metricsBuilder struct {
	md pmetric.Metrics
	sm pmetric.ScopeMetrics
}

func newMetrics() *metricsBuilder {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "otelcol-multiagents")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver")
	return &metricsBuilder{md: md, sm: sm}
}

func putAttrs(m pcommon.Map, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		m.PutStr(kv[i], kv[i+1])
	}
}

// gauge adds one gauge point, e.g. gauge("multiagents.worker.error_rate", "1", 0.2, "worker.name", "w1").
func (b *metricsBuilder) gauge(name, unit string, v float64, kv ...string) *metricsBuilder {
	m := b.sm.Metrics().AppendEmpty()
	m.SetName(name)
	m.SetUnit(unit)
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetDoubleValue(v)
	putAttrs(dp.Attributes(), kv...)
	return b
}

// counter adds a monotonic cumulative sum point started at start.
func (b *metricsBuilder) counter(name, unit string, v int64, start time.Time, kv ...string) *metricsBuilder {
	return b.sum(name, unit, v, start, pmetric.AggregationTemporalityCumulative, kv...)
}

func (b *metricsBuilder) sum(name, unit string, v int64, start time.Time, temporality pmetric.AggregationTemporality, kv ...string) *metricsBuilder {
	m := b.sm.Metrics().AppendEmpty()
	m.SetName(name)
	m.SetUnit(unit)
	s := m.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(temporality)
	dp := s.DataPoints().AppendEmpty()
	dp.SetIntValue(v)
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	putAttrs(dp.Attributes(), kv...)
	return b
}

// histogram adds a cumulative histogram point with explicit bounds (seconds).
func (b *metricsBuilder) histogram(name string, bounds []float64, counts []uint64, sum float64, start time.Time, kv ...string) *metricsBuilder {
	m := b.sm.Metrics().AppendEmpty()
	m.SetName(name)
	m.SetUnit("s")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dp := h.DataPoints().AppendEmpty()
	dp.ExplicitBounds().FromRaw(bounds)
	dp.BucketCounts().FromRaw(counts)
	var n uint64
	for _, c := range counts {
		n += c
	}
	dp.SetCount(n)
	dp.SetSum(sum)
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	putAttrs(dp.Attributes(), kv...)
	return b
}

func (b *metricsBuilder) build() pmetric.Metrics { return b.md }

// countState counts the points written with the given alertstate.
func countState(points []alertPoint, state string) int {
	n := 0
	for _, p := range points {
		if p.state == state {
			n++
		}
	}
	return n
}

// instancesGauge reads otelcol_processor_alert_instances for one state.
func (h *harness) instancesGauge(state string) int64 {
	h.t.Helper()
	m, err := h.tel.GetMetric("otelcol_processor_alert_instances")
	require.NoError(h.t, err)
	gauge, ok := m.Data.(metricdata.Gauge[int64])
	require.True(h.t, ok, "gauge, got %T", m.Data)
	for _, dp := range gauge.DataPoints {
		if v, ok := dp.Attributes.Value("state"); ok && v.AsString() == state {
			return dp.Value
		}
	}
	h.t.Fatalf("no instances point for state %q", state)
	return 0
}
