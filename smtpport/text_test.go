package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSafe(t *testing.T) {
	long := strings.Repeat("a", 8192)
	cases := []struct{ name, in, want string }{
		{"plain", "mail.example.test ESMTP ready", "mail.example.test ESMTP ready"},
		{"non-ASCII letters stay", "Grüße, 東京 — ok", "Grüße, 東京 — ok"},
		{"line breaks and tabs", "a\r\nb\tc\nd", "a  b c d"},
		{"ESC sequences", "\x1b[2J\x1b]0;pwned\x07x", "?[2J?]0;pwned?x"},
		{"C1 CSI", "a\u009b31mb", "a?31mb"},
		{"C1 range ends", "\u0080\u009f\u00a0", "?? "[:2] + "\u00a0"},
		{"bidi overrides and isolates", "\u202egnp.exe\u202c \u2066x\u2069 \u200f", "?gnp.exe? ?x? ?"},
		{"zero-width and BOM", "a\u200bb\ufeffc", "a?b?c"},
		{"line and paragraph separators", "a\u2028b\u2029c", "a?b?c"},
		{"NUL and DEL", "a\x00b\x7fc", "a?b?c"},
		{"invalid UTF-8", "a\xffb\xc3", "a?b?"},
		{"tag characters", "a\U000E0041b", "a?b"},
		{"a long word is cut", long, strings.Repeat("a", maxWord) + "…(7936 more bytes)"},
		{"only the long word is cut", "host " + long + ".test is bad", "host " + strings.Repeat("a", maxWord) + "…(7941 more bytes) is bad"},
		{"a word of maxWord stays", strings.Repeat("b", maxWord), strings.Repeat("b", maxWord)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, safe(tc.in))
		})
	}
}

func TestSafeList(t *testing.T) {
	many := make([]string, maxItems+10)
	for i := range many {
		many[i] = "x\u202e"
	}
	got := safeList(many)
	assert.Len(t, got, maxItems+1)
	assert.Equal(t, "x?", got[0])
	assert.Equal(t, "…(10 more)", got[maxItems])
	assert.Equal(t, []string{}, safeList(nil), "never null in JSON")
}

func TestOneLine(t *testing.T) {
	assert.Equal(t, "no route worked: x?y", oneLine("smtpport: no route worked: x\u009by"))
	assert.Equal(t, "a b", oneLine("a\nb"))
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 routes", 1: "1 route", 2: "2 routes", 11: "11 routes"} {
		assert.Equal(t, want, plural(n, "route"))
	}
}
