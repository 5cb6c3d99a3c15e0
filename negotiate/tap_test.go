package negotiate

import (
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTapWatchesSTARTTLSReply feeds the tap what a server might send after STARTTLS, in
// the chunks a read could return, and checks what it concludes.
func TestTapWatchesSTARTTLSReply(t *testing.T) {
	cases := []struct {
		name     string
		chunks   []string
		want     error // what the tap refuses the bytes for; nil: accepted as they are
		accepted bool  // a well-formed 220 was read
	}{
		{"clean go-ahead then TLS", []string{"220 2.0.0 go ahead\r\n", "\x16\x03\x03"}, nil, true},
		{"multi-line go-ahead", []string{"220-hello\r\n220 go\r\n", "\x16\x03\x01"}, nil, true},
		{"go-ahead split across reads", []string{"22", "0 go\r", "\n", "\x16"}, nil, true},
		{"bare code", []string{"220\r\n", "\x16"}, nil, true},
		{"bare LF tolerated", []string{"220 go\n", "\x16"}, nil, true},
		{"injection in the same read", []string{"220 go\r\nMAIL FROM:<x@y>\r\n"}, errInjected, true},
		{"partial injected line", []string{"220 go\r\nRCP"}, errInjected, true},
		{"TLS-looking byte in the same read", []string{"220 go\r\n\x16"}, errInjected, true},
		{"injection in the next segment", []string{"220 go\r\n", "250 fake\r\n"}, errInjected, true},
		{"alert is TLS", []string{"220 go\r\n", "\x15\x03\x03"}, nil, true},
		{"refused", []string{"454 4.7.0 TLS not available\r\n"}, nil, false},
		{"refused with trailing bytes is not injection", []string{"502 no\r\n250 x\r\n"}, nil, false},
		{"250 is not a go-ahead", []string{"250 sure\r\n"}, nil, false},
		// A go-ahead hidden in what textproto would read as one refusal.
		{"blank line inside the reply", []string{"554-no\r\n\r\n220 go\r\n"}, errMalformedReply, false},
		{"another code inside the reply", []string{"220-ok\r\n554-no\r\n220 go\r\n"}, errMalformedReply, false},
		{"refusal then go-ahead lines", []string{"554-no\r\n220 go\r\n"}, errMalformedReply, false},
		{"mixed codes split at every byte", strings.Split("220-ok\r\n554 x\r\n", ""), errMalformedReply, false},
		{"CR without LF", []string{"220 go\rMAIL FROM:<x>\r\n"}, errMalformedReply, false},
		{"NUL in the reply", []string{"220 go\x00\r\n"}, errMalformedReply, false},
		{"no code", []string{"go ahead\r\n"}, errMalformedReply, false},
		{"code and junk", []string{"220x go\r\n"}, errMalformedReply, false},
		{"line too long", []string{"220 " + strings.Repeat("x", maxReplyLine) + "\r\n"}, errMalformedReply, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tap := newTap(nil, false)
			tap.phase = phaseSTARTTLS
			var err error
			for _, c := range tc.chunks {
				if err = tap.watch([]byte(c)); err != nil {
					break
				}
			}
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.True(t, errors.Is(err, tc.want), "got %v, want %v", err, tc.want)
			}
			assert.Equal(t, tc.accepted, tap.phase >= phaseAwaitTLS, "go-ahead read")
		})
	}
}

// TestTapRefusesTamperedBytes: a refused read hands nothing to net/smtp, and every later
// read fails the same way.
func TestTapRefusesTamperedBytes(t *testing.T) {
	tap := newTap(newChunked([]byte("220 go\r\n250 evil\r\n"), nil), false)
	_, err := tap.Write([]byte("STARTTLS\r\n"))
	assert.NoError(t, err)
	buf := make([]byte, 64)
	n, err := tap.Read(buf)
	assert.Zero(t, n, "no byte of the tampered read reaches the reader")
	assert.ErrorIs(t, err, errInjected)
	_, err = tap.Read(buf)
	assert.ErrorIs(t, err, errInjected)
	assert.False(t, tap.accepted())
}

// TestTapCapsReads: past maxNegotiationBytes reads fail, and never read past the cap.
func TestTapCapsReads(t *testing.T) {
	client, server := net.Pipe()
	defer client.Close()
	go func() {
		defer server.Close()
		buf := make([]byte, 4096)
		for {
			if _, err := server.Write(buf); err != nil {
				return
			}
		}
	}()
	tap := newTap(client, true)
	total := 0
	buf := make([]byte, 10000)
	var err error
	for err == nil {
		var n int
		n, err = tap.Read(buf)
		total += n
	}
	assert.ErrorIs(t, err, errOversize)
	assert.Equal(t, maxNegotiationBytes, total)
	tap.handoff()
	n, err := tap.Read(buf)
	assert.NoError(t, err, "after handoff the cap is lifted")
	assert.Positive(t, n)
}

// TestTapKeepsTheGreetingLine: the first plaintext line, however it arrives, for the trace.
func TestTapKeepsTheGreetingLine(t *testing.T) {
	tap := newTap(nil, false)
	tap.keepGreeting = true
	for _, c := range []string{"220 mail", ".example.test ESMTP\r", "\n250-more\r\n"} {
		assert.NoError(t, tap.watch([]byte(c)))
	}
	assert.Equal(t, "220 mail.example.test ESMTP", string(tap.greeting))
}

// TestTapQuickACKsOnlyWhileWaiting: the tap asks for a quick ACK before a read that
// follows a read (the client waits with an ACK owed: the Nagle × delayed-ACK stall), and
// never before a read that follows a write, whose command already carried the ACK.
func TestTapQuickACKsOnlyWhileWaiting(t *testing.T) {
	cases := []struct {
		ops  string // r: a read that returns bytes, w: a write
		acks int
	}{
		{"r", 0},
		{"rr", 1},
		{"rrr", 2},
		{"rwr", 0},
		{"wrwr", 0},
		{"wrrwr", 1},
		{"rrwrr", 2},
	}
	for _, tc := range cases {
		t.Run(tc.ops, func(t *testing.T) {
			src := &chunked{}
			for range strings.Count(tc.ops, "r") {
				src.chunks = append(src.chunks, []byte("250-x\r\n"))
			}
			tap := newTap(src, true)
			buf := make([]byte, 64)
			for _, op := range tc.ops {
				if op == 'w' {
					_, err := tap.Write([]byte("NOOP\r\n"))
					assert.NoError(t, err)
					continue
				}
				n, err := tap.Read(buf)
				assert.NoError(t, err)
				assert.Positive(t, n)
			}
			assert.Equal(t, tc.acks, tap.acks)
		})
	}
}
