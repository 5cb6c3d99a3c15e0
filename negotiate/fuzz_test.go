package negotiate

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode"
)

// Fuzz targets for every function that reads server bytes before handoff. Run one with
// go test ./negotiate -run '^$' -fuzz '^FuzzTap$' -fuzztime 10s (internal/fuzz.sh runs all).

// chunked is a net.Conn that plays back a server's bytes in the given pieces, one
// piece per Read, and swallows writes: a server that does not listen.
type chunked struct {
	chunks [][]byte
	read   int // bytes handed out
}

// newChunked cuts data at the offsets in cuts (each byte a piece length, 0 meaning 1).
func newChunked(data, cuts []byte) *chunked {
	c := &chunked{}
	for i := 0; len(data) > 0; i++ {
		n := len(data)
		if i < len(cuts) {
			n = min(max(int(cuts[i]), 1), len(data))
		}
		c.chunks = append(c.chunks, data[:n])
		data = data[n:]
	}
	return c
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	if n == len(c.chunks[0]) {
		c.chunks = c.chunks[1:]
	} else {
		c.chunks[0] = c.chunks[0][n:]
	}
	c.read += n
	return n, nil
}

func (c *chunked) Write(p []byte) (int, error)      { return len(p), nil }
func (c *chunked) Close() error                     { return nil }
func (c *chunked) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 40000} }
func (c *chunked) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 25), Port: 587} }
func (c *chunked) SetDeadline(time.Time) error      { return nil }
func (c *chunked) SetReadDeadline(time.Time) error  { return nil }
func (c *chunked) SetWriteDeadline(time.Time) error { return nil }

// Seeds shared by the targets: the byte streams of research/hostile-servers.md.
var starttlsReplies = []string{
	"220 2.0.0 Ready to start TLS\r\n",
	"220 go ahead\r\n250-evil\r\n250 AUTH PLAIN\r\n", // injection, same segment
	"220 go ahead\r\n250 AUTH PL",                    // injection, partial line
	"220 go ahead\r\n\x16\x03\x03\x00\x05",           // TLS-looking bytes, same segment
	"220-first\r\n220 second\r\n",
	"454 4.7.0 TLS not available\r\n",
	"502 5.5.1 no\r\n",
	"354 go on\r\n",
	"250 sure\r\n",
	"421 4.3.2 bye\r\n",
	"2\n",
	"220-\r\n220 \r\n",
	"554-no\r\n\r\n220 go\r\n",      // a blank line hiding a go-ahead
	"220-ok\r\n554-x\r\n220 go\r\n", // mixed codes
	"220 go\rMAIL FROM:<x>\r\n",     // CR without LF
	"220 go\x00\r\n",
}

// replyOutcome is how a STARTTLS reply ends.
type replyOutcome int

const (
	replyIncomplete replyOutcome = iota
	replyMalformed
	replyRefused
	replyGoAhead
)

// starttlsReference reads a STARTTLS reply from the whole stream at once, by RFC 5321
// §4.2's grammar as replyScanner documents it, and returns how it ends and the offset
// just past its final line.
func starttlsReference(stream []byte) (replyOutcome, int) {
	pos, code := 0, 0
	for {
		i := bytes.IndexByte(stream[pos:], '\n')
		if i < 0 {
			rest := bytes.TrimSuffix(stream[pos:], []byte("\r")) // a CR may wait for its LF
			if len(rest) > maxReplyLine-2 {
				return replyMalformed, -1
			}
			for _, c := range rest {
				if c < ' ' && c != '\t' || c == 0x7f {
					return replyMalformed, -1
				}
			}
			return replyIncomplete, -1
		}
		line := stream[pos : pos+i]
		pos += i + 1
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > maxReplyLine-2 {
			return replyMalformed, -1
		}
		for _, c := range line {
			if c < ' ' && c != '\t' || c == 0x7f {
				return replyMalformed, -1 // a CR inside the line is one too
			}
		}
		e := parseReplyLine(line)
		if e == nil || code != 0 && e.Code != code {
			return replyMalformed, -1
		}
		code = e.Code
		if len(line) == 3 || line[3] == ' ' {
			if code == 220 {
				return replyGoAhead, pos
			}
			return replyRefused, pos
		}
	}
}

// FuzzTap feeds a STARTTLS reply and what follows it through the tap in arbitrary
// pieces. Whatever the chunking, the tap refuses exactly the malformed replies the
// reference refuses, never misses plaintext after a go-ahead, flags nothing else except
// bytes in the same read as the go-ahead (a real server cannot send TLS before the
// ClientHello), and never hands out more than the cap.
func FuzzTap(f *testing.F) {
	for _, s := range starttlsReplies {
		f.Add([]byte(s), []byte{})
		f.Add([]byte(s), []byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			f.Add([]byte(s), []byte{byte(i + 1)})
		}
	}
	f.Add(append([]byte("220 ok\r\n"), bytes.Repeat([]byte{'x'}, maxNegotiationBytes+10)...), []byte{8, 255})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		if len(data) > maxNegotiationBytes {
			data = data[:maxNegotiationBytes]
		}
		src := newChunked(data, cuts)
		tap := newTap(src, false)
		if _, err := tap.Write([]byte("STARTTLS\r\n")); err != nil {
			t.Fatal(err)
		}
		// Where each piece starts in the stream, to know what shared a read.
		var starts []int
		off := 0
		for _, c := range src.chunks {
			starts = append(starts, off)
			off += len(c)
		}
		total := 0
		buf := make([]byte, 1<<17)
		var readErr error
		for readErr == nil {
			var n int
			n, readErr = tap.Read(buf)
			total += n
		}
		if total > maxNegotiationBytes {
			t.Fatalf("tap handed out %d bytes, cap %d", total, maxNegotiationBytes)
		}
		outcome, after := starttlsReference(data)
		malformedSeen := errors.Is(readErr, errMalformedReply)
		injectedSeen := errors.Is(readErr, errInjected)
		if malformedSeen != (outcome == replyMalformed) {
			t.Fatalf("%q: tap malformed=%v, reference outcome %d", data, malformedSeen, outcome)
		}
		if outcome != replyGoAhead {
			if injectedSeen {
				t.Fatalf("%q: injection flagged without a go-ahead", data)
			}
			return
		}
		plaintextAfter := after < len(data) && data[after] != 22 && data[after] != 21
		if plaintextAfter && !injectedSeen {
			t.Fatalf("injection missed in %q (chunks %v)", data, starts)
		}
		if injectedSeen && !plaintextAfter {
			// Allowed only when the byte after the go-ahead came in the same piece.
			sameRead := after < len(data)
			for _, s := range starts {
				if s == after {
					sameRead = false
				}
			}
			if !sameRead {
				t.Fatalf("false injection in %q (go-ahead ends at %d, chunks %v)", data, after, starts)
			}
		}
	})
}

// FuzzReplyTracker: in any chunking, the tracker's last line is the reference's last
// complete line (cut at maxReplyLine, one trailing CR dropped), and parseReplyLine only
// accepts what RFC 5321 calls a reply line.
func FuzzReplyTracker(f *testing.F) {
	for _, s := range []string{
		"502 5.5.1 HELO only\r\n", "250-a\r\n250 b\r\n", "421 4.3.2 bye\r\n250 partial",
		"502-\x00\x08\r\n502 \x1b[31mred\xff\r\n", "99 short\r\n", "2500 no\r\n", "\r\n\r\n",
		strings.Repeat("5", 600) + "\r\n",
	} {
		f.Add([]byte(s), []byte{})
		f.Add([]byte(s), []byte{1, 2, 3, 4, 5, 6, 7})
	}
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		tr := &replyTracker{r: newChunked(data, cuts)}
		io.Copy(io.Discard, tr)
		var want []byte
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			start := bytes.LastIndexByte(data[:i], '\n') + 1
			want = data[start:i]
			want = want[:min(len(want), maxReplyLine)]
			want = bytes.TrimSuffix(want, []byte("\r"))
		}
		if !bytes.Equal(tr.last, want) {
			t.Fatalf("last line %q, want %q", tr.last, want)
		}
		e := parseReplyLine(tr.last)
		if e == nil {
			return
		}
		if e.Code < 200 || e.Code > 599 || !bytes.HasPrefix(tr.last, []byte(e.Error()[:3])) {
			t.Fatalf("parsed %q as %d", tr.last, e.Code)
		}
		if !strings.HasSuffix(string(tr.last), e.Msg) {
			t.Fatalf("message %q is not the end of %q", e.Msg, tr.last)
		}
	})
}

// FuzzMechanisms: only well-formed SASL names come out of an AUTH line.
func FuzzMechanisms(f *testing.F) {
	for _, s := range []string{"PLAIN LOGIN", "plain  xoauth2\tCRAM-MD5", "PLAIN PLAIN", "\x00BAD\x1b GOOD", strings.Repeat("A", 21), "SCRAM-SHA-256 OAUTHBEARER"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, params string) {
		seen := map[string]bool{}
		for _, m := range parseMechanisms(params) {
			if !isMechanismName(m) || seen[m] {
				t.Fatalf("bad or repeated mechanism %q from %q", m, params)
			}
			seen[m] = true
		}
	})
}

// FuzzHandshake plays arbitrary server bytes, in arbitrary pieces, against the whole
// pre-handoff path of one route: greeting, EHLO (with the HELO guard and the reply
// tracker), STARTTLS with the tap, TLS, and the post-TLS capability list. It must never
// panic or read past the cap; since no fuzzed server can present a certificate signed
// by an empty pool, it must always fail, with exactly one sentinel, and an injection
// the tap saw must be the reported cause.
func FuzzHandshake(f *testing.F) {
	greet := "220 mail.example.test ESMTP\r\n"
	ehlo := "250-mail.example.test\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n"
	cutsFor := func(parts ...string) []byte {
		var cuts []byte
		for _, p := range parts {
			for n := len(p); n > 0; n -= 255 {
				cuts = append(cuts, byte(min(n, 255)))
			}
		}
		return cuts
	}
	for _, s := range starttlsReplies {
		f.Add([]byte(greet+ehlo+s), cutsFor(greet, ehlo, s), false)
	}
	for _, s := range []string{
		"421 4.3.2 try later\r\n", "554 \x1b[2J go away\r\n", "220-teaser\r\n220 ok\r\n",
		greet + "502 5.5.1 HELO only\r\n", greet + "421 bye\r\n", greet + "250 no starttls\r\n",
		greet + ehlo[:len(ehlo)-2], // EHLO answer cut mid-line
	} {
		f.Add([]byte(s), []byte{}, false)
	}
	f.Add([]byte("\x16\x03\x03\x00\x02\x02\x28"), []byte{}, true) // an alert where a ServerHello should be
	f.Add([]byte(greet), []byte{}, true)                          // plaintext on an implicit-TLS port
	f.Fuzz(func(t *testing.T, data, cuts []byte, implicit bool) {
		src := newChunked(data, cuts)
		route := Route{Host: "mail.example.test", Port: 587, Security: STARTTLS}
		if implicit {
			route.Port, route.Security = 465, ImplicitTLS
		}
		n := newNegotiation(context.Background(), Config{
			Routes:    []Route{route},
			LocalName: "client.example.test",
			TLSConfig: &tls.Config{RootCAs: x509.NewCertPool()},
		})
		a := &attempt{route: route, start: time.Now(), n: n}
		tap := newTap(src, implicit)
		c, err := n.secure(context.Background(), a, tap)
		if tap.exceeded {
			err = oversize(string(a.stage))
		}
		if c != nil {
			offeredMechanisms(c) // capability parsing on whatever EHLO was read
			c.Close()
		}
		if src.read > maxNegotiationBytes {
			t.Fatalf("read %d bytes, cap %d", src.read, maxNegotiationBytes)
		}
		if err == nil {
			t.Fatal("negotiation succeeded against fuzzed bytes")
		}
		kinds := 0
		for _, k := range []error{ErrAuthFailed, ErrTLSUnavailable, ErrCertificate, ErrUnreachable, ErrProtocol} {
			if errors.Is(err, k) {
				kinds++
			}
		}
		if kinds != 1 {
			t.Fatalf("%d sentinels in %v", kinds, err)
		}
		if tap.violated != nil && (!errors.Is(err, ErrProtocol) || !isFinal(err)) {
			t.Fatalf("tampering seen but reported as %v", err)
		}
		if s := err.Error(); strings.ContainsFunc(s, func(r rune) bool { return r != ' ' && !unicode.IsGraphic(r) }) {
			t.Fatalf("unsanitised error %q", s)
		}
	})
}
