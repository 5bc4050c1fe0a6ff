package agentsim

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Rates are the chances that one step on a worker fails (result success=false), times out (a
// command that no result ever answers) or is slow (a successful result after SlowDuration).
// Each is in [0, 1] and together they never exceed 1.
type Rates struct {
	Fail, Timeout, Slow float64
}

// Outcome kinds a rate or a phase can set.
const (
	KindFail    = "fail"
	KindTimeout = "timeout"
	KindSlow    = "slow"
)

func (r *Rates) set(kind string, v float64) {
	switch kind {
	case KindTimeout:
		r.Timeout = v
	case KindSlow:
		r.Slow = v
	default:
		r.Fail = v
	}
}

// Get is the rate of kind (KindFail, KindTimeout or KindSlow).
func (r Rates) Get(kind string) float64 {
	switch kind {
	case KindTimeout:
		return r.Timeout
	case KindSlow:
		return r.Slow
	default:
		return r.Fail
	}
}

// Phase changes one rate of one worker At an offset from the start of the run.
type Phase struct {
	At     time.Duration
	Kind   string // KindFail, KindTimeout or KindSlow
	Worker string
	Rate   float64
}

func (p Phase) String() string {
	return fmt.Sprintf("%s:%s:%s=%g", p.At, p.Kind, p.Worker, p.Rate)
}

// Scenario is what one simulated deployment does: one workflow of ordered steps, each run by the
// worker of that name, with per-worker outcome rates that phases change during the run.
type Scenario struct {
	// Prefix is the channel prefix ("multiagent:").
	Prefix string
	// WorkflowID names the workflow (metadata.source of orchestrator events).
	WorkflowID string
	// Steps are the worker types a workflow runs, in order.
	Steps []string
	// Rates per worker at the start of the run; a missing worker never fails.
	Rates map[string]Rates
	// Phases change rates during the run, applied in order of At.
	Phases []Phase
	// Compensations name the compensation of each worker's step; a worker that is absent uses
	// DefaultCompensation, one mapped to "" has none.
	Compensations map[string]string
	// CancelRate is the chance that a workflow is cancelled before one of its steps.
	CancelRate float64
	// StepLatency is the typical time from a command to its result (jittered ±50 %).
	StepLatency time.Duration
	// SlowDuration is the time from a command to its result on a slow step.
	SlowDuration time.Duration
	// TimeoutSeconds is the command's timeout_seconds field.
	TimeoutSeconds int
	// ErrorMessage is the reason in failed results ("Worker <w> failed: <reason>").
	ErrorMessage string
}

// DefaultSteps is the guide's e-commerce order workflow.
var DefaultSteps = []string{"validate_order", "check_inventory", "process_payment", "ship_order"}

// DefaultCompensations are the framework example's compensations for DefaultSteps.
var DefaultCompensations = map[string]string{
	"validate_order":  "",
	"check_inventory": "release_inventory",
	"process_payment": "refund_payment",
	"ship_order":      "cancel_shipment",
}

// DefaultCompensation names the compensation of a worker without a configured one.
func DefaultCompensation(worker string) string { return "undo_" + worker }

// NewScenario returns the e-commerce scenario with no failures.
func NewScenario() *Scenario {
	comp := make(map[string]string, len(DefaultCompensations))
	for k, v := range DefaultCompensations {
		comp[k] = v
	}
	return &Scenario{
		Prefix:         "multiagent:",
		WorkflowID:     "ecommerce_order_processing",
		Steps:          append([]string(nil), DefaultSteps...),
		Rates:          map[string]Rates{},
		Compensations:  comp,
		StepLatency:    20 * time.Millisecond,
		SlowDuration:   6 * time.Second,
		TimeoutSeconds: 30,
		ErrorMessage:   "simulated failure",
	}
}

// Compensation is the compensation type of worker's step, or "" when it has none.
func (s *Scenario) Compensation(worker string) string {
	if c, ok := s.Compensations[worker]; ok {
		return c
	}
	return DefaultCompensation(worker)
}

// Validate reports the first problem, naming the setting.
func (s *Scenario) Validate() error {
	var errs []error
	if len(s.Steps) == 0 {
		errs = append(errs, errors.New("workers: at least one worker is needed"))
	}
	for _, w := range s.Steps {
		if w == "" {
			errs = append(errs, errors.New("workers: empty worker name"))
		}
	}
	if s.WorkflowID == "" {
		errs = append(errs, errors.New("workflow-id: must not be empty"))
	}
	if s.StepLatency < 0 {
		errs = append(errs, errors.New("step-latency: must not be negative"))
	}
	if s.SlowDuration < 0 {
		errs = append(errs, errors.New("slow-duration: must not be negative"))
	}
	if s.TimeoutSeconds < 0 {
		errs = append(errs, errors.New("step-timeout: must not be negative"))
	}
	if !(s.CancelRate >= 0 && s.CancelRate <= 1) {
		errs = append(errs, fmt.Errorf("cancel: rate %g is outside [0, 1]", s.CancelRate))
	}
	known := map[string]bool{}
	for _, w := range s.Steps {
		known[w] = true
	}
	for w, r := range s.Rates {
		if !known[w] {
			errs = append(errs, fmt.Errorf("rates: %q is not one of the workers %v", w, s.Steps))
		}
		if err := r.check(); err != nil {
			errs = append(errs, fmt.Errorf("rates of %s: %w", w, err))
		}
	}
	// Every phase must leave the worker's rates valid at the moment it applies.
	current := map[string]Rates{}
	for w, r := range s.Rates {
		current[w] = r
	}
	for _, p := range s.sortedPhases() {
		if !known[p.Worker] {
			errs = append(errs, fmt.Errorf("phase %s: %q is not one of the workers %v", p, p.Worker, s.Steps))
			continue
		}
		if p.At < 0 {
			errs = append(errs, fmt.Errorf("phase %s: offset must not be negative", p))
		}
		r := current[p.Worker]
		r.set(p.Kind, p.Rate)
		if err := r.check(); err != nil {
			errs = append(errs, fmt.Errorf("phase %s: %w", p, err))
		}
		current[p.Worker] = r
	}
	return errors.Join(errs...)
}

func (r Rates) check() error {
	for _, k := range []string{KindFail, KindTimeout, KindSlow} {
		if v := r.Get(k); !(v >= 0 && v <= 1) {
			return fmt.Errorf("%s rate %g is outside [0, 1]", k, v)
		}
	}
	if sum := r.Fail + r.Timeout + r.Slow; sum > 1+1e-9 {
		return fmt.Errorf("fail + timeout + slow = %g exceeds 1", sum)
	}
	return nil
}

func (s *Scenario) sortedPhases() []Phase {
	ps := append([]Phase(nil), s.Phases...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].At < ps[j].At })
	return ps
}

// RatesAt are worker's rates at offset from the start of the run: the initial rates with every
// phase at or before offset applied in order.
func (s *Scenario) RatesAt(worker string, offset time.Duration) Rates {
	r := s.Rates[worker]
	for _, p := range s.sortedPhases() {
		if p.At > offset {
			break
		}
		if p.Worker == worker {
			r.set(p.Kind, p.Rate)
		}
	}
	return r
}

// ResolveWorker maps a name given on the command line to a worker: the exact name, or else the
// one worker whose name contains it ("payment" → "process_payment").
func ResolveWorker(steps []string, name string) (string, error) {
	var matches []string
	for _, w := range steps {
		if w == name {
			return w, nil
		}
		if strings.Contains(w, name) {
			matches = append(matches, w)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return "", fmt.Errorf("%q is not one of the workers %v", name, steps)
	default:
		return "", fmt.Errorf("%q matches several workers %v; use the full name", name, matches)
	}
}

// ParseRates parses "worker=rate[,worker=rate...]" into rates of kind, resolving worker names
// against steps.
func ParseRates(steps []string, kind, spec string, into map[string]Rates) error {
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, ok := strings.Cut(item, "=")
		if !ok {
			return fmt.Errorf("%s: %q is not worker=rate", kind, item)
		}
		worker, err := ResolveWorker(steps, strings.TrimSpace(name))
		if err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
		v, err := parseRate(value)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", kind, item, err)
		}
		r := into[worker]
		r.set(kind, v)
		into[worker] = r
	}
	return nil
}

// ParsePhase parses "<offset>:[fail:|timeout:|slow:]worker=rate[,worker=rate...]", e.g.
// "60s:payment=0.6" or "30s:slow:ship_order=0.5". The kind defaults to fail.
func ParsePhase(steps []string, spec string) ([]Phase, error) {
	at, rest, ok := strings.Cut(spec, ":")
	if !ok {
		return nil, fmt.Errorf("phase %q: want <offset>:worker=rate, e.g. 60s:process_payment=0.6", spec)
	}
	offset, err := time.ParseDuration(strings.TrimSpace(at))
	if err != nil {
		return nil, fmt.Errorf("phase %q: offset: %w", spec, err)
	}
	if offset < 0 {
		return nil, fmt.Errorf("phase %q: offset must not be negative", spec)
	}
	kind := KindFail
	if k, tail, ok := strings.Cut(rest, ":"); ok {
		switch k {
		case KindFail, KindTimeout, KindSlow:
			kind, rest = k, tail
		default:
			return nil, fmt.Errorf("phase %q: kind %q is not fail, timeout or slow", spec, k)
		}
	}
	rates := map[string]Rates{}
	order := []string{}
	for _, item := range strings.Split(rest, ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(item), "=")
		if w, err := ResolveWorker(steps, strings.TrimSpace(name)); err == nil {
			order = append(order, w)
		}
	}
	if err := ParseRates(steps, kind, rest, rates); err != nil {
		return nil, fmt.Errorf("phase %q: %w", spec, err)
	}
	if len(rates) == 0 {
		return nil, fmt.Errorf("phase %q: no worker=rate", spec)
	}
	var phases []Phase
	seen := map[string]bool{}
	for _, w := range order {
		if seen[w] {
			continue
		}
		seen[w] = true
		phases = append(phases, Phase{At: offset, Kind: kind, Worker: w, Rate: rates[w].Get(kind)})
	}
	return phases, nil
}

func parseRate(s string) (float64, error) {
	s = strings.TrimSpace(s)
	percent := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("rate %q is not a number", s)
	}
	if percent {
		v /= 100
	}
	if !(v >= 0 && v <= 1) { // also rejects NaN
		return 0, fmt.Errorf("rate %g is outside [0, 1]", v)
	}
	return v, nil
}
