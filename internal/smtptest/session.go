package smtptest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"

	"github.com/smtpport/smtpport/negotiate"
)

// maxLine bounds a command line (RFC 5321 §4.5.3.1.4 says 512; we allow more).
const maxLine = 4096

// maxMessage bounds a message's DATA.
const maxMessage = 10 << 20

// session is one client connection.
type session struct {
	srv   *Server
	ep    Endpoint
	id    int
	conn  net.Conn
	r     *bufio.Reader
	w     *bufio.Writer
	tls   bool
	hello bool
	user  string
	from  string
	to    []string
}

var errQuit = errors.New("quit")

func newSession(srv *Server, ep Endpoint, id int, c net.Conn) *session {
	s := &session{srv: srv, ep: ep, id: id}
	s.setConn(c)
	return s
}

func (s *session) setConn(c net.Conn) {
	s.conn = c
	s.r = bufio.NewReader(c)
	s.w = bufio.NewWriter(c)
}

func (s *session) run() {
	defer func() { s.w.Flush() }() // replies held back for a pipelined group, if the session ends in one
	if s.ep.Security == negotiate.ImplicitTLS {
		tc := tls.Server(s.conn, s.srv.tlsConfig(s.ep))
		if err := tc.Handshake(); err != nil {
			return
		}
		s.setConn(tc)
		s.tls = true
	}
	if s.ep.HoldGreeting != nil {
		select {
		case <-s.ep.HoldGreeting:
		case <-s.srv.done:
			return
		}
	}
	s.reply(220, s.srv.cfg.Hostname+" ESMTP smtptest")
	for {
		line, err := s.readLine()
		if err != nil {
			return
		}
		s.srv.record(Command{Conn: s.id, Port: s.ep.Port, TLS: s.tls, Line: line, Decoded: decodeAuthLine(line)})
		if err := s.handle(line); err != nil {
			return
		}
	}
}

func (s *session) readLine() (string, error) {
	var buf []byte
	for {
		chunk, isPrefix, err := s.r.ReadLine()
		if err != nil {
			return "", err
		}
		buf = append(buf, chunk...)
		if len(buf) > maxLine {
			s.reply(500, "5.5.2 line too long")
			return "", errors.New("line too long")
		}
		if !isPrefix {
			return string(buf), nil
		}
	}
}

// reply writes one reply; text may hold several lines separated by "\n".
func (s *session) reply(code int, text string) error {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		fmt.Fprintf(s.w, "%d%s%s\r\n", code, sep, l)
	}
	if s.srv.cfg.Pipelining && s.r.Buffered() > 0 {
		return nil // more commands are in: answer them together, as Postfix does
	}
	return s.w.Flush()
}

func (s *session) handle(line string) error {
	verb, arg, _ := strings.Cut(line, " ")
	if hook := s.srv.cfg.CommandReply; hook != nil && s.tls {
		switch strings.ToUpper(verb) {
		case "MAIL", "RCPT", "DATA", "RSET", "NOOP":
			if r := hook(s.id, line); r != "" {
				if err := s.replyLine(r); err != nil || strings.HasPrefix(r, "421") {
					return errQuit // 421: the server closes the connection
				}
				return nil
			}
		}
	}
	switch strings.ToUpper(verb) {
	case "EHLO":
		s.hello, s.user, s.from, s.to = true, "", "", nil
		return s.reply(250, strings.Join(append([]string{s.srv.cfg.Hostname + " greets " + arg}, s.extensions()...), "\n"))
	case "HELO":
		s.hello = true
		return s.reply(250, s.srv.cfg.Hostname)
	case "STARTTLS":
		return s.startTLS()
	case "AUTH":
		return s.auth(arg)
	case "MAIL":
		return s.mail(arg)
	case "RCPT":
		return s.rcpt(arg)
	case "DATA":
		return s.data()
	case "RSET":
		s.from, s.to = "", nil
		return s.reply(250, "2.0.0 OK")
	case "NOOP":
		return s.reply(250, "2.0.0 OK")
	case "QUIT":
		s.reply(221, "2.0.0 Bye")
		return errQuit
	}
	return s.reply(500, "5.5.1 unknown command")
}

func (s *session) extensions() []string {
	ext := []string{"8BITMIME", "SIZE 10485760", "ENHANCEDSTATUSCODES"}
	if s.srv.cfg.Pipelining {
		ext = append(ext, "PIPELINING")
	}
	if s.offersSTARTTLS() {
		ext = append(ext, "STARTTLS")
	}
	if s.tls && len(s.srv.cfg.Mechanisms) > 0 {
		ext = append(ext, "AUTH "+strings.Join(s.srv.cfg.Mechanisms, " "))
	}
	return ext
}

func (s *session) offersSTARTTLS() bool {
	return !s.tls && s.ep.Security == negotiate.STARTTLS && !s.ep.NoSTARTTLS
}

func (s *session) startTLS() error {
	if !s.offersSTARTTLS() {
		return s.reply(502, "5.5.1 STARTTLS not available")
	}
	if err := s.reply(220, "2.0.0 Ready to start TLS"); err != nil {
		return err
	}
	if err := s.w.Flush(); err != nil {
		return err
	}
	tc := tls.Server(s.conn, s.srv.tlsConfig(s.ep))
	if err := tc.Handshake(); err != nil {
		return err
	}
	s.setConn(tc)
	s.tls, s.hello, s.user = true, false, ""
	return nil
}

func (s *session) mail(arg string) error {
	if !s.hello {
		return s.reply(503, "5.5.1 EHLO first")
	}
	if len(s.srv.cfg.Users) > 0 && s.user == "" {
		return s.reply(530, "5.7.0 Authentication required")
	}
	addr, ok := pathArg(arg, "FROM:")
	if !ok {
		return s.reply(501, "5.5.4 syntax: MAIL FROM:<address>")
	}
	s.from, s.to = addr, nil
	return s.reply(250, "2.1.0 OK")
}

func (s *session) rcpt(arg string) error {
	if s.from == "" {
		return s.reply(503, "5.5.1 MAIL first")
	}
	addr, ok := pathArg(arg, "TO:")
	if !ok || addr == "" {
		return s.reply(501, "5.5.4 syntax: RCPT TO:<address>")
	}
	if s.srv.cfg.RcptReply != nil {
		if line := s.srv.cfg.RcptReply(addr); line != "" {
			return s.replyLine(line)
		}
	}
	s.to = append(s.to, addr)
	return s.reply(250, "2.1.5 OK")
}

func (s *session) data() error {
	if len(s.to) == 0 {
		return s.reply(503, "5.5.1 RCPT first")
	}
	if err := s.reply(354, "End data with <CR><LF>.<CR><LF>"); err != nil {
		return err
	}
	var msg bytes.Buffer
	for {
		line, err := s.r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
		if bytes.Equal(line, []byte(".\r\n")) || bytes.Equal(line, []byte(".\n")) {
			break
		}
		if line[0] == '.' {
			line = line[1:] // dot-unstuffing, RFC 5321 §4.5.2
		}
		if msg.Len()+len(line) > maxMessage {
			io.Copy(io.Discard, s.r)
			return s.reply(552, "5.3.4 message too big")
		}
		msg.Write(line)
	}
	s.srv.deliver(Message{Port: s.ep.Port, User: s.user, From: s.from, To: slices.Clone(s.to), Data: msg.Bytes()})
	s.from, s.to = "", nil
	return s.reply(250, "2.0.0 queued")
}

// pathArg reads "FROM:<a@b> PARAMS" into "a@b".
func pathArg(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}
