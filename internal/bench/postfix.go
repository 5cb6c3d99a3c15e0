package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/internal/testenv"
	"github.com/smtpport/smtpport/negotiate"
)

// -postfix: the cold and warm contenders against the real Postfix 3.7 + OpenSSL 3 of
// internal/testenv (issue #14), where a full TLS handshake meets Postfix's Nagle and
// the client's delayed ACK. The dialer maps the server's name to its address and counts
// connections; it hands out plain *net.TCPConn, so quick-ACK applies. Blocks are real
// (testenv.sh block, nftables in Postfix's namespace), set and restored here: run it
// under `flock /tmp/testenv.lock`.

type postfixTarget struct {
	env *testenv.Env
	tls *tls.Config
}

// Postfix scenarios. On 587 smtpport dials the host's default preset (587, 465, 2525:
// what a program writes) and go-mail its default port; on 465 both are told the route,
// like the oracle. With 587 blackholed the oracle is the 465 floor; go-mail is left out
// (it waits its own 15 s on 587 and then fails: see the in-process tables).
func postfixScenarios(host string) []scenario {
	r587 := negotiate.Route{Host: host, Port: 587, Security: negotiate.STARTTLS}
	r465 := negotiate.Route{Host: host, Port: 465, Security: negotiate.ImplicitTLS}
	return []scenario{
		{name: "Postfix 587 (STARTTLS)", oracle: r587, timeout: healthyTimeout},
		{name: "Postfix 465 (implicit TLS)", oracle: r465, timeout: healthyTimeout, pinned: true},
		{name: "Postfix 587 blackholed (testenv drop)", oracle: r465, timeout: healthyTimeout, noGoMail: true, blockDrop: 587},
	}
}

func (p *postfixTarget) scenarioDialer(sc scenario) *netsim.Dialer {
	d := netsim.New()
	for _, port := range []int{25, 465, 587, 2525} {
		d.Map(net.JoinHostPort(p.env.Host, strconv.Itoa(port)), net.JoinHostPort(p.env.Addr, strconv.Itoa(port)))
	}
	return d
}

func (p *postfixTarget) seriesEnv(sc scenario, d netsim.ContextDialer) seriesEnv {
	cfg := p.tls.Clone()
	return seriesEnv{sc: sc, dialer: d, tls: cfg, host: p.env.Host, user: p.env.User, pass: p.env.Password, plainOnly: true}
}

func runPostfix(runs int, only string) error {
	env, err := testenv.Load()
	if err != nil {
		return err
	}
	cfg, err := env.TLSConfig()
	if err != nil {
		return err
	}
	cfg.ServerName = env.Host
	p := &postfixTarget{env: env, tls: cfg}
	header(runs, fmt.Sprintf("real Postfix + Dovecot of internal/testenv (%s, %s, netns smtpport-pf, over a veth pair), AUTH PLAIN for every contender; blocks: testenv.sh (nftables)", env.Host, env.Addr))
	var rs []result
	for _, sc := range postfixScenarios(env.Host) {
		if only != "" && !strings.Contains(sc.name, only) {
			continue
		}
		if sc.blockDrop != 0 {
			if err := p.block(sc.blockDrop, testenv.Drop); err != nil {
				return err
			}
		}
		rs = append(rs, runScenario(p, sc, 0, runs)...)
		if sc.blockDrop != 0 {
			if err := p.block(sc.blockDrop, testenv.Open); err != nil {
				return err
			}
		}
	}
	table(0, rs)
	coldWarm(rs)
	postfixTargets(rs)
	return nil
}

// block runs testenv.sh block PORT MODE.
func (p *postfixTarget) block(port int, mode string) error {
	cmd := exec.Command("bash", p.env.Script, "block", strconv.Itoa(port), mode)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("testenv.sh block %d %s: %w", port, mode, err)
	}
	return nil
}

// postfixTargets checks issue #14's targets.
func postfixTargets(rs []result) {
	fmt.Println("## Targets (issue #14)")
	fmt.Println()
	fmt.Println("| scenario | target | measured | met |")
	fmt.Println("|---|---|---|---|")
	row := func(sc, target, measured string, met bool) {
		verdict := "yes"
		if !met {
			verdict = "**no**"
		}
		fmt.Printf("| %s | %s | %s | %s |\n", sc, target, measured, verdict)
	}
	gm := "go-mail " + goMailVersion + ", cold"
	for _, sc := range []string{"Postfix 587 (STARTTLS)", "Postfix 465 (implicit TLS)"} {
		cold, warm := byName(rs, sc, nameCold), byName(rs, sc, nameWarm)
		q, o, g, res := byName(rs, sc, nameOracleQuick), byName(rs, sc, nameOracle), byName(rs, sc, gm), byName(rs, sc, nameOracleResumed)
		if cold == nil || q == nil || o == nil || warm == nil || res == nil {
			continue
		}
		ok := func(rs ...*result) bool {
			for _, r := range rs {
				if r == nil || r.ok != r.runs {
					return false
				}
			}
			return true
		}
		x := ratio(cold.median, q.median)
		row(sc, "cold time ≤ 1.25× quick-ACK oracle", fmt.Sprintf("%.2f× (%s vs %s)", x, ms(cold.median), ms(q.median)), x <= 1.25 && ok(cold, q))
		x = ratio(cold.median, o.median)
		row(sc, "cold time ≤ 0.20× plain net/smtp", fmt.Sprintf("%.2f× (%s vs %s)", x, ms(cold.median), ms(o.median)), x <= 0.20 && ok(cold, o))
		if g != nil {
			x = ratio(cold.median, g.median)
			row(sc, "cold time ≤ 0.20× go-mail", fmt.Sprintf("%.2f× (%s vs %s)", x, ms(cold.median), ms(g.median)), x <= 0.20 && ok(cold, g))
		}
		x = ratio(warm.median, res.median)
		row(sc, "warm time ≤ 1.10× resuming oracle", fmt.Sprintf("%.2f× (%s vs %s)", x, ms(warm.median), ms(res.median)), x <= 1.10 && ok(warm, res))
		if cold.resumed != 0 || warm.resumed != warm.ok {
			row(sc, "cold never resumes, warm always does", fmt.Sprintf("cold %d/%d, warm %d/%d resumed", cold.resumed, cold.ok, warm.resumed, warm.ok), false)
		}
		for _, p := range []struct {
			d, y *result
		}{{cold, q}, {warm, res}} {
			// The targets are medians; the mean, beside it, also carries the GC
			// cycles that happen to land inside a Dial.
			x = ratio(p.d.cpuMedian, p.y.cpuMedian)
			row(sc, "CPU ≤ 1.10× "+shortName(p.y.client)+" ("+shortName(p.d.client)+")",
				fmt.Sprintf("median %.2f× (%s vs %s per Dial); mean %.2f× (%s vs %s)", x, ms(p.d.cpuMedian), ms(p.y.cpuMedian),
					ratio(p.d.cpu, p.y.cpu), ms(p.d.cpu), ms(p.y.cpu)), x <= 1.10)
			x = p.d.allocs / p.y.allocs
			row(sc, "allocs ≤ 1.10× "+shortName(p.y.client)+" ("+shortName(p.d.client)+")", fmt.Sprintf("%.3f× (%.1f vs %.1f per Dial)", x, p.d.allocs, p.y.allocs), x <= 1.10)
		}
	}
	sc := "Postfix 587 blackholed (testenv drop)"
	if cold, q := byName(rs, sc, nameCold), byName(rs, sc, nameOracleQuick); cold != nil && q != nil {
		bound := defaultHeadStart + time.Duration(1.25*float64(q.median))
		row(sc, "cold ≤ 250 ms head start + 1.25× the 465 floor (quick-ACK oracle on 465)",
			fmt.Sprintf("%s ≤ %s (floor %s)", ms(cold.median), ms(bound), ms(q.median)), cold.median <= bound && cold.ok == cold.runs)
	}
	fmt.Println()
}
