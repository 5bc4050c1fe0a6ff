package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/pagerdutyapi"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/slackapi"
)

// The contracts the sink enforces, as the real services do (internal/slackapi,
// internal/pagerdutyapi).
const (
	pagerDutyPath    = pagerdutyapi.EnqueuePath
	pagerDutyMaxBody = pagerdutyapi.MaxEventBytes
	slackMaxBody     = slackapi.MaxBodyBytes
	// maxRemembered bounds the dedup keys remembered to name an incident when it resolves.
	maxRemembered = 10000
)

// Counts are what the sink has received so far.
type Counts struct {
	SlackFiring, SlackResolved, SlackOther int
	PDTrigger, PDResolve, PDAcknowledge    int
	Rejected                               int
	// Forgotten counts dedup keys evicted from the bounded summary memory.
	Forgotten int
}

// sink is a local Slack incoming webhook (any POST path but /v2/enqueue) and PagerDuty Events
// API v2 (POST /v2/enqueue) that prints each request in one readable line.
type sink struct {
	mu     sync.Mutex
	out    io.Writer
	now    func() time.Time
	counts Counts
	// summaries remembers each incident's summary by dedup key, oldest first in order.
	summaries map[string]string
	order     []string
}

func newSink(out io.Writer) *sink {
	return &sink{out: out, now: time.Now, summaries: map[string]string{}}
}

func (s *sink) Counts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

func (s *sink) printf(format string, args ...any) {
	fmt.Fprintf(s.out, s.now().Format("15:04:05")+" "+format+"\n", args...)
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/" {
		c := s.Counts()
		fmt.Fprintf(w, "notifysink: %d Slack messages, %d PagerDuty events, %d rejected\n",
			c.SlackFiring+c.SlackResolved+c.SlackOther, c.PDTrigger+c.PDResolve+c.PDAcknowledge, c.Rejected)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "invalid_method", http.StatusMethodNotAllowed)
		return
	}
	if strings.TrimSuffix(r.URL.Path, "/") == pagerDutyPath {
		s.pagerDuty(w, r)
		return
	}
	s.slack(w, r)
}

// slackTitle matches the slack exporter's default title for a group, e.g.
// "🚨 [FIRING:3] worker_failure (still firing)" or "✅ [RESOLVED] worker_failure".
var slackTitle = regexp.MustCompile(`^(?:\S+ )?\[(FIRING|RESOLVED)(?::(\d+))?\] (.+?)( \(still firing\))?$`)

// slack answers as Slack's incoming webhooks do: 200 "ok"; 400 with a reason for a body that
// is not a JSON message following Slack's rules (slackapi.Message.Problem: text, attachments
// or blocks, ...); 413 past the size limit.
func (s *sink) slack(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, slackMaxBody+1))
	var msg slackapi.Message
	switch {
	case err != nil:
		s.reject(w, "slack", http.StatusBadRequest, slackapi.AnswerInvalidPayload, err.Error())
	case len(body) > slackMaxBody:
		s.reject(w, "slack", http.StatusRequestEntityTooLarge, slackapi.AnswerTooLarge, fmt.Sprintf("more than %d bytes", slackMaxBody))
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
		s.reject(w, "slack", http.StatusBadRequest, slackapi.AnswerInvalidPayload, "Content-Type is not application/json")
	case json.Unmarshal(body, &msg) != nil:
		s.reject(w, "slack", http.StatusBadRequest, slackapi.AnswerInvalidPayload, "body is not a JSON object")
	case msg.Problem() == slackapi.AnswerNoText:
		s.reject(w, "slack", http.StatusBadRequest, slackapi.AnswerNoText, "no text, attachments or blocks")
	case msg.Problem() != "":
		s.reject(w, "slack", http.StatusBadRequest, slackapi.AnswerInvalidPayload, msg.Problem())
	default:
		s.printSlack(msg)
		_, _ = io.WriteString(w, slackapi.AnswerOK)
	}
}

func (s *sink) printSlack(msg slackapi.Message) {
	title, text, severity, value, firing, resolved := msg.Text, "", "", "", "", ""
	if len(msg.Attachments) > 0 {
		a := msg.Attachments[0]
		if a.Title != "" {
			title = a.Title
		}
		text = a.Text
		for _, f := range a.Fields {
			switch f.Title {
			case "Severity":
				severity = f.Value
			case "Value":
				value = f.Value
			case "Firing":
				firing = f.Value
			case "Resolved":
				resolved = f.Value
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := slackTitle.FindStringSubmatch(title)
	if m == nil {
		s.counts.SlackOther++
		s.printf("[slack] %s", oneLine(strings.TrimSpace(title+" "+text)))
		return
	}
	state, name, repeat := m[1], m[3], m[4] != ""
	if state == "FIRING" {
		s.counts.SlackFiring++
	} else {
		s.counts.SlackResolved++
	}
	var details []string
	if severity != "" {
		details = append(details, severity)
	}
	if value != "" && state == "FIRING" {
		details = append(details, "value "+value)
	}
	if firing != "" { // a group of several alerts: its counts, then its list
		details = append(details, firing+" firing", resolved+" resolved")
	}
	if repeat {
		details = append(details, "still firing")
	}
	line := state + " " + name
	if len(details) > 0 {
		line += " (" + strings.Join(details, ", ") + ")"
	}
	s.printf("[slack] %s %s", line, oneLine(strings.ReplaceAll(text, "*", "")))
}

// pagerDuty answers as the Events API v2 does: 202 with status, message and dedup_key; 400 with
// the errors for an invalid event; 413 past the size limit.
func (s *sink) pagerDuty(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, pagerDutyMaxBody+1))
	if err == nil && len(body) > pagerDutyMaxBody {
		s.reject(w, "pagerduty", http.StatusRequestEntityTooLarge, "Request too large", fmt.Sprintf("more than %d bytes", pagerDutyMaxBody))
		return
	}
	var ev pagerdutyapi.Event
	if err != nil || json.Unmarshal(body, &ev) != nil {
		s.pdInvalid(w, "Event object is invalid: body is not a JSON object")
		return
	}
	if problems := ev.Problems(); len(problems) > 0 {
		s.pdInvalid(w, problems...)
		return
	}
	if ev.DedupKey == "" {
		ev.DedupKey = newDedupKey()
	}
	s.printPagerDuty(ev)
	pagerdutyapi.WriteAccepted(w, ev.DedupKey)
}

func (s *sink) printPagerDuty(ev pagerdutyapi.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch ev.EventAction {
	case pagerdutyapi.ActionTrigger:
		s.counts.PDTrigger++
		s.remember(ev.DedupKey, ev.Payload.Summary)
		s.printf("[pagerduty] trigger dedup=%s severity=%s summary=%s", short(ev.DedupKey), ev.Payload.Severity, oneLine(ev.Payload.Summary))
	default:
		if ev.EventAction == pagerdutyapi.ActionResolve {
			s.counts.PDResolve++
		} else {
			s.counts.PDAcknowledge++
		}
		about := ""
		if summary, ok := s.summaries[ev.DedupKey]; ok {
			about = " (incident: " + oneLine(summary) + ")"
		}
		s.printf("[pagerduty] %s dedup=%s%s", ev.EventAction, short(ev.DedupKey), about)
	}
}

// remember keeps summary under key, evicting the oldest key past maxRemembered.
func (s *sink) remember(key, summary string) {
	if _, ok := s.summaries[key]; !ok {
		s.order = append(s.order, key)
	}
	s.summaries[key] = summary
	for len(s.order) > maxRemembered {
		delete(s.summaries, s.order[0])
		s.order = s.order[1:]
		s.counts.Forgotten++
	}
}

func (s *sink) pdInvalid(w http.ResponseWriter, problems ...string) {
	s.reject(w, "pagerduty", http.StatusBadRequest, "invalid event", strings.Join(problems, "; "))
}

// reject counts, prints and answers a request that breaks a contract.
func (s *sink) reject(w http.ResponseWriter, service string, code int, reason, detail string) {
	s.mu.Lock()
	s.counts.Rejected++
	s.printf("[%s] REJECTED %d %s: %s", service, code, reason, detail)
	s.mu.Unlock()
	if service == "pagerduty" {
		pagerdutyapi.WriteRejected(w, code, reason, detail)
		return
	}
	w.WriteHeader(code)
	_, _ = io.WriteString(w, reason)
}

func newDedupKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// short shortens long dedup keys (the alert fingerprint) for the terminal.
func short(key string) string {
	if len(key) > 16 {
		return key[:16] + "…"
	}
	return key
}

// oneLine folds newlines so each request stays one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
