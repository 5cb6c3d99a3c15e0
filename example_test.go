package smtpport_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/presets"
	"github.com/smtpport/smtpport/presets/smtptest"
)

// testServer starts the in-process test server the examples run against; a real program
// passes presets.Gmail (or another preset) and no TLS config or dialer.
func testServer(users map[string]string, mechanisms ...string) (*smtptest.Server, []smtpport.Option) {
	srv, err := smtptest.NewServer(smtptest.Config{Users: users, Mechanisms: mechanisms})
	if err != nil {
		log.Fatal(err)
	}
	return srv, []smtpport.Option{smtpport.WithTLSConfig(srv.ClientTLSConfig()), smtpport.WithDialer(srv.Dialer())}
}

func ExampleDial() {
	srv, opts := testServer(map[string]string{"alice@example.test": "app password"})
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := smtpport.Dial(ctx, srv.Preset(), append(opts, smtpport.WithPassword("alice@example.test", "app password"))...)
	if err != nil {
		log.Fatal(err) // errors.Is(err, smtpport.ErrAuthFailed), ErrUnreachable, ErrCertificate...
	}
	// From here on, net/smtp as usual.
	if err := c.Mail("alice@example.test"); err != nil {
		log.Fatal(err)
	}
	if err := c.Rcpt("bob@example.test"); err != nil {
		log.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprint(w, "Subject: hello\r\n\r\nHi Bob.\r\n")
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		log.Fatal(err)
	}
	_, isTLS := c.TLSConnectionState()
	fmt.Println("sent over TLS:", isTLS, "- messages on the server:", len(srv.Messages()))
	// Output: sent over TLS: true - messages on the server: 1
}

// Negotiate says how it got there: 587 is blackholed here, as many networks do, so 465
// starts after a head start and wins.
func ExampleNegotiate() {
	srv, opts := testServer(map[string]string{"alice@example.test": "app password"})
	defer srv.Close()
	srv.Blackhole(587)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	res, err := smtpport.Negotiate(ctx, srv.Preset(), append(opts, smtpport.WithPassword("alice@example.test", "app password"))...)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Client.Quit()
	fmt.Println("route:", res.Route, "mechanism:", res.Mechanism, "TLS:", tls.VersionName(res.TLS.Version))
	for _, a := range res.Attempts {
		fmt.Printf("%s: stage %s, won %v\n", a.Route, a.Stage, a.Err == nil)
	}
	// Output:
	// route: mail.example.test:465/tls mechanism: PLAIN TLS: TLS 1.3
	// mail.example.test:587/starttls: stage dial, won false
	// mail.example.test:465/tls: stage ready, won true
}

// A private server: its own CA in RootCAs (verification is never skipped) and the
// routes it really has.
func Example_privateServer() {
	srv, opts := testServer(nil)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	relay := presets.Custom("relay.internal", smtpport.Route{Host: "mail.example.test", Port: 2525, Security: smtpport.STARTTLS})
	c, err := smtpport.Dial(ctx, relay, opts...) // opts: WithTLSConfig(&tls.Config{RootCAs: pool}), the dialer
	if err != nil {
		log.Fatal(err)
	}
	defer c.Quit()
	ok, _ := c.Extension("8BITMIME")
	fmt.Println("connected to relay.internal on 2525; 8BITMIME:", ok)
	// Output: connected to relay.internal on 2525; 8BITMIME: true
}

// Route memory: the route that worked is tried first next time, alone unless it fails.
func ExampleWithRouteMemory() {
	srv, opts := testServer(map[string]string{"alice@example.test": "app password"})
	defer srv.Close()
	srv.Blackhole(587)
	dir, err := os.MkdirTemp("", "smtpport-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	memory, err := smtpport.OpenFileMemory(filepath.Join(dir, "routes.json")) // or NewMemory() for one process
	if err != nil {
		log.Fatal(err)
	}
	opts = append(opts, smtpport.WithRouteMemory(memory), smtpport.WithPassword("alice@example.test", "app password"))
	for i := range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		res, err := smtpport.Negotiate(ctx, srv.Preset(), opts...)
		cancel()
		if err != nil {
			log.Fatal(err)
		}
		res.Client.Quit()
		fmt.Printf("dial %d: %s, %d connection(s), remembered %v\n", i+1, res.Route, len(res.Attempts), res.FromMemory)
	}
	// Output:
	// dial 1: mail.example.test:465/tls, 2 connection(s), remembered false
	// dial 2: mail.example.test:465/tls, 1 connection(s), remembered true
}
