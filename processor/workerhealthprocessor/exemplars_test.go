package workerhealthprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/otelcol-multiagents/otelcol-multiagents/processor/workerhealthprocessor/internal/metadata"
)

// addFailingExecutions appends an error point carrying exemplars (trace byte, seconds after t0).
func addFailingExecutions(md pmetric.Metrics, ts time.Time, worker string, v int64, exemplars ...[2]int) {
	addExecutions(md, cumulativeTemporality, t0, ts, worker, "error", v)
	m, _ := metricNamed(md, execName)
	dp := m.Sum().DataPoints().At(m.Sum().DataPoints().Len() - 1)
	for _, e := range exemplars {
		ex := dp.Exemplars().AppendEmpty()
		ex.SetTraceID(pcommon.TraceID{0: 0xee, 15: byte(e[0])})
		ex.SetSpanID(pcommon.SpanID{0: 0x5, 7: byte(e[0])})
		ex.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(time.Duration(e[1]) * time.Second)))
		ex.SetIntValue(1)
	}
}

// pointExemplars returns the trace bytes of the exemplars on the worker's point of metric
// (and state, for the health metric) in the last health batch.
func pointExemplars(t *testing.T, md pmetric.Metrics, metric, worker, state string) []byte {
	t.Helper()
	m, ok := metricNamed(md, metric)
	require.True(t, ok, metric)
	dps := m.Gauge().DataPoints()
	for i := range dps.Len() {
		dp := dps.At(i)
		w, _ := dp.Attributes().Get(attrWorkerName)
		s, _ := dp.Attributes().Get(attrState)
		if w.Str() != worker || (state != "" && s.Str() != state) {
			continue
		}
		var ids []byte
		for j := range dp.Exemplars().Len() {
			ex := dp.Exemplars().At(j)
			require.Equal(t, pcommon.SpanID{0: 0x5, 7: ex.TraceID()[15]}, ex.SpanID(), "the failed step's span passes through")
			ids = append(ids, ex.TraceID()[15])
		}
		return ids
	}
	t.Fatalf("no %s point for %s %s", metric, worker, state)
	return nil
}

func TestFailingExemplarsPassOntoHealthAndErrorRate(t *testing.T) {
	cfg := testConfig()
	clk := newFakeClock(t0)
	p, sink := startProcessor(t, cfg, clk, processortest.NewNopSettings(metadata.Type))
	ctx := context.Background()

	md := pmetric.NewMetrics()
	addExecutions(md, cumulativeTemporality, t0, t0, "pay", "success", 20)
	addFailingExecutions(md, t0, "pay", 2, [2]int{1, 1}, [2]int{2, 2})
	addExecutions(md, cumulativeTemporality, t0, t0, "ship", "success", 20)
	addFailingExecutions(md, t0, "ship", 0) // no failure, no exemplar
	require.NoError(t, p.ConsumeMetrics(ctx, md))
	clk.Advance(5 * time.Second)
	md = pmetric.NewMetrics()
	// The cumulative point repeats exemplar 2 and adds 3, 4 (out of order): newest three kept.
	addExecutions(md, cumulativeTemporality, t0, clk.Now(), "pay", "success", 20)
	addFailingExecutions(md, clk.Now(), "pay", 20, [2]int{2, 2}, [2]int{4, 4}, [2]int{3, 3})
	require.NoError(t, p.ConsumeMetrics(ctx, md))
	tickAndWait(t, clk, sink, cfg.HealthCheckInterval)
	batches := healthBatches(sink)
	last := batches[len(batches)-1]

	s := series(last)
	require.NotEqual(t, "healthy", stateOf(s, "pay"))
	state := stateOf(s, "pay")
	assert.Equal(t, []byte{4, 3, 2}, pointExemplars(t, last, metricHealth, "pay", state), "on the current state's point, newest first")
	for _, other := range stateNames {
		if other != state {
			assert.Empty(t, pointExemplars(t, last, metricHealth, "pay", other), "not on the 0-valued states")
		}
	}
	assert.Equal(t, []byte{4, 3, 2}, pointExemplars(t, last, metricErrorRate, "pay", ""))
	assert.Empty(t, pointExemplars(t, last, metricErrorRate, "ship", ""))
	assert.Empty(t, pointExemplars(t, last, metricHealth, "ship", "healthy"), "a healthy worker's point carries none")
	m, _ := metricNamed(last, metricSuccessRate)
	for i := range m.Gauge().DataPoints().Len() {
		assert.Equal(t, 0, m.Gauge().DataPoints().At(i).Exemplars().Len(), "other series carry none")
	}
}
