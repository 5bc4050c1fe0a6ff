package pagerdutyexporter

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// pdServer is a local PagerDuty Events API v2 that enforces its contract: POST of JSON to
// /v2/enqueue, at most 512 KB, a 32-character routing_key, a known event_action, a dedup_key
// of at most 255 characters, and for a trigger a payload with summary (≤ 1024 characters),
// source and one of the four severities. It answers 202 unless a scripted answer is queued,
// and it tracks open incidents by dedup_key.
type pdServer struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	script     []pdAnswer
	attempts   []time.Time
	accepted   []pdEvent
	violations []string
	open       map[string]bool
}

type pdAnswer struct {
	status     int
	retryAfter string
	body       string
}

type pdEvent struct {
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
	size int
}

const (
	pdPath          = "/v2/enqueue"
	pdMaxEventBytes = 512 * 1024
)

var pdSeverities = map[string]bool{"critical": true, "error": true, "warning": true, "info": true}

func newPDServer(t *testing.T) *pdServer {
	s := &pdServer{t: t, open: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *pdServer) url() string { return s.srv.URL + pdPath }

func (s *pdServer) handle(w http.ResponseWriter, r *http.Request) {
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
	body, _ := io.ReadAll(io.LimitReader(r.Body, pdMaxEventBytes+1))
	if len(body) > pdMaxEventBytes {
		invalid("Event exceeds 512 KB")
		return
	}
	var ev pdEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		invalid("Body is not valid JSON")
		return
	}
	ev.size = len(body)
	if problem := checkPDEvent(ev); problem != "" {
		invalid(problem)
		return
	}
	s.attempts = append(s.attempts, time.Now())
	if len(s.script) > 0 {
		a := s.script[0]
		s.script = s.script[1:]
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
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

func checkPDEvent(ev pdEvent) string {
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
	return ""
}

func (s *pdServer) queue(answers ...pdAnswer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, answers...)
}

func (s *pdServer) events() []pdEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]pdEvent(nil), s.accepted...)
}

func (s *pdServer) attemptTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.attempts...)
}

func (s *pdServer) contractViolations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}
