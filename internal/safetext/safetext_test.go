package safetext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

func TestClean(t *testing.T) {
	cases := map[string]string{
		"plain text":                 "plain text",
		"bell\x07 and esc\x1b[31m":   "bell? and esc?[31m",
		"two\r\nlines":               "two  lines",
		"bidi \u202eevil":            "bidi ?evil",
		"invalid \xff utf8":          "invalid ? utf8",
		"c1 \u0085 control":          "c1 ? control",
		strings.Repeat("x", 300):     strings.Repeat("x", 256) + "…",
		"tab\tseparated":             "tab separated",
		"unicode is fine: café ☕ 日本": "unicode is fine: café ☕ 日本",
	}
	for in, want := range cases {
		assert.Equal(t, want, Clean(in))
	}
}

func TestCap(t *testing.T) {
	assert.Equal(t, "abc…", Cap("abcdef", 3))
	assert.Equal(t, "ab?", Cap("ab\x1b", 3), "a cap counts bytes of the input")
	assert.Equal(t, "日…", Cap("日本", 3), "cut at a rune boundary")
}

// FuzzClean: no control or format character, no invalid UTF-8, bounded length, and text
// that is already clean is left alone.
func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"", "535 5.7.8 Username and Password not accepted",
		"\x1b[2J\x1b]0;pwned\x07", "spoof\u202eevil\u2066x\u200f", "a\r\nb\tc",
		"\xff\xfe\xc0\x80", strings.Repeat("é", 200), "line\u2028sep\u0085nel\ufeffbom",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Clean(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q: %q", s, out)
		}
		for _, r := range out {
			if r != ' ' && !unicode.IsGraphic(r) {
				t.Fatalf("%U survives in %q", r, out)
			}
		}
		if len(out) > Max+utf8.UTFMax+len("…") {
			t.Fatalf("output of %d bytes", len(out))
		}
		if len(out) <= Max && Clean(out) != out {
			t.Fatalf("not idempotent: %q -> %q", out, Clean(out))
		}
	})
}
