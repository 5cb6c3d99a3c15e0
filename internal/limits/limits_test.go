package limits

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestConn(t *testing.T, replies string) (*Conn, *bytes.Buffer) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	var out bytes.Buffer
	l := &Conn{raw: a, r: bufio.NewReader(strings.NewReader(replies)), w: bufio.NewWriter(&out), closer: a}
	return l, &out
}

// The final "." is found however the message is split into writes, and only there.
func TestTerminatorAtEverySplit(t *testing.T) {
	wire := "line one\r\n..dot-stuffed\r\n.\r\n"
	for cut := 0; cut <= len(wire); cut++ {
		l, out := newTestConn(t, "354 go ahead\r\n250 queued\r\n")
		_, err := l.Write([]byte("DATA\r\n"))
		require.NoError(t, err)
		_, err = io.ReadFull(l, make([]byte, len("354 go ahead\r\n")))
		require.NoError(t, err)
		require.True(t, l.inData, "cut %d", cut)
		_, err = l.Write([]byte(wire[:cut]))
		require.NoError(t, err)
		assert.Equal(t, cut == len(wire), l.Unanswered(), "cut %d: after the first part", cut)
		_, err = l.Write([]byte(wire[cut:]))
		require.NoError(t, err)
		assert.True(t, l.Unanswered(), "cut %d", cut)
		assert.Equal(t, "end of data", l.command)
		_, err = io.ReadFull(l, make([]byte, len("250 queued\r\n")))
		require.NoError(t, err)
		assert.False(t, l.Unanswered(), "the reply to the dot was read")
		assert.Equal(t, "DATA\r\n"+wire, out.String())
	}
}

// A refused DATA leaves the writer in command mode: the next line is a command.
func TestRefusedDataIsNotAMessage(t *testing.T) {
	l, _ := newTestConn(t, "554 no\r\n")
	_, err := l.Write([]byte("DATA\r\n"))
	require.NoError(t, err)
	_, err = io.ReadFull(l, make([]byte, len("554 no\r\n")))
	require.NoError(t, err)
	assert.False(t, l.inData)
	_, err = l.Write([]byte("RSET\r\n"))
	require.NoError(t, err)
	assert.Equal(t, "RSET", l.command)
}

func TestTimeouts(t *testing.T) {
	tests := []struct {
		line string
		max  time.Duration
		want time.Duration
	}{
		{"MAIL FROM:<a@b>\r\n", 0, MailTimeout},
		{"RCPT TO:<a@b>\r\n", 0, RcptTimeout},
		{"DATA\r\n", 0, DataInitTimeout},
		{"QUIT\r\n", 0, OtherTimeout},
		{"mail FROM:<a@b>\r\n", time.Second, time.Second},
		{"DATA\r\n", time.Hour, DataInitTimeout},
	}
	for _, tt := range tests {
		l, _ := newTestConn(t, "")
		l.max = tt.max
		_, err := l.Write([]byte(tt.line))
		require.NoError(t, err)
		assert.Equal(t, tt.want, l.timeout, tt.line)
	}
}

func TestReplyCap(t *testing.T) {
	l, _ := newTestConn(t, "250-"+strings.Repeat("x", 2*MaxReplyBytes))
	n, err := io.Copy(io.Discard, l)
	assert.ErrorIs(t, err, ErrReplyTooLarge)
	assert.Equal(t, int64(MaxReplyBytes), n)
}

// A pipelined group (RFC 2920) is answered in order: each reply moves the awaited
// command, and its timeout, to the next; a 354 enters the message only after DATA.
func TestPipelinedCommands(t *testing.T) {
	tests := []struct {
		name    string
		writes  []string
		replies []string // read one by one
		after   []string // the command awaited after each reply
		inData  bool
	}{
		{"group then DATA", []string{"RSET\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"},
			[]string{"250 ok\r\n", "250 ok\r\n", "250 ok\r\n"}, []string{"MAIL", "RCPT", "RCPT"}, false},
		{"354 to a pipelined MAIL is no message", []string{"RSET\r\nMAIL FROM:<a@b>\r\n"},
			[]string{"354 what\r\n", "354 what\r\n"}, []string{"MAIL", "MAIL"}, false},
		{"a line split over writes is one command", []string{"MAIL FR", "OM:<a@b>\r\n", "DATA\r\n"},
			[]string{"250 ok\r\n", "354 go\r\n"}, []string{"DATA", "DATA"}, true},
		{"a group spanning writes keeps its order", []string{"RSET\r\nMAIL FROM:<a@b>\r\n", "RCPT TO:<c@d>\r\n"},
			[]string{"250 ok\r\n", "250 ok\r\n", "354 no\r\n"}, []string{"MAIL", "RCPT", "RCPT"}, false},
		{"a 354 after DATA's refusal is no message", []string{"DATA\r\n"},
			[]string{"554 no\r\n", "354 late\r\n"}, []string{"DATA", "DATA"}, false},
		{"multi-line reply moves on once", []string{"RSET\r\nNOOP\r\n"},
			[]string{"250-a\r\n250 b\r\n", "250 ok\r\n"}, []string{"NOOP", "NOOP"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, out := newTestConn(t, strings.Join(tt.replies, ""))
			l.max = time.Hour
			var want strings.Builder
			for _, w := range tt.writes {
				_, err := l.Write([]byte(w))
				require.NoError(t, err)
				want.WriteString(w)
			}
			for i, r := range tt.replies {
				_, err := io.ReadFull(l, make([]byte, len(r)))
				require.NoError(t, err)
				assert.Equal(t, tt.after[i], l.command, "after reply %d", i)
				assert.Equal(t, commandTimeout(l.command), l.timeout)
			}
			assert.Equal(t, tt.inData, l.inData)
			assert.Equal(t, want.String(), out.String(), "bytes unchanged")
		})
	}
}
