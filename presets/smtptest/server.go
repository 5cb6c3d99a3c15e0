// Package smtptest runs an SMTP submission server inside the process, for testing code
// that sends mail with smtpport, offline, as net/http/httptest does for HTTP clients.
//
// The server has real TLS, with a certificate authority made for each server, and three
// endpoints: 587 STARTTLS, 465 implicit TLS and 2525 STARTTLS. Dial it through its Preset,
// trusting its CA and reaching it through its Dialer:
//
//	srv, err := smtptest.NewServer(smtptest.Config{Users: map[string]string{"me@example.test": "secret"}})
//	...
//	defer srv.Close()
//	c, err := smtpport.Dial(ctx, srv.Preset(),
//		smtpport.WithTLSConfig(srv.ClientTLSConfig()), smtpport.WithDialer(srv.Dialer()),
//		smtpport.WithPassword("me@example.test", "secret"))
//
// A port can be made to refuse connections or drop them like a firewall (Refuse,
// Blackhole), and every message the server accepted can be read back (Messages).
package smtptest

import (
	"crypto/tls"
	"fmt"

	"github.com/smtpport/smtpport/internal/netsim"
	inner "github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
	"golang.org/x/net/proxy"
)

// Config describes a server. The zero value is a server that needs no AUTH.
type Config struct {
	// Hostname names the server in its routes, greeting and certificate
	// ("mail.example.test" when empty).
	Hostname string
	// Users maps user names to passwords; when not empty, sending requires AUTH.
	Users map[string]string
	// Mechanisms are the SASL mechanisms offered over TLS, in order; nil means PLAIN
	// LOGIN. Known: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256, SCRAM-SHA-256-PLUS, XOAUTH2,
	// OAUTHBEARER (the two token mechanisms accept a user's password as the token).
	Mechanisms []string
}

// Server is a running test server; its methods are safe for concurrent use.
type Server struct {
	srv    *inner.Server
	dialer *netsim.Dialer
}

// Message is one message the server accepted.
type Message struct {
	Port int    // the endpoint it came in on: 587, 465 or 2525
	User string // the authenticated user, "" without AUTH
	From string
	To   []string
	Data []byte // as received, dot-unstuffed, lines ending in CRLF
}

// NewServer starts a server listening on loopback. Close it when done.
func NewServer(cfg Config) (*Server, error) {
	tokens := map[string]string{}
	for u, p := range cfg.Users {
		tokens[u] = p
	}
	srv, err := inner.NewServer(inner.Config{Hostname: cfg.Hostname, Users: cfg.Users, Mechanisms: cfg.Mechanisms, Tokens: tokens})
	if err != nil {
		return nil, fmt.Errorf("smtptest: %w", err)
	}
	for _, ep := range inner.Submission() {
		if _, err := srv.Listen(ep); err != nil {
			srv.Close()
			return nil, fmt.Errorf("smtptest: %w", err)
		}
	}
	return &Server{srv: srv, dialer: srv.Dialer()}, nil
}

// Close stops the server and waits for its connections to end.
func (s *Server) Close() error { return s.srv.Close() }

// Preset is the server's preset: 587 STARTTLS, 465 implicit TLS, 2525 STARTTLS on its
// host name. Those addresses exist only through Dialer.
func (s *Server) Preset() presets.Preset {
	return presets.Custom(s.srv.Hostname(), s.srv.Routes(587, 465, 2525)...)
}

// ClientTLSConfig trusts the server's certificate authority and nothing else; pass it
// to smtpport.WithTLSConfig.
func (s *Server) ClientTLSConfig() *tls.Config { return s.srv.ClientTLS() }

// Dialer reaches the server's endpoints by the addresses of its routes, and applies
// Block; pass it to smtpport.WithDialer.
func (s *Server) Dialer() proxy.ContextDialer { return s.dialer }

// Refuse makes connections to port (587, 465 or 2525) fail at once, as a closed port or a
// firewall that rejects does.
func (s *Server) Refuse(port int) { s.dialer.Set(s.srv.RouteAddr(port), netsim.Refuse) }

// Blackhole makes connections to port get no answer until the caller gives up, as a
// firewall that drops packets does (many ISPs and cloud networks block 587 or 465 so).
func (s *Server) Blackhole(port int) { s.dialer.Set(s.srv.RouteAddr(port), netsim.Blackhole) }

// Open undoes Refuse and Blackhole for port.
func (s *Server) Open(port int) { s.dialer.Set(s.srv.RouteAddr(port), netsim.Pass) }

// Routes lists the server's routes in the preset's order, for smtpport.WithRoutes.
func (s *Server) Routes() []negotiate.Route { return s.srv.Routes(587, 465, 2525) }

// Messages returns a copy of every message accepted so far, in order.
func (s *Server) Messages() []Message {
	var out []Message
	for _, m := range s.srv.Messages() {
		out = append(out, Message{Port: m.Port, User: m.User, From: m.From, To: m.To, Data: m.Data})
	}
	return out
}
