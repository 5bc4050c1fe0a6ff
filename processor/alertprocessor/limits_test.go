package alertprocessor

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMaxInstancesOverflowIsCountedAndLoggedOncePerRule(t *testing.T) {
	cfg := configWith(errorRateRule(0, 0), Rule{
		Name: "slow", Metric: "multiagents.worker.duration.p95", GroupBy: []string{"worker.name"},
		Condition: "> 1", Severity: "warning",
	})
	cfg.MaxInstances = 3
	h := newHarness(t, cfg)
	b := newMetrics()
	for i := range 5 {
		b.gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", fmt.Sprint("w", i))
		b.gauge("multiagents.worker.duration.p95", "s", 9, "worker.name", fmt.Sprint("w", i))
	}
	h.push(b.build())
	points := h.evaluate()
	assert.Len(t, points, 3, "never more than max_instances")
	h.step(15 * time.Second)
	assert.Equal(t, int64(2*7), h.telemetry("otelcol_processor_alert_instances_overflow"), "7 refused instances per evaluation")
	assert.Len(t, h.logs.FilterMessage("max_instances reached: new alert instances of this rule are not created").All(), 2, "once per rule")
	assert.Equal(t, int64(3), h.telemetry("otelcol_processor_alert_instances"))
}

func TestMaxSeriesOverflowIsCountedAndStaleSeriesFreeRoom(t *testing.T) {
	cfg := configWith(errorRateRule(0, 0))
	cfg.MaxSeries = 2
	cfg.StaleAfter = time.Minute
	h := newHarness(t, cfg)
	h.push(newMetrics().
		gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "a").
		gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "b").
		gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "c").build())
	assert.Len(t, h.evaluate(), 2)
	assert.Equal(t, int64(1), h.telemetry("otelcol_processor_alert_series_overflow"))
	assert.Len(t, h.logs.FilterMessage("max_series reached: new series of this metric are not evaluated until old ones go stale").All(), 1)

	// a and b go stale and are evicted; c gets in.
	h.step(2 * time.Minute)
	assert.Equal(t, int64(2), h.telemetry("otelcol_processor_alert_series_evicted"))
	h.push(newMetrics().gauge("multiagents.worker.error_rate", "1", 0.5, "worker.name", "c").build())
	assert.Equal(t, "firing", stateOf(h.step(15*time.Second), "high_error_rate", map[string]string{"worker.name": "c"}))
	assert.Equal(t, int64(1), h.telemetry("otelcol_processor_alert_series"))
}

func TestSnapshotsPerSeriesAreBounded(t *testing.T) {
	r := probeRule("inc", "multiagents.events", fnIncrease, time.Minute)
	h := newHarness(t, configWith(r))
	start := testEpoch.Add(time.Second)
	for i := range 5000 {
		h.clock.Advance(37 * time.Millisecond)
		h.push(newMetrics().counter("multiagents.events", "{event}", int64(i), start, "event_type", "CommandEvent").build())
	}
	store := h.proc.alerts.stores["multiagents.events"]
	require.Len(t, store.series, 1)
	for _, s := range store.series {
		assert.LessOrEqual(t, s.snaps.len(), maxSnapshots)
		assert.GreaterOrEqual(t, s.snaps.len(), snapshotsPerWindow/2, "enough history to find the window start")
	}
	// Within the spacing of the window start: 1 event per 37 ms over 60 s.
	assert.InDelta(t, 60.0/0.037, valueOf(t, h.evaluate(), "inc", nil), 60.0/snapshotsPerWindow/0.037+1)
}
