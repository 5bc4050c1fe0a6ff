package slackexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
	"github.com/otelcol-multiagents/otelcol-multiagents/internal/slackapi"
)

// Slack's limits, in bytes (never more than its character limits): an attachment's title and
// text are kept short enough to show in full, and a message never exceeds the 40,000 characters
// Slack accepts.
const (
	maxTitleBytes      = 256
	maxTextBytes       = 3000
	maxFieldValueBytes = 2000
	maxLabelFields     = 20
	maxLabelKeyBytes   = 256
	maxLabelValueBytes = 1000
	maxMessageBytes    = slackapi.MaxMessageChars
)

// message is an incoming-webhook payload with one legacy attachment.
type message struct {
	Channel     string       `json:"channel,omitempty"`
	Username    string       `json:"username,omitempty"`
	IconEmoji   string       `json:"icon_emoji,omitempty"`
	Text        string       `json:"text"`
	Attachments []attachment `json:"attachments"`
}

type attachment struct {
	Fallback string  `json:"fallback"`
	Color    string  `json:"color"`
	Title    string  `json:"title"`
	Text     string  `json:"text"`
	Fields   []field `json:"fields"`
	Ts       int64   `json:"ts,omitempty"`
}

type field struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// templateData is what title_template and text_template see: the group, and its alerts.
// The alert fields at the top level (Name, Description, Labels, ...) are those of the first
// listed alert, so a template written for one alert still reads well for a group of one.
type templateData struct {
	// Status is firing while any alert of the group fires, resolved when all have resolved.
	Status string
	// GroupKey is {label="value", ...}; GroupLabels the group_by labels.
	GroupKey    string
	GroupLabels map[string]string
	// Severity is the highest severity among the firing alerts.
	Severity string
	// Repeat is true when nothing changed and the group is told again after its repeat interval.
	Repeat bool
	Time   time.Time
	// Firing, Resolved and Muted (inhibited or silenced, already told) are the listed alerts; Alerts all of them.
	Firing, Resolved, Muted, Alerts []alertData

	// The first listed alert; State is the group's status.
	Name, State, Fingerprint, Description, Threshold, Value string
	Labels                                                  map[string]string
	// Annotations are the first alert's, rendered; TraceIDs the group's (newest first per alert).
	Annotations map[string]string
	TraceIDs    []string
}

// alertData is one alert as templates see it.
type alertData struct {
	Name, State, Severity, Fingerprint, Description, Threshold, Value string
	Labels                                                            map[string]string
	// Annotations are rendered ({{ worker.name }} and {{ $value }} filled in).
	Annotations map[string]string
	TraceIDs    []string
	Time        time.Time
}

// slackSender formats an alert as a Slack message and posts it to the webhook.
type slackSender struct {
	cfg    *Config
	url    string
	client *http.Client
	title  *template.Template
	text   *template.Template
	traces *notify.TraceURLTemplate
}

func newSlackSender(cfg *Config) (*slackSender, error) {
	title, err := parseTemplate("title_template", cfg.TitleTemplate)
	if err != nil {
		return nil, err
	}
	text, err := parseTemplate("text_template", cfg.TextTemplate)
	if err != nil {
		return nil, err
	}
	traces, err := notify.ParseTraceURLTemplate(cfg.TraceURLTemplate)
	if err != nil {
		return nil, fmt.Errorf("trace_url_template: %w", err)
	}
	return &slackSender{
		traces: traces,
		cfg:    cfg,
		url:    string(cfg.WebhookURL),
		client: notify.NewHTTPClient(cfg.TimeoutConfig.Timeout),
		title:  title,
		text:   text,
	}, nil
}

// Send posts one message for the group. Slack answers 200 "ok"; 400 invalid_payload, 403, 404
// and 410 are permanent; 429 (with Retry-After) and 5xx are retried.
func (s *slackSender) Send(ctx context.Context, n notify.Notification) error {
	msg := s.message(n)
	body, err := json.Marshal(msg)
	if err == nil && len(body) > maxMessageBytes {
		// Escaping can grow the labels past Slack's limit; the alert itself still goes out.
		a := &msg.Attachments[0]
		a.Fields = append(a.Fields[:min(len(a.Fields), 4)], field{Title: "Labels", Value: "not shown: message too long"})
		body, err = json.Marshal(msg)
	}
	if err == nil && len(body) > maxMessageBytes {
		// Still too long: the list itself is cut further.
		a := &msg.Attachments[0]
		a.Text = notify.TruncateBytes(a.Text, maxTextBytes/4)
		body, err = json.Marshal(msg)
	}
	if err != nil {
		return err
	}
	resp, err := notify.PostJSON(ctx, s.client, s.url, body)
	if err != nil {
		return err
	}
	if resp.Status >= 200 && resp.Status < 300 {
		return nil
	}
	return notify.ErrorForStatus("slack", resp, time.Now())
}

// message is one attachment for the group. A group of one alert shows it as before grouping
// (its description as text, its value, threshold and labels as fields); a larger group lists
// its firing, muted and resolved alerts in the text, one line each, cut with "and N more".
func (s *slackSender) message(n notify.Notification) message {
	data := newTemplateData(n)
	color := n.Severity.Color()
	icon, state := "🚨", fmt.Sprintf("FIRING:%d", len(n.Firing))
	if n.GroupResolved() {
		color, icon, state = notify.ResolvedColor, "✅", "RESOLVED"
	}
	title := icon + " [" + state + "] " + n.Title()
	if n.Repeat {
		title += " (still firing)"
	}
	title = notify.TruncateBytes(render(s.title, data, title), maxTitleBytes)

	alerts := n.Alerts()
	single := len(alerts) == 1
	defaultText := alertList(n)
	if single {
		defaultText = alerts[0].Description
		if summary := alerts[0].Annotation(notify.AnnotationSummary); summary != "" {
			defaultText = strings.TrimSpace("*" + summary + "*\n" + defaultText)
		}
	}
	text := notify.TruncateBytes(render(s.text, data, defaultText), maxTextBytes)

	fields := []field{
		{Title: "Severity", Value: n.Severity.String(), Short: true},
		{Title: "Time", Value: data.Time.Format(time.RFC3339), Short: true},
	}
	labels := n.GroupLabels
	if single {
		a := alerts[0]
		if data.Value != "" {
			fields = append(fields, field{Title: "Value", Value: data.Value, Short: true})
		}
		if a.Threshold != "" {
			fields = append(fields, field{Title: "Threshold", Value: truncField(a.Threshold), Short: true})
		}
		fields = append(fields, annotationFields(a)...)
		labels = a.Labels
	} else {
		fields = append(fields,
			field{Title: "Firing", Value: strconv.Itoa(len(n.Firing)), Short: true},
			field{Title: "Resolved", Value: strconv.Itoa(len(n.Resolved)), Short: true})
		if len(n.Muted) > 0 {
			fields = append(fields, field{Title: "Muted", Value: strconv.Itoa(len(n.Muted)), Short: true})
		}
	}
	if ids := n.TraceIDs(notify.MaxTraceLinks); len(ids) > 0 {
		fields = append(fields, field{Title: "Traces", Value: truncField(s.traceLinks(ids))})
	}
	shown := 0
	for i, l := range labels {
		if l.Key == "alertname" {
			continue
		}
		if shown == maxLabelFields {
			fields = append(fields, field{Title: "Labels", Value: strconv.Itoa(len(labels)-i) + " more not shown"})
			break
		}
		shown++
		fields = append(fields, field{
			Title: notify.TruncateBytes(l.Key, maxLabelKeyBytes),
			Value: notify.TruncateBytes(l.Value, maxLabelValueBytes),
			Short: true,
		})
	}
	return message{
		Channel:   s.cfg.Channel,
		Username:  s.cfg.Username,
		IconEmoji: s.cfg.IconEmoji,
		Text:      title,
		Attachments: []attachment{{
			Fallback: title,
			Color:    color,
			Title:    title,
			Text:     text,
			Fields:   fields,
			Ts:       data.Time.Unix(),
		}},
	}
}

// annotationFields shows a single alert's annotations other than the summary (which heads
// the text): the runbook as a link, any other as a field of its name.
func annotationFields(a notify.Alert) []field {
	var out []field
	for _, an := range a.Annotations {
		if an.Key == notify.AnnotationSummary {
			continue
		}
		value := a.Annotation(an.Key)
		if value == "" {
			continue
		}
		if an.Key == notify.AnnotationRunbookURL {
			out = append(out, field{Title: "Runbook", Value: truncField(slackLink(value, "runbook"))})
			continue
		}
		out = append(out, field{Title: notify.TruncateBytes(an.Key, maxLabelKeyBytes), Value: truncField(value)})
	}
	return out
}

// traceLinks lists trace ids one a line, as links when trace_url_template is set.
func (s *slackSender) traceLinks(ids []string) string {
	lines := make([]string, 0, len(ids))
	for _, l := range s.traces.Links(ids) {
		if l.URL == "" {
			lines = append(lines, "`"+l.TraceID+"`")
		} else {
			lines = append(lines, slackLink(l.URL, l.TraceID))
		}
	}
	return strings.Join(lines, "\n")
}

// slackLink is Slack's <url|text>; the characters Slack's mrkdwn reserves are escaped as its
// documentation asks (&, <, >), and | is percent-encoded so it cannot end the URL early.
func slackLink(url, text string) string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	return "<" + strings.ReplaceAll(esc.Replace(url), "|", "%7C") + "|" + esc.Replace(text) + ">"
}

// maxLineBytes bounds one alert's line in the list.
const maxLineBytes = 300

// alertList is the group's alerts, one line each under Firing, Muted and Resolved, within
// maxTextBytes: past it the rest is counted, "… and N more".
func alertList(n notify.Notification) string {
	var b strings.Builder
	left := len(n.Firing) + len(n.Muted) + len(n.Resolved)
	for _, sec := range []struct {
		head   string
		alerts []notify.Alert
	}{{"*Firing*", n.Firing}, {"*Muted* (inhibited or silenced; still open)", n.Muted}, {"*Resolved*", n.Resolved}} {
		if len(sec.alerts) == 0 {
			continue
		}
		head := sec.head + "\n"
		if b.Len() > 0 {
			head = "\n" + head
		}
		for i, a := range sec.alerts {
			line := notify.TruncateBytes("• "+alertLine(a), maxLineBytes) + "\n"
			if i == 0 {
				line = head + line
			}
			more := fmt.Sprintf("… and %d more", left)
			if b.Len()+len(line)+len(more) > maxTextBytes {
				b.WriteString(more)
				return b.String()
			}
			b.WriteString(line)
			left--
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// alertLine is one alert in the list: name, labels, description, value.
func alertLine(a notify.Alert) string {
	line := "*" + a.Name + "*"
	var labels []string
	for _, l := range a.Labels {
		labels = append(labels, l.Key+"="+l.Value)
	}
	if len(labels) > 0 {
		line += " " + strings.Join(labels, " ")
	}
	if summary := a.Annotation(notify.AnnotationSummary); summary != "" {
		line += ": " + summary
	} else if a.Description != "" {
		line += ": " + a.Description
	}
	if a.HasValue {
		line += " (value " + strconv.FormatFloat(a.Value, 'g', -1, 64)
		if a.Threshold != "" {
			line += ", threshold " + a.Threshold
		}
		line += ")"
	}
	return line
}

func newTemplateData(n notify.Notification) templateData {
	d := templateData{
		Status: string(n.Status), State: string(n.Status), GroupKey: n.GroupKey, Severity: n.Severity.String(),
		Repeat: n.Repeat, Time: n.Time.UTC(), GroupLabels: make(map[string]string, len(n.GroupLabels)),
		Firing: alertsData(n.Firing), Resolved: alertsData(n.Resolved), Muted: alertsData(n.Muted),
	}
	for _, l := range n.GroupLabels {
		d.GroupLabels[l.Key] = l.Value
	}
	d.Alerts = append(append(append([]alertData{}, d.Firing...), d.Muted...), d.Resolved...)
	if len(d.Alerts) > 0 {
		first := d.Alerts[0]
		d.Name, d.Fingerprint, d.Description, d.Threshold, d.Value, d.Labels, d.Annotations =
			first.Name, first.Fingerprint, first.Description, first.Threshold, first.Value, first.Labels, first.Annotations
		if !first.Time.IsZero() && first.Time.Unix() > 0 {
			d.Time = first.Time
		}
	}
	d.TraceIDs = n.TraceIDs(notify.MaxTraceLinks)
	if d.Time.Unix() <= 0 {
		d.Time = time.Now().UTC()
	}
	return d
}

func alertsData(as []notify.Alert) []alertData {
	out := make([]alertData, 0, len(as))
	for _, a := range as {
		ad := alertData{
			Name: a.Name, State: string(a.State), Severity: a.Severity.String(), Fingerprint: a.Fingerprint,
			Description: a.Description, Threshold: a.Threshold, Time: a.Time.UTC(),
			Labels: make(map[string]string, len(a.Labels)), TraceIDs: a.TraceIDs,
			Annotations: make(map[string]string, len(a.Annotations)),
		}
		for _, an := range a.Annotations {
			ad.Annotations[an.Key] = a.Annotation(an.Key)
		}
		if a.HasValue {
			ad.Value = strconv.FormatFloat(a.Value, 'g', -1, 64)
		}
		for _, l := range a.Labels {
			ad.Labels[l.Key] = l.Value
		}
		out = append(out, ad)
	}
	return out
}

// render executes t over data; without a template, or when it fails, it keeps fallback, so a
// broken template never silences an alert.
func render(t *template.Template, data templateData, fallback string) string {
	if t == nil {
		return fallback
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return fallback
	}
	return buf.String()
}

func truncField(s string) string { return notify.TruncateBytes(s, maxFieldValueBytes) }
