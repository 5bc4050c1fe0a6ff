package notifytest

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

// SlackServer is a local Slack incoming webhook that enforces the API contract: POST of JSON
// to the webhook's own path, a message with text or attachments, Slack's size limits, at most
// one message per second (429 with Retry-After past it). It answers 200 "ok" unless an Answer
// is queued. Tests of the slack exporter and the end-to-end tests share it.
type SlackServer struct {
	srv  *httptest.Server
	path string

	mu         sync.Mutex
	script     []Answer    // answers to give before accepting
	attempts   []time.Time // every request that reached the contract checks
	accepted   []SlackMessage
	arrivals   []time.Time
	violation  []string // contract violations seen (a well-behaved exporter causes none)
	throttled  int      // 429s given for going faster than one message per second
	tokens     float64
	lastRefill time.Time
}

// Answer is a scripted reply a local server gives instead of accepting a request.
type Answer struct {
	Status     int
	RetryAfter string
	Body       string
}

// SlackMessage is a message as the server decoded it.
type SlackMessage struct {
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

// Field returns the value of the first attachment's field with that title ("" when none).
func (m SlackMessage) Field(title string) string {
	for _, f := range m.Attachments[0].Fields {
		if f.Title == title {
			return f.Value
		}
	}
	return ""
}

// SlackWebhookPath is the secret part of the local webhook URL; SlackSecretToken is its last
// segment. Neither may appear in any log line or error.
const (
	SlackWebhookPath    = "/services/T0SECRET/B0SECRET/" + SlackSecretToken
	SlackSecretToken    = "XyZsecretTOKEN123"
	slackMaxTextChars   = 40000
	slackPerSecond      = 1.0
	slackBurst          = 2.0
	slackMaxBodyBytes   = 1 << 20
	slackInvalidPayload = "invalid_payload"
)

var colorPattern = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// NewSlackServer starts a local webhook on loopback; it stops when the test ends.
func NewSlackServer(t testing.TB) *SlackServer {
	s := &SlackServer{path: SlackWebhookPath}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the webhook URL (a secret, like a real one).
func (s *SlackServer) URL() string { return s.srv.URL + s.path }

// Close stops the server early, e.g. to test an unreachable webhook.
func (s *SlackServer) Close() { s.srv.Close() }

func (s *SlackServer) handle(w http.ResponseWriter, r *http.Request) {
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
	var msg SlackMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		reject(http.StatusBadRequest, slackInvalidPayload)
		return
	}
	if problem := CheckSlackMessage(msg); problem != "" {
		reject(http.StatusBadRequest, slackInvalidPayload+": "+problem)
		return
	}
	s.attempts = append(s.attempts, now)
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
func (s *SlackServer) takeToken(now time.Time) bool {
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

// CheckSlackMessage applies Slack's rules for an incoming-webhook message with attachments.
func CheckSlackMessage(m SlackMessage) string {
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

// Queue scripts the next answers, given before any message is accepted.
func (s *SlackServer) Queue(answers ...Answer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, answers...)
}

// Messages returns the accepted messages in order of arrival.
func (s *SlackServer) Messages() []SlackMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SlackMessage(nil), s.accepted...)
}

// AttemptTimes returns when each well-formed request arrived, accepted or answered from the script.
func (s *SlackServer) AttemptTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.attempts...)
}

// Stats returns the contract violations seen, the number of 429s given for going faster than
// Slack allows, and when each accepted message arrived.
func (s *SlackServer) Stats() (violations []string, throttled int, arrivals []time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violation...), s.throttled, append([]time.Time(nil), s.arrivals...)
}
