package agentsim

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2025, 8, 5, 0, 46, 10, 412233000, time.UTC)

func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

func channels(p Plan) []string {
	out := make([]string, len(p.Messages))
	for i, m := range p.Messages {
		out[i] = m.Msg.Channel
	}
	return out
}

func decode(t *testing.T, m Scheduled) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(m.Msg.Body, &v), string(m.Msg.Body))
	return v
}

func TestPlanSuccessfulWorkflow(t *testing.T) {
	s := NewScenario()
	p := s.PlanWorkflow(seeded(1), 7, t0, 0)
	assert.Equal(t, OutcomeCompleted, p.Outcome)
	assert.Equal(t, []string{
		"multiagent:status.workflow",
		"multiagent:command.validate_order", "multiagent:result.validate_order",
		"multiagent:command.check_inventory", "multiagent:result.check_inventory",
		"multiagent:command.process_payment", "multiagent:result.process_payment",
		"multiagent:command.ship_order", "multiagent:result.ship_order",
		"multiagent:status.workflow",
	}, channels(p))

	for i, m := range p.Messages {
		ev := decode(t, m)
		md := ev["metadata"].(map[string]any)
		assert.Equal(t, p.TxID, md["transaction_id"])
		assert.Equal(t, Timestamp(m.At), md["timestamp"], "the timestamp is the time the message is due")
		assert.Equal(t, i == len(p.Messages)-1, m.Last)
		if i > 0 {
			assert.False(t, m.At.Before(p.Messages[i-1].At), "due times never go back")
		}
	}
	cmd, res := decode(t, p.Messages[5]), decode(t, p.Messages[6])
	assert.Equal(t, p.TxID+".process_payment", cmd["metadata"].(map[string]any)["correlation_id"])
	assert.Equal(t, map[string]any{"order_id": "ORDER-7", "step": float64(3)}, cmd["payload"])
	assert.Equal(t, float64(30), cmd["timeout_seconds"])
	assert.Equal(t, cmd["id"], res["command_id"])
	assert.Equal(t, true, res["success"])
	assert.Equal(t, "process_payment", res["metadata"].(map[string]any)["source"])
	// Results come StepLatency ± 50 % after their command.
	gap := p.Messages[6].At.Sub(p.Messages[5].At)
	assert.GreaterOrEqual(t, gap, s.StepLatency/2)
	assert.Less(t, gap, 3*s.StepLatency/2)

	last := decode(t, p.Messages[9])
	assert.Equal(t, "completed", last["status"])
	assert.Equal(t, "Workflow completed", last["message"])
	assert.Equal(t, OutcomeCompleted, p.Messages[9].Outcome)
}

func TestPlanFailureCompensatesNewestFirst(t *testing.T) {
	s := NewScenario()
	s.Steps = []string{"reserve_seat", "charge_card", "issue_ticket", "notify_customer"}
	s.Compensations = map[string]string{"charge_card": "refund_card"} // reserve_seat and issue_ticket get undo_<worker>
	s.Rates["notify_customer"] = Rates{Fail: 1}
	p := s.PlanWorkflow(seeded(2), 1, t0, 0)

	require.Equal(t, OutcomeFailed, p.Outcome)
	assert.Equal(t, "notify_customer", p.Step)
	assert.Equal(t, []string{
		"multiagent:status.workflow",
		"multiagent:command.reserve_seat", "multiagent:result.reserve_seat",
		"multiagent:command.charge_card", "multiagent:result.charge_card",
		"multiagent:command.issue_ticket", "multiagent:result.issue_ticket",
		"multiagent:command.notify_customer", "multiagent:result.notify_customer",
		"multiagent:compensation.undo_issue_ticket",
		"multiagent:compensation.refund_card",
		"multiagent:compensation.undo_reserve_seat",
		"multiagent:status.workflow",
	}, channels(p))

	failed := decode(t, p.Messages[8])
	assert.Equal(t, false, failed["success"])
	assert.Equal(t, "Worker notify_customer failed: simulated failure", failed["error_message"])
	assert.Equal(t, map[string]any{"error_type": "WorkerException"}, failed["error_details"])
	assert.Equal(t, OutcomeFailed, p.Messages[8].Outcome)

	// Each compensation names the command of the step it undoes, and its own correlation id.
	for i, step := range map[int]int{9: 5, 10: 3, 11: 1} {
		comp, cmd := decode(t, p.Messages[i]), decode(t, p.Messages[step])
		assert.Equal(t, cmd["id"], comp["original_command_id"])
		assert.Equal(t, p.TxID+".comp."+cmd["worker_type"].(string), comp["metadata"].(map[string]any)["correlation_id"])
		assert.Equal(t, p.Messages[8].At, p.Messages[i].At, "compensations go out at once")
	}
	end := decode(t, p.Messages[12])
	assert.Equal(t, "compensated", end["status"])
	assert.Equal(t, "Workflow compensated", end["message"])
	assert.True(t, p.Messages[12].Last)
}

func TestPlanFailureSkipsStepsWithoutCompensation(t *testing.T) {
	s := NewScenario() // validate_order has no compensation in the framework example
	s.Rates["ship_order"] = Rates{Fail: 1}
	p := s.PlanWorkflow(seeded(3), 1, t0, 0)
	assert.Equal(t, []string{
		"multiagent:status.workflow",
		"multiagent:command.validate_order", "multiagent:result.validate_order",
		"multiagent:command.check_inventory", "multiagent:result.check_inventory",
		"multiagent:command.process_payment", "multiagent:result.process_payment",
		"multiagent:command.ship_order", "multiagent:result.ship_order",
		"multiagent:compensation.refund_payment",
		"multiagent:compensation.release_inventory",
		"multiagent:status.workflow",
	}, channels(p))
}

func TestPlanFirstStepFailureHasNothingToCompensate(t *testing.T) {
	s := NewScenario()
	s.Rates["validate_order"] = Rates{Fail: 1}
	p := s.PlanWorkflow(seeded(3), 1, t0, 0)
	assert.Equal(t, []string{
		"multiagent:status.workflow",
		"multiagent:command.validate_order", "multiagent:result.validate_order",
		"multiagent:status.workflow",
	}, channels(p))
}

func TestPlanTimeoutLeavesTheCommandUnanswered(t *testing.T) {
	s := NewScenario()
	s.Rates["check_inventory"] = Rates{Timeout: 1}
	s.TimeoutSeconds = 45
	p := s.PlanWorkflow(seeded(4), 1, t0, 0)
	require.Equal(t, OutcomeTimedOut, p.Outcome)
	assert.Equal(t, []string{
		"multiagent:status.workflow",
		"multiagent:command.validate_order", "multiagent:result.validate_order",
		"multiagent:command.check_inventory",
	}, channels(p), "the orchestrator has no timeout of its own: nothing follows")
	last := p.Messages[3]
	assert.True(t, last.Last)
	assert.Equal(t, OutcomeTimedOut, last.Outcome)
	assert.Equal(t, float64(45), decode(t, last)["timeout_seconds"])
}

func TestPlanSlowStep(t *testing.T) {
	s := NewScenario()
	s.Rates["ship_order"] = Rates{Slow: 1}
	s.SlowDuration = 7 * time.Second
	p := s.PlanWorkflow(seeded(5), 1, t0, 0)
	require.Equal(t, OutcomeCompleted, p.Outcome)
	cmd, res := p.Messages[7], p.Messages[8]
	assert.Equal(t, "multiagent:result.ship_order", res.Msg.Channel)
	assert.Equal(t, 7*time.Second, res.At.Sub(cmd.At))
	assert.True(t, res.Slow)
	assert.Equal(t, true, decode(t, res)["success"])
	for i, m := range p.Messages {
		assert.Equal(t, i == 8, m.Slow, "only the slow result is marked")
	}
}

func TestPlanCancel(t *testing.T) {
	s := NewScenario()
	s.CancelRate = 1
	for seed := uint64(0); seed < 20; seed++ {
		p := s.PlanWorkflow(seeded(seed), 1, t0, 0)
		require.Equal(t, OutcomeCancelled, p.Outcome)
		n := len(p.Messages)
		comp, cancel := decode(t, p.Messages[n-2]), decode(t, p.Messages[n-1])
		assert.Equal(t, "compensated", comp["status"])
		assert.Equal(t, "Workflow compensated", comp["message"])
		assert.Equal(t, "cancelled", cancel["status"])
		assert.Equal(t, "Workflow cancelled", cancel["message"])
		assert.Equal(t, OutcomeCancelled, p.Messages[n-1].Outcome)
		assert.NotContains(t, channels(p), "multiagent:command."+p.Step, "cancelled before the step's command")
	}
}

func TestPlanPhaseAppliesAtTheStepsCommandTime(t *testing.T) {
	s := NewScenario()
	s.StepLatency = time.Second // steps 1..3 take 0.5–1.5 s each: process_payment's command is ≥ 1 s in
	s.Phases = []Phase{{At: 10 * time.Second, Kind: KindFail, Worker: "process_payment", Rate: 1}}
	// Started 9.9 s into the run: process_payment's command goes out after 10 s, in the failing phase.
	p := s.PlanWorkflow(seeded(6), 1, t0, 9900*time.Millisecond)
	assert.Equal(t, OutcomeFailed, p.Outcome)
	assert.Equal(t, "process_payment", p.Step)
	// Started 5 s into the run: everything happens before the phase.
	p = s.PlanWorkflow(seeded(6), 1, t0, 5*time.Second)
	assert.Equal(t, OutcomeCompleted, p.Outcome)
}

func TestPlanIsDeterministicForASeed(t *testing.T) {
	s := NewScenario()
	s.Rates["process_payment"] = Rates{Fail: 0.3, Timeout: 0.1, Slow: 0.1}
	s.CancelRate = 0.05
	outcomes := func(seed uint64) []Outcome {
		rng := seeded(seed)
		var out []Outcome
		for i := int64(0); i < 200; i++ {
			out = append(out, s.PlanWorkflow(rng, i, t0, 0).Outcome)
		}
		return out
	}
	assert.Equal(t, outcomes(42), outcomes(42))
	assert.NotEqual(t, outcomes(42), outcomes(43))
}

func TestPlanOutcomeFrequenciesFollowTheRates(t *testing.T) {
	s := NewScenario()
	s.Rates["process_payment"] = Rates{Fail: 0.2, Timeout: 0.1}
	rng := seeded(7)
	counts := map[Outcome]int{}
	const n = 5000
	for i := int64(0); i < n; i++ {
		counts[s.PlanWorkflow(rng, i, t0, 0).Outcome]++
	}
	assert.InDelta(t, 0.2, float64(counts[OutcomeFailed])/n, 0.02)
	assert.InDelta(t, 0.1, float64(counts[OutcomeTimedOut])/n, 0.02)
	assert.Equal(t, n, counts[OutcomeCompleted]+counts[OutcomeFailed]+counts[OutcomeTimedOut])
}
