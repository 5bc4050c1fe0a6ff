package notify

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/otelcol-multiagents/otelcol-multiagents/internal/alertstate"
)

// Annotation names the notifiers show in their own place (summary as the headline, the
// runbook as a link); any other annotation is listed as name: text.
const (
	AnnotationSummary    = "summary"
	AnnotationRunbookURL = "runbook_url"
)

// MaxTraceLinks bounds the trace ids one notification lists across its alerts: each alert
// brings its own (at most max_trace_ids of the alert processor), and a group of many alerts
// must not make a message or incident body grow without end.
const MaxTraceLinks = 10

// valueReference is how an annotation refers to the observed value, as in Prometheus.
const valueReference = "$value"

// Annotation returns the alert's annotation called name, rendered (see RenderAnnotation);
// "" when the rule has none.
func (a Alert) Annotation(name string) string {
	for _, l := range a.Annotations {
		if l.Key == name {
			return RenderAnnotation(l.Value, a)
		}
	}
	return ""
}

// RenderAnnotation fills an annotation's text at send time: "{{ label }}" becomes the value of
// the alert's group or static label (alertname and severity too), "{{ $value }}" the observed
// value. The alert processor validated the references when it loaded the rule; one it cannot
// resolve here (an alert from another writer) is left as written, so nothing is hidden.
func RenderAnnotation(text string, a Alert) string {
	if !strings.Contains(text, "{{") {
		return text
	}
	var b strings.Builder
	for {
		open := strings.Index(text, "{{")
		if open < 0 {
			break
		}
		closing := strings.Index(text[open:], "}}")
		if closing < 0 {
			break
		}
		b.WriteString(text[:open])
		ref := strings.TrimSpace(text[open+2 : open+closing])
		if v, ok := a.reference(ref); ok {
			b.WriteString(v)
		} else {
			b.WriteString(text[open : open+closing+2])
		}
		text = text[open+closing+2:]
	}
	b.WriteString(text)
	return b.String()
}

func (a Alert) reference(ref string) (string, bool) {
	switch ref {
	case valueReference:
		if !a.HasValue {
			return "", false
		}
		return FormatValue(a.Value), true
	case alertstate.AttrAlertName:
		return a.Name, true
	case alertstate.AttrSeverity:
		return a.Severity.String(), true
	}
	for _, l := range a.Labels {
		if l.Key == ref {
			return l.Value, true
		}
	}
	return "", false
}

// FormatValue writes an observed value for people: integers as integers, others with four
// significant digits (0.1667, not 0.16666666666666666), large ones without an exponent.
func FormatValue(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'g', -1, 64)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case math.Abs(v) >= 1000:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// TraceLink is one trace id of a notification and, when a trace_url_template is set, its URL.
type TraceLink struct {
	TraceID string
	URL     string
}

// TraceURLTemplate turns a trace id into a link to a trace backend (Tempo, Jaeger, Grafana
// Explore): a Go text/template over a struct with TraceID.
type TraceURLTemplate struct {
	tmpl *template.Template
}

// traceURLData is what a trace_url_template sees.
type traceURLData struct {
	TraceID string
}

// exampleTraceID validates a template: what it makes of a real-looking id must be a URL.
const exampleTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"

// ParseTraceURLTemplate compiles a trace_url_template ("" gives nil: ids are shown as text).
// It fails when the template does not parse, fails to execute, or does not make an absolute
// http(s) URL of a trace id.
func ParseTraceURLTemplate(text string) (*TraceURLTemplate, error) {
	if text == "" {
		return nil, nil
	}
	tmpl, err := template.New("trace_url_template").Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, err
	}
	t := &TraceURLTemplate{tmpl: tmpl}
	example, err := t.url(exampleTraceID)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(example)
	if err != nil {
		return nil, fmt.Errorf("makes %q, not a URL: %w", example, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("makes %q, not an absolute http or https URL", example)
	}
	if !strings.Contains(example, exampleTraceID) {
		return nil, errors.New("does not use {{ .TraceID }}: every trace would get the same link")
	}
	return t, nil
}

func (t *TraceURLTemplate) url(traceID string) (string, error) {
	var b strings.Builder
	if err := t.tmpl.Execute(&b, traceURLData{TraceID: traceID}); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Links returns the trace ids with their URLs; without a template (nil) the URLs are empty.
func (t *TraceURLTemplate) Links(ids []string) []TraceLink {
	links := make([]TraceLink, 0, len(ids))
	for _, id := range ids {
		l := TraceLink{TraceID: id}
		if t != nil {
			l.URL, _ = t.url(id) // validated at start; a failure only costs this link
		}
		links = append(links, l)
	}
	return links
}

// TraceIDs returns the trace ids of the notification's alerts, each alert's own in its order
// (newest first) and the alerts in the notification's order, each id once, at most limit.
func (n Notification) TraceIDs(limit int) []string {
	var ids []string
	for _, a := range n.Alerts() {
		for _, id := range a.TraceIDs {
			if len(ids) >= limit {
				return ids
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return ids
}
