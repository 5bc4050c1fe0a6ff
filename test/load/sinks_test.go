//go:build loadtest

package load

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
)

// The local sinks apply the same contract checks as the exporters' tests (notifytest) but record
// when every request arrived instead of throttling, so a run can measure the notifier's own pacing.

const (
	slackPath  = "/services/T000/B000/load"
	routingKey = "0123456789abcdef0123456789abcdef"
)

// notification is one accepted request: when it arrived, its alert, state and worker.
type notification struct {
	at                   time.Time
	alert, state, worker string
	dedup                string // PagerDuty's dedup_key
}

type sink struct {
	srv        *httptest.Server
	mu         sync.Mutex
	got        []notification
	violations []string
}

func (s *sink) accept(n notification) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, n)
}

func (s *sink) violate(w http.ResponseWriter, status int, problem string) {
	s.mu.Lock()
	s.violations = append(s.violations, problem)
	s.mu.Unlock()
	w.WriteHeader(status)
	_, _ = io.WriteString(w, problem)
}

// notifications returns what was accepted, in arrival order, and the contract violations.
func (s *sink) notifications() ([]notification, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]notification(nil), s.got...), append([]string(nil), s.violations...)
}

// matching returns the arrival times of notifications of alert in state ("" = any worker).
func (s *sink) matching(alert, state, worker string) []time.Time {
	got, _ := s.notifications()
	var out []time.Time
	for _, n := range got {
		if n.alert == alert && n.state == state && (worker == "" || n.worker == worker) {
			out = append(out, n.at)
		}
	}
	return out
}

// lastWithDedup is the latest accepted event with dedup_key key, or nil.
func (s *sink) lastWithDedup(key string) *notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.got) - 1; i >= 0; i-- {
		if s.got[i].dedup == key {
			n := s.got[i]
			return &n
		}
	}
	return nil
}

// arrivals returns when every accepted request arrived.
func (s *sink) arrivals() []time.Time {
	got, _ := s.notifications()
	out := make([]time.Time, len(got))
	for i, n := range got {
		out[i] = n.at
	}
	return out
}

// newSlackSink is a Slack incoming webhook: POST of JSON to the webhook path, a valid message.
func newSlackSink(t *testing.T) *sink {
	s := &sink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var msg notifytest.SlackMessage
		switch {
		case r.Method != http.MethodPost || r.URL.Path != slackPath:
			s.violate(w, http.StatusNotFound, "no_service")
			return
		case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
			s.violate(w, http.StatusBadRequest, "invalid_payload: content type")
			return
		case json.Unmarshal(body, &msg) != nil:
			s.violate(w, http.StatusBadRequest, "invalid_payload: json")
			return
		}
		if problem := notifytest.CheckSlackMessage(msg); problem != "" {
			s.violate(w, http.StatusBadRequest, "invalid_payload: "+problem)
			return
		}
		n := notification{at: now}
		if len(msg.Attachments) > 0 {
			title := msg.Attachments[0].Title
			n.worker = msg.Field("worker.name")
			for _, name := range []string{"worker_failure", "error_spike", "high_error_rate", "bus_silent", "high_latency"} {
				if strings.Contains(title, name) {
					n.alert = name
				}
			}
			switch {
			case strings.Contains(title, "RESOLVED"):
				n.state = "resolved"
			case strings.Contains(title, "FIRING"):
				n.state = "firing"
			}
		}
		s.accept(n)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// newPagerDutySink is the Events API v2 enqueue endpoint.
func newPagerDutySink(t *testing.T) *sink {
	s := &sink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		body, _ := io.ReadAll(io.LimitReader(r.Body, notifytest.PagerDutyMaxEventBytes+1))
		var ev notifytest.PagerDutyEvent
		switch {
		case r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue":
			s.violate(w, http.StatusNotFound, r.Method+" "+r.URL.Path)
			return
		case r.Header.Get("Content-Type") != "application/json" || len(body) > notifytest.PagerDutyMaxEventBytes:
			s.violate(w, http.StatusBadRequest, "content type or size")
			return
		case json.Unmarshal(body, &ev) != nil:
			s.violate(w, http.StatusBadRequest, "Body is not valid JSON")
			return
		}
		if problem := notifytest.CheckPagerDutyEvent(ev); problem != "" {
			s.violate(w, http.StatusBadRequest, problem)
			return
		}
		n := notification{at: now, state: map[string]string{"trigger": "firing", "resolve": "resolved"}[ev.EventAction], dedup: ev.DedupKey}
		if ev.Payload != nil {
			n.alert, _ = ev.Payload.CustomDetails["alertname"].(string)
			if labels, ok := ev.Payload.CustomDetails["labels"].(map[string]any); ok {
				n.worker, _ = labels["worker.name"].(string)
			}
		} else if opened := s.lastWithDedup(ev.DedupKey); opened != nil {
			// A resolve carries only the incident's dedup_key: it is about what that incident was.
			n.alert, n.worker = opened.alert, opened.worker
		}
		s.accept(n)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"success","message":"Event processed","dedup_key":"`+ev.DedupKey+`"}`)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// notifierFlags point the Slack and PagerDuty exporters at the sinks.
func notifierFlags(slack, pd *sink) (flags, env []string) {
	return []string{
			"--set=exporters::slack::insecure_allow_http=true",
			"--set=exporters::pagerduty::endpoint=" + pd.srv.URL + "/v2/enqueue",
		}, []string{
			"SLACK_WEBHOOK_URL=" + slack.srv.URL + slackPath,
			"PAGERDUTY_ROUTING_KEY=" + routingKey,
		}
}
