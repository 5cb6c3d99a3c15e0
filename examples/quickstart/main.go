// Quickstart runs smtpport end to end with no network: it starts the embedded test
// server (presets/smtptest) on 587 (STARTTLS), 465 (implicit TLS) and 2525 (STARTTLS),
// makes 587 drop connections like a firewall would, negotiates, prints every attempt,
// sends one message and prints it as the server received it.
//
// It uses public packages only, so it can be copied out of this module as it is; with a
// real provider, drop the test server and pass presets.Gmail (or presets.Custom(host))
// and your credentials.
package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"os"
	"text/tabwriter"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/presets/smtptest"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(out io.Writer) error {
	const user, pass = "demo@example.test", "demo-app-password"

	// A local submission server with its own CA, with 587 dropped as a firewall would.
	srv, err := smtptest.NewServer(smtptest.Config{Users: map[string]string{user: pass}})
	if err != nil {
		return err
	}
	defer srv.Close()
	srv.Blackhole(587)

	// What a program writes: one call, with the server's CA trusted.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := smtpport.Negotiate(ctx, srv.Preset(),
		smtpport.WithPassword(user, pass),
		smtpport.WithTLSConfig(srv.ClientTLSConfig()),
		smtpport.WithDialer(srv.Dialer()))
	if err != nil {
		return err
	}
	c := res.Client
	defer c.Close()

	fmt.Fprintln(out, "Attempts (587 is blackholed, so 465 starts after a 250 ms head start):")
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  ROUTE\tSTARTED\tSTAGE\tELAPSED\tOUTCOME")
	for _, a := range res.Attempts {
		outcome := "won"
		if a.Err != nil {
			outcome = a.Err.Error()
		}
		fmt.Fprintf(tw, "  %s\t+%s\t%s\t%s\t%s\n", a.Route, a.Offset.Round(time.Millisecond), a.Stage, a.Elapsed.Round(time.Millisecond), outcome)
	}
	tw.Flush()
	fmt.Fprintf(out, "\nChosen: %s, %s, AUTH %s\n\n", res.Route, tls.VersionName(res.TLS.Version), res.Mechanism)

	// From here on it is plain net/smtp.
	if err := c.Mail(user); err != nil {
		return err
	}
	if err := c.Rcpt("friend@example.test"); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	fmt.Fprint(w, "From: demo@example.test\r\nTo: friend@example.test\r\nSubject: Hello from smtpport\r\n\r\nIt arrived over verified TLS.\r\n")
	if err := w.Close(); err != nil {
		return err
	}
	if err := c.Quit(); err != nil {
		return err
	}

	msgs := srv.Messages()
	if len(msgs) != 1 {
		return fmt.Errorf("server has %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	fmt.Fprintf(out, "The server received on port %d from %s (authenticated as %s), to %v:\n\n%s", m.Port, m.From, m.User, m.To, m.Data)
	return nil
}
