package main

import (
	"context"
	"net"
	"net/smtp"
	"strconv"
	"time"

	"github.com/knadh/smtppool"
	"github.com/smtpport/smtpport"
)

// poolServer is the server the pool contenders send to; smtppool dials a real address,
// not through our dialer, so it needs the listener's own.
var poolServer *remote

// runSMTPPool sends through knadh/smtppool v1.1.0, configured as its README shows, on the
// server's implicit-TLS listener (it knows no route choice; it is told the port). It
// builds the MIME message itself from the same headers and text.
func runSMTPPool(_ context.Context, _ []smtpport.Option, conns, messages int) (int64, error) {
	host, portText, err := net.SplitHostPort(poolServer.info.Addrs[465])
	if err != nil {
		return 0, err
	}
	port, _ := strconv.Atoi(portText)
	pool, err := smtppool.New(smtppool.Opt{
		Host: host, Port: port, HelloHostname: benchHELO, MaxConns: conns,
		IdleTimeout: time.Minute, PoolWaitTimeout: 30 * time.Second,
		SSL: true, TLSConfig: poolServer.tlsConfig(),
		Auth: smtp.PlainAuth("", benchUser, benchPass, host),
	})
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	return spread(conns, messages, func(next func() bool) error {
		for next() {
			if err := pool.Send(smtppool.Email{From: benchUser, To: []string{"bob@example.test"}, Subject: "bench",
				Text: []byte("a short message from the pool throughput scenario\r\n")}); err != nil {
				return err
			}
		}
		return nil
	})
}
