package agentsim

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// driveMix runs the whole mix on made-up times and returns every message in publish order.
func driveMix(t *testing.T, m *Mix) (*Runner, []Scheduled) {
	t.Helper()
	r, err := NewStreamsRunner(m.Streams, t0)
	require.NoError(t, err)
	msgs, _ := drive(t, r, r.Deadline(), 50*time.Millisecond)
	_, more := r.NextDue()
	require.False(t, more, "the run ends by its deadline")
	return r, msgs
}

func TestTrustworthyCountsAreExactForEverySeed(t *testing.T) {
	want := map[string]WorkerOutcomes{
		// 120 orders at 1/s; the 15 started from 10 s to 24 s fail at charge_payment.
		"validate_order":    {Executions: 120},
		"reserve_inventory": {Executions: 120},
		"charge_payment":    {Executions: 120, Failed: 15},
		"ship_order":        {Executions: 105},
		// 39 reports, one every 3 s from 1.5 s; the one at 46.5 s fails.
		"build_report": {Executions: 39, Failed: 1},
		// 119 notifications each; the 10 sent from 70 s to 79 s get no result.
		"email_sender": {Executions: 119, TimedOut: 10},
		"sms_sender":   {Executions: 119, TimedOut: 10},
		"push_sender":  {Executions: 119, TimedOut: 10},
	}
	for _, seed := range []uint64{1, 42, 1 << 40} {
		m := Trustworthy()
		m.Seed(seed)
		require.NoError(t, m.Validate())
		r, _ := driveMix(t, m)
		assert.Equal(t, want, r.Stats().ByWorker(), "seed %d", seed)
		st := r.Stats().Snapshot()
		assert.EqualValues(t, 120+39+3*119, st.Started, "seed %d", seed)
		assert.EqualValues(t, 16, st.Failed)
		assert.EqualValues(t, 30, st.TimedOut)
		assert.Zero(t, st.Abandoned+st.Skipped+st.Behind+st.InFlight)
	}
}

func TestTrustworthyTimeline(t *testing.T) {
	m := Trustworthy()
	m.Seed(7)
	assert.Equal(t, []string{"validate_order", "reserve_inventory", "charge_payment", "ship_order",
		"build_report", "email_sender", "sms_sender", "push_sender"}, m.Workers())
	assert.Equal(t, 120*time.Second, m.TrafficEnds())
	_, msgs := driveMix(t, m)

	var lastEvent time.Duration
	for _, msg := range msgs {
		at := msg.At.Sub(t0)
		lastEvent = max(lastEvent, at)
		ch := strings.TrimPrefix(msg.Msg.Channel, "multiagent:")
		switch {
		case ch == "command.ship_order":
			// Downstream of the outage, ship_order is idle: no command while payment fails
			// (the last order before it reaches ship_order a step latency after 9 s).
			assert.False(t, at >= 10*time.Second && at < 25*time.Second, "ship_order command at %s", at)
		case ch == "result.charge_payment":
			var ev struct {
				Success      bool
				ErrorDetails struct {
					ErrorType string `json:"error_type"`
				} `json:"error_details"`
			}
			require.NoError(t, json.Unmarshal(msg.Msg.Body, &ev))
			inOutage := at >= 10*time.Second && at < 25*time.Second
			assert.Equal(t, !inOutage, ev.Success, "charge_payment result at %s", at)
			if !ev.Success {
				assert.Equal(t, "WorkerException", ev.ErrorDetails.ErrorType)
			}
		case ch == "result.build_report":
			var ev struct{ Success bool }
			require.NoError(t, json.Unmarshal(msg.Msg.Body, &ev))
			assert.Equal(t, at < 46*time.Second || at > 47*time.Second, ev.Success, "build_report result at %s", at)
		case strings.HasPrefix(ch, "result.") && strings.HasSuffix(ch, "_sender"):
			// A dead sender answers nothing from 70 s to 80 s.
			assert.False(t, at >= 70*time.Second && at < 80*time.Second, "%s at %s", ch, at)
		case ch == "command.email_sender":
			var ev struct {
				TimeoutSeconds int `json:"timeout_seconds"`
			}
			require.NoError(t, json.Unmarshal(msg.Msg.Body, &ev))
			assert.Equal(t, 2, ev.TimeoutSeconds)
		}
	}
	assert.Less(t, lastEvent, m.TrafficEnds()+time.Second, "nothing is published once traffic stops")
	assert.Greater(t, lastEvent, m.TrafficEnds()-2*time.Second)
}

func TestTrustworthyCompensationsRunForTheFailedOrders(t *testing.T) {
	_, msgs := driveMix(t, Trustworthy())
	comps := map[string]int{}
	for _, msg := range msgs {
		if c, ok := strings.CutPrefix(msg.Msg.Channel, "multiagent:compensation."); ok {
			comps[c]++
		}
	}
	// Each failed payment undoes reserve_inventory; validate_order has no compensation and the
	// reports and senders have no completed step before theirs.
	assert.Equal(t, map[string]int{"release_inventory": 15}, comps)
}

func TestMixStretch(t *testing.T) {
	m := Trustworthy()
	require.NoError(t, m.Stretch(20))
	orders := m.Streams[0]
	assert.Equal(t, 40*time.Minute, orders.Load.Duration)
	assert.InDelta(t, 0.05, orders.Load.Rate, 1e-12)
	assert.Equal(t, 40, orders.Scenario.TimeoutSeconds, "2 s × 20")
	assert.Equal(t, 200*time.Second, orders.Scenario.Phases[0].At)
	assert.Equal(t, 30*time.Second, m.Streams[1].Start)
	assert.Equal(t, 40*time.Minute, m.TrafficEnds())
	assert.Equal(t, 200*time.Second, m.Timeline[1].At)

	// Shrinking keeps the counts: only the pace changes.
	fast := Trustworthy()
	require.NoError(t, fast.Stretch(0.1))
	assert.Equal(t, 1, fast.Streams[0].Scenario.TimeoutSeconds, "rounded up to a whole second")
	r, _ := driveMix(t, fast)
	by := r.Stats().ByWorker()
	assert.Equal(t, WorkerOutcomes{Executions: 120, Failed: 15}, by["charge_payment"])
	assert.Equal(t, WorkerOutcomes{Executions: 39, Failed: 1}, by["build_report"])
	assert.Equal(t, WorkerOutcomes{Executions: 119, TimedOut: 10}, by["sms_sender"])

	for _, bad := range []float64{0, -1} {
		assert.ErrorContains(t, Trustworthy().Stretch(bad), "time-scale:")
	}
}

func TestMixValidateNamesTheWorkflow(t *testing.T) {
	m := Trustworthy()
	m.Streams[1].Scenario.Steps = []string{"ship_order"}
	m.Streams[1].Scenario.Phases = nil
	m.Streams[2].Load.Rate = 0
	err := m.Validate()
	assert.ErrorContains(t, err, "worker ship_order is in workflows order_processing and daily_report")
	assert.ErrorContains(t, err, "workflow 3 (notify_email): rate:")
}

func TestStreamsStartAtTheirOffsetAndTheRunEndsWithTheLast(t *testing.T) {
	a, b := NewScenario(), NewScenario()
	b.WorkflowID, b.Steps = "other", []string{"solo"}
	r, err := NewStreamsRunner([]Stream{
		{Scenario: a, Load: load(1, 2*time.Second)},
		{Scenario: b, Load: load(2, time.Second), Start: 5 * time.Second},
	}, t0)
	require.NoError(t, err)
	assert.Equal(t, t0.Add(16*time.Second), r.Deadline(), "the later stream's start + duration + drain")

	due, _ := r.Advance(t0.Add(4 * time.Second))
	r.Published(due, 0)
	assert.EqualValues(t, 2, r.Stats().Started.Load(), "the second stream has not begun")
	next, ok := r.NextDue()
	require.True(t, ok)
	assert.Equal(t, t0.Add(5*time.Second), next)
	drive(t, r, t0.Add(20*time.Second), 100*time.Millisecond)
	assert.EqualValues(t, 4, r.Stats().Started.Load())
	assert.Equal(t, WorkerOutcomes{Executions: 2}, r.Stats().ByWorker()["solo"])

	_, err = NewStreamsRunner(nil, t0)
	assert.ErrorContains(t, err, "streams:")
	_, err = NewStreamsRunner([]Stream{{Scenario: a, Load: load(1, time.Second), Start: -time.Second}, {Scenario: b, Load: load(1, time.Second)}}, t0)
	assert.ErrorContains(t, err, "workflow 1 (ecommerce_order_processing): start must not be negative")
}
