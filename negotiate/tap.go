package negotiate

import (
	"bytes"
	"errors"
	"fmt"
	"net"
)

// tapConn sits under net/smtp's client for the whole negotiation. It caps the bytes read
// (net/smtp has no line limit) and guards the STARTTLS exchange, the one plaintext reply
// whose content matters: the reply must be a well-formed SMTP reply of one code, and after
// a 220 the next byte must start a TLS record. Anything else is tampering (CVE-2011-0411
// class) that net/smtp would let through: it parses mixed codes as text and drops bytes
// buffered after the 220. After handoff the tap only passes bytes through.
type tapConn struct {
	net.Conn
	budget   int // bytes still allowed before handoff
	handed   bool
	phase    tapPhase
	reply    replyScanner // the STARTTLS reply, in phaseSTARTTLS
	violated error        // set once the STARTTLS exchange was tampered with; every later read fails
	exceeded bool         // a read was refused for the cap: nothing read since can be trusted

	onGoAhead func() // called when a well-formed 220 to STARTTLS has been read
	quick     quickAcker
	readLast  bool // the last call was a Read that returned bytes: the client is waiting for more
	acks      int  // quick-ACKs asked for (tests)

	keepGreeting bool   // keep the first plaintext line, for Trace.Greeting
	greeting     []byte // the first line, without its line ending, at most maxReplyLine
	greeted      bool   // the first line is complete
}

type tapPhase int

const (
	phaseClear     tapPhase = iota // plaintext SMTP before STARTTLS was sent
	phaseSTARTTLS                  // STARTTLS sent, reading its reply
	phaseAwaitTLS                  // 220 read; the next byte must start a TLS record
	phaseEncrypted                 // TLS from here on: only the cap applies
)

// errOversize reports a server that sent more than maxNegotiationBytes before handoff.
var errOversize = fmt.Errorf("server sent more than %d bytes during negotiation", maxNegotiationBytes)

// errInjected reports plaintext bytes after the server's go-ahead for STARTTLS.
var errInjected = errors.New("server sent plaintext after its STARTTLS go-ahead (possible command injection)")

// errPipelined reports bytes the server sent before the client sent STARTTLS, still
// unread when it was about to: they would pose as the STARTTLS reply.
var errPipelined = errors.New("server sent unrequested data before STARTTLS (possible response injection)")

// oversize is the error once the cap was hit. bufio hands textproto the part of a line
// it had when the read failed as if the line were complete, so a reply cut by the cap
// can look like success; the cap, not that outcome, is what happened.
func oversize(what string) error {
	return &routeError{kind: ErrProtocol, detail: what + ": reply too large", cause: errOversize, final: true}
}

// tampered is the error for a STARTTLS exchange the tap refused.
func tampered(cause error) error {
	return &routeError{kind: ErrProtocol, detail: "STARTTLS exchange tampered with", cause: cause, final: true}
}

func newTap(c net.Conn, implicitTLS bool) *tapConn {
	t := &tapConn{Conn: c, budget: maxNegotiationBytes, quick: newQuickAcker(c)}
	if implicitTLS {
		t.phase = phaseEncrypted
	}
	return t
}

// handoff lifts the cap: from here the caller owns the connection.
func (t *tapConn) handoff() { t.handed = true }

// accepted reports that the server answered STARTTLS with a well-formed 220.
func (t *tapConn) accepted() bool { return t.phase >= phaseAwaitTLS && t.violated == nil }

func (t *tapConn) Read(p []byte) (int, error) {
	if t.handed {
		return t.Conn.Read(p)
	}
	if t.violated != nil {
		return 0, t.violated // fail now rather than wait for a TLS record that never comes
	}
	if t.budget <= 0 {
		t.exceeded = true
		return 0, errOversize
	}
	if len(p) > t.budget {
		p = p[:t.budget]
	}
	if t.readLast {
		// Bytes read and nothing sent since: the client waits for more, and their ACK
		// would be delayed (see quickAcker). A read that a command follows needs none:
		// the command carries the ACK.
		t.quick.ack()
		t.acks++
	}
	n, err := t.Conn.Read(p)
	t.budget -= n
	t.readLast = n > 0
	if t.violated = t.watch(p[:n]); t.violated != nil {
		return 0, t.violated // the bytes never reach net/smtp
	}
	return n, err
}

// watch follows the STARTTLS reply and the first byte after it; it returns why the bytes
// are not acceptable, or nil.
func (t *tapConn) watch(b []byte) error {
	switch t.phase {
	case phaseClear:
		if t.keepGreeting && !t.greeted {
			t.keepFirstLine(b)
		}
	case phaseSTARTTLS:
		used, err := t.reply.feed(b)
		if err != nil {
			return err
		}
		if !t.reply.done {
			return nil
		}
		if t.reply.code != 220 {
			t.phase = phaseClear // refused: net/smtp reports the code, nothing more is read
			return nil
		}
		t.phase = phaseAwaitTLS
		if t.onGoAhead != nil {
			t.onGoAhead()
		}
		if used < len(b) {
			return errInjected // bytes after the go-ahead, in the same read
		}
	case phaseAwaitTLS:
		if len(b) == 0 {
			return nil
		}
		// A TLS server's first record is a handshake (22) or an alert (21).
		if b[0] != 22 && b[0] != 21 {
			return errInjected
		}
		t.phase = phaseEncrypted
	}
	return nil
}

// keepFirstLine collects the greeting's first line for the trace.
func (t *tapConn) keepFirstLine(b []byte) {
	line, _, complete := bytes.Cut(b, []byte("\n"))
	t.greeting = append(t.greeting, line[:min(len(line), maxReplyLine-len(t.greeting))]...)
	if complete {
		t.greeting = bytes.TrimSuffix(t.greeting, []byte("\r"))
		t.greeted = true
	}
}

func (t *tapConn) Write(p []byte) (int, error) {
	if !t.handed && t.phase == phaseClear && len(p) >= 8 && bytes.EqualFold(p[:8], []byte("STARTTLS")) {
		t.phase = phaseSTARTTLS
		t.reply = replyScanner{}
	}
	t.readLast = false
	return t.Conn.Write(p)
}
