package negotiate

import (
	"bytes"
	"errors"
	"io"
	"net/textproto"
)

// maxReplyLine is the longest reply line: RFC 5321 §4.5.3.1.5 allows 512 octets
// including CRLF.
const maxReplyLine = 512

// errMalformedReply reports a STARTTLS reply that is not one well-formed SMTP reply.
var errMalformedReply = errors.New("malformed reply to STARTTLS")

// replyScanner checks, byte by byte and however the bytes are split, that a reply is what
// RFC 5321 §4.2 defines: lines of a three-digit code from 200 to 599, then "-" (more
// lines follow), " " or the end of the line; every line the same code; each line ended by
// CRLF (a bare LF is tolerated, as textproto does) and at most maxReplyLine long, with no
// NUL, bare CR or other control character. textproto is lenient where this is strict: it
// reads a line with another code, or a blank line, as more text and keeps reading, which
// lets an attacker hide a go-ahead inside what net/smtp takes for a refusal.
type replyScanner struct {
	head [4]byte // the first bytes of the current line: code and separator are all it checks
	n    int     // the current line's length so far, without its line ending
	cr   bool    // the last byte was a CR
	code int     // the reply's code, from its first line; 0 before it
	done bool    // the final line has been read
}

func malformed(why string) error { return errors.Join(errMalformedReply, errors.New(why)) }

// feed scans b and returns how many bytes belong to the reply (all of b unless the reply
// ended inside it) or why the reply is malformed.
func (s *replyScanner) feed(b []byte) (int, error) {
	for i, c := range b {
		if s.done {
			return i, nil
		}
		switch {
		case c == '\n':
			if err := s.endLine(); err != nil {
				return i, err
			}
		case s.cr:
			return i, malformed("carriage return without line feed")
		case c == '\r':
			s.cr = true
		case c < ' ' && c != '\t' || c == 0x7f:
			return i, malformed("control character in reply")
		case s.n >= maxReplyLine-2:
			return i, malformed("reply line too long")
		default:
			if s.n < len(s.head) {
				s.head[s.n] = c
			}
			s.n++
		}
	}
	return len(b), nil
}

func (s *replyScanner) endLine() error {
	line := s.head[:min(s.n, len(s.head))]
	s.n, s.cr = 0, false
	if len(line) < 3 || line[0] < '2' || line[0] > '5' || !isDigit(line[1]) || !isDigit(line[2]) {
		return malformed("reply line without a code")
	}
	code := int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	if s.code != 0 && code != s.code {
		return malformed("reply lines with different codes")
	}
	s.code = code
	switch {
	case len(line) == 3 || line[3] == ' ':
		s.done = true
	case line[3] != '-':
		return malformed("reply code not followed by a space or a hyphen")
	}
	return nil
}

// replyTracker sits between textproto's buffer and the connection while the first EHLO
// is read. net/smtp answers a failed EHLO by sending HELO, and forgets the EHLO error;
// heloGuard refuses the HELO, and the tracker keeps what is needed to report the real
// failure: the read error, if any, else the last reply line received.
type replyTracker struct {
	r    io.Reader
	line []byte // the current line, at most maxReplyLine bytes
	last []byte // the last complete line, without CRLF
	err  error  // the first read error
	// bufs back line and last while EHLO lines fit (they do, but for long texts), so
	// tracking them allocates nothing more.
	bufs [2][128]byte
}

func (t *replyTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.track(p[:n])
	if err != nil && t.err == nil {
		t.err = err
	}
	return n, err
}

func (t *replyTracker) track(b []byte) {
	if t.line == nil {
		t.line, t.last = t.bufs[0][:0], t.bufs[1][:0]
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		chunk := b
		if i >= 0 {
			chunk = b[:i]
		}
		if room := maxReplyLine - len(t.line); room > 0 {
			t.line = append(t.line, chunk[:min(room, len(chunk))]...)
		}
		if i < 0 {
			return
		}
		t.last = append(t.last[:0], bytes.TrimSuffix(t.line, []byte("\r"))...)
		t.line = t.line[:0]
		b = b[i+1:]
	}
}

// failure is why the EHLO failed: the read error, else the last line as a
// *textproto.Error, else nil when neither is known.
func (t *replyTracker) failure() error {
	if t.err != nil {
		return t.err
	}
	if e := parseReplyLine(t.last); e != nil {
		return e
	}
	return nil
}

// parseReplyLine reads one SMTP reply line, "250-text" or "421 text" (RFC 5321 §4.2):
// a code from 200 to 599, then a space, a hyphen or the end of the line. It returns nil
// for anything else. The text is kept as sent; safetext.Clean it before showing it.
func parseReplyLine(line []byte) *textproto.Error {
	if len(line) < 3 || line[0] < '2' || line[0] > '5' || !isDigit(line[1]) || !isDigit(line[2]) {
		return nil
	}
	if len(line) > 3 && line[3] != ' ' && line[3] != '-' {
		return nil
	}
	code := int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	msg := ""
	if len(line) > 4 {
		msg = string(line[4:])
	}
	return &textproto.Error{Code: code, Msg: msg}
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
