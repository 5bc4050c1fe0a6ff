package emailexporter

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/notify"
)

// Bounds that keep a mail readable and its headers within RFC 5322's line length once encoded.
const (
	maxSubjectBytes = 200
	maxFieldBytes   = 4000
	maxLabels       = 50
	// maxListedAlerts caps the alerts one mail lists; the rest are counted ("and N more").
	maxListedAlerts = 100
)

// DefaultSubjectTemplate is the guide's `[SEVERITY] alertname`; a group of several alerts counts
// them, a group that resolved says so, and so does a repeat (as the Slack title does).
const DefaultSubjectTemplate = `[{{ .Severity | upper }}] {{ if .Digest }}{{ .Count }} alerts: {{ end }}{{ .AlertName }}{{ if .Resolved }} (resolved){{ else if .Repeat }} (still firing){{ end }}`

// DefaultBodyTemplate is the plain-text part: the guide's handler body, one block per alert.
const DefaultBodyTemplate = `{{ if .Digest }}{{ .Count }} alerts ({{ .FiringCount }} firing, {{ .ResolvedCount }} resolved{{ if .MutedCount }}, {{ .MutedCount }} muted{{ end }})

{{ end }}{{ range $i, $a := .Alerts }}{{ if $i }}
----------------------------------------

{{ end }}Alert: {{ $a.Name }}
State: {{ $a.StateLabel }}
Severity: {{ $a.Severity }}
{{ if $a.Summary }}Summary: {{ $a.Summary }}
{{ end }}Description: {{ $a.Description }}
Time: {{ $a.TimeText }}
{{ if $a.Value }}Value: {{ $a.Value }}
{{ end }}{{ if $a.Threshold }}Threshold: {{ $a.Threshold }}
{{ end }}{{ if $a.RunbookURL }}Runbook: {{ $a.RunbookURL }}
{{ end }}{{ range $a.Annotations }}{{ .Key }}: {{ .Value }}
{{ end }}{{ if $a.Traces }}
Traces of the latest failures:
{{ range $a.Traces }}  {{ .TraceID }}
{{ end }}{{ end }}{{ if $a.Labels }}
Labels:
{{ range $a.Labels }}  {{ .Key }}: {{ .Value }}
{{ end }}{{ end }}{{ end }}{{ if .Omitted }}
... and {{ .Omitted }} more
{{ end }}
-- 
Sent by otelcol-multiagents (fingerprint{{ if .Digest }}s{{ end }}: {{ .Fingerprints }})
`

// htmlBody is the simple HTML part, shown by mail clients that prefer it. With a custom
// body_template the HTML part shows that text instead.
const htmlBody = `<!DOCTYPE html>
<html><body style="font-family: sans-serif; font-size: 14px;">
{{ if .Digest }}<p><b>{{ .Count }} alerts</b> ({{ .FiringCount }} firing, {{ .ResolvedCount }} resolved{{ if .MutedCount }}, {{ .MutedCount }} muted{{ end }})</p>
{{ end }}{{ range .Alerts }}<div style="border-left: 6px solid {{ .Color }}; padding: 4px 12px; margin: 12px 0;">
<h2 style="margin: 4px 0;">{{ .Name }} <span style="color: {{ .Color }};">[{{ .StateLabel }}]</span></h2>
{{ if .Summary }}<p><b>{{ .Summary }}</b></p>
{{ end }}<p>{{ .Description }}</p>
{{ if .RunbookURL }}<p><a href="{{ .RunbookURL }}">Runbook</a></p>
{{ end }}
<table cellpadding="4" style="border-collapse: collapse;">
<tr><th align="left">Severity</th><td>{{ .Severity }}</td></tr>
<tr><th align="left">Time</th><td>{{ .TimeText }}</td></tr>
{{ if .Value }}<tr><th align="left">Value</th><td>{{ .Value }}</td></tr>
{{ end }}{{ if .Threshold }}<tr><th align="left">Threshold</th><td>{{ .Threshold }}</td></tr>
{{ end }}{{ range .Annotations }}<tr><th align="left">{{ .Key }}</th><td>{{ .Value }}</td></tr>
{{ end }}{{ if .Traces }}<tr><th align="left">Traces</th><td>{{ range $i, $t := .Traces }}{{ if $i }}<br>{{ end }}{{ if $t.URL }}<a href="{{ $t.URL }}"><code>{{ $t.TraceID }}</code></a>{{ else }}<code>{{ $t.TraceID }}</code>{{ end }}{{ end }}</td></tr>
{{ end }}{{ range .Labels }}<tr><th align="left">{{ .Key }}</th><td>{{ .Value }}</td></tr>
{{ end }}</table>
</div>
{{ end }}{{ if .Omitted }}<p>… and {{ .Omitted }} more</p>
{{ end }}</body></html>
`

const textInHTML = `<!DOCTYPE html>
<html><body><pre style="font-family: monospace;">{{ . }}</pre></body></html>
`

var templateFuncs = template.FuncMap{
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"join":  strings.Join,
}

var (
	defaultSubject = template.Must(parseSubjectTemplate(DefaultSubjectTemplate))
	defaultBody    = template.Must(parseBodyTemplate(DefaultBodyTemplate))
	htmlAlerts     = htmltemplate.Must(htmltemplate.New("html").Parse(htmlBody))
	htmlText       = htmltemplate.Must(htmltemplate.New("html_text").Parse(textInHTML))
)

// parseSubjectTemplate parses subject_template; nil for an empty one.
func parseSubjectTemplate(text string) (*template.Template, error) {
	return parseTemplate("subject_template", text)
}

// parseBodyTemplate parses body_template; nil for an empty one.
func parseBodyTemplate(text string) (*template.Template, error) {
	return parseTemplate("body_template", text)
}

func parseTemplate(field, text string) (*template.Template, error) {
	if text == "" {
		return nil, nil
	}
	t, err := template.New(field).Funcs(templateFuncs).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return t, nil
}

// mailData is what subject_template and body_template see: one group's notification. For a
// group of one alert the top-level fields are that alert's; for more they summarise the group.
type mailData struct {
	// AlertName is the alert's name; for several, the distinct names joined by ", ".
	AlertName string
	// Severity is the highest severity among the firing alerts (among all when none fires).
	Severity string
	// State is the group's status: firing while any alert fires, resolved when all have.
	State string
	// Resolved is true when the whole group has resolved.
	Resolved bool
	// Repeat is true when nothing changed and the group is told again after its repeat interval.
	Repeat bool
	// Digest is true when the mail lists more than one alert.
	Digest bool
	// GroupKey is {label="value", ...}; GroupLabels are the group_by labels.
	GroupKey    string
	GroupLabels []notify.Label
	// Count is how many alerts the group lists (firing, muted, resolved), Omitted how many of
	// them past maxListedAlerts are not in Alerts.
	Count, Omitted                         int
	FiringCount, ResolvedCount, MutedCount int
	// Fingerprints are the listed alerts' fingerprints joined by ", ".
	Fingerprints string
	Alerts       []alertData
}

// alertData is one alert as templates show it.
type alertData struct {
	Name, Fingerprint, Description, Threshold, Value string
	// State is firing, inhibited, silenced or resolved; StateLabel says FIRING, FIRING (repeat),
	// MUTED (inhibited or silenced) or RESOLVED.
	State, StateLabel string
	Severity          string
	Time              time.Time
	TimeText          string
	Labels            []notify.Label
	Repeat            bool
	Color             htmltemplate.CSS
	// Summary and RunbookURL are the rule's annotations of those names, rendered; Annotations
	// its other annotations. Traces are the trace ids of its latest failing transactions,
	// newest first, with their links when trace_url_template is set.
	Summary, RunbookURL string
	Annotations         []notify.Label
	Traces              []notify.TraceLink
}

// newMailData describes the group n; now stands in for alerts without a time; traces links
// the alerts' trace ids (nil: plain ids), at most notify.MaxTraceLinks in the whole mail.
func newMailData(n notify.Notification, now time.Time, traces *notify.TraceURLTemplate) mailData {
	all := n.Alerts()
	d := mailData{
		Severity: n.Severity.String(), State: string(n.Status), Resolved: n.GroupResolved(), Repeat: n.Repeat,
		Digest: len(all) > 1, GroupKey: n.GroupKey, GroupLabels: n.GroupLabels, Count: len(all),
		FiringCount: len(n.Firing), ResolvedCount: len(n.Resolved), MutedCount: len(n.Muted),
		Alerts: make([]alertData, 0, min(len(all), maxListedAlerts)),
	}
	var names, fingerprints []string
	traceBudget := notify.MaxTraceLinks
	for i, a := range all {
		if !slices.Contains(names, a.Name) {
			names = append(names, a.Name)
		}
		if i >= maxListedAlerts {
			d.Omitted++
			continue
		}
		ad := newAlertData(a, n.Repeat, now)
		ids := a.TraceIDs[:min(len(a.TraceIDs), traceBudget)]
		traceBudget -= len(ids)
		if len(ids) > 0 {
			ad.Traces = traces.Links(ids)
		}
		d.Alerts = append(d.Alerts, ad)
		fingerprints = append(fingerprints, a.Fingerprint)
	}
	d.AlertName = strings.Join(names, ", ")
	d.Fingerprints = strings.Join(fingerprints, ", ")
	return d
}

func newAlertData(n notify.Alert, repeat bool, now time.Time) alertData {
	a := alertData{
		Name:        clip(n.Name),
		Fingerprint: clip(n.Fingerprint),
		Description: clip(n.Description),
		Threshold:   clip(n.Threshold),
		State:       string(n.State),
		StateLabel:  "FIRING",
		Severity:    n.Severity.String(),
		Time:        n.Time.UTC(),
		Repeat:      repeat && n.State == notify.StateFiring,
		Color:       htmltemplate.CSS(n.Severity.Color()),
	}
	switch {
	case n.State == notify.StateResolved:
		a.StateLabel, a.Color = "RESOLVED", htmltemplate.CSS(notify.ResolvedColor)
	case n.State.Muted():
		a.StateLabel = "MUTED (" + string(n.State) + ")"
	case a.Repeat:
		a.StateLabel = "FIRING (repeat)"
	}
	if a.Color == "" {
		a.Color = "#cccccc"
	}
	if a.Time.Unix() <= 0 {
		a.Time = now.UTC()
	}
	a.TimeText = a.Time.Format(time.RFC3339)
	if n.HasValue {
		a.Value = strconv.FormatFloat(n.Value, 'g', -1, 64)
	}
	for _, an := range n.Annotations {
		switch value := clip(n.Annotation(an.Key)); an.Key {
		case notify.AnnotationSummary:
			a.Summary = value
		case notify.AnnotationRunbookURL:
			a.RunbookURL = value
		default:
			if len(a.Annotations) < maxLabels {
				a.Annotations = append(a.Annotations, notify.Label{Key: clip(an.Key), Value: value})
			}
		}
	}
	for i, l := range n.Labels {
		if i == maxLabels {
			a.Labels = append(a.Labels, notify.Label{Key: "…", Value: strconv.Itoa(len(n.Labels)-i) + " more labels not shown"})
			break
		}
		a.Labels = append(a.Labels, notify.Label{Key: clip(l.Key), Value: clip(l.Value)})
	}
	return a
}

// mailContent is a composed mail, before addressing.
type mailContent struct {
	Subject, Text, HTML string
}

// composer renders mails with the configured (or built-in) templates.
type composer struct {
	subject, body *template.Template
	custom        bool // body_template is set: the HTML part shows its text
	traces        *notify.TraceURLTemplate
}

func newComposer(cfg *Config) (*composer, error) {
	subject, err := parseSubjectTemplate(cfg.SubjectTemplate)
	if err != nil {
		return nil, err
	}
	body, err := parseBodyTemplate(cfg.BodyTemplate)
	if err != nil {
		return nil, err
	}
	traces, err := notify.ParseTraceURLTemplate(cfg.TraceURLTemplate)
	if err != nil {
		return nil, fmt.Errorf("trace_url_template: %w", err)
	}
	c := &composer{subject: subject, body: body, custom: body != nil, traces: traces}
	if c.subject == nil {
		c.subject = defaultSubject
	}
	if c.body == nil {
		c.body = defaultBody
	}
	return c, nil
}

// compose renders one mail for the group n. A template that fails at run time falls back to the built-in
// one, so a broken template never silences an alert.
func (c *composer) compose(n notify.Notification, now time.Time) mailContent {
	d := newMailData(n, now, c.traces)
	subject, err := execute(c.subject, d)
	if err != nil {
		subject, _ = execute(defaultSubject, d)
	}
	text, err := execute(c.body, d)
	custom := c.custom
	if err != nil {
		text, _ = execute(defaultBody, d)
		custom = false
	}
	var html bytes.Buffer
	if custom {
		_ = htmlText.Execute(&html, text)
	} else {
		_ = htmlAlerts.Execute(&html, d)
	}
	return mailContent{Subject: oneLine(subject), Text: text, HTML: html.String()}
}

func execute(t *template.Template, d mailData) (string, error) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// oneLine makes a subject a single bounded line: a header cannot carry a line break.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return notify.TruncateBytes(s, maxSubjectBytes)
}

func clip(s string) string { return notify.TruncateBytes(s, maxFieldBytes) }
