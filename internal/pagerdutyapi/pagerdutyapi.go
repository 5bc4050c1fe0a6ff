// Package pagerdutyapi is the PagerDuty Events API v2 as this project relies on it: the
// endpoint, the limits, an event as it travels, the rules an event must follow, and the
// answers. The pagerduty exporter builds its events within these limits; the test server
// (notifytest) and the demo sink (cmd/notifysink) enforce the same rules.
package pagerdutyapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"
)

// EnqueuePath is the endpoint's path (https://events.pagerduty.com/v2/enqueue).
const EnqueuePath = "/v2/enqueue"

// Limits of the API.
const (
	// MaxEventBytes is the size limit of one event's JSON.
	MaxEventBytes = 512 * 1024
	// RoutingKeyLength is the length of an integration key.
	RoutingKeyLength = 32
	// MaxDedupKeyChars bounds dedup_key.
	MaxDedupKeyChars = 255
	// MaxSummaryChars bounds payload.summary. The rules count it in bytes too (a byte is at
	// most a character), so a sender within it in bytes is always accepted.
	MaxSummaryChars = 1024
)

// The event actions.
const (
	ActionTrigger     = "trigger"
	ActionAcknowledge = "acknowledge"
	ActionResolve     = "resolve"
)

// Severities are the values of payload.severity; they are the alert processor's own.
var Severities = []string{"critical", "error", "warning", "info"}

// Event is an Events API v2 request as received.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"`
	DedupKey    string   `json:"dedup_key"`
	Client      string   `json:"client"`
	ClientURL   string   `json:"client_url"`
	Payload     *Payload `json:"payload"`
	Links       []Link   `json:"links"`
}

// Payload is a trigger's payload.
type Payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp"`
	Class         string         `json:"class"`
	CustomDetails map[string]any `json:"custom_details"`
}

// Link is one of an event's links.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// Problems lists what makes the event invalid, each in the API's words; none when it is valid.
func (ev Event) Problems() []string {
	var problems []string
	if len(ev.RoutingKey) != RoutingKeyLength || utf8.RuneCountInString(ev.RoutingKey) != RoutingKeyLength {
		problems = append(problems, fmt.Sprintf("'routing_key' must be %d characters", RoutingKeyLength))
	}
	if utf8.RuneCountInString(ev.DedupKey) > MaxDedupKeyChars {
		problems = append(problems, fmt.Sprintf("'dedup_key' is longer than %d characters", MaxDedupKeyChars))
	}
	switch ev.EventAction {
	case ActionTrigger:
		problems = append(problems, ev.Payload.problems()...)
		for _, l := range ev.Links {
			if u, err := url.Parse(l.Href); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				problems = append(problems, fmt.Sprintf("'links': href %q is not an http(s) URL", l.Href))
			}
		}
	case ActionAcknowledge, ActionResolve:
		if ev.DedupKey == "" {
			problems = append(problems, "'dedup_key' is required for "+ev.EventAction)
		}
	default:
		problems = append(problems, "'event_action' must be trigger, acknowledge or resolve")
	}
	return problems
}

func (p *Payload) problems() []string {
	if p == nil {
		return []string{"'payload' is missing or blank"}
	}
	var problems []string
	if p.Summary == "" || len(p.Summary) > MaxSummaryChars || utf8.RuneCountInString(p.Summary) > MaxSummaryChars {
		problems = append(problems, fmt.Sprintf("'payload.summary' is missing, blank or longer than %d", MaxSummaryChars))
	} else if !utf8.ValidString(p.Summary) {
		problems = append(problems, "'payload.summary' is not valid UTF-8")
	}
	if p.Source == "" {
		problems = append(problems, "'payload.source' is missing or blank")
	}
	if !slices.Contains(Severities, p.Severity) {
		problems = append(problems, "'payload.severity' must be one of critical, error, warning, info")
	}
	if p.Timestamp != "" {
		if _, err := time.Parse(time.RFC3339, p.Timestamp); err != nil {
			problems = append(problems, "'payload.timestamp' is not ISO 8601")
		}
	}
	return problems
}

// Statuses the API answers with: 202 accepted, 400 invalid event, 413 too large, 429 throttled.
const (
	StatusAccepted = http.StatusAccepted
	StatusInvalid  = http.StatusBadRequest
	StatusTooLarge = http.StatusRequestEntityTooLarge
)

// WriteAccepted answers 202 as the API does, naming the incident's dedup_key.
func WriteAccepted(w http.ResponseWriter, dedupKey string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "success", "message": "Event processed", "dedup_key": dedupKey})
}

// WriteRejected answers a rejected event as the API does: code, a status word and the errors.
func WriteRejected(w http.ResponseWriter, code int, status string, errs ...string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": status, "message": "Event object is invalid", "errors": errs})
}
