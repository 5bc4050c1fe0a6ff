package agentsim

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func load(rate float64, d time.Duration) Load {
	return Load{Rate: rate, Duration: d, Drain: 10 * time.Second, MaxInFlight: 10000, Seed: 1}
}

// drive advances r from its beginning to end in steps of tick, publishing everything due, and
// returns the messages in publish order with their phases.
func drive(t *testing.T, r *Runner, end time.Time, tick time.Duration) ([]Scheduled, []Phase) {
	t.Helper()
	var all []Scheduled
	var phases []Phase
	for now := r.Begin(); !now.After(end); now = now.Add(tick) {
		due, ps := r.Advance(now)
		for _, m := range due {
			require.False(t, m.At.After(now), "released before it was due")
		}
		r.Published(due, 0)
		all = append(all, due...)
		phases = append(phases, ps...)
	}
	return all, phases
}

func TestLoadValidateNamesTheSetting(t *testing.T) {
	ok := load(10, time.Second)
	require.NoError(t, ok.Validate())
	for want, l := range map[string]Load{
		"rate:":          {Duration: time.Second, MaxInFlight: 1},
		"rate: NaN":      {Rate: math.NaN(), Duration: time.Second, MaxInFlight: 1},
		"rate: +Inf":     {Rate: math.Inf(1), Duration: time.Second, MaxInFlight: 1},
		"duration:":      {Rate: 1, MaxInFlight: 1},
		"workflows:":     {Rate: 1, Duration: time.Second, MaxInFlight: 1, Workflows: -1},
		"drain:":         {Rate: 1, Duration: time.Second, MaxInFlight: 1, Drain: -1},
		"max-in-flight:": {Rate: 1, Duration: time.Second},
	} {
		assert.ErrorContains(t, l.Validate(), want)
	}
}

func TestRunnerStartsAtTheTargetRateForTheDuration(t *testing.T) {
	r, err := NewRunner(NewScenario(), load(20, 5*time.Second), t0)
	require.NoError(t, err)
	msgs, _ := drive(t, r, t0.Add(10*time.Second), 50*time.Millisecond)
	s := r.Stats().Snapshot()
	assert.EqualValues(t, 100, s.Started, "20/s for 5 s")
	assert.EqualValues(t, 100, s.Completed)
	assert.EqualValues(t, 1000, s.Events, "10 messages per 4-step workflow")
	assert.Len(t, msgs, 1000)
	assert.Zero(t, s.InFlight)
	_, more := r.NextDue()
	assert.False(t, more, "nothing left once every workflow has ended")

	// Starts are spread evenly: each second of the run has 20 "Workflow started" events.
	perSecond := map[int]int{}
	for _, m := range msgs {
		if strings.Contains(string(m.Msg.Body), `"Workflow started"`) {
			perSecond[int(m.At.Sub(t0)/time.Second)]++
		}
	}
	assert.Equal(t, map[int]int{0: 20, 1: 20, 2: 20, 3: 20, 4: 20}, perSecond)
}

func TestRunnerStartCountIsRateTimesDuration(t *testing.T) {
	for _, c := range []struct {
		rate float64
		d    time.Duration
		want int64
	}{{3, time.Second, 3}, {7, 10 * time.Second, 70}, {0.1, 30 * time.Second, 3}, {1, 500 * time.Millisecond, 1}, {1000, 1500 * time.Millisecond, 1500}} {
		r, err := NewRunner(NewScenario(), load(c.rate, c.d), t0)
		require.NoError(t, err)
		drive(t, r, t0.Add(c.d+5*time.Second), 10*time.Millisecond)
		assert.Equal(t, c.want, r.Stats().Started.Load(), "%g/s for %s", c.rate, c.d)
	}
}

func TestRunnerCatchesUpInSlicesAndCountsWhatItCouldNotStart(t *testing.T) {
	l := load(1000, 10*time.Second)
	r, err := NewRunner(NewScenario(), l, t0)
	require.NoError(t, err)
	// The first call comes 2 s late: 2001 starts are due, planned at most 256 per call.
	due, _ := r.Advance(t0.Add(2 * time.Second))
	r.Published(due, 0)
	assert.EqualValues(t, maxStartsPerAdvance, r.Stats().Started.Load())
	next, ok := r.NextDue()
	require.True(t, ok)
	assert.False(t, next.After(t0.Add(2*time.Second)), "more is due at once")
	// The next call comes after Duration: what is still owed is not started, and counted.
	due, _ = r.Advance(t0.Add(10 * time.Second))
	r.Published(due, 0)
	st := r.Stats().Snapshot()
	assert.EqualValues(t, 2*maxStartsPerAdvance, st.Started)
	assert.EqualValues(t, 10000-2*maxStartsPerAdvance, st.Behind)
	assert.Zero(t, st.Skipped)
}

func TestRunnerWorkflowsBound(t *testing.T) {
	l := load(100, time.Minute)
	l.Workflows = 7
	r, err := NewRunner(NewScenario(), l, t0)
	require.NoError(t, err)
	drive(t, r, t0.Add(5*time.Second), 10*time.Millisecond)
	assert.EqualValues(t, 7, r.Stats().Started.Load())
	assert.EqualValues(t, 7, r.Stats().Completed.Load())
}

func TestRunnerPhaseBreaksAndRepairsAWorker(t *testing.T) {
	s := NewScenario()
	s.StepLatency = 0
	s.Phases = []Phase{
		{At: 20 * time.Second, Kind: KindFail, Worker: "process_payment", Rate: 1},
		{At: 40 * time.Second, Kind: KindFail, Worker: "process_payment", Rate: 0},
	}
	r, err := NewRunner(s, load(10, 60*time.Second), t0)
	require.NoError(t, err)
	msgs, phases := drive(t, r, t0.Add(61*time.Second), 100*time.Millisecond)
	assert.Equal(t, s.Phases, phases, "each phase is reported once, when it begins")

	// Every process_payment result before 20 s and from 40 s on succeeds; between them all fail.
	var results int
	for _, m := range msgs {
		if m.Msg.Channel != "multiagent:result.process_payment" {
			continue
		}
		results++
		var ev struct{ Success bool }
		require.NoError(t, json.Unmarshal(m.Msg.Body, &ev))
		offset := m.At.Sub(t0)
		assert.Equal(t, offset < 20*time.Second || offset >= 40*time.Second, ev.Success, "result at %s", offset)
	}
	assert.Equal(t, 600, results)
	st := r.Stats().Snapshot()
	assert.EqualValues(t, 200, st.Failed)
	assert.EqualValues(t, 400, st.Completed)
	// Every workflow sends validate_order, check_inventory and process_payment a command;
	// ship_order gets none while payment fails.
	assert.Equal(t, map[string]WorkerOutcomes{
		"validate_order":  {Executions: 600},
		"check_inventory": {Executions: 600},
		"process_payment": {Executions: 600, Failed: 200},
		"ship_order":      {Executions: 400},
	}, r.Stats().ByWorker())
}

func TestRunnerCapsWorkflowsInFlight(t *testing.T) {
	s := NewScenario()
	s.Rates["ship_order"] = Rates{Slow: 1}
	s.SlowDuration = 10 * time.Second
	l := load(10, 5*time.Second)
	l.MaxInFlight = 20
	r, err := NewRunner(s, l, t0)
	require.NoError(t, err)
	drive(t, r, t0.Add(20*time.Second), 50*time.Millisecond)
	st := r.Stats().Snapshot()
	assert.EqualValues(t, 20, st.Started, "the cap holds while slow workflows are pending")
	assert.EqualValues(t, 30, st.Skipped, "every start beyond the cap is counted")
	assert.EqualValues(t, 20, st.Completed)
	assert.EqualValues(t, 20, st.SlowSteps)
}

func TestRunnerAbandonCountsUnfinishedWorkflows(t *testing.T) {
	s := NewScenario()
	s.Rates["ship_order"] = Rates{Slow: 1}
	s.SlowDuration = time.Hour
	r, err := NewRunner(s, load(10, time.Second), t0)
	require.NoError(t, err)
	drive(t, r, t0.Add(2*time.Second), 50*time.Millisecond)
	assert.EqualValues(t, 10, r.Stats().InFlight.Load())
	r.Abandon()
	st := r.Stats().Snapshot()
	assert.EqualValues(t, 10, st.Abandoned)
	assert.Zero(t, st.InFlight)
	assert.Zero(t, st.Completed)
}

func TestRunnerCountsPublishFailures(t *testing.T) {
	r, err := NewRunner(NewScenario(), load(10, time.Second), t0)
	require.NoError(t, err)
	due, _ := r.Advance(t0.Add(5 * time.Second))
	r.Published(due, 3)
	st := r.Stats().Snapshot()
	assert.EqualValues(t, len(due)-3, st.Events)
	assert.EqualValues(t, 3, st.PublishErrors)
}

type recordingPublisher struct {
	mu   sync.Mutex
	msgs []Message
	fail error
}

func (p *recordingPublisher) Publish(_ context.Context, batch []Message) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return len(batch), p.fail
	}
	p.msgs = append(p.msgs, batch...)
	return 0, nil
}

func TestRunUsesTheWallClockAndEnds(t *testing.T) {
	s := NewScenario()
	s.StepLatency = time.Millisecond
	r, err := NewRunner(s, load(200, 100*time.Millisecond), time.Now())
	require.NoError(t, err)
	pub := &recordingPublisher{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, r.Run(ctx, pub, RunOptions{MaxBatch: 3}))
	st := r.Stats().Snapshot()
	assert.EqualValues(t, 20, st.Started)
	assert.EqualValues(t, 20, st.Completed)
	assert.Len(t, pub.msgs, 200)
}

func TestRunStopsAtTheDrainDeadline(t *testing.T) {
	s := NewScenario()
	s.Rates["ship_order"] = Rates{Slow: 1}
	s.SlowDuration = time.Hour
	l := load(100, 50*time.Millisecond)
	l.Drain = 50 * time.Millisecond
	r, err := NewRunner(s, l, time.Now())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, r.Run(ctx, &recordingPublisher{}, RunOptions{}))
	st := r.Stats().Snapshot()
	assert.EqualValues(t, 5, st.Started)
	assert.EqualValues(t, 5, st.Abandoned, "slow workflows still pending at the deadline")
}

func TestRunReportsPublishErrorsAndPhases(t *testing.T) {
	s := NewScenario()
	s.StepLatency = 0
	s.Phases = []Phase{{At: 0, Kind: KindFail, Worker: "ship_order", Rate: 0.5}}
	r, err := NewRunner(s, load(100, 30*time.Millisecond), time.Now())
	require.NoError(t, err)
	var errs []error
	var phases []Phase
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, r.Run(ctx, &recordingPublisher{fail: errors.New("connection refused")}, RunOptions{
		OnError: func(err error) { errs = append(errs, err) },
		OnPhase: func(_ time.Duration, p Phase) { phases = append(phases, p) },
	}))
	assert.NotEmpty(t, errs)
	assert.Equal(t, s.Phases, phases)
	st := r.Stats().Snapshot()
	assert.Zero(t, st.Events)
	assert.Positive(t, st.PublishErrors)
}
