package smtpport_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/smtpport/smtpport"
)

// SendMail is smtp.SendMail with smtpport's transport and a context over all of it.
func ExampleSendMail() {
	srv, opts := testServer(map[string]string{"alice@example.test": "app password"})
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	msg := []byte("Subject: hello\n\nHi Bob.\n") // bare LF is fine: it goes out as CRLF
	err := smtpport.SendMail(ctx, srv.Preset(), "alice@example.test", []string{"bob@example.test"}, msg,
		append(opts, smtpport.WithPassword("alice@example.test", "app password"))...)
	switch {
	case errors.Is(err, smtpport.ErrOutcomeUnknown):
		log.Fatal(err) // maybe delivered: do not resend blindly
	case errors.Is(err, smtpport.ErrTemporary):
		log.Fatal(err) // 4xx or connection lost before the end: nothing delivered, retry later
	case err != nil:
		log.Fatal(err) // permanent refusal, or negotiation failed (*smtpport.Error)
	}
	m := srv.Messages()[0]
	fmt.Printf("%s -> %v: %q\n", m.From, m.To, m.Data)
	// Output: alice@example.test -> [bob@example.test]: "Subject: hello\r\n\r\nHi Bob.\r\n"
}

// Within puts a context over a block of your own net/smtp calls on a client from Dial.
func ExampleWithin() {
	srv, opts := testServer(map[string]string{"alice@example.test": "app password"})
	defer srv.Close()
	c, err := smtpport.Dial(context.Background(), srv.Preset(),
		append(opts, smtpport.WithPassword("alice@example.test", "app password"))...)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = smtpport.Within(ctx, c, func() error {
		if err := c.Mail("alice@example.test"); err != nil {
			return err
		}
		if err := c.Rcpt("bob@example.test"); err != nil {
			return err
		}
		w, err := c.Data()
		if err != nil {
			return err
		}
		fmt.Fprint(w, "Subject: report\r\n\r\nAll good.\r\n")
		return w.Close()
	})
	if err != nil {
		log.Fatal(err) // on ctx's end the error wraps context.DeadlineExceeded; close c then
	}
	fmt.Println("messages on the server:", len(srv.Messages()))
	// Output: messages on the server: 1
}
