package multiagentsreceiver

import (
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/metricnames"
)

// The receiver's own view of the bus, so alert rules can tell "the framework went quiet" from
// "the collector could not see it": while disconnected every absent rule, inactivity verdict
// and rate over the gap describes the collector, not the framework.
const (
	metricBusConnected         = metricnames.BusConnected
	metricBusDisconnectedSince = metricnames.BusDisconnectedSince
	busConnectedDesc           = "1 while the receiver is subscribed to the MultiAgents bus on Redis, 0 while it cannot see it (events published meanwhile are lost until reconcile)."
	busDisconnectedSinceDesc   = "Unix time (s) at which the receiver lost sight of the bus; 0 while connected. From Start until the first subscription counts as blind too."
)

// busState is whether the Redis tap is subscribed and, when not, since when. The tap writes
// it; the metrics loop reads it, including while Redis is down, so the gauges keep coming.
type busState struct {
	mu                sync.Mutex
	connected         bool
	disconnectedSince time.Time
	// unrepaired: a gap has begun since the last reconcile after a reconnect finished. Not set
	// before the first connection: steps pushed over HTTP before Redis is reachable time out
	// as before.
	unrepaired bool
	// version counts the changes of the gauges (connected, disconnected_since), so the metrics
	// loop can tell whether the last metrics it sent still say the truth.
	version uint64
}

// newBusState starts blind: until the first subscription nothing on the bus is seen.
func newBusState(start time.Time) *busState {
	return &busState{disconnectedSince: start}
}

func (b *busState) markConnected() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.connected || !b.disconnectedSince.IsZero() {
		b.version++
	}
	b.connected = true
	b.disconnectedSince = time.Time{}
}

// markRepaired says the reconcile after a reconnect is done. A gap that began meanwhile keeps
// its mark (its own reconnect reconciles again).
func (b *busState) markRepaired() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.connected {
		b.unrepaired = false
	}
}

// timeoutsHeld tells the assembler's sweep not to time out steps: from a gap's start until the
// reconcile after its reconnect has completed, from saga:*, the steps answered during the gap.
func (b *busState) timeoutsHeld() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.unrepaired
}

// markDisconnected records the start of a gap; a gap already open keeps its start, so a
// failed reconnect attempt does not move it.
func (b *busState) markDisconnected(at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.connected && !b.disconnectedSince.IsZero() {
		return
	}
	b.connected = false
	b.disconnectedSince = at
	b.unrepaired = true
	b.version++
}

// changedSince tells whether the gauges changed after version (as returned by appendGauges).
func (b *busState) changedSince(version uint64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.version != version
}

// appendGauges writes the two bus gauges at ts and returns the version they describe.
func (b *busState) appendGauges(ms pmetric.MetricSlice, ts pcommon.Timestamp) uint64 {
	b.mu.Lock()
	connected, since, version := b.connected, b.disconnectedSince, b.version
	b.mu.Unlock()

	var connectedValue, sinceValue int64
	if connected {
		connectedValue = 1
	} else {
		sinceValue = since.Unix()
	}
	for _, g := range []struct {
		name, unit, desc string
		value            int64
	}{
		{metricBusConnected, "{state}", busConnectedDesc, connectedValue},
		{metricBusDisconnectedSince, "s", busDisconnectedSinceDesc, sinceValue},
	} {
		m := ms.AppendEmpty()
		m.SetName(g.name)
		m.SetUnit(g.unit)
		m.SetDescription(g.desc)
		dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
		dp.SetTimestamp(ts)
		dp.SetIntValue(g.value)
	}
	return version
}
