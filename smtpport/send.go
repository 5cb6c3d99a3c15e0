package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"time"

	"github.com/smtpport/smtpport/presets"
)

const sendUsage = `Usage: smtpport send [flags] TARGET... < message.eml
       smtpport send (--preset NAME | --host HOST) [flags] < message.eml

Flags always needed: --user USER, the secret (--password-env VAR or --oauth2-token-env
VAR), --from ADDRESS and --to ADDRESS (repeat for more recipients).

Sends the message on standard input (headers and body, as written by any mail program)
through the route smtpport.Dial chooses: verified TLS first, credentials only on that
route. Prints the route used and the server's final reply. The secret is read from the
environment variable you name, so it never appears in ps or your shell history.

TARGET is what 'smtpport probe' takes: a preset name (gmail), a host (its routes 587,
465, 2525), an email address (its server is discovered), or routes such as
mail.example.com:2587 or mail.example.com:2465/tls, tried in the order given; so
whatever route probe found working, send can use. --preset NAME and --host HOST are the
older spellings of the first two (--host also takes host:port/security).

With --dry-run it negotiates and authenticates, then says QUIT without sending: a check
that the account and the route work.

Examples:
  SMTP_PASSWORD=... smtpport send --user me@gmail.com --password-env SMTP_PASSWORD \
      --from me@gmail.com --to you@example.com gmail < note.eml
  smtpport send --user me --password-env SMTP_PASSWORD --dry-run mail.example.com:2587/starttls
  smtpport send --user me --password-env SMTP_PASSWORD --mechanism LOGIN --dry-run mail.example.com
`

// maxMessage bounds what send reads from stdin: more than any provider accepts.
const maxMessage = 64 << 20

// sendDefaultTimeout bounds the whole send: negotiation and the transaction.
const sendDefaultTimeout = 2 * time.Minute

func runSend(ctx context.Context, args []string, e *env) int {
	fs := newFlagSet("send")
	presetName := fs.String("preset", "", "provider preset `NAME` (see 'smtpport presets')")
	host := fs.String("host", "", "submission `HOST` when there is no preset: tries 587, 465, 2525 (or host:port, host:port/tls)")
	var creds credFlags
	creds.register(fs)
	from := fs.String("from", "", "envelope sender `ADDRESS` (MAIL FROM)")
	var to listFlag
	fs.Var(&to, "to", "envelope recipient `ADDRESS` (RCPT TO); repeat for more")
	caFile := fs.String("ca", "", "also trust the CA certificates in this PEM `FILE` (a private CA)")
	timeout := fs.Duration("timeout", sendDefaultTimeout, "bound on the whole send, connect to final reply")
	dryRun := fs.Bool("dry-run", false, "negotiate and authenticate, then QUIT without sending")
	rest, help, err := parseArgs(fs, args)
	switch {
	case help:
		printHelp(e.stdout, sendUsage, fs)
		return exitOK
	case err != nil:
		return usageError(e, "send", err)
	case len(rest) > 0 && (*presetName != "" || *host != ""):
		return usageError(e, "send", fmt.Errorf("unexpected argument %q: TARGET, --preset and --host are alternatives, and the message is read from stdin (< message.eml)", rest[0]))
	case countGiven(len(rest) > 0, *presetName != "", *host != "") != 1:
		return usageError(e, "send", errors.New("give exactly one of TARGET, --preset NAME and --host HOST"))
	case !*dryRun && *from == "":
		return usageError(e, "send", errors.New("--from is required"))
	case !*dryRun && len(to) == 0:
		return usageError(e, "send", errors.New("at least one --to is required"))
	case *timeout <= 0:
		return usageError(e, "send", errors.New("--timeout must be positive"))
	}
	secret, err := creds.resolve(e)
	if err != nil {
		return fail(e, "send", err)
	}
	var t target
	switch {
	case *presetName != "":
		p, ok := presets.Lookup(*presetName)
		if !ok {
			return usageError(e, "send", unknownPreset(*presetName))
		}
		t = presetTarget(*presetName, "preset", p)
	case *host != "":
		if p, ok := presets.Lookup(*host); ok && !isHostOf(*host, p) {
			return usageError(e, "send", fmt.Errorf("--host %s: that is a preset name; use --preset %s", *host, *host))
		}
		t, err = resolveRoutes([]string{*host})
	default:
		t, err = resolveTarget(ctx, rest, e.discover...)
	}
	if err != nil {
		return fail(e, "send", err)
	}
	p := t.preset
	tlsCfg, err := tlsConfig(e, *caFile)
	if err != nil {
		return fail(e, "send", err)
	}
	var message []byte
	if !*dryRun {
		// Read the message before connecting: a slow pipe must not hold a session open.
		if message, err = io.ReadAll(io.LimitReader(e.stdin, maxMessage+1)); err != nil {
			return fail(e, "send", fmt.Errorf("reading the message from stdin: %w", err))
		}
		if len(message) > maxMessage {
			return fail(e, "send", fmt.Errorf("the message on stdin is larger than %d MiB", maxMessage>>20))
		}
		if len(message) == 0 {
			return usageError(e, "send", errors.New("no message on stdin (smtpport send ... < message.eml)"))
		}
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	res, err := negotiateWith(ctx, p, secret, connectSettings{tls: tlsCfg, dialer: e.dialer})
	if err != nil {
		if t.suggestion != "" && isNotFound(err) {
			err = fmt.Errorf("%w (%s is a preset: did you mean %s?)", err, t.suggestion, t.suggestion)
		}
		return failHint(e, err, p)
	}
	c := res.Client
	defer c.Close()
	// net/smtp has no timeouts: closing the client unblocks whatever it is waiting for.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	sayf(e.stdout, "route: %s (%s, AUTH %s as %s)", res.Route, tlsVersion(res), res.Mechanism, secret.user)
	if *dryRun {
		if err := c.Quit(); err != nil {
			return failHint(e, fmt.Errorf("QUIT: %w", err), p)
		}
		fmt.Fprintln(e.stdout, "dry run: negotiated and authenticated; nothing sent")
		return exitOK
	}
	reply, err := transact(c, *from, to, message)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		}
		return fail(e, "send", err)
	}
	sayf(e.stdout, "server: %s", reply)
	c.Quit()
	return exitOK
}

// transact runs MAIL, RCPT and DATA and returns the server's final reply to the message
// ("250 2.0.0 Ok: queued as ..."), which net/smtp's Data writer discards.
func transact(c *smtp.Client, from string, to []string, message []byte) (string, error) {
	if err := c.Mail(from); err != nil {
		return "", fmt.Errorf("MAIL FROM:<%s> refused: %w", from, err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return "", fmt.Errorf("RCPT TO:<%s> refused: %w", rcpt, err)
		}
	}
	id, err := c.Text.Cmd("DATA")
	if err != nil {
		return "", fmt.Errorf("DATA: %w", err)
	}
	c.Text.StartResponse(id)
	_, _, err = c.Text.ReadResponse(354)
	c.Text.EndResponse(id)
	if err != nil {
		return "", fmt.Errorf("DATA refused: %w", err)
	}
	w := c.Text.DotWriter() // dot-stuffing and CRLF line ends
	if _, err := w.Write(message); err != nil {
		return "", fmt.Errorf("sending the message: %w", err)
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("sending the message: %w", err)
	}
	code, msg, err := c.Text.ReadResponse(250)
	if err != nil {
		return "", fmt.Errorf("message refused: %w", err)
	}
	return fmt.Sprintf("%d %s", code, msg), nil
}

// failHint reports a negotiation error in one line with the hint for its kind.
func failHint(e *env, err error, p presets.Preset) int {
	line := oneLine(err.Error())
	if h := hint(err, p); h != "" {
		line += " (" + h + ")"
	}
	fmt.Fprintf(e.stderr, "smtpport: %s\n", line)
	return exitFail
}

// countGiven counts the true values: how many of mutually exclusive choices were made.
func countGiven(choices ...bool) int {
	n := 0
	for _, c := range choices {
		if c {
			n++
		}
	}
	return n
}

// isNotFound reports whether err says a host name does not exist (NXDOMAIN).
func isNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}
