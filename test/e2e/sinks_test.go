//go:build e2e

package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify/notifytest"
)

// The local Slack and PagerDuty servers are notifytest's, which enforce each API's contract
// (Slack's 1 message/s with 429 + Retry-After, PagerDuty's event rules and no resolve before its
// trigger); these adapters only answer what the end-to-end tests ask of them.

type slackSink struct{ *notifytest.SlackServer }

func newSlackSink(t *testing.T) slackSink { return slackSink{notifytest.NewSlackServer(t)} }

// matching returns the accepted messages whose JSON contains every one of parts.
func (s slackSink) matching(parts ...string) []string {
	var out []string
	for _, m := range s.Messages() {
		b, _ := json.Marshal(m)
		text := string(b)
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(text, p)
		}
		if ok {
			out = append(out, text)
		}
	}
	return out
}

// violations are the requests that broke Slack's contract (a 429 for going too fast is not one:
// it is Slack's answer, which the exporter must honour).
func (s slackSink) violations() []string {
	v, _, _ := s.Stats()
	return v
}

type pdEvent = notifytest.PagerDutyEvent

type pagerDutySink struct{ *notifytest.PagerDutyServer }

func newPagerDutySink(t *testing.T) pagerDutySink {
	return pagerDutySink{notifytest.NewPagerDutyServer(t)}
}

func (s pagerDutySink) byAction(action string) []pdEvent {
	var out []pdEvent
	for _, e := range s.Events() {
		if e.EventAction == action {
			out = append(out, e)
		}
	}
	return out
}
