package eventcodec

import "testing"

// stringEndForward is the rule the scanners followed before they shared StringEnd, read
// forward: a backslash takes the next byte, the first other quote ends the string.
func stringEndForward(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func TestStringEnd(t *testing.T) {
	for in, want := range map[string]int{
		`"`:          0,
		`abc"`:       3,
		`a\"b"`:      4,
		`a\\"b"`:     3,
		`a\\\"b"`:    6,
		`\u0022"`:    6,
		`a\`:         -1,
		`a\"`:        -1,
		``:           -1,
		"x\x01y\"":   3,
		`\\\\"\\\\"`: 4,
	} {
		if got := StringEnd([]byte(in), 0); got != want {
			t.Errorf("StringEnd(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzStringEnd holds StringEnd, which looks back from each quote, to the forward rule.
func FuzzStringEnd(f *testing.F) {
	for _, s := range []string{`abc"`, `a\"b"`, `a\\"`, `\\\"x"`, `\`, `"\"\\"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := StringEnd(b, 0), stringEndForward(b, 0); got != want {
			t.Fatalf("StringEnd(%q) = %d, the forward rule says %d", b, got, want)
		}
	})
}
