package notifytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/slackapi"
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
type SlackMessage = slackapi.Message

// SlackWebhookPath is the secret part of the local webhook URL; SlackSecretToken is its last
// segment. Neither may appear in any log line or error.
const (
	SlackWebhookPath = "/services/T0SECRET/B0SECRET/" + SlackSecretToken
	SlackSecretToken = "XyZsecretTOKEN123"
)

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
	reject := func(answer, detail string) {
		status := slackapi.StatusFor(answer)
		s.violation = append(s.violation, strconv.Itoa(status)+" "+answer+detail)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer+detail)
	}
	if r.Method != http.MethodPost {
		reject(slackapi.AnswerInvalidMethod, "")
		return
	}
	if r.URL.Path != s.path {
		reject(slackapi.AnswerNoService, "")
		return
	}
	if !slackapi.ContentTypeOK(r.Header.Get("Content-Type")) {
		reject(slackapi.AnswerInvalidPayload, "")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, slackapi.MaxBodyBytes+1))
	if err != nil || len(body) > slackapi.MaxBodyBytes {
		reject(slackapi.AnswerTooLarge, "")
		return
	}
	var msg SlackMessage
	if err := json.Unmarshal(body, &msg); err != nil {
		reject(slackapi.AnswerInvalidPayload, "")
		return
	}
	if problem := msg.Problem(); problem != "" {
		reject(slackapi.AnswerInvalidPayload, ": "+problem)
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
		w.WriteHeader(slackapi.StatusFor(slackapi.AnswerRateLimited))
		_, _ = io.WriteString(w, slackapi.AnswerRateLimited)
		return
	}
	s.accepted = append(s.accepted, msg)
	s.arrivals = append(s.arrivals, now)
	_, _ = io.WriteString(w, slackapi.AnswerOK)
}

// takeToken is Slack's rate limit: one message per second per webhook, short bursts allowed
// (a bucket of two). Counting at the server means a message delayed in transit can arrive right
// behind the next one; the burst absorbs that without letting a sender go faster than 1/s.
func (s *SlackServer) takeToken(now time.Time) bool {
	if s.lastRefill.IsZero() {
		s.tokens, s.lastRefill = slackapi.Burst, now
	}
	s.tokens = min(slackapi.Burst, s.tokens+now.Sub(s.lastRefill).Seconds()*slackapi.PerSecond)
	s.lastRefill = now
	if s.tokens < 1 {
		return false
	}
	s.tokens--
	return true
}

// CheckSlackMessage applies Slack's rules for an incoming-webhook message (slackapi).
func CheckSlackMessage(m SlackMessage) string { return m.Problem() }

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
