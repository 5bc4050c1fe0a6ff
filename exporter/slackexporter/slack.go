package slackexporter

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"text/template"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
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
	maxMessageBytes    = 40000
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

// templateData is what title_template and text_template see.
type templateData struct {
	Name, State, Severity, Fingerprint, Description, Threshold string
	Value                                                      string
	Labels                                                     map[string]string
	Time                                                       time.Time
	Repeat                                                     bool
}

// slackSender formats an alert as a Slack message and posts it to the webhook.
type slackSender struct {
	cfg    *Config
	url    string
	client *http.Client
	title  *template.Template
	text   *template.Template
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
	return &slackSender{
		cfg:    cfg,
		url:    string(cfg.WebhookURL),
		client: notify.NewHTTPClient(cfg.TimeoutConfig.Timeout),
		title:  title,
		text:   text,
	}, nil
}

// Send posts one message. Slack answers 200 "ok"; 400 invalid_payload, 403, 404 and 410 are
// permanent; 429 (with Retry-After) and 5xx are retried.
func (s *slackSender) Send(ctx context.Context, n notify.Notification) error {
	msg := s.message(n)
	body, err := json.Marshal(msg)
	if err == nil && len(body) > maxMessageBytes {
		// Escaping can grow the labels past Slack's limit; the alert itself still goes out.
		a := &msg.Attachments[0]
		a.Fields = append(a.Fields[:min(len(a.Fields), 4)], field{Title: "Labels", Value: "not shown: message too long"})
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

func (s *slackSender) message(n notify.Notification) message {
	data := newTemplateData(n)
	color := n.Severity.Color()
	icon, state := "🚨", "FIRING"
	if n.Resolved() {
		color, icon, state = notify.ResolvedColor, "✅", "RESOLVED"
	}
	title := icon + " " + n.Name + " [" + state + "]"
	if n.Repeat {
		title += " (still firing)"
	}
	title = notify.TruncateRunes(render(s.title, data, title), maxTitleBytes)
	text := notify.TruncateRunes(render(s.text, data, n.Description), maxTextBytes)

	fields := []field{
		{Title: "Severity", Value: n.Severity.String(), Short: true},
		{Title: "Time", Value: data.Time.Format(time.RFC3339), Short: true},
	}
	if data.Value != "" {
		fields = append(fields, field{Title: "Value", Value: data.Value, Short: true})
	}
	if n.Threshold != "" {
		fields = append(fields, field{Title: "Threshold", Value: truncField(n.Threshold), Short: true})
	}
	for i, l := range n.Labels {
		if i == maxLabelFields {
			fields = append(fields, field{Title: "Labels", Value: strconv.Itoa(len(n.Labels)-i) + " more not shown"})
			break
		}
		fields = append(fields, field{
			Title: notify.TruncateRunes(l.Key, maxLabelKeyBytes),
			Value: notify.TruncateRunes(l.Value, maxLabelValueBytes),
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

func newTemplateData(n notify.Notification) templateData {
	d := templateData{
		Name: n.Name, State: string(n.State), Severity: n.Severity.String(), Fingerprint: n.Fingerprint,
		Description: n.Description, Threshold: n.Threshold, Time: n.Time.UTC(), Repeat: n.Repeat,
		Labels: make(map[string]string, len(n.Labels)),
	}
	if d.Time.Unix() <= 0 {
		d.Time = time.Now().UTC()
	}
	if n.HasValue {
		d.Value = strconv.FormatFloat(n.Value, 'g', -1, 64)
	}
	for _, l := range n.Labels {
		d.Labels[l.Key] = l.Value
	}
	return d
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

func truncField(s string) string { return notify.TruncateRunes(s, maxFieldValueBytes) }
