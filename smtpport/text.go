package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Everything the command prints that a server, DNS or an autoconfig document supplied
// (greetings, EHLO keywords, certificate names, discovered hosts, error strings) goes
// through safe at the point of printing, in text and in JSON: such text can carry
// terminal escapes (ESC, the C1 CSI U+009B), bidi overrides (U+202E) that make a name
// read backwards, or names of kilobytes.

// maxWord caps a run of text without spaces: DNS names are at most 253 bytes, so a longer
// run is no name anyone needs to read whole.
const maxWord = 256

// maxItems caps a list a server supplied (certificate names, EHLO keywords).
const maxItems = 64

// safe makes s fit for a terminal and a single line: line breaks and tabs become spaces,
// every other character that is not graphic (C0 and C1 controls, DEL, bidi and other
// format characters, invalid UTF-8) becomes '?', and every run of more than maxWord
// characters without a space is cut, with the size of what was left out.
func safe(s string) string {
	var b strings.Builder
	run, cut := 0, 0 // characters in the current word; bytes skipped from it
	flush := func() {
		if cut > 0 {
			b.WriteString("…(" + strconv.Itoa(cut) + " more bytes)")
		}
		run, cut = 0, 0
	}
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		switch {
		case r == '\n' || r == '\r' || r == '\t' || r == ' ':
			flush()
			b.WriteByte(' ')
			continue
		case r == utf8.RuneError && size == 1, !unicode.IsGraphic(r):
			r = '?'
		}
		if run >= maxWord {
			cut += size
			continue
		}
		run++
		b.WriteRune(r)
	}
	flush()
	return b.String()
}

// safeList is safe for each element of a list, at most maxItems of them.
func safeList(list []string) []string {
	out := make([]string, 0, min(len(list), maxItems+1))
	for i, s := range list {
		if i == maxItems {
			out = append(out, "…("+strconv.Itoa(len(list)-maxItems)+" more)")
			break
		}
		out = append(out, safe(s))
	}
	return out
}

// oneLine is safe for an error: our own errors start "smtpport: ", which the command
// prints once in front anyway.
func oneLine(s string) string {
	return safe(strings.TrimPrefix(s, "smtpport: "))
}

// sayf formats a line, makes it safe and writes it with a newline: the way every line
// with foreign text in it is printed.
func sayf(w io.Writer, format string, args ...any) {
	io.WriteString(w, safe(fmt.Sprintf(format, args...))+"\n")
}

// plural is "1 route", "2 routes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
