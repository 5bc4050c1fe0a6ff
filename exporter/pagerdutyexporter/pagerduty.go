package pagerdutyexporter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/pagerdutyapi"
)

// Events API v2 limits, counted in bytes (never more than characters) so every event is within them.
const (
	maxDedupKeyBytes = pagerdutyapi.MaxDedupKeyChars
	maxSummaryBytes  = pagerdutyapi.MaxSummaryChars
	maxEventBytes    = pagerdutyapi.MaxEventBytes
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
	Links       []link   `json:"links,omitempty"`
}

// link is one of the event's links, shown on the incident.
type link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// maxRunbookLinks bounds the runbook links of one event (one per distinct runbook of the
// group's alerts); trace links are bounded by notify.MaxTraceLinks. The Events API documents
// no number, so both stay small enough to read on the incident.
const maxRunbookLinks = 5

type payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails *customDetails `json:"custom_details,omitempty"`
}

// customDetails is the group as PagerDuty shows it under the incident: the group, and its
// firing, resolved and muted alerts. A group of one alert also carries that alert's fields at
// the top level, as before grouping.
type customDetails struct {
	Alertname   string            `json:"alertname,omitempty"`
	Description string            `json:"description,omitempty"`
	Value       *float64          `json:"value,omitempty"`
	Threshold   string            `json:"threshold,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	TraceIDs    []string          `json:"trace_ids,omitempty"`

	GroupKey      string            `json:"group_key"`
	GroupLabels   map[string]string `json:"group_labels,omitempty"`
	FiringCount   int               `json:"firing_count"`
	ResolvedCount int               `json:"resolved_count"`
	MutedCount    int               `json:"muted_count,omitempty"`
	Repeat        bool              `json:"repeat,omitempty"`
	Firing        []alertDetails    `json:"firing,omitempty"`
	Resolved      []alertDetails    `json:"resolved,omitempty"`
	Muted         []alertDetails    `json:"muted,omitempty"`
	// Omitted counts the alerts left out of the lists to stay within the event's size.
	Omitted int `json:"omitted,omitempty"`
}

// alertDetails is one alert of the group.
type alertDetails struct {
	Alertname   string            `json:"alertname"`
	Severity    string            `json:"severity"`
	Description string            `json:"description,omitempty"`
	Value       *float64          `json:"value,omitempty"`
	Threshold   string            `json:"threshold,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	// Annotations are rendered ({{ worker.name }}, {{ $value }} filled in); TraceIDs newest first.
	Annotations map[string]string `json:"annotations,omitempty"`
	TraceIDs    []string          `json:"trace_ids,omitempty"`
}

// maxListedAlerts bounds each list in custom_details; the rest are counted in omitted.
const maxListedAlerts = 100

// pagerDutySender formats a group as an Events API v2 event and enqueues it.
type pagerDutySender struct {
	cfg    *Config
	client *http.Client
	traces *notify.TraceURLTemplate
}

func newPagerDutySender(cfg *Config) (*pagerDutySender, error) {
	traces, err := notify.ParseTraceURLTemplate(cfg.TraceURLTemplate)
	if err != nil {
		return nil, fmt.Errorf("trace_url_template: %w", err)
	}
	return &pagerDutySender{cfg: cfg, client: notify.NewHTTPClient(cfg.TimeoutConfig.Timeout), traces: traces}, nil
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

// event builds the group's trigger, or its resolve once every alert of the group has resolved.
// One group is one incident: the dedup_key is the group's id. A trigger while the incident is
// open updates it (PagerDuty dedups on the key). A resolve carries only its dedup_key, as the
// API asks.
func (s *pagerDutySender) event(n notify.Notification) event {
	ev := event{
		RoutingKey: string(s.cfg.RoutingKey),
		DedupKey:   dedupKey(n.GroupID),
	}
	if n.GroupResolved() {
		ev.EventAction = pagerdutyapi.ActionResolve
		return ev
	}
	ev.EventAction = pagerdutyapi.ActionTrigger
	ev.Client, ev.ClientURL = s.cfg.Client, s.cfg.ClientURL
	summary := summaryOf(n)
	details := detailsOf(n)
	class := n.Title()
	alerts := n.Alerts()
	if len(alerts) > 0 {
		class = alerts[0].Name
	}
	ev.Payload = &payload{
		Summary:       notify.TruncateBytes(summary, maxSummaryBytes),
		Source:        s.cfg.Source,
		Severity:      n.Severity.String(), // PagerDuty's severities are ours: info, warning, error, critical
		Class:         class,
		CustomDetails: details,
	}
	ev.Links = s.linksOf(n)
	if len(n.Firing) > 0 && n.Firing[0].Time.Unix() > 0 {
		ev.Payload.Timestamp = n.Firing[0].Time.UTC().Format(time.RFC3339Nano)
	} else if n.Time.Unix() > 0 {
		ev.Payload.Timestamp = n.Time.UTC().Format(time.RFC3339Nano)
	}
	// Past 512 KB, the lists are halved until the event fits, then dropped altogether.
	for eventSize(ev) > maxEventBytes && details.listed() > 1 {
		details.halve()
	}
	if eventSize(ev) > maxEventBytes {
		ev.Payload.CustomDetails = nil
		ev.Payload.Summary = notify.TruncateBytes(summary, maxSummaryBytes-len(droppedDetailsNote)) + droppedDetailsNote
	}
	return ev
}

// linksOf is the event's links: the runbooks of the group's alerts (each once), then the
// trace ids as links when trace_url_template is set (the ids are in custom_details anyway).
func (s *pagerDutySender) linksOf(n notify.Notification) []link {
	var out []link
	var runbooks []string
	for _, a := range n.Alerts() {
		if url := a.Annotation(notify.AnnotationRunbookURL); url != "" && len(runbooks) < maxRunbookLinks && !slices.Contains(runbooks, url) {
			runbooks = append(runbooks, url)
			out = append(out, link{Href: url, Text: "Runbook: " + a.Name})
		}
	}
	if s.traces != nil {
		for _, l := range s.traces.Links(n.TraceIDs(notify.MaxTraceLinks)) {
			if l.URL != "" {
				out = append(out, link{Href: l.URL, Text: "Trace " + l.TraceID})
			}
		}
	}
	return out
}

// headline is what an alert is called in one line: its summary annotation when the rule has
// one, else its description.
func headline(a notify.Alert) string {
	if summary := a.Annotation(notify.AnnotationSummary); summary != "" {
		return summary
	}
	return a.Description
}

// summaryOf is "name: summary" (the summary annotation, else the description) for a group of
// one alert, as before grouping; for a larger group "[FIRING:n] title: first summary (and n-1
// more)".
func summaryOf(n notify.Notification) string {
	alerts := n.Alerts()
	if len(alerts) == 1 {
		summary := alerts[0].Name
		if h := headline(alerts[0]); h != "" {
			summary += ": " + h
		}
		return summary
	}
	summary := fmt.Sprintf("[FIRING:%d] %s", len(n.Firing), n.Title())
	if len(n.Firing) > 0 && headline(n.Firing[0]) != "" {
		summary += ": " + headline(n.Firing[0])
		if len(n.Firing) > 1 {
			summary += fmt.Sprintf(" (and %d more)", len(n.Firing)-1)
		}
	}
	return summary
}

func detailsOf(n notify.Notification) *customDetails {
	d := &customDetails{
		GroupKey: n.GroupKey, FiringCount: len(n.Firing), ResolvedCount: len(n.Resolved), MutedCount: len(n.Muted),
		Repeat: n.Repeat,
	}
	if len(n.GroupLabels) > 0 {
		d.GroupLabels = make(map[string]string, len(n.GroupLabels))
		for _, l := range n.GroupLabels {
			d.GroupLabels[l.Key] = l.Value
		}
	}
	d.Firing, d.Omitted = listDetails(n.Firing, d.Omitted)
	d.Resolved, d.Omitted = listDetails(n.Resolved, d.Omitted)
	d.Muted, d.Omitted = listDetails(n.Muted, d.Omitted)
	if alerts := n.Alerts(); len(alerts) == 1 {
		a := alertDetailsOf(alerts[0])
		d.Alertname, d.Description, d.Value, d.Threshold, d.Labels = a.Alertname, a.Description, a.Value, a.Threshold, a.Labels
		d.Annotations, d.TraceIDs = a.Annotations, a.TraceIDs
	}
	return d
}

func listDetails(as []notify.Alert, omitted int) ([]alertDetails, int) {
	var out []alertDetails
	for i, a := range as {
		if i == maxListedAlerts {
			return out, omitted + len(as) - i
		}
		out = append(out, alertDetailsOf(a))
	}
	return out, omitted
}

func alertDetailsOf(a notify.Alert) alertDetails {
	d := alertDetails{Alertname: a.Name, Severity: a.Severity.String(), Description: a.Description, Threshold: a.Threshold}
	if a.HasValue {
		v := a.Value
		d.Value = &v
	}
	if len(a.Labels) > 0 {
		d.Labels = make(map[string]string, len(a.Labels))
		for _, l := range a.Labels {
			d.Labels[l.Key] = l.Value
		}
	}
	if len(a.Annotations) > 0 {
		d.Annotations = make(map[string]string, len(a.Annotations))
		for _, an := range a.Annotations {
			d.Annotations[an.Key] = a.Annotation(an.Key)
		}
	}
	d.TraceIDs = a.TraceIDs
	return d
}

func (d *customDetails) listed() int { return len(d.Firing) + len(d.Resolved) + len(d.Muted) }

// halve keeps the first half of each list, counting the rest as omitted.
func (d *customDetails) halve() {
	cut := func(l []alertDetails) []alertDetails {
		keep := (len(l) + 1) / 2
		if len(l) == 1 {
			keep = 0
		}
		d.Omitted += len(l) - keep
		return l[:keep]
	}
	d.Firing, d.Resolved, d.Muted = cut(d.Firing), cut(d.Resolved), cut(d.Muted)
	d.Labels, d.Annotations = nil, nil
}

func eventSize(ev event) int {
	body, err := json.Marshal(ev)
	if err != nil {
		return 0
	}
	return len(body)
}

// dedupKey is the group's id, or its hash when it is longer than the API's 255 characters.
func dedupKey(id string) string {
	if len(id) <= maxDedupKeyBytes {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:])
}
