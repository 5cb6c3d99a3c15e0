package smtptest

import (
	"crypto/tls"
	"strconv"
	"strings"
	"time"
)

// Step is one move of a scripted (hostile) session. Its parts run in field order: read
// a command, pause, write raw bytes, switch to TLS, then close or hang if asked. Bytes
// are written exactly as given, so a reply can carry injected lines, stop mid-line or
// skip the CRLF: the server plays a broken or malicious peer, or a MITM on the path.
type Step struct {
	// Expect, when not empty, first reads one command line and records it. A line that
	// does not start with Expect (case-insensitive) ends the session: the client did
	// something the script did not allow for, and the test's assertions will show it.
	Expect string
	// ReadAny, when set, first reads whatever the client sends next (at least one byte)
	// without parsing it: typically a TLS ClientHello the server will not answer with TLS.
	ReadAny bool
	// Wait, when not nil, pauses until it is closed (or the server closes): a server
	// that answers only once something else has happened.
	Wait <-chan struct{}
	// Delay pauses before writing. It is server behaviour, not test synchronisation: the
	// pause ends early when the server is closed.
	Delay time.Duration
	// Send is written raw, as one write.
	Send []byte
	// Repeat is written Count times after Send, from the same buffer: a reply line of
	// megabytes, or millions of continuation lines, at no memory cost to the server.
	// The writes stop as soon as the client goes away.
	Repeat []byte
	Count  int
	// TLS switches to TLS as the server after the writes, with the endpoint's
	// Certificate and MaxTLSVersion. An implicit-TLS endpoint's script starts with a
	// TLS step: a script replaces the whole session, handshake included.
	TLS bool
	// Close ends the connection abruptly after this step.
	Close bool
	// Hang stops answering after this step: the session reads and records whatever the
	// client sends until the client or the server closes the connection.
	Hang bool
}

// Reply formats an SMTP reply: every line but the last gets "code-", the last "code ",
// each ends with CRLF. Reply(250, "host", "STARTTLS") is a two-line EHLO answer.
func Reply(code int, lines ...string) []byte {
	if len(lines) == 0 {
		lines = []string{""}
	}
	var b strings.Builder
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		b.WriteString(strconv.Itoa(code) + sep + l + "\r\n")
	}
	return []byte(b.String())
}

// Greet is the usual first step: a 220 greeting.
func Greet() Step { return Step{Send: Reply(220, DefaultHostname+" ESMTP hostile")} }

// EHLO answers an EHLO with the given extensions.
func EHLO(extensions ...string) Step {
	return Step{Expect: "EHLO", Send: Reply(250, append([]string{DefaultHostname}, extensions...)...)}
}

// UpToTLS is a well-behaved STARTTLS opening: greeting, EHLO offering STARTTLS, the
// 220 go-ahead and the TLS switch. Steps after it talk over TLS.
func UpToTLS() []Step {
	return []Step{
		Greet(),
		EHLO("PIPELINING", "STARTTLS"),
		{Expect: "STARTTLS", Send: Reply(220, "2.0.0 Ready to start TLS"), TLS: true},
	}
}

// runScript plays ep.Script. When the steps run out without closing or hanging, the
// session carries on as a normal server (in TLS when the script switched to it), so a
// script can tamper with the opening only.
func (s *session) runScript() {
	for _, st := range s.ep.Script {
		if !s.step(st) {
			return
		}
		if st.Close {
			return
		}
		if st.Hang {
			s.hang()
			return
		}
	}
	for {
		line, err := s.readLine()
		if err != nil {
			return
		}
		s.recordLine(line)
		if err := s.handle(line); err != nil {
			return
		}
	}
}

// step runs one step; false ends the session.
func (s *session) step(st Step) bool {
	if st.Expect != "" {
		line, err := s.readLine()
		if err != nil {
			return false
		}
		s.recordLine(line)
		if !equalFoldPrefix(line, st.Expect) {
			return false
		}
		if equalFoldPrefix(line, "EHLO") {
			s.hello = true
		}
	}
	if st.ReadAny {
		if _, err := s.r.Peek(1); err != nil {
			return false
		}
		s.r.Discard(s.r.Buffered())
	}
	if st.Wait != nil {
		select {
		case <-st.Wait:
		case <-s.srv.done:
			return false
		}
	}
	if st.Delay > 0 && !s.pause(st.Delay) {
		return false
	}
	if len(st.Send) > 0 {
		if _, err := s.conn.Write(st.Send); err != nil {
			return false
		}
	}
	for range st.Count {
		if _, err := s.conn.Write(st.Repeat); err != nil {
			return false
		}
	}
	if st.TLS {
		tc := tls.Server(s.conn, s.srv.tlsConfig(s.ep))
		if err := tc.Handshake(); err != nil {
			return false
		}
		s.setConn(tc)
		s.tls, s.hello, s.user = true, false, ""
	}
	return true
}

// pause waits d, or less if the server closes; false when it did.
func (s *session) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.srv.done:
		return false
	}
}

// hang records what the client sends, answering nothing, until the connection ends.
func (s *session) hang() {
	for {
		line, err := s.r.ReadSlice('\n') // a full buffer records the line in pieces
		if len(line) > 0 {
			s.recordLine(strings.TrimRight(string(line), "\r\n"))
		}
		if err != nil && len(line) == 0 {
			return
		}
	}
}

func (s *session) recordLine(line string) {
	s.srv.record(Command{Conn: s.id, Port: s.ep.Port, TLS: s.tls, Line: line, Decoded: decodeAuthLine(line)})
}
