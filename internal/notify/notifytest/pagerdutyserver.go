package notifytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/pagerdutyapi"
)

// PagerDutyServer is a local PagerDuty Events API v2 that enforces its contract: POST of JSON to
// /v2/enqueue, at most 512 KB, a 32-character routing_key, a known event_action, a dedup_key
// of at most 255 characters, and for a trigger a payload with summary (≤ 1024 characters),
// source and one of the four severities. It answers 202 unless a scripted answer is queued,
// and it tracks open incidents by dedup_key (a resolve for no open incident is a violation).
type PagerDutyServer struct {
	srv *httptest.Server

	mu         sync.Mutex
	script     []Answer
	attempts   []time.Time
	accepted   []PagerDutyEvent
	violations []string
	open       map[string]bool
}

// PagerDutyEvent is an event as the server decoded it, and the size of its body.
type PagerDutyEvent struct {
	pagerdutyapi.Event
	Size int `json:"-"`
}

// PagerDutyMaxEventBytes is the Events API's size limit.
const PagerDutyMaxEventBytes = pagerdutyapi.MaxEventBytes

// NewPagerDutyServer starts a local Events API on loopback; it stops when the test ends.
func NewPagerDutyServer(t testing.TB) *PagerDutyServer {
	s := &PagerDutyServer{open: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the enqueue endpoint.
func (s *PagerDutyServer) URL() string { return s.srv.URL + pagerdutyapi.EnqueuePath }

// Close stops the server early, e.g. to test an unreachable endpoint.
func (s *PagerDutyServer) Close() { s.srv.Close() }

func (s *PagerDutyServer) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	invalid := func(problem string) {
		s.violations = append(s.violations, problem)
		pagerdutyapi.WriteRejected(w, pagerdutyapi.StatusInvalid, "invalid event", problem)
	}
	if r.Method != http.MethodPost || r.URL.Path != pagerdutyapi.EnqueuePath {
		s.violations = append(s.violations, r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if r.Header.Get("Content-Type") != "application/json" {
		invalid("Content-Type must be application/json")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, PagerDutyMaxEventBytes+1))
	if len(body) > PagerDutyMaxEventBytes {
		invalid("Event exceeds 512 KB")
		return
	}
	var ev PagerDutyEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		invalid("Body is not valid JSON")
		return
	}
	ev.Size = len(body)
	if problem := CheckPagerDutyEvent(ev); problem != "" {
		invalid(problem)
		return
	}
	s.attempts = append(s.attempts, time.Now())
	if len(s.script) > 0 {
		a := s.script[0]
		s.script = s.script[1:]
		if a.RetryAfter != "" {
			w.Header().Set("Retry-After", a.RetryAfter)
		}
		w.WriteHeader(a.Status)
		_, _ = io.WriteString(w, a.Body)
		return
	}
	switch ev.EventAction {
	case pagerdutyapi.ActionTrigger:
		s.open[ev.DedupKey] = true
	case pagerdutyapi.ActionResolve:
		if !s.open[ev.DedupKey] {
			s.violations = append(s.violations, "resolve before trigger: "+ev.DedupKey)
		}
		delete(s.open, ev.DedupKey)
	}
	s.accepted = append(s.accepted, ev)
	pagerdutyapi.WriteAccepted(w, ev.DedupKey)
}

// CheckPagerDutyEvent applies the Events API v2 rules (pagerdutyapi); it returns the first
// problem, or "".
func CheckPagerDutyEvent(ev PagerDutyEvent) string {
	if problems := ev.Problems(); len(problems) > 0 {
		return problems[0]
	}
	return ""
}

// Queue scripts the next answers, given before any event is accepted.
func (s *PagerDutyServer) Queue(answers ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, answers...)
}

// Events returns the accepted events in order of arrival.
func (s *PagerDutyServer) Events() []PagerDutyEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PagerDutyEvent(nil), s.accepted...)
}

// AttemptTimes returns when each valid request arrived, accepted or answered from the script.
func (s *PagerDutyServer) AttemptTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.attempts...)
}

// Violations returns the contract violations seen (a well-behaved exporter causes none).
func (s *PagerDutyServer) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}
