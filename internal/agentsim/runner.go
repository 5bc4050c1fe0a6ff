package agentsim

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Load is how much traffic a run makes, and for how long. A run always ends: it makes
// Rate × Duration starts (or Workflows, if fewer), evenly spaced from its beginning; starts still
// owed when Duration has passed are not made (counted as Behind), and messages still due go out
// until Duration + Drain.
type Load struct {
	// Rate is the target number of workflows started per second.
	Rate float64
	// Duration bounds the time during which workflows start.
	Duration time.Duration
	// Workflows bounds the number of workflows started; 0 means no bound but Duration.
	Workflows int64
	// Drain bounds the time after the last start spent publishing what is still due.
	Drain time.Duration
	// MaxInFlight caps the workflows whose messages are still pending; a start beyond it is
	// skipped and counted, so memory stays bounded when steps are slow.
	MaxInFlight int
	// Seed makes outcomes reproducible.
	Seed uint64
}

// MaxRate bounds Load.Rate: far above what one publisher sustains, low enough that the pacing
// loop never spins on a zero interval.
const MaxRate = 1_000_000

// Validate names the setting at fault.
func (l Load) Validate() error {
	var errs []error
	if !(l.Rate > 0 && l.Rate <= MaxRate) {
		errs = append(errs, fmt.Errorf("rate: %g workflows/s must be positive and at most %g", l.Rate, float64(MaxRate)))
	}
	if l.Duration <= 0 {
		errs = append(errs, errors.New("duration: must be positive (every run is bounded)"))
	}
	if l.Workflows < 0 {
		errs = append(errs, errors.New("workflows: must not be negative"))
	}
	if l.Drain < 0 {
		errs = append(errs, errors.New("drain: must not be negative"))
	}
	if l.MaxInFlight <= 0 {
		errs = append(errs, errors.New("max-in-flight: must be positive"))
	}
	return errors.Join(errs...)
}

// Stats are a run's counters; they are safe to read while the run goes on.
type Stats struct {
	Started, Completed, Failed, TimedOut, Cancelled atomic.Int64
	// Skipped counts starts not made because MaxInFlight workflows were pending.
	Skipped atomic.Int64
	// Behind counts starts not made because the run fell behind its schedule and Duration
	// passed first: the publisher (or the machine) could not keep up with Rate.
	Behind atomic.Int64
	// SlowSteps counts slow results published.
	SlowSteps atomic.Int64
	// Events counts messages published; PublishErrors messages the publisher could not deliver.
	Events, PublishErrors atomic.Int64
	// InFlight is the number of workflows with messages still pending.
	InFlight atomic.Int64
	// Abandoned counts workflows whose messages were still pending when the run ended.
	Abandoned atomic.Int64

	mu sync.Mutex
	// byWorker counts, per worker, the commands sent to it and the workflows that failed, timed
	// out or were cancelled at its step.
	byWorker map[string]*WorkerOutcomes
}

// WorkerOutcomes counts one worker's steps: Executions is the commands sent to it (answered or
// not); Failed, TimedOut and Cancelled count the workflows that ended at its step that way.
type WorkerOutcomes struct {
	Executions, Failed, TimedOut, Cancelled int64
}

// worker returns the counts of worker, creating them; s.mu must be held.
func (s *Stats) worker(name string) *WorkerOutcomes {
	if s.byWorker == nil {
		s.byWorker = map[string]*WorkerOutcomes{}
	}
	w := s.byWorker[name]
	if w == nil {
		w = &WorkerOutcomes{}
		s.byWorker[name] = w
	}
	return w
}

func (s *Stats) countAt(worker string, o Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.worker(worker)
	switch o {
	case OutcomeFailed:
		w.Failed++
	case OutcomeTimedOut:
		w.TimedOut++
	case OutcomeCancelled:
		w.Cancelled++
	}
}

func (s *Stats) countCommand(worker string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.worker(worker).Executions++
}

// ByWorker copies the per-worker counts: every worker that was sent a command, and every
// worker at whose step a workflow was cancelled.
func (s *Stats) ByWorker() map[string]WorkerOutcomes {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]WorkerOutcomes, len(s.byWorker))
	for k, v := range s.byWorker {
		out[k] = *v
	}
	return out
}

// Snapshot is a copy of Stats at one moment.
type Snapshot struct {
	Started, Completed, Failed, TimedOut, Cancelled, Skipped, Behind, SlowSteps int64
	Events, PublishErrors, InFlight, Abandoned                                  int64
}

// Snapshot copies the counters.
func (s *Stats) Snapshot() Snapshot {
	return Snapshot{
		Started: s.Started.Load(), Completed: s.Completed.Load(), Failed: s.Failed.Load(),
		TimedOut: s.TimedOut.Load(), Cancelled: s.Cancelled.Load(), Skipped: s.Skipped.Load(), Behind: s.Behind.Load(),
		SlowSteps: s.SlowSteps.Load(), Events: s.Events.Load(), PublishErrors: s.PublishErrors.Load(),
		InFlight: s.InFlight.Load(), Abandoned: s.Abandoned.Load(),
	}
}

// Publisher delivers a batch of messages in order. It returns how many it could not deliver.
type Publisher interface {
	Publish(ctx context.Context, batch []Message) (failed int, err error)
}

// Runner drives one run: it starts workflows at the target rate of each of its streams and
// releases their messages when due. Its state advances only through Advance, so tests drive it
// with made-up times; Run does so with the wall clock.
type Runner struct {
	streams []*stream
	stats   Stats

	begin    time.Time
	deadline time.Time
	pending  scheduleHeap
	seq      int64
	// phase reporting, over every stream's phases
	phases    []Phase
	nextPhase int
}

// Stream is one workflow of a run: its scenario, its load, and when its first workflow starts,
// counted from the beginning of the run. Phases of its scenario count from the beginning of the
// run too, so the streams of one run share one timeline.
type Stream struct {
	Scenario *Scenario
	Load     Load
	Start    time.Duration
}

// stream is the pacing state of one Stream.
type stream struct {
	scenario *Scenario
	load     Load
	rng      *rand.Rand
	// begin is when the stream's first workflow starts.
	begin time.Time
	// maxStarts is the number of starts the stream makes: rate × duration, or Workflows if fewer.
	maxStarts int64
	// starts counts start slots used (started or skipped); nextStart is slot starts' time.
	starts    int64
	nextStart time.Time
}

// NewRunner prepares a run of scenario under load; the run's clock starts at begin.
func NewRunner(scenario *Scenario, load Load, begin time.Time) (*Runner, error) {
	return NewStreamsRunner([]Stream{{Scenario: scenario, Load: load}}, begin)
}

// NewStreamsRunner prepares a run of several workflows at once, each with its own rate, start
// and seed; the run's clock starts at begin.
func NewStreamsRunner(streams []Stream, begin time.Time) (*Runner, error) {
	if len(streams) == 0 {
		return nil, errors.New("streams: at least one workflow is needed")
	}
	r := &Runner{begin: begin}
	var errs []error
	for i, st := range streams {
		if err := errors.Join(st.Scenario.Validate(), st.Load.Validate()); err != nil {
			if len(streams) > 1 {
				err = fmt.Errorf("workflow %d (%s): %w", i+1, st.Scenario.WorkflowID, err)
			}
			errs = append(errs, err)
			continue
		}
		if st.Start < 0 {
			errs = append(errs, fmt.Errorf("workflow %d (%s): start must not be negative", i+1, st.Scenario.WorkflowID))
			continue
		}
		// Rounding down, minus a hair so 0.1 × 30 s does not become 2.9999 → 2 starts.
		maxStarts := max(int64(math.Floor(st.Load.Rate*st.Load.Duration.Seconds()+1e-9)), 1)
		if st.Load.Workflows > 0 {
			maxStarts = min(maxStarts, st.Load.Workflows)
		}
		s := &stream{
			scenario:  st.Scenario,
			load:      st.Load,
			rng:       rand.New(rand.NewPCG(st.Load.Seed, st.Load.Seed^0x9e3779b97f4a7c15)),
			begin:     begin.Add(st.Start),
			maxStarts: maxStarts,
		}
		s.nextStart = s.begin
		r.streams = append(r.streams, s)
		r.phases = append(r.phases, st.Scenario.sortedPhases()...)
		if end := s.begin.Add(st.Load.Duration + st.Load.Drain); end.After(r.deadline) {
			r.deadline = end
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.SliceStable(r.phases, func(i, j int) bool { return r.phases[i].At < r.phases[j].At })
	return r, nil
}

// Stats are the run's live counters.
func (r *Runner) Stats() *Stats { return &r.stats }

// RatesAt are worker's rates offset into the run, from the scenario of the first stream that
// has the worker (zero rates when none has it).
func (r *Runner) RatesAt(worker string, offset time.Duration) Rates {
	for _, s := range r.streams {
		for _, w := range s.scenario.Steps {
			if w == worker {
				return s.scenario.RatesAt(worker, offset)
			}
		}
	}
	return Rates{}
}

// Begin is when the run started.
func (r *Runner) Begin() time.Time { return r.begin }

func (s *stream) startsOver() bool { return s.starts >= s.maxStarts }

// maxStartsPerAdvance bounds the workflows one Advance plans per stream.
const maxStartsPerAdvance = 256

// startTime is when start slot n is due: computed from n, so rounding never accumulates.
func (s *stream) startTime(n int64) time.Time {
	return s.begin.Add(time.Duration(float64(n) * float64(time.Second) / s.load.Rate))
}

// Advance moves the run to now: it plans every workflow whose start is due and returns, in
// order, every message due by now together with the phases that began since the last call.
func (r *Runner) Advance(now time.Time) (due []Scheduled, phases []Phase) {
	for _, s := range r.streams {
		r.startDue(s, now)
	}
	for r.nextPhase < len(r.phases) && r.phases[r.nextPhase].At <= now.Sub(r.begin) {
		phases = append(phases, r.phases[r.nextPhase])
		r.nextPhase++
	}
	for len(r.pending) > 0 && !r.pending[0].At.After(now) {
		due = append(due, heap.Pop(&r.pending).(scheduled).Scheduled)
	}
	return due, phases
}

// startDue plans the workflows of s whose start is due by now.
func (r *Runner) startDue(s *stream, now time.Time) {
	// A run that is behind catches up in slices, so publishing goes on between them and the
	// in-flight cap only ever bites on workflows that are really pending.
	for planned := 0; !s.startsOver() && !s.nextStart.After(now) && planned < maxStartsPerAdvance; planned++ {
		start := s.nextStart
		s.starts++
		s.nextStart = s.startTime(s.starts)
		if int(r.stats.InFlight.Load()) >= s.load.MaxInFlight {
			r.stats.Skipped.Add(1)
			continue
		}
		n := r.stats.Started.Add(1)
		r.stats.InFlight.Add(1)
		// Phases count from the beginning of the run, not of the stream.
		plan := s.scenario.PlanWorkflow(s.rng, n, start, start.Sub(r.begin))
		for _, m := range plan.Messages {
			r.seq++
			heap.Push(&r.pending, scheduled{Scheduled: m, seq: r.seq})
		}
	}
	if !s.startsOver() && now.Sub(s.begin) >= s.load.Duration {
		r.stats.Behind.Add(s.maxStarts - s.starts)
		s.starts = s.maxStarts
	}
}

// Published accounts for messages handed to the publisher, failed of which were not delivered.
// Outcomes count when their deciding message goes out, delivered or not: the simulated
// deployment did decide them.
func (r *Runner) Published(batch []Scheduled, failed int) {
	r.stats.Events.Add(int64(len(batch) - failed))
	r.stats.PublishErrors.Add(int64(failed))
	for _, m := range batch {
		switch m.Outcome {
		case OutcomeCompleted:
			r.stats.Completed.Add(1)
		case OutcomeFailed:
			r.stats.Failed.Add(1)
		case OutcomeTimedOut:
			r.stats.TimedOut.Add(1)
		case OutcomeCancelled:
			r.stats.Cancelled.Add(1)
		}
		if m.Step != "" {
			r.stats.countAt(m.Step, m.Outcome)
		}
		if m.Command != "" {
			r.stats.countCommand(m.Command)
		}
		if m.Slow {
			r.stats.SlowSteps.Add(1)
		}
		if m.Last {
			r.stats.InFlight.Add(-1)
		}
	}
}

// NextDue is when Advance has something to do next, and whether anything is left at all.
func (r *Runner) NextDue() (time.Time, bool) {
	var next time.Time
	ok := false
	for _, s := range r.streams {
		if !s.startsOver() && (!ok || s.nextStart.Before(next)) {
			next, ok = s.nextStart, true
		}
	}
	if len(r.pending) > 0 && (!ok || r.pending[0].At.Before(next)) {
		next, ok = r.pending[0].At, true
	}
	return next, ok
}

// Deadline is when the run stops even with messages pending: the latest end of a stream's
// starts plus its Drain.
func (r *Runner) Deadline() time.Time { return r.deadline }

// Abandon drops what is still pending and counts the workflows it belonged to.
func (r *Runner) Abandon() {
	for len(r.pending) > 0 {
		if heap.Pop(&r.pending).(scheduled).Last {
			r.stats.Abandoned.Add(1)
			r.stats.InFlight.Add(-1)
		}
	}
}

// RunOptions are the wall-clock side of a run.
type RunOptions struct {
	// MaxBatch bounds the messages handed to the publisher at once.
	MaxBatch int
	// OnPhase is called when a phase begins (may be nil).
	OnPhase func(offset time.Duration, p Phase)
	// OnError is called with each publish error (may be nil).
	OnError func(error)
}

// Run drives r with the wall clock until nothing is left, the deadline passes or ctx ends.
func (r *Runner) Run(ctx context.Context, pub Publisher, opts RunOptions) error {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1000
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	deadline := r.Deadline()
	for {
		now := time.Now()
		if now.After(deadline) {
			r.Abandon()
			return nil
		}
		due, phases := r.Advance(now)
		for _, p := range phases {
			if opts.OnPhase != nil {
				opts.OnPhase(p.At, p)
			}
		}
		for len(due) > 0 {
			n := min(len(due), opts.MaxBatch)
			batch := due[:n]
			due = due[n:]
			msgs := make([]Message, len(batch))
			for i := range batch {
				msgs[i] = batch[i].Msg
			}
			failed, err := pub.Publish(ctx, msgs)
			if err != nil && opts.OnError != nil {
				opts.OnError(err)
			}
			r.Published(batch, failed)
			if ctx.Err() != nil {
				r.Abandon()
				return ctx.Err()
			}
		}
		next, ok := r.NextDue()
		if !ok {
			return nil
		}
		if next.After(deadline) {
			next = deadline.Add(time.Millisecond)
		}
		timer.Reset(max(time.Until(next), 0))
		select {
		case <-ctx.Done():
			r.Abandon()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

type scheduled struct {
	Scheduled
	seq int64
}

// scheduleHeap orders pending messages by due time, then by the order they were planned in, so
// one workflow's messages due at the same instant keep their order.
type scheduleHeap []scheduled

func (h scheduleHeap) Len() int { return len(h) }
func (h scheduleHeap) Less(i, j int) bool {
	if !h[i].At.Equal(h[j].At) {
		return h[i].At.Before(h[j].At)
	}
	return h[i].seq < h[j].seq
}
func (h scheduleHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *scheduleHeap) Push(x any)   { *h = append(*h, x.(scheduled)) }
func (h *scheduleHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
