package notifytest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
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

// PagerDutyEvent is an event as the server decoded it.
type PagerDutyEvent struct {
	RoutingKey  string `json:"routing_key"`
	EventAction string `json:"event_action"`
	DedupKey    string `json:"dedup_key"`
	Client      string `json:"client"`
	ClientURL   string `json:"client_url"`
	Payload     *struct {
		Summary       string         `json:"summary"`
		Source        string         `json:"source"`
		Severity      string         `json:"severity"`
		Timestamp     string         `json:"timestamp"`
		Class         string         `json:"class"`
		CustomDetails map[string]any `json:"custom_details"`
	} `json:"payload"`
	Links []struct {
		Href string `json:"href"`
		Text string `json:"text"`
	} `json:"links"`
	Size int `json:"-"`
}

// PagerDutyMaxEventBytes is the Events API's size limit.
const (
	pdPath                 = "/v2/enqueue"
	PagerDutyMaxEventBytes = 512 * 1024
)

var pdSeverities = map[string]bool{"critical": true, "error": true, "warning": true, "info": true}

// NewPagerDutyServer starts a local Events API on loopback; it stops when the test ends.
func NewPagerDutyServer(t testing.TB) *PagerDutyServer {
	s := &PagerDutyServer{open: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the enqueue endpoint.
func (s *PagerDutyServer) URL() string { return s.srv.URL + pdPath }

// Close stops the server early, e.g. to test an unreachable endpoint.
func (s *PagerDutyServer) Close() { s.srv.Close() }

func (s *PagerDutyServer) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	invalid := func(problem string) {
		s.violations = append(s.violations, problem)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"status": "invalid event", "message": "Event object is invalid", "errors": []string{problem},
		})
	}
	if r.Method != http.MethodPost || r.URL.Path != pdPath {
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
	case "trigger":
		s.open[ev.DedupKey] = true
	case "resolve":
		if !s.open[ev.DedupKey] {
			s.violations = append(s.violations, "resolve before trigger: "+ev.DedupKey)
		}
		delete(s.open, ev.DedupKey)
	}
	s.accepted = append(s.accepted, ev)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "success", "message": "Event processed", "dedup_key": ev.DedupKey})
}

// CheckPagerDutyEvent applies the Events API v2 rules; it returns the problem, or "".
func CheckPagerDutyEvent(ev PagerDutyEvent) string {
	if utf8.RuneCountInString(ev.RoutingKey) != 32 {
		return "Invalid routing key"
	}
	switch ev.EventAction {
	case "trigger", "acknowledge", "resolve":
	default:
		return fmt.Sprintf("event_action %q is invalid", ev.EventAction)
	}
	if utf8.RuneCountInString(ev.DedupKey) > 255 {
		return "dedup_key is longer than 255 characters"
	}
	if ev.EventAction != "trigger" {
		if ev.DedupKey == "" {
			return "dedup_key is required for " + ev.EventAction
		}
		return ""
	}
	p := ev.Payload
	switch {
	case p == nil:
		return "payload is missing"
	case p.Summary == "" || utf8.RuneCountInString(p.Summary) > 1024:
		return "payload.summary must be 1 to 1024 characters"
	case !utf8.ValidString(p.Summary):
		return "payload.summary is not valid UTF-8"
	case p.Source == "":
		return "payload.source is missing"
	case !pdSeverities[p.Severity]:
		return fmt.Sprintf("payload.severity %q is invalid", p.Severity)
	}
	if p.Timestamp != "" {
		if _, err := time.Parse(time.RFC3339, p.Timestamp); err != nil {
			return "payload.timestamp is not ISO 8601"
		}
	}
	for _, l := range ev.Links {
		if u, err := url.Parse(l.Href); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Sprintf("links: href %q is not an http(s) URL", l.Href)
		}
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
