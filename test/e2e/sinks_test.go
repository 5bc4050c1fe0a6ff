//go:build e2e

package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// slackSink is a local Slack incoming webhook: JSON POSTs only, text or attachments required, 200 "ok".
type slackSink struct {
	mu       sync.Mutex
	messages []string
	rejected []string
	srv      *httptest.Server
}

func newSlackSink(t *testing.T) *slackSink {
	s := &slackSink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var msg struct {
			Text        string            `json:"text"`
			Attachments []json.RawMessage `json:"attachments"`
		}
		switch {
		case r.Method != http.MethodPost:
			s.reject(w, http.StatusMethodNotAllowed, "invalid_method", string(body))
		case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
			s.reject(w, http.StatusBadRequest, "invalid_payload", string(body))
		case json.Unmarshal(body, &msg) != nil || (msg.Text == "" && len(msg.Attachments) == 0):
			s.reject(w, http.StatusBadRequest, "no_text", string(body))
		default:
			s.mu.Lock()
			s.messages = append(s.messages, string(body))
			s.mu.Unlock()
			_, _ = io.WriteString(w, "ok")
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *slackSink) reject(w http.ResponseWriter, code int, reason, body string) {
	s.mu.Lock()
	s.rejected = append(s.rejected, reason+": "+body)
	s.mu.Unlock()
	w.WriteHeader(code)
	_, _ = io.WriteString(w, reason)
}

// matching returns the messages that contain every one of parts.
func (s *slackSink) matching(parts ...string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.messages {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(m, p)
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// pdEvent is the part of an Events API v2 request the test checks.
type pdEvent struct {
	RoutingKey  string `json:"routing_key"`
	EventAction string `json:"event_action"`
	DedupKey    string `json:"dedup_key"`
	Payload     *struct {
		Summary  string `json:"summary"`
		Source   string `json:"source"`
		Severity string `json:"severity"`
	} `json:"payload"`
}

// pagerDutySink is a local Events API v2: a 32-character routing key, a known action, a payload
// with summary, source and severity on trigger; 202 on success, 400 otherwise.
type pagerDutySink struct {
	mu       sync.Mutex
	events   []pdEvent
	rejected []string
	srv      *httptest.Server
}

func newPagerDutySink(t *testing.T) *pagerDutySink {
	s := &pagerDutySink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var ev pdEvent
		err := json.Unmarshal(body, &ev)
		valid := err == nil && r.Method == http.MethodPost && len(ev.RoutingKey) == 32 &&
			(ev.EventAction == "trigger" || ev.EventAction == "resolve" || ev.EventAction == "acknowledge") &&
			(ev.EventAction != "trigger" || (ev.Payload != nil && ev.Payload.Summary != "" && ev.Payload.Source != "" && ev.Payload.Severity != "")) &&
			(ev.EventAction == "trigger" || ev.DedupKey != "")
		s.mu.Lock()
		defer s.mu.Unlock()
		if !valid {
			s.rejected = append(s.rejected, string(body))
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"status":"invalid event","message":"Event object is invalid","errors":["invalid"]}`)
			return
		}
		s.events = append(s.events, ev)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"success","message":"Event processed","dedup_key":"`+ev.DedupKey+`"}`)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *pagerDutySink) byAction(action string) []pdEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []pdEvent
	for _, e := range s.events {
		if e.EventAction == action {
			out = append(out, e)
		}
	}
	return out
}
