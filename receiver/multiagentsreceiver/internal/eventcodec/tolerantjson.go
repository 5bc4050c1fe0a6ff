package eventcodec

// Python's json module writes bare NaN, Infinity and -Infinity, which are not JSON.
// SanitizeNonFinite rewrites those tokens, when they stand outside strings, into the
// JSON strings "NaN", "Infinity" and "-Infinity" so a standard decoder accepts the
// document and the value is still visible in the payload. Text inside strings
// (including escaped quotes) is never touched. The input is returned unchanged, without
// copying, when it holds no such token, which is the common case.
func SanitizeNonFinite(in []byte) []byte {
	first := findNonFinite(in, 0)
	if first < 0 {
		return in
	}
	out := make([]byte, 0, len(in)+16)
	pos := 0
	for start := first; start >= 0; start = findNonFinite(in, pos) {
		tok := nonFiniteAt(in, start)
		out = append(out, in[pos:start]...)
		out = append(out, '"')
		out = append(out, tok...)
		out = append(out, '"')
		pos = start + len(tok)
	}
	return append(out, in[pos:]...)
}

var nonFiniteTokens = []string{"-Infinity", "Infinity", "NaN"}

// nonFiniteAt returns the non-finite token starting at i, or "".
func nonFiniteAt(in []byte, i int) string {
	for _, tok := range nonFiniteTokens {
		if len(in)-i >= len(tok) && string(in[i:i+len(tok)]) == tok {
			// A token must not run into an identifier character (e.g. NaNa is not NaN).
			end := i + len(tok)
			if end < len(in) && isIdentByte(in[end]) {
				return ""
			}
			return tok
		}
	}
	return ""
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// findNonFinite returns the offset of the next non-finite token at or after from that is
// outside a string, or -1. from must be outside a string. Most of a document is string
// content, which is skipped with IndexByte.
func findNonFinite(in []byte, from int) int {
	for i := from; i < len(in); i++ {
		switch c := in[i]; c {
		case '"':
			end := StringEnd(in, i+1)
			if end < 0 {
				return -1
			}
			i = end
		case 'N', 'I', '-':
			// Only where a value may start: the token must not follow an identifier byte.
			if i > 0 && isIdentByte(in[i-1]) {
				continue
			}
			if nonFiniteAt(in, i) != "" {
				return i
			}
		}
	}
	return -1
}
