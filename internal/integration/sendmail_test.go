//go:build integration

package integration_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/testenv"
	"github.com/stretchr/testify/require"
)

// lfMessage is a message with the given Message-ID and bare LF line endings, which
// SendMail must turn into CRLF for Postfix to accept and deliver it intact.
func lfMessage(id string) []byte {
	return fmt.Appendf(nil, "From: %s\nTo: %s\nSubject: smtpport SendMail\nMessage-ID: <%s>\n"+
		"Date: %s\n\nsent by smtpport.SendMail with bare LF line endings\n.leading dot\n",
		env.User, env.Address("it"), id, time.Now().Format(time.RFC1123Z))
}

// TestSendMailPerRoute sends through SendMail on each submission route and finds each
// message exactly once in the Maildir.
func TestSendMailPerRoute(t *testing.T) {
	for _, port := range []int{testenv.PortSubmission, testenv.PortSubmissions, testenv.PortAlternate} {
		t.Run(fmt.Sprint(port), func(t *testing.T) {
			id := newID(fmt.Sprintf("sendmail-%d", port))
			err := smtpport.SendMail(bgContext(t, 30*time.Second), preset(), env.User,
				[]string{env.Address("it")}, lfMessage(id), options(t, smtpport.WithRoutes(route(port)))...)
			require.NoError(t, err)
			requireDelivered(t, id, id)
		})
	}
}

// bigBody is far more than the socket buffers hold, so writing it into a frozen session
// must block until a limit ends the write.
var bigBody = bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567\r\n"), 8<<20/72)

// TestStallDuringData freezes an established session on 587 in the middle of the message
// body: the write must end with a typed timeout, from the per-command timeout or from the
// context of Within, never hang.
func TestStallDuringData(t *testing.T) {
	cases := []struct {
		name    string
		timeout time.Duration // WithCommandTimeout; 0 leaves the RFC 5321 defaults
		ctx     time.Duration // Within's context; 0 sends outside Within
		want    error
	}{
		{name: "command timeout", timeout: 2 * time.Second, want: os.ErrDeadlineExceeded},
		{name: "context", ctx: 3 * time.Second, want: context.DeadlineExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var extra []smtpport.Option
			extra = append(extra, smtpport.WithRoutes(route(testenv.PortSubmission)))
			if tc.timeout > 0 {
				extra = append(extra, smtpport.WithCommandTimeout(tc.timeout))
			}
			c, err := smtpport.Dial(bgContext(t, 30*time.Second), preset(), options(t, extra...)...)
			require.NoError(t, err)
			defer c.Close()

			require.NoError(t, c.Mail(env.User))
			require.NoError(t, c.Rcpt(env.Address("it")))
			w, err := c.Data()
			require.NoError(t, err)
			_, err = fmt.Fprintf(w, "From: %s\r\nTo: %s\r\nSubject: stalled\r\nMessage-ID: <%s>\r\n\r\nfirst part\r\n",
				env.User, env.Address("it"), newID("stall"))
			require.NoError(t, err)

			env.Block(t, testenv.PortSubmission, testenv.Stall)

			rest := func() error {
				if _, err := w.Write(bigBody); err != nil {
					return err
				}
				return w.Close()
			}
			start := time.Now()
			if tc.ctx > 0 {
				ctx, cancel := context.WithTimeout(context.Background(), tc.ctx)
				defer cancel()
				err = smtpport.Within(ctx, c, rest)
			} else {
				err = rest()
			}
			t.Logf("stalled send ended after %v: %v", time.Since(start).Round(time.Millisecond), err)
			require.Error(t, err)
			require.ErrorIs(t, err, tc.want)
			var timeout net.Error
			require.ErrorAs(t, err, &timeout, "a timeout is a net.Error")
			require.True(t, timeout.Timeout(), "net.Error.Timeout() of %v", err)
		})
	}
}

// TestPostfixRestartBetweenMessages restarts Postfix under an open session: the next
// message on the old client fails (never hangs), and SendMail on a fresh connection then
// delivers exactly once.
func TestPostfixRestartBetweenMessages(t *testing.T) {
	opts := options(t, smtpport.WithRoutes(route(testenv.PortSubmission)), smtpport.WithCommandTimeout(5*time.Second))
	c, err := smtpport.Dial(bgContext(t, 30*time.Second), preset(), opts...)
	require.NoError(t, err)
	defer c.Close()

	first := newID("restart-first")
	require.NoError(t, smtpport.Within(bgContext(t, 30*time.Second), c, func() error { return send(c, first) }))
	requireDelivered(t, first, first)

	env.StopPostfix(t)
	env.StartPostfix(t)

	lost := newID("restart-lost")
	start := time.Now()
	err = smtpport.Within(bgContext(t, 10*time.Second), c, func() error { return send(c, lost) })
	t.Logf("send on the old session after the restart ended after %v: %v", time.Since(start).Round(time.Millisecond), err)
	require.Error(t, err)
	require.NotErrorIs(t, err, context.DeadlineExceeded, "the lost session must fail by itself, not by the 10 s context")

	second := newID("restart-second")
	err = smtpport.SendMail(bgContext(t, 30*time.Second), preset(), env.User,
		[]string{env.Address("it")}, lfMessage(second), opts...)
	require.NoError(t, err)
	requireDelivered(t, second, second)
	counts, err := messageCounts(lost)
	require.NoError(t, err)
	require.Empty(t, counts, "the message sent on the lost session was delivered")
}
