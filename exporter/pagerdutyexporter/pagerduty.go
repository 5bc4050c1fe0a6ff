package pagerdutyexporter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

// Events API v2 limits.
const (
	maxDedupKeyBytes = 255
	maxSummaryBytes  = 1024
	maxEventBytes    = 512 * 1024
)

// droppedDetailsNote ends the summary of an event whose custom_details had to be dropped.
const droppedDetailsNote = " [custom_details dropped: event exceeded 512 KB]"

// event is an Events API v2 event.
type event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"`
	DedupKey    string   `json:"dedup_key"`
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
	Payload     *payload `json:"payload,omitempty"`
}

type payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails *customDetails `json:"custom_details,omitempty"`
}

type customDetails struct {
	Alertname   string            `json:"alertname"`
	Description string            `json:"description,omitempty"`
	Value       *float64          `json:"value,omitempty"`
	Threshold   string            `json:"threshold,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Repeat      bool              `json:"repeat,omitempty"`
}

// pagerDutySender formats an alert as an Events API v2 event and enqueues it.
type pagerDutySender struct {
	cfg    *Config
	client *http.Client
}

func newPagerDutySender(cfg *Config) *pagerDutySender {
	return &pagerDutySender{cfg: cfg, client: notify.NewHTTPClient(cfg.TimeoutConfig.Timeout)}
}

// Send enqueues one event. PagerDuty answers 202; 400 is permanent; 429 and 5xx are retried.
func (s *pagerDutySender) Send(ctx context.Context, n notify.Notification) error {
	body, err := json.Marshal(s.event(n))
	if err != nil {
		return err
	}
	resp, err := notify.PostJSON(ctx, s.client, s.cfg.Endpoint, body)
	if err != nil {
		return err
	}
	if resp.Status >= 200 && resp.Status < 300 {
		return nil
	}
	return notify.ErrorForStatus("pagerduty", resp, time.Now())
}

// event builds the trigger or resolve event. A resolve carries only its dedup_key, as the API asks.
func (s *pagerDutySender) event(n notify.Notification) event {
	ev := event{
		RoutingKey: string(s.cfg.RoutingKey),
		DedupKey:   dedupKey(n.Fingerprint),
	}
	if n.Resolved() {
		ev.EventAction = "resolve"
		return ev
	}
	ev.EventAction = "trigger"
	ev.Client, ev.ClientURL = s.cfg.Client, s.cfg.ClientURL
	summary := n.Name
	if n.Description != "" {
		summary += ": " + n.Description
	}
	details := &customDetails{Alertname: n.Name, Description: n.Description, Threshold: n.Threshold, Repeat: n.Repeat}
	if n.HasValue {
		v := n.Value
		details.Value = &v
	}
	if len(n.Labels) > 0 {
		details.Labels = make(map[string]string, len(n.Labels))
		for _, l := range n.Labels {
			details.Labels[l.Key] = l.Value
		}
	}
	ev.Payload = &payload{
		Summary:       notify.TruncateRunes(summary, maxSummaryBytes),
		Source:        s.cfg.Source,
		Severity:      n.Severity.String(), // PagerDuty's severities are ours: info, warning, error, critical
		Class:         n.Name,
		CustomDetails: details,
	}
	if n.Time.Unix() > 0 {
		ev.Payload.Timestamp = n.Time.UTC().Format(time.RFC3339Nano)
	}
	if size := eventSize(ev); size > maxEventBytes {
		ev.Payload.CustomDetails = nil
		ev.Payload.Summary = notify.TruncateRunes(summary, maxSummaryBytes-len(droppedDetailsNote)) + droppedDetailsNote
	}
	return ev
}

func eventSize(ev event) int {
	body, err := json.Marshal(ev)
	if err != nil {
		return 0
	}
	return len(body)
}

// dedupKey is the fingerprint, or its hash when it is longer than the API's 255 characters.
func dedupKey(fingerprint string) string {
	if len(fingerprint) <= maxDedupKeyBytes {
		return fingerprint
	}
	sum := sha256.Sum256([]byte(fingerprint))
	return "sha256:" + hex.EncodeToString(sum[:])
}
