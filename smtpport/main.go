// Command smtpport answers the question every article about SMTP ports answers by hand
// with telnet: which submission port works from here, with what security, and why not.
//
//	smtpport probe gmail                 every route of a preset, in parallel
//	smtpport probe mail.example.com      ports 587, 465, 2525 and 25 of a host
//	smtpport probe mail.example.com:2587 one route (host:port/starttls, host:port/tls ...)
//	smtpport send --user me@gmail.com --password-env PASS \
//	        --from me@gmail.com --to you@example.com gmail < message.eml
//	smtpport presets [NAME]              the providers smtpport knows, or one in full
//
// Install with: go install github.com/smtpport/smtpport/smtpport@latest
package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/smtpport/smtpport/presets"
	"golang.org/x/net/proxy"
)

// Exit codes.
const (
	exitOK    = 0 // a usable route (probe), the message was accepted (send)
	exitFail  = 1 // no usable route, or the server refused
	exitUsage = 2 // bad flags or arguments
)

// env is the world the command runs in. main fills it from the process; tests build
// their own, with an in-process server's dialer and CA.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// terminal: stdout is a terminal, so probe redraws a live line per route.
	terminal bool
	// dialer opens TCP connections; nil means the system's (net.Dialer).
	dialer proxy.ContextDialer
	// roots, when not nil, replaces the system roots (tests trust their test CA).
	// --ca adds to whichever roots apply.
	roots *x509.CertPool
	// discover configures presets.Discover (tests give it a fake resolver).
	discover []presets.DiscoverOption
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	e := &env{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		getenv:   os.Getenv,
		terminal: isTerminal(os.Stdout) && os.Getenv("TERM") != "dumb",
	}
	code := run(ctx, os.Args[1:], e)
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a character device, which for stdout means a
// terminal (or /dev/null, where redraws do no harm). A stat instead of golang.org/x/term
// keeps the command free of dependencies.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

const mainUsage = `smtpport finds the SMTP submission port that works from here and sends through it.

Usage:
  smtpport probe TARGET           which port works, with what security, and why not
  smtpport send [flags] TARGET    send a message (read from stdin) through the route that works
  smtpport presets [NAME]         the mail providers smtpport knows, or one in full

TARGET is a preset name (gmail) or one of its hosts (smtp.gmail.com), a host
(mail.example.com), an email address, or routes: host:port (465 is implicit TLS,
other ports STARTTLS), host:port/starttls, host:port/tls, host/tls, host/starttls.

Run 'smtpport COMMAND --help' for the flags of a command.
`

// run is the whole command: it returns the exit code instead of exiting, so tests call it.
func run(ctx context.Context, args []string, e *env) int {
	if e.getenv == nil {
		e.getenv = func(string) string { return "" }
	}
	if len(args) == 0 {
		fmt.Fprint(e.stderr, mainUsage)
		return exitUsage
	}
	switch args[0] {
	case "probe":
		return runProbe(ctx, args[1:], e)
	case "send":
		return runSend(ctx, args[1:], e)
	case "presets":
		return runPresets(args[1:], e)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, mainUsage)
		return exitOK
	}
	return usageError(e, "", fmt.Errorf("unknown command %q", args[0]))
}
