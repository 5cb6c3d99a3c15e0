package smtpport_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSendMailDeliversOnEachRoute(t *testing.T) {
	for _, port := range []int{587, 465, 2525} {
		t.Run(fmt.Sprint(port), func(t *testing.T) {
			e := newEnv(t, smtptest.Config{})
			msg := "Subject: hi\nbare LF\rlone CR\r\nCRLF\n.leading dot\n"
			err := smtpport.SendMail(testContext(t), e.preset, testUser, []string{"bob@example.test", "carol@example.test"},
				[]byte(msg), e.options(smtpport.WithRoutes(e.srv.Route(port)))...)
			require.NoError(t, err)
			msgs := e.srv.Messages()
			require.Len(t, msgs, 1)
			assert.Equal(t, []string{"bob@example.test", "carol@example.test"}, msgs[0].To)
			assert.Equal(t, "Subject: hi\r\nbare LF\r\nlone CR\r\nCRLF\r\n.leading dot\r\n", string(msgs[0].Data))
		})
	}
}

func TestSendMailRefusedRecipients(t *testing.T) {
	tests := map[string]struct {
		replies map[string]string
		class   error
	}{
		"one permanent": {map[string]string{"bad@example.test": "550 5.1.1 no such user"}, smtpport.ErrPermanent},
		"one temporary": {map[string]string{"full@example.test": "452 4.2.2 mailbox full"}, smtpport.ErrTemporary},
		"mixed is permanent": {map[string]string{"bad@example.test": "550 5.1.1 no such user",
			"full@example.test": "452 4.2.2 mailbox full"}, smtpport.ErrPermanent},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, smtptest.Config{RcptReply: func(addr string) string { return tt.replies[addr] }})
			to := []string{"bob@example.test", "bad@example.test", "full@example.test"}
			err := smtpport.SendMail(testContext(t), e.preset, testUser, to, []byte("hi\r\n"), e.options()...)
			var se *smtpport.SendError
			require.ErrorAs(t, err, &se)
			assert.ErrorIs(t, err, tt.class)
			assert.Equal(t, "RCPT", se.Phase)
			assert.Len(t, se.Refused, len(tt.replies))
			for _, r := range se.Refused {
				assert.Equal(t, tt.replies[r.Recipient], fmt.Sprintf("%d %s", r.Code, r.Reply))
				assert.Contains(t, err.Error(), "<"+r.Recipient+">")
				// Each refusal is typed by its own reply, and says whom it refused.
				own := smtpport.ErrTemporary
				if r.Code >= 500 {
					own = smtpport.ErrPermanent
				}
				assert.ErrorIs(t, r, own)
				assert.Contains(t, r.Error(), "RCPT: <"+r.Recipient+"> "+tt.replies[r.Recipient])
			}
			assert.Empty(t, e.srv.Messages(), "all or nothing: no recipient gets the message")
		})
	}
}

func TestSendMailRefusesBadEnvelope(t *testing.T) {
	e := newEnv(t, smtptest.Config{})
	for name, env := range map[string]struct {
		from string
		to   []string
	}{
		"no recipients":     {testUser, nil},
		"CRLF in recipient": {testUser, []string{"bob@example.test>\r\nRCPT TO:<eve@example.test"}},
		"LF in sender":      {"a\n@example.test", []string{"bob@example.test"}},
	} {
		t.Run(name, func(t *testing.T) {
			err := smtpport.SendMail(testContext(t), e.preset, env.from, env.to, []byte("hi"), e.options()...)
			assert.ErrorIs(t, err, smtpport.ErrConfig)
		})
	}
	assert.Empty(t, e.srv.Commands(), "nothing was dialed")
}

// stalled is a 465 server that behaves until the step given, then stops as told.
func stalled(steps ...smtptest.Step) smtptest.Endpoint {
	script := []smtptest.Step{{TLS: true}, smtptest.Greet(), smtptest.EHLO("8BITMIME")}
	return smtptest.Endpoint{Port: 465, Security: negotiate.ImplicitTLS, Script: append(script, steps...)}
}

var (
	ok250    = smtptest.Reply(250, "2.0.0 OK")
	never    = make(chan struct{})                                                                                // a server step waiting on it stops reading
	bigBody  = bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n"), 1<<18) // 16 MiB
	tinyBody = []byte(".")                                                                                        // on the wire: "..", then the final "."; the script reads both
	bodyLine = smtptest.Step{Expect: "."}
)

func TestSendMailStalls(t *testing.T) {
	tests := map[string]struct {
		steps []smtptest.Step
		body  []byte
		phase string
		class error
	}{
		"MAIL": {[]smtptest.Step{{Expect: "MAIL", Hang: true}}, tinyBody, "MAIL", smtpport.ErrTemporary},
		"RCPT": {[]smtptest.Step{{Expect: "MAIL", Send: ok250}, {Expect: "RCPT", Hang: true}}, tinyBody, "RCPT", smtpport.ErrTemporary},
		"DATA": {[]smtptest.Step{{Expect: "MAIL", Send: ok250}, {Expect: "RCPT", Send: ok250}, {Expect: "DATA", Hang: true}},
			tinyBody, "DATA", smtpport.ErrTemporary},
		"mid-body, server stops reading": {[]smtptest.Step{{Expect: "MAIL", Send: ok250}, {Expect: "RCPT", Send: ok250},
			{Expect: "DATA", Send: smtptest.Reply(354, "go ahead")}, {Wait: never}}, bigBody, "message", smtpport.ErrTemporary},
		"final dot": {[]smtptest.Step{{Expect: "MAIL", Send: ok250}, {Expect: "RCPT", Send: ok250},
			{Expect: "DATA", Send: smtptest.Reply(354, "go ahead")}, bodyLine, {Expect: ".", Hang: true}},
			tinyBody, "end of data", smtpport.ErrOutcomeUnknown},
		"lost after final dot": {[]smtptest.Step{{Expect: "MAIL", Send: ok250}, {Expect: "RCPT", Send: ok250},
			{Expect: "DATA", Send: smtptest.Reply(354, "go ahead")}, bodyLine, {Expect: ".", Close: true}},
			tinyBody, "end of data", smtpport.ErrOutcomeUnknown},
		"lost mid-session": {[]smtptest.Step{{Expect: "MAIL", Send: ok250}, {Expect: "RCPT", Close: true}},
			tinyBody, "RCPT", smtpport.ErrTemporary},
	}
	for name, tt := range tests {
		for _, bound := range []string{"command timeout", "context"} {
			t.Run(name+"/"+bound, func(t *testing.T) {
				e := newEnv(t, smtptest.Config{}, stalled(tt.steps...))
				ctx := testContext(t)
				opts := []smtpport.Option{smtpport.WithTLSConfig(e.srv.ClientTLS()), smtpport.WithDialer(e.dialer),
					smtpport.WithRoutes(e.srv.Route(465))}
				if bound == "context" {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, time.Second)
					defer cancel()
				} else {
					opts = append(opts, smtpport.WithCommandTimeout(300*time.Millisecond))
				}
				err := smtpport.SendMail(ctx, e.preset, testUser, []string{"bob@example.test"}, tt.body, opts...)
				var se *smtpport.SendError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, tt.phase, se.Phase)
				assert.ErrorIs(t, err, tt.class, "%v", err)
				if strings.HasPrefix(name, "lost") {
					return
				}
				if bound == "context" {
					assert.ErrorIs(t, err, context.DeadlineExceeded)
				} else {
					assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
				}
			})
		}
	}
}

func TestSendMailQuitStallIsIgnored(t *testing.T) {
	e := newEnv(t, smtptest.Config{}, stalled(smtptest.Step{Expect: "MAIL", Send: ok250}, smtptest.Step{Expect: "RCPT", Send: ok250},
		smtptest.Step{Expect: "DATA", Send: smtptest.Reply(354, "go ahead")}, bodyLine, smtptest.Step{Expect: ".", Send: ok250},
		smtptest.Step{Expect: "QUIT", Hang: true}))
	err := smtpport.SendMail(testContext(t), e.preset, testUser, []string{"bob@example.test"}, tinyBody,
		smtpport.WithTLSConfig(e.srv.ClientTLS()), smtpport.WithDialer(e.dialer), smtpport.WithRoutes(e.srv.Route(465)),
		smtpport.WithCommandTimeout(300*time.Millisecond))
	assert.NoError(t, err, "the message was accepted; a QUIT without reply changes nothing")
}

func TestEndlessReplyAfterHandoffIsBounded(t *testing.T) {
	e := newEnv(t, smtptest.Config{}, stalled(smtptest.Step{Expect: "MAIL", Send: []byte("250-"),
		Repeat: bytes.Repeat([]byte("x"), 4096), Count: 1 << 15})) // 128 MiB on one line
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := smtpport.SendMail(testContext(t), e.preset, testUser, []string{"bob@example.test"}, nil,
		smtpport.WithTLSConfig(e.srv.ClientTLS()), smtpport.WithDialer(e.dialer), smtpport.WithRoutes(e.srv.Route(465)))
	runtime.ReadMemStats(&after)
	var se *smtpport.SendError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "MAIL", se.Phase)
	assert.ErrorContains(t, err, "longer than")
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d KiB while the server offered 128 MiB", allocated>>10)
	assert.Less(t, allocated, uint64(16<<20), "the reply must not be buffered whole")
}

// A body full of lines that look like negotiation commands goes through untouched: no
// negotiation guard is left in the client after handoff.
func TestBodyWithHelloLinesIsDeliveredExactly(t *testing.T) {
	for _, port := range []int{587, 465} {
		t.Run(fmt.Sprint(port), func(t *testing.T) {
			e := newEnv(t, smtptest.Config{})
			ctx := testContext(t)
			c, err := smtpport.Dial(ctx, e.preset, e.options(smtpport.WithRoutes(e.srv.Route(port)))...)
			require.NoError(t, err)
			defer c.Close()
			var want [][]byte
			offsets := append(rangeInts(0, 80), rangeInts(4000, 4200)...)
			for _, k := range offsets {
				body := []byte(strings.Repeat("a", k) + "\r\nHELO x\r\nEHLO y\r\nhelo z\r\nSTARTTLS\r\n250 OK\r\n")
				want = append(want, body)
				require.NoError(t, smtpport.Within(ctx, c, func() error {
					if err := c.Mail(testUser); err != nil {
						return err
					}
					if err := c.Rcpt("bob@example.test"); err != nil {
						return err
					}
					w, err := c.Data()
					if err != nil {
						return err
					}
					if _, err := w.Write(body); err != nil {
						return err
					}
					return w.Close()
				}), "offset %d", k)
			}
			msgs := e.srv.Messages()
			require.Len(t, msgs, len(want))
			for i, m := range msgs {
				assert.Equal(t, string(want[i]), string(m.Data), "offset %d", offsets[i])
			}
		})
	}
}

func rangeInts(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func TestWithin(t *testing.T) {
	t.Run("a client not from Dial", func(t *testing.T) {
		err := smtpport.Within(context.Background(), nil, func() error { return nil })
		assert.ErrorIs(t, err, smtpport.ErrConfig)
	})
	t.Run("cancel interrupts a stalled command", func(t *testing.T) {
		e := newEnv(t, smtptest.Config{}, stalled(smtptest.Step{Expect: "MAIL", Hang: true}))
		c, err := smtpport.Dial(testContext(t), e.preset, smtpport.WithTLSConfig(e.srv.ClientTLS()),
			smtpport.WithDialer(e.dialer), smtpport.WithRoutes(e.srv.Route(465)))
		require.NoError(t, err)
		defer c.Close()
		ctx, cancel := context.WithCancelCause(context.Background())
		stop := errors.New("shutting down")
		err = smtpport.Within(ctx, c, func() error {
			go cancel(stop) // the command below is in flight or about to be
			return c.Mail(testUser)
		})
		assert.ErrorIs(t, err, stop)
	})
	t.Run("a block that finished keeps the client usable", func(t *testing.T) {
		e := newEnv(t, smtptest.Config{})
		c, err := smtpport.Dial(testContext(t), e.preset, e.options()...)
		require.NoError(t, err)
		defer c.Close()
		ctx, cancel := context.WithCancel(context.Background())
		require.NoError(t, smtpport.Within(ctx, c, c.Noop))
		cancel()
		assert.NoError(t, smtpport.Within(context.Background(), c, c.Noop))
		assert.NoError(t, c.Quit())
	})
	t.Run("an ended context sends nothing", func(t *testing.T) {
		e := newEnv(t, smtptest.Config{})
		c, err := smtpport.Dial(testContext(t), e.preset, e.options()...)
		require.NoError(t, err)
		defer c.Close()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		called := false
		err = smtpport.Within(ctx, c, func() error { called = true; return nil })
		assert.ErrorIs(t, err, context.Canceled)
		assert.False(t, called)
	})
}
