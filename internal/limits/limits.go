// Package limits keeps a stock *smtp.Client bounded after negotiation hands it over:
// a timeout on every command (RFC 5321 §4.5.3.2), a cap on every reply, and a context
// for a block of calls. It sits between net/smtp's textproto.Conn and the connection, so
// it sees the plaintext commands the client writes and the replies it reads, above TLS.
package limits

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// RFC 5321 §4.5.3.2 minimum server timeouts, used as the client's defaults.
const (
	MailTimeout      = 5 * time.Minute  // MAIL
	RcptTimeout      = 5 * time.Minute  // RCPT
	DataInitTimeout  = 2 * time.Minute  // DATA, until the 354
	DataBlockTimeout = 3 * time.Minute  // each block of the message
	DataTermTimeout  = 10 * time.Minute // the final ".", until its reply
	OtherTimeout     = 5 * time.Minute  // RSET, NOOP, QUIT and the rest
)

// MaxReplyBytes caps one reply after handoff: RFC 5321 replies are a few lines of at
// most 512 bytes, so more is a broken or hostile server, not a reply.
const MaxReplyBytes = 64 << 10

// ErrReplyTooLarge reports a reply longer than MaxReplyBytes.
var ErrReplyTooLarge = fmt.Errorf("server reply longer than %d bytes", MaxReplyBytes)

// TimeoutError reports a command that got no reply, or a message the server stopped
// reading, within its time. It is an os.ErrDeadlineExceeded and a net.Error timeout.
type TimeoutError struct {
	Command string // "MAIL", "RCPT", "DATA", "message", "end of data", ...
	After   time.Duration
}

func (e *TimeoutError) Error() string {
	if e.Command == "message" {
		return fmt.Sprintf("server stopped reading the message (nothing accepted for %v)", e.After)
	}
	return fmt.Sprintf("no reply to %s within %v", e.Command, e.After)
}
func (e *TimeoutError) Unwrap() error   { return os.ErrDeadlineExceeded }
func (e *TimeoutError) Timeout() bool   { return true }
func (e *TimeoutError) Temporary() bool { return false }

// Conn is the limit layer of one client. Reads and writes come from the client's user
// (net/smtp is not safe for concurrent use); only the context binding runs elsewhere,
// and it shares mu with the deadline updates so a cancelled context stays cancelled.
type Conn struct {
	raw    net.Conn      // deadlines; under TLS, so they bound the TLS records too
	r      *bufio.Reader // the client's reader at handoff, with whatever it buffered
	w      *bufio.Writer
	closer io.Closer
	max    time.Duration // WithCommandTimeout; 0 keeps the RFC values

	mu        sync.Mutex
	cancelled error // the cause of a bound context that ended; deadlines stay past

	// writer side
	command string        // the command the pending reply answers
	timeout time.Duration // that command's limit
	last    string        // the last command written: a final 354 enters the message only after DATA
	queued  []string      // commands pipelined behind command (RFC 2920), oldest first
	partial bool          // the last write ended inside a command line
	waiting bool          // a reply to command is due
	inData  bool          // writing the message, after a 354
	tail    []byte        // last bytes of the message written, to find "\r\n.\r\n"
	dotSent atomic.Bool   // the final "." was written and its reply not yet read

	// reader side
	replyBytes int
	line       [4]byte // the first bytes of the reply line being read
	pos        int     // bytes of that line read so far
}

// Install puts the limits under c (whose connection is raw underneath TLS) and returns
// them. max, when positive, tightens every timeout to at most max.
func Install(c *smtp.Client, raw net.Conn, max time.Duration) *Conn {
	old := c.Text
	l := &Conn{raw: raw, r: old.R, w: old.W, closer: old, max: max}
	raw.SetDeadline(time.Time{})
	c.Text = textproto.NewConn(l)
	register(c, l)
	return l
}

// Unanswered reports that the final "." of a message was sent and no reply to it read:
// if the connection is lost now, the server may or may not have accepted the message.
func (l *Conn) Unanswered() bool { return l.dotSent.Load() }

func (l *Conn) limit(d time.Duration) time.Duration {
	if l.max > 0 && l.max < d {
		return l.max
	}
	return d
}

// arm sets the deadline for what comes next, unless a bound context has ended.
func (l *Conn) arm(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancelled == nil {
		l.raw.SetDeadline(time.Now().Add(d))
	}
}

// interrupt ends every read and write now, for a context that ended.
func (l *Conn) interrupt(cause error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cancelled = cause
	l.raw.SetDeadline(time.Unix(1, 0))
}

// resume lifts an interruption that caught no I/O.
func (l *Conn) resume() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cancelled = nil
	l.raw.SetDeadline(time.Time{})
}

var terminator = []byte("\r\n.\r\n")

func (l *Conn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if l.inData {
		return l.writeData(p)
	}
	l.commands(p)
	l.replyBytes, l.pos = 0, 0
	l.dotSent.Store(false)
	l.arm(l.timeout)
	n, err := l.write(p)
	return n, l.explain(err)
}

// commands notes the command lines in p. One write usually holds one command; a
// pipelined group (RFC 2920) holds several, answered in order: the first names the
// reply awaited and sets its timeout, the rest wait in queued (also when a group spans
// writes). A line split across writes counts once.
func (l *Conn) commands(p []byte) {
	for len(p) > 0 {
		line, rest, complete := bytes.Cut(p, []byte("\n"))
		if !l.partial {
			verb := verbOf(line)
			if !l.waiting {
				l.command, l.queued = verb, l.queued[:0]
				l.timeout = l.limit(commandTimeout(verb))
				l.waiting = true
			} else {
				l.queued = append(l.queued, verb)
			}
			l.last = verb
		}
		l.partial = !complete
		p = rest
	}
}

// verbOf is the command word of line, upper case, at most 8 bytes; the usual ones
// without an allocation.
func verbOf(line []byte) string {
	verb, _, _ := bytes.Cut(line, []byte(" "))
	verb, _, _ = bytes.Cut(verb, []byte("\r"))
	verb = verb[:min(len(verb), 8)]
	for _, v := range knownVerbs {
		if bytes.EqualFold(verb, []byte(v)) {
			return v
		}
	}
	return string(bytes.ToUpper(verb))
}

var knownVerbs = [...]string{"MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "EHLO", "HELO", "AUTH", "STARTTLS", "VRFY"}

// writeData writes one block of the message; the block holding the terminator switches
// to waiting for the reply to the final ".".
func (l *Conn) writeData(p []byte) (int, error) {
	l.command, l.timeout = "message", l.limit(DataBlockTimeout)
	l.arm(l.timeout)
	// The terminator lies within p, or across the tail kept from earlier blocks and p's
	// first bytes; only those few bytes are joined, never the whole block.
	var buf [10]byte // twice the terminator
	joint := append(append(buf[:0], l.tail...), p[:min(len(p), len(terminator)-1)]...)
	if !bytes.Contains(joint, terminator) && !bytes.Contains(p, terminator) {
		if len(p) >= len(terminator)-1 {
			joint = p
		}
		l.tail = append(l.tail[:0], joint[max(0, len(joint)-len(terminator)+1):]...)
		n, err := l.write(p)
		return n, l.explain(err)
	}
	// Bytes after the terminator would be the next command: net/smtp never writes any.
	l.inData, l.tail, l.last = false, l.tail[:0], ""
	n, err := l.write(p)
	if err != nil {
		return n, l.explain(err)
	}
	l.dotSent.Store(true)
	l.command, l.timeout, l.waiting = "end of data", l.limit(DataTermTimeout), true
	l.replyBytes, l.pos = 0, 0
	l.arm(l.timeout)
	return n, nil
}

func (l *Conn) write(p []byte) (int, error) {
	n, err := l.w.Write(p)
	if err == nil {
		err = l.w.Flush()
	}
	return n, err
}

func (l *Conn) Read(p []byte) (int, error) {
	if l.replyBytes >= MaxReplyBytes {
		return 0, ErrReplyTooLarge
	}
	p = p[:min(len(p), MaxReplyBytes-l.replyBytes)]
	n, err := l.r.Read(p)
	l.replyBytes += n
	l.scan(p[:n])
	return n, l.explain(err)
}

// scan follows reply lines: a final 354 to DATA starts the message; any final line after
// the "." is its reply, so the outcome is known.
func (l *Conn) scan(b []byte) {
	for _, c := range b {
		if l.pos < len(l.line) {
			l.line[l.pos] = c
		}
		l.pos++
		if c != '\n' {
			continue
		}
		final := l.pos >= 4 && (l.pos < 5 || l.line[3] == ' ' || l.line[3] == '\r')
		l.pos = 0
		if !final {
			continue
		}
		l.dotSent.Store(false)
		l.waiting = len(l.queued) > 0
		if l.waiting {
			// The next pipelined command's reply is due now, within its own time.
			l.command, l.queued = l.queued[0], l.queued[1:]
			l.timeout = l.limit(commandTimeout(l.command))
			l.replyBytes = 0
			l.arm(l.timeout)
			continue
		}
		if l.last == "DATA" { // this is DATA's reply: a 354 starts the message, anything else does not
			if string(l.line[:3]) == "354" {
				l.inData, l.tail = true, append(l.tail[:0], '\r', '\n')
			}
			l.last = ""
		}
	}
}

// explain turns a deadline into what it means: a command without a reply in time, or
// the bound context's end.
func (l *Conn) explain(err error) error {
	if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	l.mu.Lock()
	cause := l.cancelled
	l.mu.Unlock()
	if cause != nil {
		return fmt.Errorf("%s interrupted: %w", l.command, cause)
	}
	return &TimeoutError{Command: l.command, After: l.timeout}
}

func (l *Conn) Close() error { return l.closer.Close() }

func commandTimeout(verb string) time.Duration {
	switch verb {
	case "MAIL":
		return MailTimeout
	case "RCPT":
		return RcptTimeout
	case "DATA":
		return DataInitTimeout
	}
	return OtherTimeout
}
