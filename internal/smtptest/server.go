// Package smtptest is an in-process SMTP submission server for tests and the offline
// quickstart: real TLS with a CA generated per server, endpoints in STARTTLS or
// implicit-TLS mode, AUTH against a user table, and a record of every line a client sent
// (so tests can assert whether credentials went out) and every message it submitted.
package smtptest

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"strconv"
	"sync"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/negotiate"
)

// DefaultHostname is the server's name: in its greeting, its certificate and its routes.
const DefaultHostname = "mail.example.test"

// Config describes the server as a whole.
type Config struct {
	// Hostname names the server (DefaultHostname when empty).
	Hostname string
	// Users maps user names to passwords. When not empty, MAIL requires AUTH.
	Users map[string]string
	// Mechanisms advertised after TLS, in order; nil means PLAIN LOGIN, an empty list no
	// AUTH at all. Known: PLAIN, LOGIN, CRAM-MD5, XOAUTH2, OAUTHBEARER, SCRAM-SHA-256,
	// SCRAM-SHA-256-PLUS.
	Mechanisms []string
	// Tokens maps user names to the one OAuth2 bearer token XOAUTH2 and OAUTHBEARER accept.
	Tokens map[string]string
	// AuthReply, when set, is asked once each AUTH exchange has received the client's
	// credentials. A reply line such as "535 5.7.139 Authentication unsuccessful" replaces
	// the real verdict; Hangup closes the connection without a reply; "" keeps the verdict.
	AuthReply func(mech string) string
	// RcptReply, when set, is asked for each RCPT: a reply line such as
	// "550 5.1.1 no such user" refuses the recipient; "" accepts it.
	RcptReply func(addr string) string
	// CommandReply, when set, is asked for each MAIL, RCPT, DATA, RSET and NOOP over TLS,
	// with the connection's number (from 1) and the command line: a reply line replaces
	// the normal handling ("" keeps it); a 421 also closes the connection, as servers do.
	CommandReply func(conn int, line string) string
	// CA signs the server certificate; a new one is generated when nil.
	CA *CA
	// Pipelining advertises PIPELINING (RFC 2920) in EHLO, and holds back replies while
	// more commands are already in, sending a group's replies together (as Postfix
	// does). The server reads commands in order either way.
	Pipelining bool
}

// Endpoint is one listening port and how it behaves.
type Endpoint struct {
	// Port is the route port clients believe they dial (587, 465, 2525); the server
	// really listens on a random loopback port, and Dialer maps one to the other.
	Port     int
	Security negotiate.Security
	// NoSTARTTLS hides STARTTLS on a STARTTLS endpoint (a stripped or misconfigured server).
	NoSTARTTLS bool
	// Certificate replaces the server's certificate on this endpoint (wrong name, expired...).
	Certificate *tls.Certificate
	// MaxTLSVersion caps the TLS version offered (e.g. tls.VersionTLS10); 0 means no cap.
	MaxTLSVersion uint16
	// HoldGreeting, when not nil, delays the greeting until it is closed (or the server
	// closes): a server that accepted the connection and is slow to speak.
	HoldGreeting <-chan struct{}
	// Script, when not empty, replaces the normal session with scripted hostile
	// behaviour (script.go).
	Script []Step
}

// Submission is the usual trio: 587 STARTTLS, 465 implicit TLS, 2525 STARTTLS.
func Submission() []Endpoint {
	return []Endpoint{
		{Port: 587, Security: negotiate.STARTTLS},
		{Port: 465, Security: negotiate.ImplicitTLS},
		{Port: 2525, Security: negotiate.STARTTLS},
	}
}

// Server is a running test server. All methods are safe for concurrent use.
type Server struct {
	cfg  Config
	ca   *CA
	cert tls.Certificate
	// ticketKey is shared by every endpoint and connection, so clients can resume TLS
	// sessions across connections and ports, as with a real server.
	ticketKey [32]byte

	mu        sync.Mutex
	endpoints map[int]Endpoint
	addrs     map[int]string
	listeners []net.Listener
	conns     map[net.Conn]struct{}
	commands  []Command
	messages  []Message
	nextConn  int
	closed    bool
	done      chan struct{} // closed by Close
	wg        sync.WaitGroup
}

// Command is one line a client sent, as received.
type Command struct {
	Conn int    // connection number, from 1
	Port int    // endpoint port
	TLS  bool   // sent over TLS
	Line string // the raw line without CRLF
	// Decoded holds the decoded SASL payload for AUTH lines and their continuations.
	Decoded string
}

// Message is one submitted message.
type Message struct {
	Port int
	User string // authenticated user, "" when none
	From string
	To   []string
	Data []byte
}

// NewServer starts nothing yet: call Listen for each endpoint.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Hostname == "" {
		cfg.Hostname = DefaultHostname
	}
	if cfg.Mechanisms == nil {
		cfg.Mechanisms = []string{"PLAIN", "LOGIN"}
	}
	ca := cfg.CA
	if ca == nil {
		var err error
		if ca, err = NewCA(); err != nil {
			return nil, err
		}
	}
	cert, err := ca.Issue([]string{cfg.Hostname}, CertOptions{})
	if err != nil {
		return nil, err
	}
	var key [32]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, err
	}
	return &Server{
		cfg: cfg, ca: ca, cert: cert, ticketKey: key,
		endpoints: map[int]Endpoint{}, addrs: map[int]string{}, conns: map[net.Conn]struct{}{},
		done: make(chan struct{}),
	}, nil
}

// TB is the part of testing.TB that Start uses. Taking it instead of testing.TB keeps
// this package free of "testing", which programs that embed the server (the quickstart,
// through the public presets/smtptest) would otherwise link.
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}

// Start is NewServer plus Listen for each endpoint, closed when the test ends.
func Start(tb TB, cfg Config, endpoints ...Endpoint) *Server {
	tb.Helper()
	s, err := NewServer(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	for _, ep := range endpoints {
		if _, err := s.Listen(ep); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

// Listen opens a loopback listener for ep and returns its real address.
func (s *Server) Listen(ep Endpoint) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return "", errors.New("smtptest: server closed")
	}
	s.endpoints[ep.Port] = ep
	s.addrs[ep.Port] = l.Addr().String()
	s.listeners = append(s.listeners, l)
	s.wg.Add(1)
	s.mu.Unlock()
	go s.serve(l, ep)
	return l.Addr().String(), nil
}

func (s *Server) serve(l net.Listener, ep Endpoint) {
	defer s.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.nextConn++
		id := s.nextConn
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			if sess := newSession(s, ep, id, c); len(ep.Script) > 0 {
				sess.runScript() // hostile mode, script.go
			} else {
				sess.run()
			}
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

// Close stops every listener and connection and waits for their goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.closed {
		close(s.done)
	}
	s.closed = true
	for _, l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// Hostname is the server's name.
func (s *Server) Hostname() string { return s.cfg.Hostname }

// CA is the authority that signed the server certificate.
func (s *Server) CA() *CA { return s.ca }

// ClientTLS is a client configuration that trusts the server's CA.
func (s *Server) ClientTLS() *tls.Config { return &tls.Config{RootCAs: s.ca.Pool()} }

// Route is the route a client uses for the endpoint on port.
func (s *Server) Route(port int) negotiate.Route {
	s.mu.Lock()
	defer s.mu.Unlock()
	return negotiate.Route{Host: s.cfg.Hostname, Port: port, Security: s.endpoints[port].Security}
}

// Routes lists the given ports' routes in that order.
func (s *Server) Routes(ports ...int) []negotiate.Route {
	out := make([]negotiate.Route, len(ports))
	for i, p := range ports {
		out[i] = s.Route(p)
	}
	return out
}

// Dialer returns a netsim dialer that maps every endpoint's route address to its real
// listener; block ports on it with Set.
func (s *Server) Dialer() *netsim.Dialer {
	d := netsim.New()
	s.mu.Lock()
	defer s.mu.Unlock()
	for port, addr := range s.addrs {
		d.Map(net.JoinHostPort(s.cfg.Hostname, strconv.Itoa(port)), addr)
	}
	return d
}

// RouteAddr is "hostname:port", the address a client dials for the endpoint on port.
func (s *Server) RouteAddr(port int) string {
	return net.JoinHostPort(s.cfg.Hostname, strconv.Itoa(port))
}

// Commands returns a copy of every line received so far.
func (s *Server) Commands() []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.commands)
}

// AuthCommands returns the AUTH commands received (not their continuations).
func (s *Server) AuthCommands() []Command {
	var out []Command
	for _, c := range s.Commands() {
		if len(c.Line) >= 4 && equalFoldPrefix(c.Line, "AUTH") {
			out = append(out, c)
		}
	}
	return out
}

// SawSecret reports whether secret appeared in any line or decoded SASL payload.
func (s *Server) SawSecret(secret string) bool {
	for _, c := range s.Commands() {
		if containsFold(c.Line, secret) || containsFold(c.Decoded, secret) {
			return true
		}
	}
	return false
}

// Messages returns a copy of every message submitted.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

func (s *Server) record(c Command) {
	s.mu.Lock()
	s.commands = append(s.commands, c)
	s.mu.Unlock()
}

func (s *Server) deliver(m Message) {
	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()
}

func (s *Server) tlsConfig(ep Endpoint) *tls.Config {
	cert := s.cert
	if ep.Certificate != nil {
		cert = *ep.Certificate
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	cfg.SetSessionTicketKeys([][32]byte{s.ticketKey})
	if ep.MaxTLSVersion != 0 {
		cfg.MinVersion = tls.VersionTLS10
		cfg.MaxVersion = ep.MaxTLSVersion
	}
	return cfg
}
