// Package testenv gives integration tests access to the Postfix + Dovecot peer that
// testenv.sh runs in a network namespace: where it is, which CA signed it, the test
// account, its Maildir and Postfix's log, and the script's block and stop commands.
//
// The environment is brought up by `testenv.sh up` (as root) and described by the file
// $SMTPPORT_TESTENV_DIR/testenv.env (default /run/smtpport-testenv). Load reads it and
// checks that the server answers; tests call it from TestMain and fail when it errors.
package testenv

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// DefaultDir is where testenv.sh keeps its state unless SMTPPORT_TESTENV_DIR says otherwise.
const DefaultDir = "/run/smtpport-testenv"

// Ports the Postfix instance listens on.
const (
	PortSMTP        = 25   // STARTTLS offered, no AUTH
	PortSubmission  = 587  // STARTTLS required, AUTH only after TLS
	PortSubmissions = 465  // implicit TLS (wrapper mode)
	PortAlternate   = 2525 // STARTTLS required, AUTH only after TLS
)

// Block modes for Env.Block.
const (
	Drop   = "drop"   // SYNs vanish: the client's connect times out
	Reject = "reject" // SYNs are answered with a reset: connection refused
	Stall  = "stall"  // connect succeeds, then every packet either way vanishes: a tarpit
	Open   = "open"   // no rule
)

// Env is the running test environment.
type Env struct {
	Dir      string // state directory
	Host     string // server host name, in /etc/hosts; the certificate's name
	Addr     string // the namespace's address
	Domain   string // mail domain delivered locally
	CAFile   string // PEM of the CA that signed the server certificate
	Maildir  string // the test user's Maildir
	Spool    string // Postfix's queue directory
	User     string // SASL user name (also a deliverable address)
	Password string
	// IntlUser's password has full-width digits, a no-break space and a soft hyphen:
	// SASLprep changes it, Dovecot does not, so SCRAM-SHA-256 rejects it while PLAIN,
	// LOGIN and CRAM-MD5 accept it.
	IntlUser     string
	IntlPassword string
	PostfixLog   string
	DovecotLog   string
	Script       string // testenv.sh
}

// Load reads the environment file and checks that the CA can be read and that Postfix
// greets on the submission port. Its error says how to bring the environment up.
func Load() (*Env, error) {
	dir := os.Getenv("SMTPPORT_TESTENV_DIR")
	if dir == "" {
		dir = DefaultDir
	}
	const hint = "bring it up as root with: bash internal/testenv/testenv.sh up"
	vals, err := readEnvFile(filepath.Join(dir, "testenv.env"))
	if err != nil {
		return nil, fmt.Errorf("testenv: %w (%s)", err, hint)
	}
	e := &Env{
		Dir:          dir,
		Host:         vals["SMTPPORT_TESTENV_HOST"],
		Addr:         vals["SMTPPORT_TESTENV_ADDR"],
		Domain:       vals["SMTPPORT_TESTENV_DOMAIN"],
		CAFile:       vals["SMTPPORT_TESTENV_CA"],
		Maildir:      vals["SMTPPORT_TESTENV_MAILDIR"],
		Spool:        filepath.Join(dir, "spool"),
		User:         vals["SMTPPORT_TESTENV_USER"],
		Password:     vals["SMTPPORT_TESTENV_PASSWORD"],
		IntlUser:     vals["SMTPPORT_TESTENV_INTL_USER"],
		IntlPassword: vals["SMTPPORT_TESTENV_INTL_PASSWORD"],
		PostfixLog:   vals["SMTPPORT_TESTENV_POSTFIX_LOG"],
		DovecotLog:   vals["SMTPPORT_TESTENV_DOVECOT_LOG"],
		Script:       vals["SMTPPORT_TESTENV_SCRIPT"],
	}
	for name, v := range map[string]string{"host": e.Host, "address": e.Addr, "CA": e.CAFile,
		"Maildir": e.Maildir, "user": e.User, "password": e.Password, "log": e.PostfixLog, "script": e.Script,
		"second user": e.IntlUser, "second password": e.IntlPassword} {
		if v == "" {
			return nil, fmt.Errorf("testenv: %s missing from %s (%s)", name, filepath.Join(dir, "testenv.env"), hint)
		}
	}
	if _, err := e.TLSConfig(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(e.Script); err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	if err := e.Ready(5 * time.Second); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, hint)
	}
	return e, nil
}

func readEnvFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("environment not up: %w", err)
	}
	vals := map[string]string{}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if ok {
			vals[k] = v
		}
	}
	return vals, nil
}

// Ready checks that the host name resolves to the namespace and that Postfix sends its
// greeting on 587 within timeout.
func (e *Env) Ready(timeout time.Duration) error {
	addrs, err := net.LookupHost(e.Host)
	if err != nil || len(addrs) == 0 || addrs[0] != e.Addr {
		return fmt.Errorf("testenv: %s resolves to %v (%v), want %s from /etc/hosts", e.Host, addrs, err, e.Addr)
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort(e.Addr, strconv.Itoa(PortSubmission)), timeout)
	if err != nil {
		return fmt.Errorf("testenv: Postfix not reachable: %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "220 ") {
		return fmt.Errorf("testenv: no greeting from Postfix on %d: %q %v", PortSubmission, line, err)
	}
	return nil
}

// TLSConfig trusts the environment's CA and nothing else.
func (e *Env) TLSConfig() (*tls.Config, error) {
	pem, err := os.ReadFile(e.CAFile)
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("testenv: no certificate in %s", e.CAFile)
	}
	return &tls.Config{RootCAs: pool}, nil
}

// Address returns a deliverable address for the test user with a +tag extension.
func (e *Env) Address(tag string) string {
	local, domain, _ := strings.Cut(e.User, "@")
	if tag == "" {
		return e.User
	}
	return local + "+" + tag + "@" + domain
}

// Block makes the namespace drop, reject or open again connections to port, and opens
// the port again when the test ends.
func (e *Env) Block(t testing.TB, port int, mode string) {
	t.Helper()
	if err := e.run("block", strconv.Itoa(port), mode); err != nil {
		t.Fatalf("testenv: block %d %s: %v", port, mode, err)
	}
	if mode != Open {
		t.Cleanup(func() {
			if err := e.run("block", strconv.Itoa(port), Open); err != nil {
				t.Errorf("testenv: open %d again: %v", port, err)
			}
		})
	}
}

// StopPostfix stops Postfix (Dovecot and the namespace stay). The test must start it
// again; a cleanup does if the test ends first.
func (e *Env) StopPostfix(t testing.TB) {
	t.Helper()
	if err := e.run("stop-postfix"); err != nil {
		t.Fatalf("testenv: stop-postfix: %v", err)
	}
	t.Cleanup(func() {
		if err := e.run("start-postfix"); err != nil {
			t.Errorf("testenv: start-postfix: %v", err)
		}
	})
}

// StartPostfix starts Postfix and returns once it listens.
func (e *Env) StartPostfix(t testing.TB) {
	t.Helper()
	if err := e.run("start-postfix"); err != nil {
		t.Fatalf("testenv: start-postfix: %v", err)
	}
}

// QueueReport is Postfix's own listing of its queue (postqueue -p): each message still
// queued and why, for a test's failure message.
func (e *Env) QueueReport() string {
	cmd := exec.Command("bash", e.Script, "queue")
	cmd.Env = append(os.Environ(), "SMTPPORT_TESTENV_DIR="+e.Dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Sprintf("postqueue -p: %v: %s", err, bytes.TrimSpace(out))
	}
	return string(bytes.TrimSpace(out))
}

func (e *Env) run(args ...string) error {
	cmd := exec.Command("bash", append([]string{e.Script}, args...)...)
	cmd.Env = append(os.Environ(), "SMTPPORT_TESTENV_DIR="+e.Dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// LogOffset is the current size of Postfix's log; pass it to LogSince.
func (e *Env) LogOffset() int64 {
	fi, err := os.Stat(e.PostfixLog)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// LogSince returns Postfix's log lines written after offset.
func (e *Env) LogSince(offset int64) ([]string, error) {
	b, err := os.ReadFile(e.PostfixLog)
	if err != nil {
		return nil, fmt.Errorf("testenv: %w", err)
	}
	if offset > int64(len(b)) {
		offset = 0 // the log was recreated
	}
	var lines []string
	for line := range strings.Lines(string(b[offset:])) {
		lines = append(lines, strings.TrimRight(line, "\n"))
	}
	return lines, nil
}

// Message is one delivered message as found in the Maildir.
type Message struct {
	Path      string
	MessageID string // without angle brackets
	Header    mail.Header
}

// Messages reads every message in the test user's Maildir (new/ and cur/). A Maildir
// that does not exist yet holds no messages.
func (e *Env) Messages() ([]Message, error) {
	var out []Message
	for _, sub := range []string{"new", "cur"} {
		dir := filepath.Join(e.Maildir, sub)
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("testenv: %w", err)
		}
		for _, ent := range entries {
			if !ent.Type().IsRegular() {
				continue
			}
			m, err := readMessage(filepath.Join(dir, ent.Name()))
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
	}
	return out, nil
}

func readMessage(path string) (Message, error) {
	f, err := os.Open(path)
	if err != nil {
		return Message{}, fmt.Errorf("testenv: %w", err)
	}
	defer f.Close()
	msg, err := mail.ReadMessage(bufio.NewReader(f))
	if err != nil {
		return Message{}, fmt.Errorf("testenv: %s: %w", path, err)
	}
	id := strings.TrimSpace(msg.Header.Get("Message-Id"))
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	return Message{Path: path, MessageID: id, Header: msg.Header}, nil
}

// QueueEmpty reports whether Postfix has nothing left to deliver: no file in its
// incoming, active, deferred or maildrop queues. An incoming file cleanup(8) has not
// finished (mode 0600; a finished one is 0700) is not counted: qmgr(8) never takes it,
// and one left by a stop in the middle of a message stays forever.
func (e *Env) QueueEmpty() (bool, error) {
	for _, q := range []string{"maildrop", "incoming", "active", "deferred", "hold"} {
		empty := true
		err := filepath.WalkDir(filepath.Join(e.Spool, q), func(_ string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			if q == "incoming" {
				info, err := d.Info()
				if errors.Is(err, fs.ErrNotExist) {
					return nil // moved on while we looked
				}
				if err != nil {
					return err
				}
				if info.Mode().Perm()&0o100 == 0 {
					return nil // unfinished
				}
			}
			empty = false
			return filepath.SkipAll
		})
		if err != nil {
			return false, fmt.Errorf("testenv: %w", err)
		}
		if !empty {
			return false, nil
		}
	}
	return true, nil
}
