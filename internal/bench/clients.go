package main

import (
	"context"
	"crypto/tls"
	"net"
	"net/smtp"
	"slices"
	"strconv"
	"time"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
	mail "github.com/wneessen/go-mail"
)

// dialFunc brings one authenticated client up.
type dialFunc func(ctx context.Context) (*dialed, error)

// dialed is one authenticated client: how to close it, and whether its TLS session was
// resumed (so a "cold" row can prove it did full handshakes and a "warm" one that it
// resumed).
type dialed struct {
	close   func()
	resumed bool
}

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
	// host, user and password of the server; plainOnly pins every contender to AUTH
	// PLAIN (real Postfix offers SCRAM too, which smtpport and go-mail would prefer:
	// more round trips and PBKDF2, not what is being compared).
	host, user, pass string
	plainOnly        bool
}

// sharedOracleCache is the session cache of the "oracle, resumed" contender: one per
// program, as smtpport keeps one per trust anchor set.
var sharedOracleCache = tls.NewLRUClientSessionCache(64)

// Contender names. The cold/warm comparison finds its rows by them.
const (
	nameWarm          = "smtpport.Dial, warm (process-wide session cache)"
	nameCold          = "smtpport.Dial, cold (fresh session cache per Dial)"
	nameOracle        = "oracle (net/smtp, route known), cold"
	nameOracleQuick   = "oracle + quick-ACK, cold (fresh session cache per Dial)"
	nameOracleResumed = "oracle + session cache, warm"
	nameOracleBoth    = "oracle + session cache + quick-ACK, warm"
)

var clients = []client{
	{name: nameWarm, newSeries: smtpportSeries(false)},
	{name: nameCold, newSeries: smtpportSeries(true)},
	{name: nameOracle, newSeries: func(env seriesEnv) dialFunc {
		return oracle(env, env.dialer, env.tls)
	}},
	{name: nameOracleQuick, newSeries: func(env seriesEnv) dialFunc {
		// A fresh session cache per Dial, as smtpport cold has: the same full handshake,
		// and the server's ticket is stored as smtpport stores it (that costs CPU and
		// allocations the plain oracle, with no cache, does not spend).
		d := quickAckDialer{env.dialer}
		return func(ctx context.Context) (*dialed, error) {
			cfg := env.tls.Clone()
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
			return oracle(env, d, cfg)(ctx)
		}
	}},
	{name: nameOracleResumed, newSeries: func(env seriesEnv) dialFunc {
		cfg := env.tls.Clone()
		cfg.ClientSessionCache = sharedOracleCache
		return oracle(env, env.dialer, cfg)
	}},
	{name: nameOracleBoth, newSeries: func(env seriesEnv) dialFunc {
		cfg := env.tls.Clone()
		cfg.ClientSessionCache = sharedOracleCache
		return oracle(env, quickAckDialer{env.dialer}, cfg)
	}},
	{name: "go-mail " + goMailVersion + ", cold", newSeries: func(env seriesEnv) dialFunc {
		if env.sc.memory || env.sc.noGoMail {
			return nil // go-mail has no route memory: see the 587 blackholed row
		}
		return goMail(env)
	}},
}

// fixedStagger is smtpport with the head start pinned at 250 ms (-fixed-stagger), to
// show what the adaptive head start saves.
var fixedStagger = client{name: "smtpport, fixed 250 ms stagger", newSeries: smtpportSeries(false, smtpport.WithStagger(defaultHeadStart))}

// smtpportSeries is smtpport.Dial on the scenario's preset. Warm, it leaves the TLS
// config without a session cache, so smtpport uses its process-wide one and resumes
// after the warm-up Dial. Cold, every Dial gets a config whose ClientSessionCache is a
// new, empty cache: smtpport uses a caller's cache as given (it adds its own only when
// there is none), so every handshake is a full one, as in the first Dial of a process.
func smtpportSeries(cold bool, extra ...smtpport.Option) func(env seriesEnv) dialFunc {
	return func(env seriesEnv) dialFunc {
		opts := []smtpport.Option{
			smtpport.WithTLSConfig(env.tls),
			smtpport.WithDialer(env.dialer),
			smtpport.WithLocalName(benchHELO),
			smtpport.WithPassword(env.user, env.pass),
		}
		if env.plainOnly {
			opts = append(opts, smtpport.WithMechanisms("PLAIN"))
		}
		opts = append(opts, extra...)
		if env.sc.memory {
			opts = append(opts, smtpport.WithRouteMemory(smtpport.NewMemory()))
		}
		preset := presets.Custom(env.host)
		if env.sc.pinned {
			preset = presets.Custom(env.host, env.sc.oracle)
		}
		opts = slices.Clip(opts)
		return func(ctx context.Context) (*dialed, error) {
			o := opts
			if cold {
				cfg := env.tls.Clone()
				cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
				o = append(opts, smtpport.WithTLSConfig(cfg))
			}
			c, err := smtpport.Dial(ctx, preset, o...)
			if err != nil {
				return nil, err
			}
			cs, _ := c.TLSConnectionState()
			return &dialed{close: func() { c.Close() }, resumed: cs.DidResume}, nil
		}
	}
}

// oracle is hand-written net/smtp that already knows the working route: dial, greeting,
// EHLO, STARTTLS or a TLS handshake, AUTH PLAIN. Nothing a library can skip.
func oracle(env seriesEnv, d netsim.ContextDialer, cfg *tls.Config) dialFunc {
	route := env.sc.oracle
	return func(ctx context.Context) (*dialed, error) {
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(route.Host, strconv.Itoa(route.Port)))
		if err != nil {
			return nil, err
		}
		if dl, ok := ctx.Deadline(); ok {
			conn.SetDeadline(dl)
		}
		fail := func(err error) (*dialed, error) { conn.Close(); return nil, err }
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
		if err := c.Auth(smtp.PlainAuth("", env.user, env.pass, route.Host)); err != nil {
			return fail(err)
		}
		conn.SetDeadline(time.Time{})
		cs, _ := c.TLSConnectionState()
		return &dialed{close: func() { c.Close() }, resumed: cs.DidResume}, nil
	}
}

// quickAckDialer gives the oracle the quick-ACK prototype: TCP_QUICKACK set again
// after every read (quickack_linux.go), for the whole life of the connection, since the
// oracle has no handoff. smtpport's engine sets it only before a read that follows a read.
type quickAckDialer struct{ inner netsim.ContextDialer }

func (d quickAckDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := d.inner.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return newQuickAckConn(c), nil
}

// goMail is go-mail configured as its README and option docs recommend, with its port
// fallback enabled: TLSOpportunistic sets 587 and falls back to 25 when 587 fails to
// connect (TLSMandatory has no fallback), mechanism auto-discovery, our dialer for the
// address map and latency, and a TLS config that trusts the test CA. On a pinned 465
// scenario it is told implicit TLS on 465 (WithSSLPort, no fallback); with plainOnly it
// uses AUTH PLAIN like the oracle.
func goMail(env seriesEnv) dialFunc {
	auth := mail.SMTPAuthAutoDiscover
	if env.plainOnly {
		auth = mail.SMTPAuthPlain
	}
	opts := []mail.Option{
		mail.WithSMTPAuth(auth),
		mail.WithUsername(env.user), mail.WithPassword(env.pass),
		mail.WithTLSConfig(env.tls),
		mail.WithHELO(benchHELO),
	}
	if env.sc.pinned && env.sc.oracle.Security == negotiate.ImplicitTLS {
		// A port policy would set 587 first. With a dial func of ours go-mail leaves
		// implicit TLS to it, so it does what go-mail's own tls.Dialer would.
		opts = append(opts, mail.WithSSLPort(false), mail.WithDialContextFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := env.dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(c, env.tls)
			if err := tc.HandshakeContext(ctx); err != nil {
				c.Close()
				return nil, err
			}
			return tc, nil
		}))
	} else {
		opts = append(opts, mail.WithDialContextFunc(env.dialer.DialContext))
		opts = append(opts, mail.WithTLSPortPolicy(mail.TLSOpportunistic))
	}
	c, err := mail.NewClient(env.host, opts...)
	if err != nil {
		panic(err)
	}
	return func(ctx context.Context) (*dialed, error) {
		sc, err := c.DialToSMTPClientWithContext(ctx)
		if err != nil {
			return nil, err
		}
		cs, _ := sc.TLSConnectionState()
		return &dialed{close: func() { sc.Close() }, resumed: cs.DidResume}, nil
	}
}
