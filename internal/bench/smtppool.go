package main

import (
	"context"
	"net"
	"net/smtp"
	"strconv"
	"time"

	"github.com/knadh/smtppool"
)

// runSMTPPool sends through knadh/smtppool v1.1.0, configured as its README shows, on the
// server's implicit-TLS listener (it knows no route choice; it is told the port). It
// builds the MIME message itself from the same headers and text.
func runSMTPPool(_ context.Context, tg *target, conns, messages int) (int64, error) {
	host, portText, err := net.SplitHostPort(tg.addr465)
	if err != nil {
		return 0, err
	}
	port, _ := strconv.Atoi(portText)
	pool, err := smtppool.New(smtppool.Opt{
		Host: host, Port: port, HelloHostname: benchHELO, MaxConns: conns,
		IdleTimeout: time.Minute, PoolWaitTimeout: 30 * time.Second,
		SSL: true, TLSConfig: tg.tls(),
		Auth: smtp.PlainAuth("", tg.from, tg.password, host),
	})
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	return spread(conns, messages, func(next func() bool) error {
		for next() {
			if err := pool.Send(smtppool.Email{From: tg.from, To: []string{tg.to}, Subject: "bench",
				Text: []byte("a short message from the pool throughput scenario\r\n")}); err != nil {
				return err
			}
		}
		return nil
	})
}
