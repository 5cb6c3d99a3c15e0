package negotiate_test

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/smtp"
	"slices"
	"sync"
	"unicode"
)

const (
	testUser = "alice@example.test"
	testPass = "correct horse battery staple"
)

// plainCreds is a password that only knows PLAIN: enough to see when, and over what,
// a secret goes out. smtp.PlainAuth itself refuses a connection that is not TLS.
type plainCreds struct{}

var errNoPlain = errors.New("server does not offer PLAIN after TLS")

func (plainCreds) Mechanism(offered []string, _ tls.ConnectionState) (string, error) {
	if slices.Contains(offered, "PLAIN") {
		return "PLAIN", nil
	}
	return "", errNoPlain
}

func (plainCreds) Auth(_ context.Context, _, host string, _ tls.ConnectionState) (smtp.Auth, error) {
	return smtp.PlainAuth("", testUser, testPass, host), nil
}

// textLog keeps every message and attribute value logged, unescaped, so a test can
// check what a log line would really carry.
type textLog struct {
	mu    sync.Mutex
	texts []string
}

func (l *textLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *textLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *textLog) WithGroup(string) slog.Handler            { return l }
func (l *textLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.texts = append(l.texts, r.Message)
	r.Attrs(func(a slog.Attr) bool {
		l.texts = append(l.texts, a.Value.String())
		return true
	})
	return nil
}

func (l *textLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.texts)
}

// unsafeRune returns the first rune of s that must not reach a terminal or a log line
// (control and format characters, line separators), or -1.
func unsafeRune(s string) rune {
	for _, r := range s {
		if r != ' ' && r != '…' && !unicode.IsGraphic(r) {
			return r
		}
	}
	return -1
}
