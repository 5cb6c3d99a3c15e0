package smtpport

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCRLF(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\rb", "a\r\nb"},
		{"a\r\r\nb", "a\r\n\r\nb"},
		{"\n\r", "\r\n\r\n"},
		{"a\r", "a\r\n"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(crlf([]byte(tt.in))), "%q", tt.in)
	}
}

// FuzzCRLF: the result is canonical, a canonical message comes back as the same slice,
// and CRLF form never changes the text between line breaks.
func FuzzCRLF(f *testing.F) {
	f.Add([]byte("a\r\nb\nc\rd\r\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		out := crlf(msg)
		if !canonical(out) {
			t.Fatalf("not canonical: %q", out)
		}
		if canonical(msg) && (len(msg) > 0 && &out[0] != &msg[0] || !bytes.Equal(out, msg)) {
			t.Fatalf("canonical input copied or changed: %q -> %q", msg, out)
		}
		strip := func(b []byte) []byte {
			return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
		}
		if !bytes.Equal(strip(out), strip(msg)) {
			t.Fatalf("text changed: %q -> %q", msg, out)
		}
	})
}
