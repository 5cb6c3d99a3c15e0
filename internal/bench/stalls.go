package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/smtpport/smtpport/internal/netsim"
	"github.com/smtpport/smtpport/internal/smtptest"
	"github.com/smtpport/smtpport/negotiate"
)

// Stalled 587 (issue #12): 587 accepts the connection, then stops answering at some
// point of the opening. The server process listens for each stall on a port of its own
// and the scenario's dialer sends 587 there, so every other port stays healthy.

// stallTimeout is the context each Dial gets in the stall scenarios.
const stallTimeout = 5 * time.Second

// stallEndpoints are the stalled 587s, by the pseudo route port they are served on.
var stallEndpoints = []smtptest.Endpoint{
	{Port: 10587, Security: negotiate.STARTTLS, Script: []smtptest.Step{{Hang: true}}},
	{Port: 11587, Security: negotiate.STARTTLS, Script: []smtptest.Step{smtptest.Greet(), {Expect: "EHLO", Hang: true}}},
	{Port: 12587, Security: negotiate.STARTTLS, Script: []smtptest.Step{
		smtptest.Greet(), smtptest.EHLO("PIPELINING", "STARTTLS"), {Expect: "STARTTLS", Hang: true},
	}},
	{Port: 13587, Security: negotiate.STARTTLS, Script: []smtptest.Step{
		smtptest.Greet(), smtptest.EHLO("PIPELINING", "STARTTLS"),
		{Expect: "STARTTLS", Send: smtptest.Reply(220, "2.0.0 Ready to start TLS")},
		{ReadAny: true, Hang: true}, // takes the ClientHello, never answers it
	}},
	{Port: 14587, Security: negotiate.ImplicitTLS}, // waits for a ClientHello; never greets in plain text
}

// stallPort maps each stall scenario to the endpoint its 587 is sent to.
var stallPort = map[string]int{
	"587 stall: accept, then silent":    10587,
	"587 stall: greets, silent at EHLO": 11587,
	"587 stall: silent at STARTTLS":     12587,
	"587 stall: silent mid-TLS":         13587,
	"587 stall: implicit TLS on 587":    14587,
}

func init() {
	endpoints = append(endpoints, stallEndpoints...)
	for _, ep := range stallEndpoints {
		for name, port := range stallPort {
			if port == ep.Port {
				scenarios = append(scenarios, scenario{name: name, oracle: route465, timeout: stallTimeout})
			}
		}
	}
}

// scenarioDialer is remote.dialer for sc, with 587 sent to the stalled endpoint when sc
// is a stall scenario.
func (r *remote) scenarioDialer(sc scenario) *netsim.Dialer {
	d := r.dialer(sc.block)
	if port, ok := stallPort[sc.name]; ok {
		d.Map(routeAddr(587), r.info.Addrs[port])
	}
	return d
}

// stallTargets checks issue #12's goal per stall scenario and latency: smtpport reaches a
// client no later than the oracle on 465 plus the default head start plus 1 s, with
// go-mail's figure beside it.
func stallTargets(all []result) {
	var rows []string
	for i := range all {
		d := &all[i]
		if _, ok := stallPort[d.sc.name]; !ok || d.client != nameWarm {
			continue
		}
		o, g := stallPeer(all, d, "oracle ("), stallPeer(all, d, "go-mail")
		if o == nil {
			continue
		}
		bound := o.median + defaultHeadStart + time.Second
		met := d.ok == d.runs && d.p90 <= bound
		verdict := "yes"
		if !met {
			verdict = "**no**"
		}
		gm := "–"
		if g != nil {
			gm = fmt.Sprintf("%d/%d ok, median %s", g.ok, g.runs, ms(g.median))
			if g.ok == 0 {
				gm = "failed after " + ms(g.median)
			}
		}
		rows = append(rows, fmt.Sprintf("| %d ms | %s | %d/%d ok, median %s, p90 %s | %s | %s | %s |",
			d.latency.Milliseconds(), strings.TrimPrefix(d.sc.name, "587 stall: "), d.ok, d.runs, ms(d.median), ms(d.p90), ms(bound), gm, verdict))
	}
	if len(rows) == 0 {
		return
	}
	fmt.Println("## Stalled 587 target: smtpport p90 ≤ oracle(465) median + 250 ms head start + 1 s")
	fmt.Println()
	fmt.Println("| latency | stall | smtpport.Dial | bound | go-mail | met |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Println(r)
	}
	fmt.Println()
}

func stallPeer(all []result, d *result, client string) *result {
	for i := range all {
		if all[i].latency == d.latency && all[i].sc.name == d.sc.name && strings.HasPrefix(all[i].client, client) {
			return &all[i]
		}
	}
	return nil
}
