package eventcodec

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// A single-pass reader for the framework's event objects. encoding/json validates a
// document and then decodes it by reflection, which made decoding most of the receiver's
// cost; this reader validates as strictly (FuzzWireMatchesEncodingJSON checks it against
// encoding/json) while keeping nested values (payload, error_details) as raw slices.

const maxJSONDepth = 512

var errSyntax = errors.New("invalid JSON")

// jsonValueKind is the kind of a JSON value by its first byte.
type jsonValueKind uint8

const (
	jsonString jsonValueKind = iota + 1
	jsonNumber
	jsonBool
	jsonNull
	jsonObject
	jsonArray
)

type wireReader struct {
	b []byte
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (r *wireReader) skipSpace(i int) int {
	for i < len(r.b) && isSpace(r.b[i]) {
		i++
	}
	return i
}

// objectFields walks the object starting at b[i] == '{' and calls field for each member
// with its raw key bytes (between the quotes) and the value span. It returns the index
// after the closing brace.
func (r *wireReader) objectFields(i, depth int, field func(key []byte, keyEscaped bool, kind jsonValueKind, start, end int)) (int, error) {
	if depth > maxJSONDepth {
		return 0, errSyntax
	}
	i++ // '{'
	i = r.skipSpace(i)
	if i < len(r.b) && r.b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(r.b) || r.b[i] != '"' {
			return 0, errSyntax
		}
		keyEnd, escaped, err := r.skipString(i)
		if err != nil {
			return 0, err
		}
		key := r.b[i+1 : keyEnd-1]
		i = r.skipSpace(keyEnd)
		if i >= len(r.b) || r.b[i] != ':' {
			return 0, errSyntax
		}
		i = r.skipSpace(i + 1)
		start := i
		kind, end, err := r.skipValue(i, depth+1)
		if err != nil {
			return 0, err
		}
		if field != nil {
			field(key, escaped, kind, start, end)
		}
		i = r.skipSpace(end)
		if i >= len(r.b) {
			return 0, errSyntax
		}
		switch r.b[i] {
		case ',':
			i = r.skipSpace(i + 1)
		case '}':
			return i + 1, nil
		default:
			return 0, errSyntax
		}
	}
}

// skipValue validates the value at b[i] and returns its kind and end index.
func (r *wireReader) skipValue(i, depth int) (jsonValueKind, int, error) {
	if i >= len(r.b) {
		return 0, 0, errSyntax
	}
	switch c := r.b[i]; {
	case c == '"':
		end, _, err := r.skipString(i)
		return jsonString, end, err
	case c == '{':
		end, err := r.objectFields(i, depth, nil)
		return jsonObject, end, err
	case c == '[':
		end, err := r.skipArray(i, depth)
		return jsonArray, end, err
	case c == 't':
		return jsonBool, i + 4, r.literal(i, "true")
	case c == 'f':
		return jsonBool, i + 5, r.literal(i, "false")
	case c == 'n':
		return jsonNull, i + 4, r.literal(i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		end, err := r.skipNumber(i)
		return jsonNumber, end, err
	}
	return 0, 0, errSyntax
}

func (r *wireReader) literal(i int, lit string) error {
	if len(r.b)-i < len(lit) || string(r.b[i:i+len(lit)]) != lit {
		return errSyntax
	}
	return nil
}

func (r *wireReader) skipArray(i, depth int) (int, error) {
	if depth > maxJSONDepth {
		return 0, errSyntax
	}
	i = r.skipSpace(i + 1)
	if i < len(r.b) && r.b[i] == ']' {
		return i + 1, nil
	}
	for {
		_, end, err := r.skipValue(i, depth+1)
		if err != nil {
			return 0, err
		}
		i = r.skipSpace(end)
		if i >= len(r.b) {
			return 0, errSyntax
		}
		switch r.b[i] {
		case ',':
			i = r.skipSpace(i + 1)
		case ']':
			return i + 1, nil
		default:
			return 0, errSyntax
		}
	}
}

// stringSpecial marks the bytes that end plain string content: the quote, the backslash and
// the control characters JSON forbids unescaped.
var stringSpecial = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// skipString returns the index after the closing quote of the string at b[i] == '"' and
// whether it holds escapes.
func (r *wireReader) skipString(i int) (int, bool, error) {
	escaped := false
	for i++; i < len(r.b); i++ {
		// Plain content, most of every document, costs one table lookup per byte.
		for i < len(r.b) && !stringSpecial[r.b[i]] {
			i++
		}
		if i >= len(r.b) {
			break
		}
		c := r.b[i]
		switch {
		case c == '"':
			return i + 1, escaped, nil
		case c < 0x20:
			return 0, false, errSyntax
		case c == '\\':
			escaped = true
			i++
			if i >= len(r.b) {
				return 0, false, errSyntax
			}
			switch r.b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(r.b)-i < 5 {
					return 0, false, errSyntax
				}
				for _, h := range r.b[i+1 : i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return 0, false, errSyntax
					}
				}
				i += 4
			default:
				return 0, false, errSyntax
			}
		}
	}
	return 0, false, errSyntax
}

// skipNumber follows the JSON number grammar exactly.
func (r *wireReader) skipNumber(i int) (int, error) {
	b := r.b
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0, errSyntax
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0, errSyntax
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return 0, errSyntax
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i, nil
}

// stringValue returns the Go string of a JSON string token (quotes included in tok).
func stringValue(tok []byte) string {
	inner := tok[1 : len(tok)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner)
	}
	var s string
	if err := json.Unmarshal(tok, &s); err != nil {
		return string(inner) // unreachable for a validated token
	}
	return s
}

// keyIs matches a member name as encoding/json does: exactly, or else case-insensitively.
func keyIs(key []byte, escaped bool, name string) bool {
	if escaped {
		k := stringValue(append(append([]byte{'"'}, key...), '"'))
		return k == name || bytes.EqualFold([]byte(k), []byte(name))
	}
	return string(key) == name || bytes.EqualFold(key, []byte(name))
}

// wireTypeError records the first field whose value has the wrong JSON type.
type wireTypeError struct {
	field string
	kind  jsonValueKind
}

func (e *wireTypeError) Error() string { return e.field + " has the wrong type" }

// fieldSink converts member values, remembering the first type error.
type fieldSink struct {
	b       []byte
	typeErr *wireTypeError
	values  *wireValues // where the pointers it stores point
}

func (s *fieldSink) fail(field string, kind jsonValueKind) {
	if s.typeErr == nil {
		s.typeErr = &wireTypeError{field: field, kind: kind}
	}
}

// str stores a string member; null leaves it absent, as with a *string in encoding/json.
func (s *fieldSink) str(dst **string, field string, kind jsonValueKind, start, end int) {
	switch kind {
	case jsonString:
		*dst = s.values.str(stringValue(s.b[start:end]))
	case jsonNull:
		*dst = nil
	default:
		s.fail(field, kind)
	}
}

func (s *fieldSink) float(dst **float64, field string, kind jsonValueKind, start, end int) {
	switch kind {
	case jsonNumber:
		v, err := strconv.ParseFloat(string(s.b[start:end]), 64)
		if err != nil {
			s.fail(field, kind) // out of range, as encoding/json reports it
			return
		}
		*dst = s.values.float(v)
	case jsonNull:
		*dst = nil
	default:
		s.fail(field, kind)
	}
}

func (s *fieldSink) boolean(dst **bool, field string, kind jsonValueKind, start, end int) {
	switch kind {
	case jsonBool:
		*dst = s.values.boolean(s.b[start] == 't')
	case jsonNull:
		*dst = nil
	default:
		s.fail(field, kind)
	}
}

func (s *fieldSink) raw(dst *json.RawMessage, start, end int) {
	*dst = s.b[start:end:end] // capped: the input may be a read-only view of a string
}
