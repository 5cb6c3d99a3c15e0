package negotiate

import (
	"bytes"
	"errors"
	"fmt"
	"net"
)

// tapConn sits under net/smtp's client for the whole negotiation. It caps the bytes read
// (net/smtp has no line limit) and watches the STARTTLS exchange: any byte that arrives
// after the 2xx reply to STARTTLS and is not TLS is injected (CVE-2011-0411 class), which
// net/smtp would otherwise drop silently. After handoff it only passes bytes through.
type tapConn struct {
	net.Conn
	budget   int // bytes still allowed before handoff
	handed   bool
	phase    tapPhase
	line     []byte // start of the current reply line (at most 4 bytes kept)
	injected bool
	accepted bool // the server answered STARTTLS with 2xx
	exceeded bool // a read was refused for the cap: nothing read since can be trusted
}

type tapPhase int

const (
	phaseClear     tapPhase = iota // plaintext SMTP before STARTTLS was sent
	phaseSTARTTLS                  // STARTTLS sent, reading its reply
	phaseAwaitTLS                  // 2xx read; next byte must be a TLS record
	phaseEncrypted                 // TLS from here on: only the cap applies
)

// errOversize reports a server that sent more than MaxNegotiationBytes before handoff.
var errOversize = fmt.Errorf("server sent more than %d bytes during negotiation", MaxNegotiationBytes)

// errInjected reports plaintext bytes after the server's go-ahead for STARTTLS.
var errInjected = errors.New("server sent plaintext after its STARTTLS go-ahead (possible command injection)")

// errPipelined reports bytes the server sent before the client sent STARTTLS, still
// unread when it was about to: they would pose as the STARTTLS reply.
var errPipelined = errors.New("server sent unrequested data before STARTTLS (possible response injection)")

// oversize is the error once the cap was hit. bufio hands textproto the part of a line
// it had when the read failed as if the line were complete, so a reply cut by the cap
// can look like success; the cap, not that outcome, is what happened.
func oversize(stage string) error {
	return &routeError{kind: ErrProtocol, detail: stage + ": reply too large", cause: errOversize, final: true}
}

func newTap(c net.Conn, implicitTLS bool) *tapConn {
	t := &tapConn{Conn: c, budget: MaxNegotiationBytes}
	if implicitTLS {
		t.phase = phaseEncrypted
	}
	return t
}

// handoff lifts the cap: from here the caller owns the connection.
func (t *tapConn) handoff() { t.handed = true }

func (t *tapConn) Read(p []byte) (int, error) {
	if t.handed {
		return t.Conn.Read(p)
	}
	if t.injected {
		return 0, errInjected // fail now rather than wait for a TLS record that never comes
	}
	if t.budget <= 0 {
		t.exceeded = true
		return 0, errOversize
	}
	if len(p) > t.budget {
		p = p[:t.budget]
	}
	n, err := t.Conn.Read(p)
	t.budget -= n
	t.watch(p[:n])
	return n, err
}

// watch follows reply lines while the STARTTLS reply is outstanding.
func (t *tapConn) watch(b []byte) {
	for i := 0; i < len(b); i++ {
		switch t.phase {
		case phaseSTARTTLS:
			if b[i] != '\n' {
				if len(t.line) < 4 {
					t.line = append(t.line, b[i])
				}
				continue
			}
			line := bytes.TrimSuffix(t.line, []byte("\r"))
			t.line = t.line[:0]
			if len(line) == 4 && line[3] == '-' {
				continue // continuation line
			}
			if len(line) >= 1 && line[0] == '2' {
				t.accepted = true
				t.phase = phaseAwaitTLS
				if i+1 < len(b) {
					t.injected = true // bytes after the go-ahead, in the same read
					t.phase = phaseEncrypted
				}
			} else {
				t.phase = phaseClear // refused: net/smtp reports the code
			}
			return
		case phaseAwaitTLS:
			// A TLS server's first record is a handshake (22) or an alert (21).
			if b[i] != 22 && b[i] != 21 {
				t.injected = true
			}
			t.phase = phaseEncrypted
			return
		default:
			return
		}
	}
}

func (t *tapConn) Write(p []byte) (int, error) {
	if !t.handed && t.phase == phaseClear && len(p) >= 8 && bytes.EqualFold(p[:8], []byte("STARTTLS")) {
		t.phase = phaseSTARTTLS
	}
	return t.Conn.Write(p)
}

// heloGuard replaces net/smtp's writer before the first EHLO: net/smtp silently retries
// with HELO when EHLO fails, which would continue without extensions (no STARTTLS, no
// AUTH). The guard refuses to send it, so the EHLO failure becomes the attempt's error.
type heloGuard struct {
	w      interface{ Write([]byte) (int, error) }
	denied bool
}

var errEHLORejected = errors.New("server rejected EHLO; refusing to fall back to HELO")

func (g *heloGuard) Write(p []byte) (int, error) {
	if len(p) >= 5 && bytes.EqualFold(p[:5], []byte("HELO ")) {
		g.denied = true
		return 0, errEHLORejected
	}
	return g.w.Write(p)
}
