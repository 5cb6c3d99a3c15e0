#!/usr/bin/env bash
# ci.sh — the integration tests as CI runs them (as root, on Debian 12):
# install Postfix, Dovecot and nftables from apt without prompts, bring the namespace
# environment up, run the tests with the race detector, and bring it down again, also
# when the tests fail. Exits with go test's status.
#
#   bash internal/testenv/ci.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TESTENV="$ROOT/internal/testenv/testenv.sh"
PACKAGES=(postfix dovecot-core nftables openssl iproute2)

log() { printf 'ci.sh: %s\n' "$*" >&2; }

[[ $(id -u) -eq 0 ]] || {
	log "must run as root (network namespaces, nftables, Postfix)"
	exit 1
}

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if ((${#missing[@]} == 0)); then
		log "packages already installed: ${PACKAGES[*]}"
		return 0
	fi
	log "installing ${missing[*]}"
	# Postfix asks what kind of mail system this is: none; testenv.sh writes its own config.
	debconf-set-selections <<-'EOF'
		postfix postfix/main_mailer_type select No configuration
		postfix postfix/mailname string mail.smtpport.test
	EOF
	# Keep the packages' own services from starting: only testenv.sh's instances run.
	local own_policy=0
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		own_policy=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
	if ((own_policy)); then
		rm -f /usr/sbin/policy-rc.d
	fi
}

finish() {
	local status=$?
	if ((status != 0)) && [[ -d ${SMTPPORT_TESTENV_DIR:-/run/smtpport-testenv}/log ]]; then
		log "failed ($status); last lines of the server logs:"
		tail -n 40 "${SMTPPORT_TESTENV_DIR:-/run/smtpport-testenv}"/log/*.log >&2 || true
	fi
	bash "$TESTENV" down || log "testenv down failed"
	exit "$status"
}

install_packages
trap finish EXIT
bash "$TESTENV" down # a previous run may have been interrupted
bash "$TESTENV" up
cd "$ROOT"
# -v prints the per-route time to an authenticated client (TestTimeToClientPerRoute).
go test -race -tags integration -count=1 -v ./internal/integration/...
