package agentsim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Outcome is how a workflow run ends.
type Outcome int

const (
	// OutcomeNone marks messages that do not end their workflow.
	OutcomeNone Outcome = iota
	// OutcomeCompleted: every step succeeded; status "completed".
	OutcomeCompleted
	// OutcomeFailed: a step's result was success=false; compensations, then status "compensated".
	OutcomeFailed
	// OutcomeTimedOut: a command no result answers; the orchestrator waits forever.
	OutcomeTimedOut
	// OutcomeCancelled: cancelled between steps; compensations, "compensated", then "Workflow cancelled".
	OutcomeCancelled
)

func (o Outcome) String() string {
	switch o {
	case OutcomeCompleted:
		return "completed"
	case OutcomeFailed:
		return "failed"
	case OutcomeTimedOut:
		return "timed_out"
	case OutcomeCancelled:
		return "cancelled"
	default:
		return "none"
	}
}

// Scheduled is one message of a planned workflow, due At.
type Scheduled struct {
	At  time.Time
	Msg Message
	// Outcome is set on the message that decides how the workflow ends, so the outcome is
	// counted when that message goes out.
	Outcome Outcome
	// Last marks the workflow's final message.
	Last bool
	// Slow marks the result of a slow step.
	Slow bool
	// Step is, on the message carrying an Outcome other than completed, the worker it is about.
	Step string
	// Command is, on a command, the worker it is sent to (counted as one execution of it).
	Command string
}

// Plan is one workflow run, decided in advance: every message with its due time.
type Plan struct {
	TxID     string
	Messages []Scheduled
	Outcome  Outcome
	// Step is the worker whose step failed or timed out, or before which the run was cancelled.
	Step string
}

// PlanWorkflow decides workflow number n, started at wall time start, offset into the run (offset
// picks the phase rates in force when each step's command goes out). All randomness comes from
// rng, so a seeded rng gives the same outcomes every time.
func (s *Scenario) PlanWorkflow(rng *rand.Rand, n int64, start time.Time, offset time.Duration) Plan {
	w := NewWorkflow(s.Prefix, s.WorkflowID)
	now := start
	w.Now = func() time.Time { return now }
	p := Plan{TxID: w.TxID}
	add := func(m Message, o Outcome) {
		p.Messages = append(p.Messages, Scheduled{At: now, Msg: m, Outcome: o})
	}
	addCommand := func(m Message, worker string, o Outcome) {
		p.Messages = append(p.Messages, Scheduled{At: now, Msg: m, Outcome: o, Command: worker})
	}

	cancelBefore := -1
	if s.CancelRate > 0 && rng.Float64() < s.CancelRate {
		cancelBefore = rng.IntN(len(s.Steps))
	}

	type done struct{ worker, commandID string }
	var completed []done
	compensate := func() {
		for i := len(completed) - 1; i >= 0; i-- { // newest first, as the saga undoes them
			if c := s.Compensation(completed[i].worker); c != "" {
				add(w.Compensation(completed[i].worker, c, completed[i].commandID), OutcomeNone)
			}
		}
	}

	add(w.Started(), OutcomeNone)
	orderID := fmt.Sprintf("ORDER-%d", n)
	for i, worker := range s.Steps {
		if i == cancelBefore {
			compensate()
			add(w.Compensated(), OutcomeNone)
			add(w.Cancelled(), OutcomeCancelled)
			p.Outcome, p.Step = OutcomeCancelled, worker
			break
		}
		rates := s.RatesAt(worker, offset+now.Sub(start))
		draw := rng.Float64()
		latency := jitter(rng, s.StepLatency)
		cmd, id := w.Command(worker, s.TimeoutSeconds, map[string]any{"order_id": orderID, "step": i + 1})
		switch {
		case draw < rates.Fail:
			addCommand(cmd, worker, OutcomeNone)
			now = now.Add(latency)
			add(w.Result(worker, id, false, s.ErrorMessage), OutcomeFailed)
			compensate()
			add(w.Compensated(), OutcomeNone)
			p.Outcome, p.Step = OutcomeFailed, worker
		case draw < rates.Fail+rates.Timeout:
			addCommand(cmd, worker, OutcomeTimedOut)
			p.Outcome, p.Step = OutcomeTimedOut, worker
		default:
			slow := draw < rates.Fail+rates.Timeout+rates.Slow
			addCommand(cmd, worker, OutcomeNone)
			if slow {
				now = now.Add(s.SlowDuration)
			} else {
				now = now.Add(latency)
			}
			add(w.Result(worker, id, true, ""), OutcomeNone)
			p.Messages[len(p.Messages)-1].Slow = slow
			completed = append(completed, done{worker, id})
			continue
		}
		break
	}
	if p.Outcome == OutcomeNone {
		add(w.Completed(), OutcomeCompleted)
		p.Outcome = OutcomeCompleted
	}
	p.Messages[len(p.Messages)-1].Last = true
	for i := range p.Messages {
		if o := p.Messages[i].Outcome; o != OutcomeNone && o != OutcomeCompleted {
			p.Messages[i].Step = p.Step
		}
	}
	return p
}

// jitter spreads d uniformly over [d/2, 3d/2).
func jitter(rng *rand.Rand, d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + time.Duration(rng.Int64N(int64(d)))
}
