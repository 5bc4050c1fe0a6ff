package slackapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestProblem(t *testing.T) {
	ok := Message{Text: "t", Attachments: []Attachment{{Color: "#ff0000", Title: "a", Fields: []Field{{Title: "f", Value: "v"}}}}}
	assert.Empty(t, ok.Problem())
	assert.Empty(t, Message{Blocks: []json.RawMessage{json.RawMessage(`{}`)}}.Problem(), "blocks alone are content")
	assert.Equal(t, AnswerNoText, Message{Username: "bot"}.Problem())
	assert.Contains(t, Message{Attachments: []Attachment{{Color: "red", Title: "a"}}}.Problem(), "bad color")
	for _, c := range []string{"good", "warning", "danger"} {
		assert.Empty(t, Message{Attachments: []Attachment{{Color: c, Title: "a"}}}.Problem(), c)
	}
	assert.Equal(t, "empty attachment", Message{Attachments: []Attachment{{Color: "good"}}}.Problem())
	assert.Equal(t, "field without title", Message{Attachments: []Attachment{{Title: "a", Fields: []Field{{Value: "v"}}}}}.Problem())

	// The limit counts characters, not bytes.
	assert.Empty(t, Message{Text: strings.Repeat("é", MaxMessageChars)}.Problem())
	assert.Equal(t, ProblemMessageTooLong, Message{Text: strings.Repeat("x", MaxMessageChars-1), Attachments: []Attachment{{Title: "ab"}}}.Problem())
}

func TestStatusFor(t *testing.T) {
	assert.Equal(t, http.StatusOK, StatusFor(AnswerOK))
	assert.Equal(t, http.StatusBadRequest, StatusFor(AnswerInvalidPayload))
	assert.Equal(t, http.StatusBadRequest, StatusFor(AnswerNoText))
	assert.Equal(t, http.StatusRequestEntityTooLarge, StatusFor(AnswerTooLarge))
	assert.Equal(t, http.StatusTooManyRequests, StatusFor(AnswerRateLimited))
	assert.Equal(t, http.StatusNotFound, StatusFor(AnswerNoService))
	assert.Equal(t, http.StatusMethodNotAllowed, StatusFor(AnswerInvalidMethod))
	assert.True(t, ContentTypeOK("application/json"))
	assert.True(t, ContentTypeOK("application/json; charset=utf-8"))
	assert.False(t, ContentTypeOK("text/plain"))
}
