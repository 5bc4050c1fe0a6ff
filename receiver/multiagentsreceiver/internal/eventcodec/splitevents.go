package eventcodec

import "bytes"

// SplitEvents accepts one JSON object, a JSON array of objects, or NDJSON (one object per
// line). Elements are returned raw; each is decoded, and may be rejected, on its own.
//
// It only scans for the boundaries of top-level values (brackets, strings, escapes) and decodes
// nothing: every element is decoded strictly afterwards anyway, and a full encoding/json pass
// over the body first cost more than decoding the events themselves (BENCHMARKS.md, figure 2).
func SplitEvents(body []byte) [][]byte {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if body[0] == '[' {
		if items, ok := splitArray(body); ok {
			return items
		}
		return [][]byte{body} // rejected as a whole, with the decoder's reason
	}
	if end, ok := valueEnd(body); ok && end == len(body) {
		return [][]byte{body} // one event, possibly spread over several lines
	}
	var items [][]byte
	for _, line := range bytes.Split(body, []byte("\n")) {
		if line = bytes.TrimSpace(line); len(line) > 0 {
			items = append(items, line)
		}
	}
	return items
}

// splitArray returns the top-level elements of the JSON array that is the whole of body; ok is
// false when brackets or strings do not balance, an element is empty, or text follows the array.
func splitArray(body []byte) (items [][]byte, ok bool) {
	var stack []byte
	elemStart := 1
	for i := 0; i < len(body); i++ {
		switch c := body[i]; c {
		case '"':
			if i = StringEnd(body, i+1); i < 0 {
				return nil, false
			}
		case '[', '{':
			stack = append(stack, c)
		case ']', '}':
			if len(stack) == 0 || (c == ']') != (stack[len(stack)-1] == '[') {
				return nil, false
			}
			stack = stack[:len(stack)-1]
			if len(stack) > 0 {
				continue
			}
			if i != len(body)-1 {
				return nil, false
			}
			last := bytes.TrimSpace(body[elemStart:i])
			if len(last) == 0 {
				return items, len(items) == 0 // "[]" is empty; "[a,]" is not JSON
			}
			return append(items, last), true
		case ',':
			if len(stack) == 1 {
				el := bytes.TrimSpace(body[elemStart:i])
				if len(el) == 0 {
					return nil, false
				}
				items = append(items, el)
				elemStart = i + 1
			}
		}
	}
	return nil, false
}

// valueEnd returns the index just past the first top-level object or array in body (which
// starts with it), and whether its brackets and strings balance.
func valueEnd(body []byte) (int, bool) {
	depth := 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '"':
			if i = StringEnd(body, i+1); i < 0 {
				return 0, false
			}
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return i + 1, true
			}
			if depth < 0 {
				return 0, false
			}
		}
	}
	return 0, false
}
