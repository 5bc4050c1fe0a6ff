package agentsim

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Mix is a named scenario of several workflows that run at once on one timeline: each stream
// has its own workers, rate, start and phases (phases count from the beginning of the run).
type Mix struct {
	Name string
	// Summary is one line on what the scenario is for.
	Summary string
	Streams []Stream
	// Timeline says, in order, what happens when; it is printed at the start of a run.
	Timeline []Mark
}

// Mark is one entry of a Mix's timeline.
type Mark struct {
	At   time.Duration
	What string
}

// Mixes are the named scenarios agentsim's --scenario selects.
var Mixes = map[string]func() *Mix{
	"trustworthy": Trustworthy,
}

// MixNames lists the named scenarios, sorted.
func MixNames() []string {
	names := make([]string, 0, len(Mixes))
	for n := range Mixes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Workers lists every worker of the mix, in stream order, each once.
func (m *Mix) Workers() []string {
	var out []string
	seen := map[string]bool{}
	for _, st := range m.Streams {
		for _, w := range st.Scenario.Steps {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	return out
}

// TrafficEnds is when the last stream makes its last start.
func (m *Mix) TrafficEnds() time.Duration {
	var end time.Duration
	for _, st := range m.Streams {
		end = max(end, st.Start+st.Load.Duration)
	}
	return end
}

// Seed gives every stream its own seed derived from seed, so one number reproduces the run.
func (m *Mix) Seed(seed uint64) {
	for i := range m.Streams {
		m.Streams[i].Load.Seed = seed + uint64(i)
	}
}

// Stretch makes the run factor times longer: offsets, durations, phases and timeline marks are
// multiplied by factor, rates divided by it, and timeout_seconds multiplied (rounded up, the
// field is whole seconds). Step latencies stay as they are. A factor of 1 changes nothing.
func (m *Mix) Stretch(factor float64) error {
	if !(factor > 0) || math.IsInf(factor, 0) {
		return fmt.Errorf("time-scale: %g must be a positive number", factor)
	}
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) * factor) }
	for i := range m.Streams {
		st := &m.Streams[i]
		st.Start = scale(st.Start)
		st.Load.Duration = scale(st.Load.Duration)
		st.Load.Drain = scale(st.Load.Drain)
		st.Load.Rate /= factor
		s := st.Scenario
		s.SlowDuration = scale(s.SlowDuration)
		s.TimeoutSeconds = int(math.Ceil(float64(s.TimeoutSeconds) * factor))
		for j := range s.Phases {
			s.Phases[j].At = scale(s.Phases[j].At)
		}
	}
	for i := range m.Timeline {
		m.Timeline[i].At = scale(m.Timeline[i].At)
	}
	return nil
}

// Validate checks every stream, naming the workflow at fault, and that no worker serves two
// workflows (the per-worker counts would mix them).
func (m *Mix) Validate() error {
	var errs []error
	owner := map[string]string{}
	for i, st := range m.Streams {
		if err := errors.Join(st.Scenario.Validate(), st.Load.Validate()); err != nil {
			errs = append(errs, fmt.Errorf("workflow %d (%s): %w", i+1, st.Scenario.WorkflowID, err))
		}
		for _, w := range st.Scenario.Steps {
			if o, ok := owner[w]; ok && o != st.Scenario.WorkflowID {
				errs = append(errs, fmt.Errorf("worker %s is in workflows %s and %s", w, o, st.Scenario.WorkflowID))
			}
			owner[w] = st.Scenario.WorkflowID
		}
	}
	return errors.Join(errs...)
}

// Describe is the stream's one-line description: workflow, steps, rate, start and length.
func (st Stream) Describe() string {
	every := ""
	if st.Load.Rate < 1 {
		every = fmt.Sprintf("one every %s", time.Duration(float64(time.Second)/st.Load.Rate).Round(time.Millisecond))
	} else {
		every = fmt.Sprintf("%g/s", st.Load.Rate)
	}
	return fmt.Sprintf("%s: %s, %s from %s for %s", st.Scenario.WorkflowID, strings.Join(st.Scenario.Steps, " → "),
		every, st.Start, st.Load.Duration)
}

// The trustworthy scenario's timeline (issue 11), in the compressed time of its end-to-end test:
// the test runs the collector with every shipped window and interval divided by 20, so 1 s here
// stands for 20 s against the shipped config (agentsim --time-scale 20 runs it at that pace).
const (
	trustworthyTraffic     = 120 * time.Second
	trustworthyOutageStart = 10 * time.Second
	trustworthyOutageEnd   = 25 * time.Second
	trustworthyOddFailure  = 45 * time.Second
	trustworthyOddRepair   = 48 * time.Second
	trustworthyBurstStart  = 70 * time.Second
	trustworthyBurstEnd    = 80 * time.Second
	// trustworthyTimeoutSeconds is the framework's default timeout_seconds (30) divided by 20,
	// rounded up to whole seconds.
	trustworthyTimeoutSeconds = 2
)

// Trustworthy is issue 11's scenario: the traffic in which alerting must page for real
// incidents only, once per incident.
//
//   - order_processing (validate_order → reserve_inventory → charge_payment → ship_order, 1/s):
//     charge_payment fails every step from 10 s to 25 s (the payment gateway is down), so
//     ship_order gets no commands while compensations run: one incident, ship_order idle.
//   - daily_report (build_report, one every 3 s): one failure, at 46.5 s, among 39 executions:
//     too little evidence for a verdict.
//   - notify_email, notify_sms, notify_push (email_sender, sms_sender, push_sender, 1/s each):
//     from 70 s to 80 s the three workers are dead together, their commands get no result (the
//     framework's real failure mode for a dead worker): one incident of three workers.
//   - at 120 s every stream stops: the bus goes silent.
//
// Every rate is 0 or 1, so the counts are the same for every seed; the seed only moves the
// step latencies.
func Trustworthy() *Mix {
	orders := NewScenario()
	orders.WorkflowID = "order_processing"
	orders.Steps = []string{"validate_order", "reserve_inventory", "charge_payment", "ship_order"}
	orders.Compensations = map[string]string{
		"validate_order":    "",
		"reserve_inventory": "release_inventory",
		"charge_payment":    "refund_payment",
		"ship_order":        "cancel_shipment",
	}
	orders.ErrorMessage = "payment gateway unreachable"
	orders.Phases = []Phase{
		{At: trustworthyOutageStart, Kind: KindFail, Worker: "charge_payment", Rate: 1},
		{At: trustworthyOutageEnd, Kind: KindFail, Worker: "charge_payment", Rate: 0},
	}

	report := NewScenario()
	report.WorkflowID = "daily_report"
	report.Steps = []string{"build_report"}
	report.ErrorMessage = "report template missing"
	// Starts fall at 1.5 s + 3 s × n: exactly one, at 46.5 s, is inside this phase.
	report.Phases = []Phase{
		{At: trustworthyOddFailure, Kind: KindFail, Worker: "build_report", Rate: 1},
		{At: trustworthyOddRepair, Kind: KindFail, Worker: "build_report", Rate: 0},
	}

	const drain = 3 * time.Second
	streams := []Stream{
		{Scenario: orders, Load: Load{Rate: 1, Duration: trustworthyTraffic}},
		{Scenario: report, Load: Load{Rate: 1.0 / 3, Duration: trustworthyTraffic - 3*time.Second}, Start: 1500 * time.Millisecond},
	}
	for i, ch := range []string{"email", "sms", "push"} {
		s := NewScenario()
		s.WorkflowID = "notify_" + ch
		worker := ch + "_sender"
		s.Steps = []string{worker}
		s.Phases = []Phase{
			{At: trustworthyBurstStart, Kind: KindTimeout, Worker: worker, Rate: 1},
			{At: trustworthyBurstEnd, Kind: KindTimeout, Worker: worker, Rate: 0},
		}
		// 100 ms apart: dead together, as behind one broken dependency, without publishing in
		// lockstep.
		start := time.Duration(i+1) * 100 * time.Millisecond
		streams = append(streams, Stream{Scenario: s, Load: Load{Rate: 1, Duration: trustworthyTraffic - start}, Start: start})
	}
	for i := range streams {
		streams[i].Scenario.TimeoutSeconds = trustworthyTimeoutSeconds
		streams[i].Load.Drain = drain
		streams[i].Load.MaxInFlight = 10000
	}
	return &Mix{
		Name:    "trustworthy",
		Summary: "issue 11: an upstream outage with idle downstream workers, a low-volume worker's single failure, three dead workers at once, then silence",
		Streams: streams,
		Timeline: []Mark{
			{0, "traffic starts on every workflow"},
			{trustworthyOutageStart, "incident a: charge_payment fails every step (payment gateway down); ship_order gets no commands"},
			{trustworthyOutageEnd, "charge_payment recovers"},
			{trustworthyOddFailure + 1500*time.Millisecond, "build_report fails once (the only failure among its executions)"},
			{trustworthyBurstStart, "incident c: email_sender, sms_sender and push_sender are dead: commands get no result"},
			{trustworthyBurstEnd, "the three senders answer again"},
			{trustworthyTraffic, "traffic stops: the bus goes silent"},
		},
	}
}
