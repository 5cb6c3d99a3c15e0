//go:build integration

// Package integration_test runs smtpport against a real Postfix with Dovecot SASL in a
// network namespace (internal/testenv). The environment must be up: these tests fail,
// never skip, without it.
//
//	sudo bash internal/testenv/testenv.sh up
//	go test -race -tags integration ./internal/integration/...
//	sudo bash internal/testenv/testenv.sh down
package integration_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net/smtp"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/testenv"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	var err error
	env, err = testenv.Load()
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration tests need the Postfix test environment: %v\n", err)
		os.Exit(1)
	}
	goleak.VerifyTestMain(m)
}

// tlsConfig trusts the environment's CA.
func tlsConfig(t testing.TB) *tls.Config {
	t.Helper()
	cfg, err := env.TLSConfig()
	require.NoError(t, err)
	return cfg
}

// preset is the default preset for the test host: 587 STARTTLS, 465 TLS, 2525 STARTTLS.
func preset() presets.Preset { return presets.Custom(env.Host) }

func route(port int) negotiate.Route {
	sec := negotiate.STARTTLS
	if port == testenv.PortSubmissions {
		sec = negotiate.ImplicitTLS
	}
	return negotiate.Route{Host: env.Host, Port: port, Security: sec}
}

// options are what every test passes: the CA and the test account.
func options(t testing.TB, extra ...smtpport.Option) []smtpport.Option {
	return append([]smtpport.Option{
		smtpport.WithTLSConfig(tlsConfig(t)),
		smtpport.WithPassword(env.User, env.Password),
		smtpport.WithLocalName("client.smtpport.test"),
	}, extra...)
}

func bgContext(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// newID returns a fresh Message-ID (without brackets) carrying tag, so a test finds its
// own messages among everything the Maildir has collected.
func newID(tag string) string {
	var b [8]byte
	rand.Read(b[:])
	return tag + "." + hex.EncodeToString(b[:]) + "@client.smtpport.test"
}

// send delivers one message with the given Message-ID through c (left open).
func send(c *smtp.Client, id string) error {
	if err := c.Mail(env.User); err != nil {
		return err
	}
	if err := c.Rcpt(env.Address("it")); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "From: %s\r\nTo: %s\r\nSubject: smtpport integration\r\nMessage-ID: <%s>\r\n"+
		"Date: %s\r\n\r\nsent by smtpport's integration tests\r\n",
		env.User, env.Address("it"), id, time.Now().Format(time.RFC1123Z))
	return w.Close()
}

// messageCounts returns how many times each Message-ID that has prefix appears in the
// Maildir.
func messageCounts(prefix string) (map[string]int, error) {
	msgs, err := env.Messages()
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, m := range msgs {
		if strings.HasPrefix(m.MessageID, prefix) {
			counts[m.MessageID]++
		}
	}
	return counts, nil
}

// requireDelivered waits (bounded) until every id is in the Maildir and Postfix's queue
// is empty, then requires each id exactly once and nothing else with prefix.
func requireDelivered(t testing.TB, prefix string, ids ...string) {
	t.Helper()
	want := map[string]int{}
	for _, id := range ids {
		want[id] = 1
	}
	waitFor(t, 2*time.Minute, "messages delivered to "+env.Maildir, func() (bool, error) {
		got, err := messageCounts(prefix)
		if err != nil {
			return false, err
		}
		for id := range want {
			if got[id] == 0 {
				return false, nil
			}
		}
		return env.QueueEmpty()
	})
	got, err := messageCounts(prefix)
	require.NoError(t, err)
	if len(ids) <= 10 {
		require.Equal(t, want, got)
		return
	}
	require.Len(t, got, len(want), "distinct Message-IDs in the Maildir")
	for id, n := range got {
		require.Equal(t, 1, want[id], "unexpected Message-ID %s", id)
		require.Equal(t, 1, n, "Message-ID %s delivered %d times", id, n)
	}
}

// logLines waits until Postfix has logged at least minSessions sessions that started
// after offset, and the end of each of them, and returns the lines logged since offset.
// Sessions are matched by smtpd pid: a process serves one session at a time. (Postfix
// logs through postlogd, so a line can land a moment after the event.)
func logLines(t testing.TB, offset int64, minSessions int) []string {
	t.Helper()
	var (
		lines []string
		open  map[string]bool
	)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		lines, err = env.LogSince(offset)
		require.NoError(t, err)
		started := 0
		open = map[string]bool{}
		for _, l := range lines {
			pid, event := session(l)
			switch event {
			case "connect":
				started++
				open[pid] = true
			case "disconnect":
				delete(open, pid)
			}
		}
		if started >= minSessions && len(open) == 0 {
			return lines
		}
		if time.Now().After(deadline) {
			require.FailNow(t, fmt.Sprintf("Postfix did not log the end of %d sessions in 10s (open: %v):\n%s",
				minSessions, open, strings.Join(lines, "\n")))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// session reads an smtpd log line: its process id and whether it is a session's
// "connect" or "disconnect".
func session(line string) (pid, event string) {
	i := strings.Index(line, "/smtpd[")
	if i < 0 {
		return "", ""
	}
	rest := line[i+len("/smtpd["):]
	pid, rest, ok := strings.Cut(rest, "]: ")
	if !ok {
		return "", ""
	}
	switch {
	case strings.HasPrefix(rest, "connect from "):
		return pid, "connect"
	case strings.HasPrefix(rest, "disconnect from "):
		return pid, "disconnect"
	}
	return pid, ""
}

// waitFor polls cond until it holds, fails, or timeout passes (then the test fails,
// showing what Postfix still has queued: a deferred message is the usual reason).
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		require.NoError(t, err, what)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out after "+timeout.String()+" waiting until "+what,
				"Postfix's queue:\n%s", env.QueueReport())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func grep(lines []string, substr string) []string {
	return slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return !strings.Contains(l, substr) })
}
