package slackexporter

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// slackServer is a local Slack incoming webhook that enforces the API contract: POST of JSON
// to the webhook's own path, a message with text or attachments, Slack's size limits, at most
// one message per second (429 with Retry-After past it). It answers 200 "ok" unless a scripted
// answer is queued.
type slackServer struct {
	t    *testing.T
	srv  *httptest.Server
	path string

	mu         sync.Mutex
	script     []scripted  // answers to give before accepting
	attempts   []time.Time // every request that reached the contract checks
	accepted   []slackMessage
	arrivals   []time.Time
	violation  []string // contract violations seen (a well-behaved exporter causes none)
	throttled  int      // 429s given for going faster than one message per second
	tokens     float64
	lastRefill time.Time
}

type scripted struct {
	status     int
	retryAfter string
	body       string
}

type slackMessage struct {
	Channel     string `json:"channel"`
	Username    string `json:"username"`
	IconEmoji   string `json:"icon_emoji"`
	Text        string `json:"text"`
	Attachments []struct {
		Color  string `json:"color"`
		Title  string `json:"title"`
		Text   string `json:"text"`
		Fields []struct {
			Title string `json:"title"`
			Value string `json:"value"`
			Short bool   `json:"short"`
		} `json:"fields"`
	} `json:"attachments"`
}

func (m slackMessage) field(title string) string {
	for _, f := range m.Attachments[0].Fields {
		if f.Title == title {
			return f.Value
		}
	}
	return ""
}

const (
	slackWebhookPath    = "/services/T0SECRET/B0SECRET/XyZsecretTOKEN123"
	slackMaxTextChars   = 40000
	slackPerSecond      = 1.0
	slackBurst          = 2.0
	slackMaxBodyBytes   = 1 << 20
	slackInvalidPayload = "invalid_payload"
)

var colorPattern = regexp.MustCompile(`^#[0-9a-f]{6}$`)

func newSlackServer(t *testing.T) *slackServer {
	s := &slackServer{t: t, path: slackWebhookPath}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *slackServer) url() string { return s.srv.URL + s.path }

func (s *slackServer) handle(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	reject := func(status int, text string) {
		s.violation = append(s.violation, strconv.Itoa(status)+" "+text)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, text)
	}
	if r.Method != http.MethodPost {
		reject(http.StatusMethodNotAllowed, "invalid_method")
		return
	}
	if r.URL.Path != s.path {
		reject(http.StatusNotFound, "no_service")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" && ct != "application/json; charset=utf-8" {
		reject(http.StatusBadRequest, slackInvalidPayload)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, slackMaxBodyBytes+1))
	if err != nil || len(body) > slackMaxBodyBytes {
		reject(http.StatusRequestEntityTooLarge, "request_too_large")
		return
	}
	var msg slackMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		reject(http.StatusBadRequest, slackInvalidPayload)
		return
	}
	if problem := checkSlackMessage(msg); problem != "" {
		reject(http.StatusBadRequest, slackInvalidPayload+": "+problem)
		return
	}
	s.attempts = append(s.attempts, now)
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
	if !s.takeToken(now) {
		s.throttled++
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, "rate_limited")
		return
	}
	s.accepted = append(s.accepted, msg)
	s.arrivals = append(s.arrivals, now)
	_, _ = io.WriteString(w, "ok")
}

// takeToken is Slack's rate limit: one message per second per webhook, short bursts allowed
// (a bucket of two). Counting at the server means a message delayed in transit can arrive right
// behind the next one; the burst absorbs that without letting a sender go faster than 1/s.
func (s *slackServer) takeToken(now time.Time) bool {
	if s.lastRefill.IsZero() {
		s.tokens, s.lastRefill = slackBurst, now
	}
	s.tokens = min(slackBurst, s.tokens+now.Sub(s.lastRefill).Seconds()*slackPerSecond)
	s.lastRefill = now
	if s.tokens < 1 {
		return false
	}
	s.tokens--
	return true
}

// checkSlackMessage applies Slack's rules for an incoming-webhook message with attachments.
func checkSlackMessage(m slackMessage) string {
	if m.Text == "" && len(m.Attachments) == 0 {
		return "no_text"
	}
	total := utf8.RuneCountInString(m.Text)
	for _, a := range m.Attachments {
		if a.Color != "" && !colorPattern.MatchString(a.Color) && a.Color != "good" && a.Color != "warning" && a.Color != "danger" {
			return "bad color " + a.Color
		}
		if a.Title == "" && a.Text == "" {
			return "empty attachment"
		}
		total += utf8.RuneCountInString(a.Title) + utf8.RuneCountInString(a.Text)
		for _, f := range a.Fields {
			if f.Title == "" {
				return "field without title"
			}
			total += utf8.RuneCountInString(f.Title) + utf8.RuneCountInString(f.Value)
		}
	}
	if total > slackMaxTextChars {
		return "msg_too_long"
	}
	return ""
}

func (s *slackServer) queue(answers ...scripted) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, answers...)
}

func (s *slackServer) messages() []slackMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]slackMessage(nil), s.accepted...)
}

func (s *slackServer) attemptTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.attempts...)
}

func (s *slackServer) stats() (violations []string, throttled int, arrivals []time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violation...), s.throttled, append([]time.Time(nil), s.arrivals...)
}
