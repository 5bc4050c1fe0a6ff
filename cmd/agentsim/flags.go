package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/agentsim"
)

var errHelp = errors.New("help requested")

// options is everything the command line decides.
type options struct {
	scenario *agentsim.Scenario
	load     agentsim.Load
	seedSet  bool
	// mix is the named scenario chosen with --scenario; nil runs scenario under load.
	mix *agentsim.Mix

	redisAddr, redisPassword string
	httpURL                  string
	progress                 time.Duration
	maxBatch                 int
}

// multiFlag collects a flag given several times.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

const usageHeader = `agentsim: MultiAgents framework traffic on the real wire.

Runs workflows of steps over named workers and publishes each step's command and result,
compensations (newest first) on failure, and workflow status events on Redis Pub/Sub (or pushes
them to the multiagents receiver's POST /v1/events), at a target rate for a bounded time.

Examples:
  agentsim --rate 20 --duration 2m --fail payment=0.05
  agentsim --redis 127.0.0.1:6379 --duration 100s --phase 20s:payment=0.8 --phase 60s:payment=0
  agentsim --workers reserve,charge,ticket --timeout charge=0.01 --slow ticket=0.1 --slow-duration 8s
  agentsim --http http://localhost:4319 --workflows 1000 --rate 500
  agentsim --scenario trustworthy --seed 1

Named scenarios (--scenario) run several workflows on one timeline: %s.

Worker names in rates and phases may be any unique part of the name ("payment").
Rates are fractions (0.1) or percentages (10%%).

Flags:
`

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("agentsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, usageHeader, strings.Join(agentsim.MixNames(), ", "))
		fs.PrintDefaults()
	}
	def := agentsim.NewScenario()
	var (
		workers, steps                  string
		fail, timeout, slow, compensate multiFlag
		phases                          multiFlag
		o                               = &options{scenario: def}
		seed                            uint64
		drain                           optionalDuration
		workflows                       int64
		mixName                         string
		timeScale                       float64
	)
	fs.StringVar(&o.redisAddr, "redis", envOr("REDIS_ENDPOINT", "localhost:6379"), "Redis `host:port` to publish on; REDIS_ENDPOINT sets the default")
	fs.StringVar(&o.redisPassword, "redis-password", os.Getenv("REDIS_PASSWORD"), "Redis AUTH password; REDIS_PASSWORD sets the default")
	fs.StringVar(&def.Prefix, "prefix", def.Prefix, "channel prefix of the framework deployment")
	fs.StringVar(&o.httpURL, "http", "", "push to the receiver's HTTP endpoint at this `URL` instead of Redis (a URL without a path gets /v1/events)")
	fs.StringVar(&def.WorkflowID, "workflow-id", def.WorkflowID, "workflow id (metadata.source of orchestrator events)")
	fs.StringVar(&workers, "workers", strings.Join(def.Steps, ","), "the workflow's steps: worker types in order, comma-separated")
	fs.StringVar(&steps, "steps", "", "same as --workers")
	fs.Var(&fail, "fail", "failure rates, `worker=rate[,...]`: the result has success=false (repeatable)")
	fs.Var(&timeout, "timeout", "timeout rates, `worker=rate[,...]`: the command is never answered (repeatable)")
	fs.Var(&slow, "slow", "slow-step rates, `worker=rate[,...]`: the result comes after --slow-duration (repeatable)")
	fs.Var(&phases, "phase", "change a rate at an offset into the run, `offset:[fail:|timeout:|slow:]worker=rate[,...]`, e.g. 60s:payment=0.6 (repeatable)")
	fs.Var(&compensate, "compensate", "compensation of a worker's step, `worker=name[,...]`; an empty name means none (default: the e-commerce example's, else undo_<worker>)")
	fs.Float64Var(&def.CancelRate, "cancel", 0, "chance that a workflow is cancelled before one of its steps")
	fs.DurationVar(&def.StepLatency, "step-latency", def.StepLatency, "typical time from a command to its result (±50 %)")
	fs.DurationVar(&def.SlowDuration, "slow-duration", def.SlowDuration, "time from a command to its result on a slow step")
	fs.IntVar(&def.TimeoutSeconds, "step-timeout", def.TimeoutSeconds, "timeout_seconds written in each command")
	fs.StringVar(&def.ErrorMessage, "error-message", def.ErrorMessage, "reason in failed results (\"Worker <w> failed: <reason>\")")
	fs.Float64Var(&o.load.Rate, "rate", 10, "target workflows started per second")
	fs.DurationVar(&o.load.Duration, "duration", 60*time.Second, "how long workflows start, evenly spaced: --rate × --duration of them (every run is bounded)")
	fs.Int64Var(&workflows, "workflows", 0, "stop after starting this many workflows (0: only --duration bounds the run)")
	fs.Var(&drain, "drain", "after the last start, the `duration` pending steps may still take to finish (default --slow-duration + 2s)")
	fs.IntVar(&o.load.MaxInFlight, "max-in-flight", 10000, "cap on workflows with steps pending; starts beyond it are skipped and counted")
	fs.Uint64Var(&seed, "seed", 0, "random seed for reproducible outcomes (default: from the clock; printed at the start)")
	fs.DurationVar(&o.progress, "progress", 5*time.Second, "interval of progress lines (0: none)")
	fs.IntVar(&o.maxBatch, "batch", 500, "most events sent in one Redis pipeline or HTTP request")
	fs.StringVar(&mixName, "scenario", "", "run a named scenario of several workflows (`name`: "+strings.Join(agentsim.MixNames(), ", ")+"); it sets the workflows, rates, phases and length")
	fs.Float64Var(&timeScale, "time-scale", 1, "with --scenario: stretch its timeline this many times (rates divided, offsets and timeout_seconds multiplied)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (flags only; see --help)", fs.Arg(0))
	}
	if mixName != "" {
		if err := o.setMix(fs, mixName, timeScale, seed); err != nil {
			return nil, err
		}
		return o, nil
	}
	if isFlagSet(fs, "time-scale") {
		return nil, errors.New("time-scale: only with --scenario")
	}
	if steps != "" {
		workers = steps
	}
	def.Steps = nil
	for _, w := range strings.Split(workers, ",") {
		def.Steps = append(def.Steps, strings.TrimSpace(w))
	}
	for kind, specs := range map[string]multiFlag{agentsim.KindFail: fail, agentsim.KindTimeout: timeout, agentsim.KindSlow: slow} {
		for _, spec := range specs {
			if err := agentsim.ParseRates(def.Steps, kind, spec, def.Rates); err != nil {
				return nil, fmt.Errorf("--%w", err)
			}
		}
	}
	for _, spec := range compensate {
		for _, item := range strings.Split(spec, ",") {
			name, comp, ok := strings.Cut(strings.TrimSpace(item), "=")
			if !ok {
				return nil, fmt.Errorf("--compensate: %q is not worker=name", item)
			}
			w, err := agentsim.ResolveWorker(def.Steps, strings.TrimSpace(name))
			if err != nil {
				return nil, fmt.Errorf("--compensate: %w", err)
			}
			def.Compensations[w] = strings.TrimSpace(comp)
		}
	}
	for _, spec := range phases {
		ps, err := agentsim.ParsePhase(def.Steps, spec)
		if err != nil {
			return nil, fmt.Errorf("--%w", err)
		}
		def.Phases = append(def.Phases, ps...)
	}
	o.load.Workflows = workflows
	o.load.Drain = def.SlowDuration + 2*time.Second
	if drain.set {
		o.load.Drain = drain.d
	}
	o.load.Seed, o.seedSet = seed, isFlagSet(fs, "seed")
	if !o.seedSet {
		o.load.Seed = uint64(time.Now().UnixNano())
	}
	if o.progress < 0 {
		return nil, errors.New("progress: must not be negative")
	}
	if o.maxBatch <= 0 {
		return nil, errors.New("batch: must be positive")
	}
	if err := errors.Join(def.Validate(), o.load.Validate()); err != nil {
		return nil, err
	}
	return o, nil
}

// mixFlags are the flags that still apply with --scenario: where and how to publish, the seed,
// the channel prefix and step latency (which apply to every workflow of the scenario).
var mixFlags = map[string]bool{
	"redis": true, "redis-password": true, "prefix": true, "http": true, "seed": true,
	"progress": true, "batch": true, "step-latency": true, "scenario": true, "time-scale": true,
}

// setMix chooses the named scenario; the flags that shape a single workflow are refused with it.
func (o *options) setMix(fs *flag.FlagSet, name string, timeScale float64, seed uint64) error {
	newMix, ok := agentsim.Mixes[name]
	if !ok {
		return fmt.Errorf("scenario: %q is not one of %s", name, strings.Join(agentsim.MixNames(), ", "))
	}
	var conflict error
	fs.Visit(func(f *flag.Flag) {
		if !mixFlags[f.Name] && conflict == nil {
			conflict = fmt.Errorf("--%s cannot be combined with --scenario (the scenario sets the workflows)", f.Name)
		}
	})
	if conflict != nil {
		return conflict
	}
	m := newMix()
	for _, st := range m.Streams {
		st.Scenario.Prefix = o.scenario.Prefix
		st.Scenario.StepLatency = o.scenario.StepLatency
	}
	if err := m.Stretch(timeScale); err != nil {
		return err
	}
	o.seedSet = isFlagSet(fs, "seed")
	if !o.seedSet {
		seed = uint64(time.Now().UnixNano())
	}
	o.load.Seed = seed
	m.Seed(seed)
	if o.progress < 0 {
		return errors.New("progress: must not be negative")
	}
	if o.maxBatch <= 0 {
		return errors.New("batch: must be positive")
	}
	if err := m.Validate(); err != nil {
		return err
	}
	o.mix = m
	return nil
}

// optionalDuration is a duration flag whose default depends on other flags.
type optionalDuration struct {
	d   time.Duration
	set bool
}

func (o *optionalDuration) String() string {
	if o == nil || !o.set {
		return ""
	}
	return o.d.String()
}

func (o *optionalDuration) Set(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return err
	}
	o.d, o.set = d, true
	return nil
}

func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
