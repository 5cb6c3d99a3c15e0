package negotiate

import (
	"bytes"
	"io"
	"net/textproto"
)

// maxReplyLine is how much of a reply line replyTracker keeps: RFC 5321 §4.5.3.1.5
// allows 512 octets including CRLF.
const maxReplyLine = 512

// replyTracker sits between textproto's buffer and the connection while the first EHLO
// is read. net/smtp answers a failed EHLO by sending HELO, and forgets the EHLO error;
// heloGuard refuses the HELO, and the tracker keeps what is needed to report the real
// failure: the read error, if any, else the last reply line received.
type replyTracker struct {
	r    io.Reader
	line []byte // the current line, at most maxReplyLine bytes
	last []byte // the last complete line, without CRLF
	err  error  // the first read error
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
// for anything else. The text is kept as sent; Sanitize it before showing it.
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
