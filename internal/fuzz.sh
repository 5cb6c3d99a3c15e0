#!/bin/sh
# fuzz.sh runs every go test -fuzz target in the module, one after the other, each for
# a bounded number of inputs (FUZZTIME, default 100000x). The targets cover every
# function that reads server bytes before handoff (the STARTTLS tap, the EHLO reply
# tracker, capability parsing, safetext.Clean, the whole pre-handoff handshake) and the
# layer after handoff that finds the end of a message. A failing input is written to
# the package's testdata/fuzz directory; commit it, and plain go test replays it.
#
# The budgets are counts, not durations: with a duration, Go 1.26's fuzz coordinator can
# fail a target with a bare "context deadline exceeded" at the deadline on a loaded
# machine, having found nothing (golang/go#75804, fixed in Go 1.27).
#
#   internal/fuzz.sh               # from anywhere in the repository
#   FUZZTIME=5000000x internal/fuzz.sh
set -eu
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-100000x}
for pkg in $(go list ./...); do
	for target in $(go test "$pkg" -run '^$' -list '^Fuzz' | grep '^Fuzz' || true); do
		echo "fuzz: $pkg $target ($fuzztime)"
		# A short minimisation budget, a count too: the default (60 s per new input)
		# would eat a short run whole.
		go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 10000x
	done
done
