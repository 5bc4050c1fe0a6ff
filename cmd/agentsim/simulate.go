package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
)

// simulate runs the workload, printing progress every opts.progress and a summary at the end.
func simulate(ctx context.Context, opts *options, stdout, stderr io.Writer) int {
	var pub agentsim.Publisher
	target := ""
	if opts.httpURL != "" {
		hp, err := agentsim.NewHTTPPublisher(opts.httpURL)
		if err != nil {
			fmt.Fprintf(stderr, "agentsim: --%v\n", err)
			return 2
		}
		pub, target = hp, "HTTP "+hp.URL()
	} else {
		rp := agentsim.NewRedisPublisher(opts.redisAddr, opts.redisPassword)
		defer rp.Close()
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := rp.Ping(pingCtx)
		cancel()
		if err != nil {
			fmt.Fprintf(stderr, "agentsim: Redis at %s does not answer: %v\n", opts.redisAddr, err)
			return 1
		}
		pub, target = rp, fmt.Sprintf("Redis %s (channels %s*)", opts.redisAddr, opts.scenario.Prefix)
	}

	out := &lineWriter{w: stdout}
	var (
		r       *agentsim.Runner
		err     error
		workers []string
	)
	if m := opts.mix; m != nil {
		out.printf("agentsim: scenario %s: %s", m.Name, m.Summary)
		for _, st := range m.Streams {
			out.printf("agentsim: workflow %s", st.Describe())
		}
		out.printf("agentsim: → %s; seed %d", target, opts.load.Seed)
		for _, mark := range m.Timeline {
			out.printf("agentsim: at %s: %s", mark.At, mark.What)
		}
		r, err = agentsim.NewStreamsRunner(m.Streams, time.Now())
		workers = m.Workers()
	} else {
		s := opts.scenario
		bound := "for " + opts.load.Duration.String()
		if opts.load.Workflows > 0 {
			bound = fmt.Sprintf("%s or %d workflows, whichever comes first", bound, opts.load.Workflows)
		}
		out.printf("agentsim: workflow %s: %s", s.WorkflowID, strings.Join(s.Steps, " → "))
		out.printf("agentsim: %g workflows/s %s → %s; seed %d", opts.load.Rate, bound, target, opts.load.Seed)
		if rates := describeRates(s); rates != "" {
			out.printf("agentsim: rates: %s", rates)
		}
		for _, p := range s.Phases {
			out.printf("agentsim: phase at %s: %s %s rate → %g", p.At, p.Worker, p.Kind, p.Rate)
		}
		r, err = agentsim.NewRunner(s, opts.load, time.Now())
		workers = s.Steps
	}
	if err != nil {
		fmt.Fprintf(stderr, "agentsim: %v\n", err)
		return 2
	}
	stats := r.Stats()

	done := make(chan struct{})
	var wg sync.WaitGroup
	if opts.progress > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reportProgress(out, r, opts.progress, done)
		}()
	}
	var errMu sync.Mutex
	lastErr, errCount := "", 0
	runErr := r.Run(ctx, pub, agentsim.RunOptions{
		MaxBatch: opts.maxBatch,
		OnPhase: func(at time.Duration, p agentsim.Phase) {
			out.printf("[%s] phase: %s %s rate %g → %g", offset(at), p.Worker, p.Kind, r.RatesAt(p.Worker, at-1).Get(p.Kind), p.Rate)
		},
		OnError: func(err error) {
			errMu.Lock()
			defer errMu.Unlock()
			errCount++
			// The first error of each kind is shown; repeats are counted in the summary.
			if msg := err.Error(); msg != lastErr {
				lastErr = msg
				out.printf("[%s] publish error: %s", offset(time.Since(r.Begin())), msg)
			}
		},
	})
	close(done)
	wg.Wait()

	elapsed := time.Since(r.Begin())
	snap := stats.Snapshot()
	if runErr != nil {
		out.printf("agentsim: stopped early after %s (%v)", elapsed.Round(100*time.Millisecond), runErr)
	}
	out.printf("agentsim: summary after %s", elapsed.Round(100*time.Millisecond))
	secs := elapsed.Seconds()
	out.printf("  workflows  started %d (%.1f/s), completed %d, failed %d, timed out %d, cancelled %d, unfinished %d",
		snap.Started, float64(snap.Started)/secs, snap.Completed, snap.Failed, snap.TimedOut, snap.Cancelled, snap.Abandoned)
	if snap.Skipped > 0 || snap.Behind > 0 {
		out.printf("  not made   %d starts skipped at --max-in-flight, %d not started because the run fell behind its rate", snap.Skipped, snap.Behind)
	}
	if by := describeByWorker(stats.ByWorker()); by != "" {
		out.printf("  by worker  %s", by)
	}
	out.printf("  events     published %d (%.0f/s), not delivered %d, slow steps %d", snap.Events, float64(snap.Events)/secs, snap.PublishErrors, snap.SlowSteps)
	printWorkerTable(out, workers, stats.ByWorker())
	if snap.PublishErrors > 0 {
		return 1
	}
	return 0
}

func reportProgress(out *lineWriter, r *agentsim.Runner, every time.Duration, done <-chan struct{}) {
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	stats := r.Stats()
	prev, prevAt := stats.Snapshot(), r.Begin()
	for {
		select {
		case <-done:
			return
		case now := <-ticker.C:
			s := stats.Snapshot()
			dt := now.Sub(prevAt).Seconds()
			out.printf("[%s] started %d  completed %d  failed %d  timed out %d  in flight %d | %.1f workflows/s  %.0f events/s%s",
				offset(now.Sub(r.Begin())), s.Started, s.Completed, s.Failed, s.TimedOut, s.InFlight,
				float64(s.Started-prev.Started)/dt, float64(s.Events-prev.Events)/dt, errorNote(s.PublishErrors-prev.PublishErrors))
			prev, prevAt = s, now
		}
	}
}

func errorNote(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("  (%d not delivered)", n)
}

// offset formats a duration into the run as fixed-width whole seconds, "  20s", " 100s".
func offset(d time.Duration) string {
	return fmt.Sprintf("%4ds", int64(d/time.Second))
}

func describeRates(s *agentsim.Scenario) string {
	var parts []string
	for _, w := range s.Steps {
		r, ok := s.Rates[w]
		if !ok {
			continue
		}
		var kinds []string
		for _, k := range []string{agentsim.KindFail, agentsim.KindTimeout, agentsim.KindSlow} {
			if v := r.Get(k); v > 0 {
				kinds = append(kinds, fmt.Sprintf("%s=%g", k, v))
			}
		}
		if len(kinds) > 0 {
			parts = append(parts, w+" "+strings.Join(kinds, " "))
		}
	}
	if s.CancelRate > 0 {
		parts = append(parts, fmt.Sprintf("cancel=%g", s.CancelRate))
	}
	return strings.Join(parts, "; ")
}

func describeByWorker(by map[string]agentsim.WorkerOutcomes) string {
	names := make([]string, 0, len(by))
	for w := range by {
		names = append(names, w)
	}
	sort.Strings(names)
	var parts []string
	for _, w := range names {
		o := by[w]
		if o.Failed == 0 && o.TimedOut == 0 && o.Cancelled == 0 {
			continue // a worker with executions only
		}
		var kinds []string
		if o.Failed > 0 {
			kinds = append(kinds, fmt.Sprintf("%d failed", o.Failed))
		}
		if o.TimedOut > 0 {
			kinds = append(kinds, fmt.Sprintf("%d timed out", o.TimedOut))
		}
		if o.Cancelled > 0 {
			kinds = append(kinds, fmt.Sprintf("%d cancelled before it", o.Cancelled))
		}
		parts = append(parts, w+": "+strings.Join(kinds, ", "))
	}
	return strings.Join(parts, "; ")
}

// workerTableHeader heads the per-worker counts at the end of the summary.
const workerTableHeader = "  per worker           executions   failed  timed out"

// printWorkerTable prints, for every worker in order, the commands it was sent and how many of
// its steps failed or got no result; a test can compare them with what a collector counted.
func printWorkerTable(out *lineWriter, workers []string, by map[string]agentsim.WorkerOutcomes) {
	out.printf(workerTableHeader)
	for _, w := range workers {
		o := by[w]
		out.printf("    %-18s %10d %8d %10d", w, o.Executions, o.Failed, o.TimedOut)
	}
}

// lineWriter writes whole lines from several goroutines without interleaving them.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", args...)
}
