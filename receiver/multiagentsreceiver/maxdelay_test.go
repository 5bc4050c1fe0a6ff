package multiagentsreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withMaxDelay sends changes every d, on top of the harness's hour-long metrics.interval.
func withMaxDelay(d time.Duration) harnessOption {
	return func(h *harness) { h.cfg.Metrics.MaxDelay = d }
}

// emissions is how many times the metrics went out so far.
func (h *harness) emissions() int { return len(h.metrics.AllMetrics()) }

// settle waits until no emission has happened for quiet, and returns the count.
func (h *harness) settle(quiet time.Duration) int {
	h.t.Helper()
	n := h.emissions()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		time.Sleep(quiet)
		m := h.emissions()
		if m == n {
			return n
		}
		n = m
	}
	h.t.Fatalf("the metrics kept going out with nothing changing (%d emissions)", n)
	return 0
}

// An event is sent within max_delay, long before metrics.interval (an hour here); with nothing
// changing, nothing is sent: an idle bus costs one look per tick, not an emission.
func TestAChangeIsSentWithinMaxDelayAndIdleSendsNothing(t *testing.T) {
	h := startHarness(t, withMaxDelay(20*time.Millisecond))
	const tx = "7e000000-0000-4000-8000-000000000001"
	// The subscription changed the bus gauges: that went out, then nothing more.
	before := h.settle(200 * time.Millisecond)
	require.Positive(t, before, "the bus becoming connected is a change")

	h.publish(ch+"status.workflow", statusEvent("s1", tx, "wf", "2025-08-05T04:00:00", "running", "Workflow started"))
	require.Eventually(t, func() bool { return h.emissions() > before }, 5*time.Second, 5*time.Millisecond,
		"the event's change was not sent within max_delay")
	after := h.settle(200 * time.Millisecond)
	assert.LessOrEqual(t, after-before, 2, "one change, one emission (two if the tick split the apply)")
	last := h.metrics.AllMetrics()[after-1]
	assert.Equal(t, map[string]int64{"event_type=StatusEvent,status=success": 1}, sumValues(t, last, metricEvents))
}

// Time alone changes the command gauges: a command passing its timeout_seconds makes its worker
// overdue, and that is sent at the next tick after the moment, with no event to prompt it.
func TestACommandTurningOverdueIsSentWithoutAnEvent(t *testing.T) {
	h := startHarness(t, withMaxDelay(20*time.Millisecond))
	const tx = "7e000000-0000-4000-8000-000000000002"
	h.publish(ch+"status.workflow", statusEvent("s1", tx, "wf", "2025-08-05T04:00:00", "running", "Workflow started"))
	h.publish(ch+"command.ship_order", commandEvent("c1", tx, "wf", "ship_order", "ship_order", "2025-08-05T04:00:01", 30, `{}`))
	h.waitProcessed(2)
	before := h.settle(200 * time.Millisecond)
	got := commandGaugeValues(t, h.metrics.AllMetrics()[before-1])
	assert.Equal(t, int64(0), got["ship_order"].overdue)

	h.clock.Advance(29 * time.Second) // not overdue yet: nothing to send
	assert.Equal(t, before, h.settle(200*time.Millisecond), "the oldest age grows, but nothing crossed a line")

	h.clock.Advance(2 * time.Second) // past timeout_seconds (30 s)
	require.Eventually(t, func() bool { return h.emissions() > before }, 5*time.Second, 5*time.Millisecond,
		"the command turning overdue was not sent")
	got = commandGaugeValues(t, h.metrics.AllMetrics()[h.emissions()-1])
	assert.Equal(t, commandSeries{pending: 1, oldestAge: 31, overdue: 1}, got["ship_order"])
}

func TestMaxDelayValidation(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	assert.Equal(t, time.Second, cfg.Metrics.MaxDelay)
	cfg.Redis.Endpoint = "localhost:6379"
	cfg.Metrics.MaxDelay = -time.Second
	assert.ErrorContains(t, cfg.Validate(), "metrics.max_delay: must be >= 0")
	cfg.Metrics.MaxDelay = 0
	assert.NoError(t, cfg.Validate())
}
