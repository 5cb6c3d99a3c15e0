// Command bench measures smtpport.Dial side by side with the floor (hand-written
// net/smtp that already knows the working route) and with go-mail, against the
// in-process test server run in a child process, through netsim's blackholes, refusals
// and one-way latency. It prints markdown. Run from internal/bench:
//
//	go run . -runs 20 -latency 0,5,25
//	go run . -pool 2000             # messages/s: smtpport.Pool against a hand-written loop
//	go run . -postfix -runs 30      # cold and warm Dials against internal/testenv's Postfix
//	go run . -pool 2000 -postfix    # throughput against it, smtp-source as the ceiling
//
// It is a nested module so that go-mail never enters smtpport's dependencies.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/smtpport/smtpport/internal/netsim"
)

var goMailVersion = func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/wneessen/go-mail" {
				return m.Version
			}
		}
	}
	return "(unknown version)"
}()

// slowAfter: a series whose first Dial takes longer runs its other Dials concurrently
// (blackholes and timeouts cost wall time, not CPU), so the whole run stays short.
const slowAfter = 2 * time.Second

func main() {
	serveMode := flag.Bool("serve", false, "run the test server (internal: the benchmark starts itself with it)")
	servePipelining := flag.Bool("serve-pipelining", false, "with -serve: offer PIPELINING (internal)")
	pipelining := flag.String("pipelining", "both", "with -pool: the in-process server offers PIPELINING: on, off or both (two tables)")
	postfix := flag.Bool("postfix", false, "against the real Postfix of internal/testenv (run under flock /tmp/testenv.lock): cold and warm Dials, or with -pool throughput with smtp-source as the ceiling")
	runs := flag.Int("runs", 20, "Dials per client and scenario")
	latencies := flag.String("latency", "0,5,25", "one-way latencies in ms, comma separated")
	only := flag.String("scenario", "", "run only scenarios whose name contains this")
	fixed := flag.Bool("fixed-stagger", false, "also run smtpport with the head start fixed at 250 ms")
	poolMessages := flag.Int("pool", 0, "instead of Dials, measure pool throughput with this many messages per run")
	poolRounds := flag.Int("pool-runs", 3, "runs per pool throughput cell")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the benchmark process here")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the benchmark process here (every allocation sampled)")
	poolConns := flag.String("pool-conns", "1,10", "with -pool: connection counts, comma separated")
	poolOnly := flag.String("pool-only", "", "with -pool: run only the senders whose name contains this (for profiles)")
	clientFilter := flag.String("client", "", "run only contenders whose name contains this (for profiles)")
	flag.Parse()
	if *cpuProfile != "" && !*serveMode {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *memProfile != "" && !*serveMode {
		runtime.MemProfileRate = 1
		defer writeHeapProfile(*memProfile)
	}
	if *fixed {
		clients = append(clients, fixedStagger)
	}
	if *clientFilter != "" {
		clients = slices.DeleteFunc(clients, func(c client) bool { return !strings.Contains(c.name, *clientFilter) })
	}
	if *serveMode {
		if err := serve(*servePipelining); err != nil {
			fmt.Fprintln(os.Stderr, "serve:", err)
			os.Exit(1)
		}
		return
	}
	var lats []time.Duration
	for _, f := range strings.Split(*latencies, ",") {
		ms, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad -latency:", err)
			os.Exit(2)
		}
		lats = append(lats, time.Duration(ms)*time.Millisecond)
	}
	if *poolMessages > 0 {
		var conns []int
		for _, f := range strings.Split(*poolConns, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				fmt.Fprintln(os.Stderr, "bad -pool-conns:", f)
				os.Exit(2)
			}
			conns = append(conns, n)
		}
		if err := poolMode(*poolMessages, *poolRounds, conns, *poolOnly, *postfix, *pipelining); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *postfix {
		if err := runPostfix(*runs, *only); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	srv, err := startServer(false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer srv.stop()

	header(*runs, inProcessServer)
	var all []result
	for _, lat := range lats {
		var rs []result
		for _, sc := range scenarios {
			if *only != "" && !strings.Contains(sc.name, *only) {
				continue
			}
			rs = append(rs, runScenario(srv, sc, lat, *runs)...)
		}
		table(lat, rs)
		coldWarm(rs)
		all = append(all, rs...)
	}
	targets(all)
	stallTargets(all)
}

// poolMode runs the pool throughput tables: against the real Postfix, or against the
// in-process server with and/or without PIPELINING.
func poolMode(messages, rounds int, conns []int, only string, postfix bool, pipelining string) error {
	if postfix {
		tg, env, err := postfixPoolTarget()
		if err != nil {
			return err
		}
		ceil, err := smtpSourceCeiling(env)
		if err != nil {
			return err
		}
		return runPoolThroughput("real Postfix at "+env.Host+" (PIPELINING offered)", tg, messages, rounds, conns, only, ceil)
	}
	var modes []bool
	switch pipelining {
	case "on":
		modes = []bool{true}
	case "off":
		modes = []bool{false}
	case "both":
		modes = []bool{true, false}
	default:
		return fmt.Errorf("bad -pipelining %q: on, off or both", pipelining)
	}
	for _, on := range modes {
		srv, err := startServer(on)
		if err != nil {
			return err
		}
		title := "in-process server, no PIPELINING"
		if on {
			title = "in-process server offering PIPELINING"
		}
		err = runPoolThroughput(title, srv.target(), messages, rounds, conns, only, nil)
		srv.stop()
		if err != nil {
			return err
		}
	}
	return nil
}

// dialTarget is a server the Dial contenders dial: the in-process one (remote) or real
// Postfix.
type dialTarget interface {
	// scenarioDialer maps the route addresses to the server and applies sc's blocks.
	scenarioDialer(sc scenario) *netsim.Dialer
	// seriesEnv is what a contender needs to dial through d.
	seriesEnv(sc scenario, d netsim.ContextDialer) seriesEnv
}

// result is one client's figures for one scenario at one latency.
type result struct {
	sc      scenario
	latency time.Duration
	client  string
	figures
}

// runScenario measures every client on sc: one warm-up Dial each (it fills route memory
// and session caches; a slow one counts as the first sample), then the runs interleaved
// client by client so the machine's load falls on all alike.
func runScenario(srv dialTarget, sc scenario, lat time.Duration, runs int) []result {
	type state struct {
		series
		samples        []sample
		mallocs, bytes uint64
		cpu            time.Duration
		slow, skip     bool
	}
	states := make([]*state, len(clients))
	for i, c := range clients {
		d := srv.scenarioDialer(sc)
		dial := c.newSeries(srv.seriesEnv(sc, netsim.WithLatency(d, lat)))
		states[i] = &state{series: series{dial: dial, dialer: d}, skip: dial == nil}
	}
	for _, st := range states {
		if st.skip {
			continue
		}
		s, m, b := measure(st.series, sc.timeout)
		if s.elapsed > slowAfter {
			st.slow = true
			st.samples = append(st.samples, s)
			st.mallocs, st.bytes, st.cpu = m, b, s.cpu
		}
	}
	// Each round runs the contenders in a new order (the same on every run of the
	// benchmark), so that none always follows the same one: a Dial right after a 45 ms
	// stalled one pays for the idle machine waking up and the server ending that session.
	shuffle := rand.New(rand.NewPCG(1, 2))
	for range runs {
		for _, j := range shuffle.Perm(len(states)) {
			st := states[j]
			if st.skip || st.slow {
				continue
			}
			s, m, b := measure(st.series, sc.timeout)
			st.samples = append(st.samples, s)
			st.mallocs += m
			st.bytes += b
			st.cpu += s.cpu
		}
	}
	// Slow series: the remaining runs at once.
	var wg sync.WaitGroup
	for _, st := range states {
		if !st.slow {
			continue
		}
		var ms0, ms1 runtime.MemStats
		runtime.ReadMemStats(&ms0)
		cpu0 := cpuTime()
		dials0 := st.dialer.TotalDials()
		out := make([]sample, runs-1)
		for i := range out {
			wg.Go(func() { out[i] = timed(st.series, sc.timeout) })
		}
		wg.Wait()
		st.cpu += cpuTime() - cpu0
		runtime.ReadMemStats(&ms1)
		// Overlapping Dials see each other's connections: share the batch's out evenly.
		dials := st.dialer.TotalDials() - dials0
		for i := range out {
			out[i].dials = dials / len(out)
		}
		st.samples = append(st.samples, out...)
		st.mallocs += ms1.Mallocs - ms0.Mallocs
		st.bytes += ms1.TotalAlloc - ms0.TotalAlloc
	}
	var out []result
	for i, st := range states {
		r := result{sc: sc, latency: lat, client: clients[i].name}
		if st.skip {
			r.skipped = "no route memory; same as 587 blackholed"
			if sc.noGoMail {
				r.skipped = "left out: waits its own 15 s on the blackholed 587, then fails"
			}
		} else {
			r.figures = summarise(st.samples, st.mallocs, st.bytes, st.cpu)
			r.concurrent = st.slow
		}
		out = append(out, r)
	}
	return out
}

// measure is one timed Dial with the allocations made and the CPU time the process
// used (user + system, getrusage) while it ran. The server is another process.
func measure(s series, timeout time.Duration) (sample, uint64, uint64) {
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := cpuTime()
	smp := timed(s, timeout)
	smp.cpu = cpuTime() - cpu0
	runtime.ReadMemStats(&ms1)
	return smp, ms1.Mallocs - ms0.Mallocs, ms1.TotalAlloc - ms0.TotalAlloc
}

// timed is one Dial: the time to an authenticated client (or to the error), and the TCP
// connections it opened. Closing the client is not timed.
func timed(s series, timeout time.Duration) sample {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	before := s.dialer.TotalDials()
	start := time.Now()
	d, err := s.dial(ctx)
	elapsed := time.Since(start)
	resumed := false
	if err == nil {
		resumed = d.resumed
		d.close()
	}
	return sample{elapsed: elapsed, err: err, dials: s.dialer.TotalDials() - before, resumed: resumed}
}

func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer f.Close()
	runtime.GC() // the profile counts allocations up to the last completed GC
	pprof.Lookup("allocs").WriteTo(f, 0)
}
