package smtptest

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Parsed is a received mail, decoded: headers, the decoded subject and both parts.
type Parsed struct {
	Header      mail.Header
	Subject     string
	ContentType string
	Text, HTML  string
}

// Parse decodes a multipart/alternative mail with UTF-8 text and HTML parts, failing t
// on anything else.
func Parse(t testing.TB, raw []byte) Parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	require.NoError(t, err)
	p := Parsed{Header: msg.Header, Subject: subject}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	require.NoError(t, err)
	p.ContentType = mediaType
	require.Equal(t, "multipart/alternative", mediaType)
	reader := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := reader.NextPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		var body io.Reader = part
		if part.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(part)
		}
		data, err := io.ReadAll(body)
		require.NoError(t, err)
		partType, partParams, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
		require.NoError(t, err)
		assert.Equal(t, "utf-8", strings.ToLower(partParams["charset"]))
		switch partType {
		case "text/plain":
			p.Text = string(data)
		case "text/html":
			p.HTML = string(data)
		default:
			t.Fatalf("unexpected part %s", partType)
		}
	}
	return p
}

// Subjects lists the decoded subjects of mails, for readable assertions.
func Subjects(t testing.TB, mails []Mail) []string {
	t.Helper()
	out := make([]string, len(mails))
	for i, m := range mails {
		out[i] = Parse(t, m.Data).Subject
	}
	return out
}
