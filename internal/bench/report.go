package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// inProcessServer describes the in-process server for the header.
const inProcessServer = "internal/smtptest in a child process (TLS 1.3, ECDSA P-256, PLAIN); latency: internal/netsim, one way, each direction"

func header(runs int, server string) {
	fmt.Printf("# smtpport benchmark\n\n")
	fmt.Printf("- command: `cd internal/bench && go run . %s`\n", strings.Join(os.Args[1:], " "))
	fmt.Printf("- date: %s\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Printf("- machine: %s, %d CPUs, GOMAXPROCS %d, %s %s/%s, load average %s\n",
		cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH, loadAverage())
	fmt.Printf("- server: %s\n", server)
	fmt.Printf("- %d Dials per cell after one warm-up Dial; time = start of Dial to authenticated client; cells whose first Dial took over %s ran their other Dials concurrently (marked ‖)\n\n", runs, slowAfter)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// table prints one latency's results and fills in the ratios.
func table(lat time.Duration, rs []result) {
	fmt.Printf("## %d ms one way (RTT %d ms)\n\n", lat.Milliseconds(), 2*lat.Milliseconds())
	fmt.Println("| scenario | client | ok | median | p90 | × oracle | × RTT floor | TCP conns/Dial | resumed | CPU/Dial | allocs/Dial | bytes/Dial | × oracle allocs |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for i := range rs {
		r := &rs[i]
		if r.skipped != "" {
			fmt.Printf("| %s | %s | – | – | – | – | – | – | – | – | – | – | – (%s) |\n", r.sc.name, r.client, r.skipped)
			continue
		}
		o := oracleOf(rs, r.sc.name)
		if o != nil && o.median > 0 {
			r.oracleRatio = float64(r.median) / float64(o.median)
			r.allocRatio = r.allocs / o.allocs
		}
		floor := "–"
		if lat > 0 && r.sc.works() && r.ok == r.runs {
			route := r.sc.oracle
			rtt := 2 * lat
			r.floorRatio = float64(r.median) / float64(time.Duration(roundTrips(route.Security))*rtt)
			floor = fmt.Sprintf("%.2f", r.floorRatio)
		}
		conc := ""
		if r.concurrent {
			conc = " ‖"
		}
		ok := fmt.Sprintf("%d/%d", r.ok, r.runs)
		if r.firstErr != "" {
			ok += fmt.Sprintf(" (%s)", shorten(r.firstErr))
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %.2f | %s | %.1f | %d/%d | %s | %.0f | %.0f | %.2f |\n",
			r.sc.name, r.client, ok, ms(r.median)+conc, ms(r.p90), r.oracleRatio, floor, r.conns, r.resumed, r.ok, ms(r.cpu), r.allocs, r.bytes, r.allocRatio)
	}
	fmt.Println()
	if lat > 0 {
		fmt.Println("Allocation figures at this latency include netsim's latency pumps; read them from the 0 ms table.")
		fmt.Println()
	}
}

func oracleOf(rs []result, scenario string) *result {
	return byName(rs, scenario, nameOracle)
}

// byName finds one client's result for one scenario.
func byName(rs []result, scenario, client string) *result {
	for i := range rs {
		if rs[i].sc.name == scenario && rs[i].client == client {
			return &rs[i]
		}
	}
	return nil
}

// likeForLike pairs each smtpport row with the oracle that does the same TLS work: cold
// (full handshake) with the quick-ACK oracle, since smtpport quick-ACKs too, and with the
// plain oracle and go-mail, which do not; warm (resumed) with the resuming oracles.
var likeForLike = []struct{ client, yardstick string }{
	{nameCold, nameOracleQuick},
	{nameCold, nameOracle},
	{nameCold, "go-mail " + goMailVersion + ", cold"},
	{nameWarm, nameOracleResumed},
	{nameWarm, nameOracleBoth},
}

// coldWarm prints, per scenario that has the rows, time, CPU and allocations of each
// smtpport row over its like-for-like yardstick.
func coldWarm(rs []result) {
	var scs []string
	for _, r := range rs {
		if !slices.Contains(scs, r.sc.name) {
			scs = append(scs, r.sc.name)
		}
	}
	fmt.Println("Cold beside cold, warm beside warm (ratios are smtpport over the yardstick; medians for time, means for CPU and allocations):")
	fmt.Println()
	fmt.Println("| scenario | smtpport | yardstick | time | × time | CPU/Dial | × CPU | allocs/Dial | × allocs |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, sc := range scs {
		for _, p := range likeForLike {
			d, y := byName(rs, sc, p.client), byName(rs, sc, p.yardstick)
			if d == nil || y == nil || d.skipped != "" || y.skipped != "" || y.median == 0 {
				continue
			}
			fmt.Printf("| %s | %s | %s | %s vs %s | %.2f | %s vs %s | %.2f | %.0f vs %.0f | %.3f |\n",
				sc, shortName(d.client)+failed(d), shortName(y.client)+failed(y), ms(d.median), ms(y.median), ratio(d.median, y.median),
				ms(d.cpu), ms(y.cpu), ratio(d.cpu, y.cpu), d.allocs, y.allocs, d.allocs/y.allocs)
		}
	}
	fmt.Println()
}

// failed marks a row some of whose Dials failed.
func failed(r *result) string {
	if r.ok == r.runs {
		return ""
	}
	return fmt.Sprintf(" (**%d/%d ok**)", r.ok, r.runs)
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// shortName is a contender's name up to its first parenthesis or comma detail.
func shortName(s string) string {
	if i := strings.Index(s, " ("); i > 0 {
		if j := strings.Index(s[i:], ")"); j > 0 {
			return s[:i] + s[i+j+1:]
		}
	}
	return s
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func shorten(s string) string {
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 90 {
		s = s[:90] + "…"
	}
	return s
}

// targets prints each target next to its measured figure.
func targets(all []result) {
	fmt.Println("## Targets")
	fmt.Println()
	fmt.Println("| latency | target | measured | met |")
	fmt.Println("|---|---|---|---|")
	find := func(lat time.Duration, prefix, client string) *result {
		for i := range all {
			if all[i].latency == lat && strings.HasPrefix(all[i].sc.name, prefix) && strings.HasPrefix(all[i].client, client) {
				return &all[i]
			}
		}
		return nil
	}
	row := func(lat time.Duration, target, measured string, met bool) {
		verdict := "yes"
		if !met {
			verdict = "**no**"
		}
		fmt.Printf("| %d ms | %s | %s | %s |\n", lat.Milliseconds(), target, measured, verdict)
	}
	seen := map[time.Duration]bool{}
	for _, r := range all {
		if seen[r.latency] {
			continue
		}
		seen[r.latency] = true
		lat := r.latency
		if d, o := find(lat, "all healthy", "smtpport"), find(lat, "all healthy", "oracle ("); d != nil && o != nil {
			row(lat, "healthy: time ≤ 1.05× oracle", fmt.Sprintf("%.3f× (%s vs %s)", d.oracleRatio, ms(d.median), ms(o.median)), d.oracleRatio <= 1.05)
			if lat == 0 {
				row(lat, "healthy: allocs ≤ 1.25× oracle", fmt.Sprintf("%.2f× (%.0f vs %.0f allocs; %.0f vs %.0f B)", d.allocRatio, d.allocs, o.allocs, d.bytes, o.bytes), d.allocRatio <= 1.25)
			}
			if lat > 0 {
				row(lat, "healthy: Dial / RTT floor (7 × RTT)", fmt.Sprintf("%.2f× (%s vs %s)", d.floorRatio, ms(d.median), ms(7*2*lat)), true)
			}
		}
		if d, o := find(lat, "587 blackholed", "smtpport"), find(lat, "587 blackholed", "oracle ("); d != nil && o != nil {
			bound := time.Duration(float64(o.median+defaultHeadStart) * 1.10)
			row(lat, "587 blackholed: ≤ (oracle 465 + 250 ms stagger) × 1.10", fmt.Sprintf("%s ≤ %s", ms(d.median), ms(bound)), d.median <= bound && d.ok == d.runs)
		}
		if d := find(lat, "all blackholed", "smtpport"); d != nil {
			over, overP90 := d.median-allBlackholed, d.p90-allBlackholed
			row(lat, "all blackholed: returns within 100 ms of the 3 s deadline", fmt.Sprintf("median +%s, p90 +%s", ms(over), ms(overP90)), over >= 0 && overP90 <= 100*time.Millisecond)
		}
		if d, o := find(lat, "2nd Dial", "smtpport"), find(lat, "2nd Dial", "oracle ("); d != nil && o != nil {
			row(lat, "remembered route: exactly 1 connection", fmt.Sprintf("%.1f per Dial (max %d)", d.conns, d.maxConns), d.maxConns == 1 && d.conns == 1)
			row(lat, "remembered route: time ≤ 1.05× oracle", fmt.Sprintf("%.3f× (%s vs %s)", d.oracleRatio, ms(d.median), ms(o.median)), d.oracleRatio <= 1.05)
		}
	}
	fmt.Println()
}
