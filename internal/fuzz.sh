#!/bin/sh
# fuzz.sh runs every go test -fuzz target in the module, one after the other, each for
# a bounded time (FUZZTIME, default 10s). The targets cover every function that reads
# server bytes before handoff (the STARTTLS tap, the EHLO reply tracker, capability
# parsing, safetext.Clean, the whole pre-handoff handshake) and the layer after handoff
# that finds the end of a message. A failing input is written to
# the package's testdata/fuzz directory; commit it, and plain go test replays it.
#
#   internal/fuzz.sh            # from anywhere in the repository
#   FUZZTIME=2m internal/fuzz.sh
set -eu
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
for pkg in $(go list ./...); do
	for target in $(go test "$pkg" -run '^$' -list '^Fuzz' | grep '^Fuzz' || true); do
		echo "fuzz: $pkg $target ($fuzztime)"
		# A short minimisation budget: the default (60 s per new input) would eat
		# a short run whole.
		go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s
	done
done
