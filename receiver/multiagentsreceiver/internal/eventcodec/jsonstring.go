package eventcodec

import "bytes"

// StringEnd returns the index of the quote that closes the JSON string whose content starts
// at b[i] (just after its opening quote), or -1 when the string is not closed. A backslash
// always takes the next byte with it, so an escaped quote never ends the string; nothing else
// is checked. It is the string skip of the tolerant scanners: the NaN/Infinity rewrite, the
// push-body splitter and redaction's key pre-check. The strict reader keeps its own one-pass
// skipString, which validates as it goes: built on StringEnd plus a validating pass, decoding
// was 15 % slower. Most of a document is string content, which IndexByte crosses fast.
func StringEnd(b []byte, i int) int {
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return -1
		}
		q := i + j
		// The quote is escaped when an odd run of backslashes stands right before it.
		backslashes := 0
		for k := q - 1; k >= i && b[k] == '\\'; k-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return q
		}
		i = q + 1
	}
}
