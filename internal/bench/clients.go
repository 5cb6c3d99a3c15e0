package main

import (
	"context"
	"crypto/tls"
	"net"
	"net/smtp"
	"strconv"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
	mail "github.com/wneessen/go-mail"
)

// dialFunc brings one authenticated client up and returns how to close it.
type dialFunc func(ctx context.Context) (closer func(), err error)

// series is one client's state for one scenario at one latency, built once as a real
// program would build it, then dialed repeatedly.
type series struct {
	dial   dialFunc
	dialer *netsim.Dialer // counts TCP connections
}

// client is one contender; newSeries returns nil when the scenario does not apply.
type client struct {
	name      string
	newSeries func(env seriesEnv) dialFunc
}

type seriesEnv struct {
	sc     scenario
	dialer netsim.ContextDialer // with latency
	tls    *tls.Config          // trusts the server CA; no session cache
}

// sharedOracleCache is the session cache of the "oracle, resumed" contender: one per
// program, as smtpport keeps one per trust anchor set.
var sharedOracleCache = tls.NewLRUClientSessionCache(64)

var clients = []client{
	{name: "smtpport.Dial", newSeries: smtpportSeries()},
	{name: "oracle (net/smtp, route known)", newSeries: func(env seriesEnv) dialFunc {
		return oracle(env.dialer, env.sc.oracle, env.tls)
	}},
	{name: "oracle + session cache", newSeries: func(env seriesEnv) dialFunc {
		cfg := env.tls.Clone()
		cfg.ClientSessionCache = sharedOracleCache
		return oracle(env.dialer, env.sc.oracle, cfg)
	}},
	{name: "go-mail " + goMailVersion, newSeries: func(env seriesEnv) dialFunc {
		if env.sc.memory {
			return nil // go-mail has no route memory: see the 587 blackholed row
		}
		return goMail(env)
	}},
}

// fixedStagger is smtpport with the head start pinned at 250 ms (-fixed-stagger), to
// show what the adaptive head start saves.
var fixedStagger = client{name: "smtpport, fixed 250 ms stagger", newSeries: smtpportSeries(smtpport.WithStagger(defaultHeadStart))}

func smtpportSeries(extra ...smtpport.Option) func(env seriesEnv) dialFunc {
	return func(env seriesEnv) dialFunc {
		opts := []smtpport.Option{
			smtpport.WithTLSConfig(env.tls),
			smtpport.WithDialer(env.dialer),
			smtpport.WithLocalName(benchHELO),
			smtpport.WithPassword(benchUser, benchPass),
		}
		opts = append(opts, extra...)
		if env.sc.memory {
			opts = append(opts, smtpport.WithRouteMemory(smtpport.NewMemory()))
		}
		preset := presets.Custom(serverHost)
		return func(ctx context.Context) (func(), error) {
			c, err := smtpport.Dial(ctx, preset, opts...)
			if err != nil {
				return nil, err
			}
			return func() { c.Close() }, nil
		}
	}
}

// oracle is hand-written net/smtp that already knows the working route: dial, greeting,
// EHLO, STARTTLS or a TLS handshake, AUTH PLAIN. Nothing a library can skip.
func oracle(d netsim.ContextDialer, route negotiate.Route, cfg *tls.Config) dialFunc {
	return func(ctx context.Context) (func(), error) {
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(route.Host, strconv.Itoa(route.Port)))
		if err != nil {
			return nil, err
		}
		if dl, ok := ctx.Deadline(); ok {
			conn.SetDeadline(dl)
		}
		fail := func(err error) (func(), error) { conn.Close(); return nil, err }
		var c *smtp.Client
		if route.Security == negotiate.ImplicitTLS {
			tc := tls.Client(conn, cfg)
			if err := tc.HandshakeContext(ctx); err != nil {
				return fail(err)
			}
			c, err = smtp.NewClient(tc, route.Host)
		} else {
			c, err = smtp.NewClient(conn, route.Host)
		}
		if err != nil {
			return fail(err)
		}
		if err := c.Hello(benchHELO); err != nil {
			return fail(err)
		}
		if route.Security == negotiate.STARTTLS {
			if err := c.StartTLS(cfg); err != nil {
				return fail(err)
			}
		}
		if err := c.Auth(smtp.PlainAuth("", benchUser, benchPass, route.Host)); err != nil {
			return fail(err)
		}
		conn.SetDeadline(time.Time{})
		return func() { c.Close() }, nil
	}
}

// goMail is go-mail configured as its README and option docs recommend, with its port
// fallback enabled: TLSOpportunistic sets 587 and falls back to 25 when 587 fails to
// connect (TLSMandatory has no fallback), mechanism auto-discovery, our dialer for the
// address map and latency, and a TLS config that trusts the test CA.
func goMail(env seriesEnv) dialFunc {
	c, err := mail.NewClient(serverHost,
		mail.WithTLSPortPolicy(mail.TLSOpportunistic),
		mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
		mail.WithUsername(benchUser), mail.WithPassword(benchPass),
		mail.WithTLSConfig(env.tls),
		mail.WithDialContextFunc(env.dialer.DialContext),
		mail.WithHELO(benchHELO),
	)
	if err != nil {
		panic(err)
	}
	return func(ctx context.Context) (func(), error) {
		sc, err := c.DialToSMTPClientWithContext(ctx)
		if err != nil {
			return nil, err
		}
		return func() { sc.Close() }, nil
	}
}
