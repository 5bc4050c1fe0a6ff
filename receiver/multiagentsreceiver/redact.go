package multiagentsreceiver

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/otelcol-multiagents/otelcol-multiagents/receiver/multiagentsreceiver/internal/eventcodec"
)

const redactedValue = "***REDACTED***"

// payloadRenderer turns an event's raw JSON payload into what may leave the receiver:
// sensitive keys redacted at any depth, then capped at maxSize bytes.
type payloadRenderer struct {
	keys    []string // lower-case substrings
	maxSize int
}

func newPayloadRenderer(keys []string, maxSize int) *payloadRenderer {
	r := &payloadRenderer{maxSize: maxSize}
	for _, k := range keys {
		if k = strings.ToLower(strings.TrimSpace(k)); k != "" {
			r.keys = append(r.keys, k)
		}
	}
	return r
}

// renderedPayload is a payload ready to attach.
type renderedPayload struct {
	body      string
	size      int // original size in bytes of the JSON text
	truncated bool
}

func (r *payloadRenderer) render(raw json.RawMessage) renderedPayload {
	if len(raw) == 0 {
		return renderedPayload{}
	}
	out := renderedPayload{size: len(raw)}
	text := raw
	if r.mayContainSensitiveKey(raw) {
		text = r.redact(raw)
	}
	if len(text) > r.maxSize {
		cut := r.maxSize
		// Do not split a UTF-8 sequence.
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
		out.truncated = true
	}
	out.body = string(text)
	return out
}

// mayContainSensitiveKey is a cheap pre-check that lets most payloads skip a full decode:
// it scans object keys only (values never match) without allocating. A key holding an
// escape or a non-ASCII byte could spell a sensitive word in disguise, so it forces the
// full path.
func (r *payloadRenderer) mayContainSensitiveKey(raw []byte) bool {
	if len(r.keys) == 0 {
		return false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] != '"' {
			continue
		}
		start := i + 1
		if i = eventcodec.StringEnd(raw, start); i < 0 {
			return true // unterminated string: let the full path decide
		}
		end := i
		j := i + 1
		for j < len(raw) && (raw[j] == ' ' || raw[j] == '\t' || raw[j] == '\n' || raw[j] == '\r') {
			j++
		}
		if j >= len(raw) || raw[j] != ':' {
			continue // a value, not a key
		}
		if disguisable(raw[start:end]) || r.asciiKeyMatches(raw[start:end]) {
			return true
		}
	}
	return false
}

// disguisable reports whether a key holds an escape or a non-ASCII byte, either of which could
// spell a sensitive word that the ASCII match would miss.
func disguisable(key []byte) bool {
	for _, c := range key {
		if c == '\\' || c >= 0x80 {
			return true
		}
	}
	return false
}

func (r *payloadRenderer) asciiKeyMatches(key []byte) bool {
	for _, k := range r.keys {
		if containsFoldASCII(key, k) {
			return true
		}
	}
	return false
}

// containsFoldASCII reports whether s contains sub (lower-case) ignoring ASCII case.
func containsFoldASCII(s []byte, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		match := true
		for j := 0; j < n; j++ {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// redact rewrites the payload with sensitive values replaced. Text that does not decode
// as JSON is withheld entirely rather than risk leaking what it holds.
func (r *payloadRenderer) redact(raw []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []byte(`"` + redactedValue + `"`)
	}
	v = r.walk(v)
	out, err := json.Marshal(v)
	if err != nil {
		return []byte(`"` + redactedValue + `"`)
	}
	return out
}

func (r *payloadRenderer) walk(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if r.sensitive(k) {
				t[k] = redactedValue
				continue
			}
			t[k] = r.walk(val)
		}
	case []any:
		for i := range t {
			t[i] = r.walk(t[i])
		}
	}
	return v
}

func (r *payloadRenderer) sensitive(key string) bool {
	lower := strings.ToLower(key)
	for _, k := range r.keys {
		if strings.Contains(lower, k) {
			return true
		}
	}
	return false
}

// capString caps free-text fields (error messages), which carry no keys to redact;
// they are capped like payloads.
func (r *payloadRenderer) capString(s string) string {
	if len(s) <= r.maxSize {
		return s
	}
	cut := r.maxSize
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
