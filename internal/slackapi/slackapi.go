// Package slackapi is Slack's incoming webhooks as this project relies on them: the limits, a
// message as it travels, the rules a message must follow, and the answers. The slack exporter
// builds its messages within these limits; the test server (notifytest) and the demo sink
// (cmd/notifysink) enforce the same rules.
package slackapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"unicode/utf8"
)

// Limits of the API.
const (
	// MaxBodyBytes is the largest request body accepted (413 request_too_large past it).
	MaxBodyBytes = 1 << 20
	// MaxMessageChars bounds a message's text, attachment titles and texts and field titles
	// and values, together (msg_too_long past it).
	MaxMessageChars = 40000
	// PerSecond and Burst are the rate limit of one webhook: one message a second, short
	// bursts allowed; past it 429 with Retry-After.
	PerSecond = 1.0
	Burst     = 2.0
)

// The words Slack answers with: "ok" with 200, the others with the status noted.
const (
	AnswerOK              = "ok"
	AnswerInvalidPayload  = "invalid_payload"   // 400: not JSON, or a message breaking a rule
	AnswerNoText          = "no_text"           // 400: nothing to show
	AnswerTooLarge        = "request_too_large" // 413
	AnswerRateLimited     = "rate_limited"      // 429
	AnswerNoService       = "no_service"        // 404: unknown webhook
	AnswerInvalidMethod   = "invalid_method"    // 405
	ProblemMessageTooLong = "msg_too_long"
)

// Message is an incoming-webhook payload as received.
type Message struct {
	Channel     string            `json:"channel"`
	Username    string            `json:"username"`
	IconEmoji   string            `json:"icon_emoji"`
	Text        string            `json:"text"`
	Attachments []Attachment      `json:"attachments"`
	Blocks      []json.RawMessage `json:"blocks"`
}

// Attachment is a legacy attachment.
type Attachment struct {
	Color  string  `json:"color"`
	Title  string  `json:"title"`
	Text   string  `json:"text"`
	Fields []Field `json:"fields"`
}

// Field is one of an attachment's fields.
type Field struct {
	Title string `json:"title"`
	Value string `json:"value"`
	Short bool   `json:"short"`
}

// Field returns the value of the first attachment's field with that title ("" when none).
func (m Message) Field(title string) string {
	for _, f := range m.Attachments[0].Fields {
		if f.Title == title {
			return f.Value
		}
	}
	return ""
}

var colorPattern = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// Problem returns what breaks Slack's rules for the message ("" when none): no_text without
// text, attachments or blocks; a color that is neither #rrggbb nor good, warning, danger; an
// attachment with neither title nor text; a field without title; msg_too_long past
// MaxMessageChars.
func (m Message) Problem() string {
	if m.Text == "" && len(m.Attachments) == 0 && len(m.Blocks) == 0 {
		return AnswerNoText
	}
	total := utf8.RuneCountInString(m.Text)
	for _, a := range m.Attachments {
		if a.Color != "" && !colorPattern.MatchString(a.Color) && a.Color != "good" && a.Color != "warning" && a.Color != "danger" {
			return "bad color " + a.Color
		}
		if a.Title == "" && a.Text == "" {
			return "empty attachment"
		}
		total += utf8.RuneCountInString(a.Title) + utf8.RuneCountInString(a.Text)
		for _, f := range a.Fields {
			if f.Title == "" {
				return "field without title"
			}
			total += utf8.RuneCountInString(f.Title) + utf8.RuneCountInString(f.Value)
		}
	}
	if total > MaxMessageChars {
		return ProblemMessageTooLong
	}
	return ""
}

// ContentTypeOK tells whether a request's Content-Type is one Slack takes for JSON.
func ContentTypeOK(ct string) bool {
	return ct == "application/json" || ct == "application/json; charset=utf-8"
}

// StatusFor is the status Slack answers with each word.
func StatusFor(answer string) int {
	switch answer {
	case AnswerOK:
		return http.StatusOK
	case AnswerTooLarge:
		return http.StatusRequestEntityTooLarge
	case AnswerRateLimited:
		return http.StatusTooManyRequests
	case AnswerNoService:
		return http.StatusNotFound
	case AnswerInvalidMethod:
		return http.StatusMethodNotAllowed
	}
	return http.StatusBadRequest
}
