package limits

import (
	"bufio"
	"bytes"
	"io"
	"net/textproto"
	"testing"
)

// FuzzMessageEnd: whatever the server's reply to DATA and whatever the message, the
// layer passes the client's bytes through unchanged, reads at most MaxReplyBytes for the
// reply, enters the message only after a final 354, and marks the final "." sent exactly
// when DotWriter has written it — never inside the body, however writes split it.
func FuzzMessageEnd(f *testing.F) {
	f.Add([]byte("354 go ahead\r\n"), []byte("hello\r\n.\r\n..\r\n"), uint8(7))
	f.Add([]byte("354-a\r\n354 b\r\n"), []byte("\r\n.\r\n"), uint8(1))
	f.Add([]byte("554 no\r\n"), []byte("x"), uint8(3))
	f.Add([]byte("354\n"), []byte(".\n.\r.\r\n"), uint8(2))
	f.Fuzz(func(t *testing.T, reply, body []byte, chunk uint8) {
		l, out := newTestConn(t, string(reply))
		if _, err := l.Write([]byte("DATA\r\n")); err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, l)
		if n > MaxReplyBytes {
			t.Fatalf("read %d reply bytes", n)
		}
		if !l.inData {
			return
		}
		size := int(chunk)%64 + 16 // bufio's minimum is 16
		w := textproto.NewWriter(bufio.NewWriterSize(l, size))
		dw := w.DotWriter()
		for len(body) > 0 {
			k := min(len(body), int(chunk)%7+1)
			if _, err := dw.Write(body[:k]); err != nil {
				t.Fatal(err)
			}
			body = body[k:]
			if l.Unanswered() {
				t.Fatalf("final dot seen inside the body: %q", out.String())
			}
		}
		if err := dw.Close(); err != nil {
			t.Fatal(err)
		}
		if !l.Unanswered() || l.inData {
			t.Fatalf("final dot missed: %q", out.String())
		}
		if !bytes.HasPrefix(out.Bytes(), []byte("DATA\r\n")) || !bytes.HasSuffix(out.Bytes(), []byte("\r\n.\r\n")) {
			t.Fatalf("bytes changed: %q", out.String())
		}
	})
}
