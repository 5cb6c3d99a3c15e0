package main

import (
	"math"
	"slices"
	"time"
)

// sample is one Dial.
type sample struct {
	elapsed time.Duration
	err     error
	dials   int
	resumed bool          // the client's TLS session was resumed
	cpu     time.Duration // process CPU (user + system) during the Dial and its Close
}

// figures summarise one series.
type figures struct {
	runs, ok    int
	median, p90 time.Duration
	conns       float64 // TCP connections opened per Dial
	maxConns    int
	allocs      float64       // per Dial
	bytes       float64       // per Dial
	cpu         time.Duration // mean CPU per Dial
	cpuMedian   time.Duration // median CPU per Dial (0 when the Dials overlapped)
	resumed     int           // Dials whose TLS session was resumed
	concurrent  bool          // runs overlapped (slow series)
	firstErr    string
	skipped     string
	floorRatio  float64 // median / (round trips x RTT), when the scenario works and latency > 0
	oracleRatio float64 // median / oracle median
	allocRatio  float64 // allocs / oracle allocs
}

func summarise(samples []sample, mallocs, bytes uint64, cpu time.Duration) figures {
	f := figures{runs: len(samples)}
	times := make([]time.Duration, len(samples))
	total := 0
	for i, s := range samples {
		times[i] = s.elapsed
		total += s.dials
		f.maxConns = max(f.maxConns, s.dials)
		if s.resumed {
			f.resumed++
		}
		if s.err == nil {
			f.ok++
		} else if f.firstErr == "" {
			f.firstErr = s.err.Error()
		}
	}
	slices.Sort(times)
	f.median = quantile(times, 0.5)
	f.p90 = quantile(times, 0.9)
	n := float64(len(samples))
	f.conns = float64(total) / n
	f.allocs = float64(mallocs) / n
	f.bytes = float64(bytes) / n
	f.cpu = time.Duration(float64(cpu) / n)
	cpus := make([]time.Duration, 0, len(samples))
	for _, s := range samples {
		if s.cpu > 0 {
			cpus = append(cpus, s.cpu)
		}
	}
	if len(cpus) == len(samples) {
		slices.Sort(cpus)
		f.cpuMedian = quantile(cpus, 0.5)
	}
	return f
}

// quantile is the nearest-rank quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
