package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"

	"github.com/smtpport/smtpport"
	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
	"github.com/smtpport/smtpport/presets"
)

const (
	benchUser  = "alice@example.test"
	benchPass  = "correct horse battery staple"
	benchHELO  = "bench.example.test"
	serverHost = smtptest.DefaultHostname
)

// endpoints are the ports the benchmark server offers: the usual trio, and 25 with
// STARTTLS so go-mail's documented fallback (587 -> 25) has somewhere to land.
var endpoints = []smtptest.Endpoint{
	{Port: 587, Security: negotiate.STARTTLS},
	{Port: 465, Security: negotiate.ImplicitTLS},
	{Port: 2525, Security: negotiate.STARTTLS},
	{Port: 25, Security: negotiate.STARTTLS},
}

// serverInfo is what the server process tells the benchmark process.
type serverInfo struct {
	Addrs map[int]string `json:"addrs"` // route port -> real loopback address
	CA    string         `json:"ca"`    // PEM
}

// serve runs the in-process test server in this (child) process until stdin closes, so
// the benchmark process measures only the clients' allocations.
func serve(pipelining bool) error {
	srv, err := smtptest.NewServer(smtptest.Config{Users: map[string]string{benchUser: benchPass}, Pipelining: pipelining})
	if err != nil {
		return err
	}
	defer srv.Close()
	info := serverInfo{Addrs: map[int]string{}}
	for _, ep := range endpoints {
		addr, err := srv.Listen(ep)
		if err != nil {
			return err
		}
		info.Addrs[ep.Port] = addr
	}
	info.CA = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.CA().Certificate().Raw}))
	if err := json.NewEncoder(os.Stdout).Encode(info); err != nil {
		return err
	}
	io.Copy(io.Discard, os.Stdin) // until the parent exits or closes the pipe
	return nil
}

// remote is the server process as the benchmark sees it.
type remote struct {
	cmd   *exec.Cmd
	stdin io.Closer
	info  serverInfo
	pool  *x509.CertPool
}

// startServer starts the server process; pipelining makes it offer PIPELINING.
func startServer(pipelining bool) (*remote, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-serve", "-serve-pipelining="+strconv.FormatBool(pipelining))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &remote{cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		r.stop()
		return nil, fmt.Errorf("server process: %w", err)
	}
	if err := json.Unmarshal(line, &r.info); err != nil {
		r.stop()
		return nil, err
	}
	r.pool = x509.NewCertPool()
	if !r.pool.AppendCertsFromPEM([]byte(r.info.CA)) {
		r.stop()
		return nil, fmt.Errorf("server process: bad CA")
	}
	return r, nil
}

func (r *remote) stop() {
	r.stdin.Close()
	r.cmd.Wait()
}

// dialer maps every route address to the server process's listeners and applies the
// scenario's blocks; the caller adds latency on top.
func (r *remote) dialer(block map[int]netsim.Behaviour) *netsim.Dialer {
	d := netsim.New()
	for port, addr := range r.info.Addrs {
		d.Map(routeAddr(port), addr)
	}
	for port, b := range block {
		d.Set(routeAddr(port), b)
	}
	return d
}

// seriesEnv: the in-process server's CA, user and host.
func (r *remote) seriesEnv(sc scenario, d netsim.ContextDialer) seriesEnv {
	return seriesEnv{sc: sc, dialer: d, tls: r.tlsConfig(), host: serverHost, user: benchUser, pass: benchPass}
}

// tlsConfig trusts the server's CA; a fresh one per client, without a session cache.
func (r *remote) tlsConfig() *tls.Config {
	return &tls.Config{RootCAs: r.pool, ServerName: serverHost}
}

// target is this server for the pool throughput scenario.
func (r *remote) target() *target {
	return &target{
		preset: presets.Custom(serverHost),
		opts: func() []smtpport.Option {
			return []smtpport.Option{
				smtpport.WithTLSConfig(r.tlsConfig()),
				smtpport.WithDialer(r.dialer(nil)),
				smtpport.WithLocalName(benchHELO),
				smtpport.WithPassword(benchUser, benchPass),
			}
		},
		from: benchUser, to: "bob@example.test", msg: newMessage(benchUser, "bob@example.test"),
		addr465: r.info.Addrs[465], tls: r.tlsConfig, password: benchPass,
	}
}

func routeAddr(port int) string {
	return net.JoinHostPort(serverHost, strconv.Itoa(port))
}
