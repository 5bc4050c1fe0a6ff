package pagerdutyapi

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

const key = "0123456789abcdef0123456789abcdef"

func trigger() Event {
	return Event{RoutingKey: key, EventAction: ActionTrigger, Payload: &Payload{Summary: "s", Source: "x", Severity: "error"}}
}

func TestProblems(t *testing.T) {
	assert.Empty(t, trigger().Problems())
	assert.Empty(t, Event{RoutingKey: key, EventAction: ActionResolve, DedupKey: "k"}.Problems())

	for want, mutate := range map[string]func(*Event){
		"'routing_key' must be 32":           func(e *Event) { e.RoutingKey = "short" },
		"'routing_key' must be 32 character": func(e *Event) { e.RoutingKey = strings.Repeat("é", 16) }, // 32 bytes, 16 characters
		"'event_action' must be":             func(e *Event) { e.EventAction = "explode" },
		"'payload' is missing":               func(e *Event) { e.Payload = nil },
		"'payload.summary' is missing":       func(e *Event) { e.Payload.Summary = "" },
		"longer than 1024":                   func(e *Event) { e.Payload.Summary = strings.Repeat("é", 513) }, // 513 characters, 1026 bytes
		"not valid UTF-8":                    func(e *Event) { e.Payload.Summary = "\xff" },
		"'payload.source' is missing":        func(e *Event) { e.Payload.Source = "" },
		"'payload.severity' must be one of":  func(e *Event) { e.Payload.Severity = "fatal" },
		"'payload.timestamp' is not ISO":     func(e *Event) { e.Payload.Timestamp = "yesterday" },
		"is not an http(s) URL":              func(e *Event) { e.Links = []Link{{Href: "ftp://x/y"}} },
		"'dedup_key' is longer than 255":     func(e *Event) { e.DedupKey = strings.Repeat("k", 256) },
		"'dedup_key' is required for":        func(e *Event) { e.EventAction = ActionResolve; e.Payload = nil },
	} {
		ev := trigger()
		mutate(&ev)
		problems := ev.Problems()
		if assert.NotEmpty(t, problems, want) {
			assert.Contains(t, strings.Join(problems, "; "), want)
		}
	}
	ev := trigger()
	ev.Payload.Timestamp = "2026-01-02T03:04:05.123456789Z"
	assert.Empty(t, ev.Problems(), "RFC 3339 with nanoseconds, as the exporter writes it")
}
