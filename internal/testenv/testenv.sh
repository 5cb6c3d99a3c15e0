#!/usr/bin/env bash
# testenv.sh — a real Postfix + Dovecot submission server for smtpport's integration tests,
# inside a network namespace whose ports can be blocked the way an ISP blocks them.
#
#   testenv.sh up                       namespace, veth, CA + certificate, Postfix, Dovecot
#   testenv.sh down                     stop everything by pid, remove namespace and state
#   testenv.sh block PORT drop|reject|stall|open
#                                       nftables in the namespace: drop packets to PORT
#                                       silently (the client's connect times out), reset
#                                       them (refused), stall (the handshake's SYN and SYN-ACK
#                                       pass, every other packet either way is dropped: connect
#                                       succeeds, then silence, like a tarpit or a broken
#                                       middlebox; established sessions freeze too), or let
#                                       them through again; PORT may be "all" for open
#   testenv.sh stop-postfix | start-postfix
#                                       stop or start Postfix alone (Dovecot keeps running)
#   testenv.sh status                   what is running, listening and blocked
#   testenv.sh queue                    what is in Postfix's queue and why (postqueue -p)
#   testenv.sh env                      print the KEY=VALUE file the Go tests read
#
# Every command is idempotent. Run as root. Traffic stays between this host and the
# namespace: the server never relays and the namespace has no other route.
#
# Layout (SMTPPORT_TESTENV_DIR, default /run/smtpport-testenv):
#   postfix/  main.cf master.cf vmailbox      spool/   Postfix queue (pid/master.pid)
#   dovecot/  dovecot.conf users run/ state/  mail/    Maildirs (mail/tester/new/...)
#   tls/      ca.crt server.crt server.key    log/     postfix.log dovecot.log
#   blocks/   one file per blocked port       testenv.env
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT="$HERE/$(basename "${BASH_SOURCE[0]}")"
STATE=${SMTPPORT_TESTENV_DIR:-/run/smtpport-testenv}

NS=smtpport-pf            # network namespace
VETH_HOST=sppf0           # host end of the veth pair
VETH_NS=sppf1             # namespace end
NET=10.203.45             # private /24 for the pair
HOST_IP=$NET.1
NS_IP=$NET.2
MAILHOST=mail.smtpport.test
DOMAIN=smtpport.test
TEST_USER=tester
# A second user whose password SASLprep (RFC 4013) changes: full-width digits, a no-break
# space and a soft hyphen after a random part. Dovecot stores and compares it unprepared,
# so PLAIN, LOGIN and CRAM-MD5 accept it and SCRAM-SHA-256 (which proves the prepared
# form) does not: smtpport's default choice must not pick SCRAM for it (issue 17).
INTL_USER=intl
# UTF-8 bytes, whatever the locale: "-", U+FF11 U+FF12 U+FF13, "x" between U+00A0 and U+00AD, "y".
INTL_SUFFIX=$'-\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xc2\xa0x\xc2\xady'
HOSTS_MARK="# smtpport-testenv"
NFT_TABLE=smtpport_testenv
PORTS=(25 587 465 2525)

log() { printf 'testenv: %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root"; }

need_tools() {
	local missing=()
	for t in ip nft openssl postfix postconf dovecot; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	((${#missing[@]} == 0)) || die "missing ${missing[*]}: apt-get install postfix dovecot-core nftables openssl iproute2 (see ci.sh)"
}

in_ns() { ip netns exec "$NS" "$@"; }

# ---------------------------------------------------------------- network

net_up() {
	ip netns list | grep -qw "^$NS" || ip netns add "$NS"
	if ! ip link show "$VETH_HOST" >/dev/null 2>&1; then
		ip link add "$VETH_HOST" type veth peer name "$VETH_NS"
	fi
	if ip link show "$VETH_NS" >/dev/null 2>&1; then # still on the host side
		ip link set "$VETH_NS" netns "$NS"
	fi
	ip addr replace "$HOST_IP/24" dev "$VETH_HOST"
	ip link set "$VETH_HOST" up
	in_ns ip link set lo up
	in_ns ip addr replace "$NS_IP/24" dev "$VETH_NS"
	in_ns ip link set "$VETH_NS" up
	hosts_up
	nft_apply
}

net_down() {
	if ip netns list | grep -qw "^$NS"; then
		ip netns del "$NS" # takes the veth pair with it
	fi
	if ip link show "$VETH_HOST" >/dev/null 2>&1; then
		ip link del "$VETH_HOST"
	fi
	hosts_down
}

hosts_up() {
	local line="$NS_IP $MAILHOST $HOSTS_MARK"
	grep -qxF "$line" /etc/hosts && return 0
	hosts_down
	printf '%s\n' "$line" >>/etc/hosts
}

# /etc/hosts may be a bind mount: rewrite it in place instead of replacing the file.
hosts_down() {
	grep -qF "$HOSTS_MARK" /etc/hosts || return 0
	local kept
	kept=$(grep -vF "$HOSTS_MARK" /etc/hosts || true)
	printf '%s\n' "$kept" >/etc/hosts
}

# nft_apply replaces the namespace's table with the rules of every blocked port, atomically.
# A stalled port needs an output rule as well: the server's replies, FINs and resets to an
# established session must vanish too, or the client would see the session end.
nft_apply() {
	local rules="" out="" f port mode
	if [[ -d $STATE/blocks ]]; then
		for f in "$STATE"/blocks/*; do
			[[ -e $f ]] || continue
			port=$(basename "$f")
			mode=$(<"$f")
			case $mode in
			drop) rules+="    tcp dport $port drop"$'\n' ;;
			reject) rules+="    tcp dport $port reject with tcp reset"$'\n' ;;
			stall)
				rules+="    tcp dport $port tcp flags & syn == 0 drop"$'\n'
				out+="    tcp sport $port tcp flags & syn == 0 drop"$'\n'
				;;
			esac
		done
	fi
	in_ns nft -f - <<EOF
table inet $NFT_TABLE
delete table inet $NFT_TABLE
table inet $NFT_TABLE {
  chain input {
    type filter hook input priority 0; policy accept;
$rules  }
  chain output {
    type filter hook output priority 0; policy accept;
$out  }
}
EOF
}

cmd_block() {
	local port=${1:-} mode=${2:-}
	[[ $port =~ ^([0-9]+|all)$ ]] || die "usage: block PORT|all drop|reject|stall|open"
	case $mode in drop | reject | stall | open) ;; *) die "usage: block PORT drop|reject|stall|open" ;; esac
	ip netns list | grep -qw "^$NS" || die "environment is not up (run: $0 up)"
	mkdir -p "$STATE/blocks"
	if [[ $port == all ]]; then
		[[ $mode == open ]] || die "block all: only 'open' (unblock every port)"
		rm -f "$STATE"/blocks/*
	elif [[ $mode == open ]]; then
		rm -f "$STATE/blocks/$port"
	else
		printf '%s\n' "$mode" >"$STATE/blocks/$port"
	fi
	nft_apply
	log "port $port: $mode"
}

# ---------------------------------------------------------------- files

render() { # template destination
	sed -e "s|@STATE@|$STATE|g" -e "s|@NS_IP@|$NS_IP|g" \
		-e "s|@MAILHOST@|$MAILHOST|g" -e "s|@DOMAIN@|$DOMAIN|g" "$1" >"$2"
}

files_up() {
	mkdir -p "$STATE"/{postfix,spool,data,mail,tls,log,blocks,dovecot/run,dovecot/state}
	chmod 755 "$STATE"
	chown postfix:postfix "$STATE/data"
	chown 65534:65534 "$STATE/mail"
	chmod 755 "$STATE/log"

	if [[ ! -s $STATE/tls/server.crt ]]; then
		make_certs
	fi

	render "$HERE/templates/main.cf" "$STATE/postfix/main.cf"
	render "$HERE/templates/master.cf" "$STATE/postfix/master.cf"
	render "$HERE/templates/dovecot.conf" "$STATE/dovecot/dovecot.conf"
	printf '%s@%s %s/\n' "$TEST_USER" "$DOMAIN" "$TEST_USER" "$INTL_USER" "$DOMAIN" "$INTL_USER" >"$STATE/postfix/vmailbox"

	if [[ ! -s $STATE/password ]]; then
		(umask 077 && openssl rand -hex 12 >"$STATE/password")
	fi
	if [[ ! -s $STATE/password-intl ]]; then
		(umask 077 && printf '%s%s' "$(openssl rand -hex 8)" "$INTL_SUFFIX" >"$STATE/password-intl")
	fi
	local password intl_password
	password=$(<"$STATE/password")
	intl_password=$(<"$STATE/password-intl")
	(umask 027 && printf '%s@%s:{PLAIN}%s\n' "$TEST_USER" "$DOMAIN" "$password" \
		"$INTL_USER" "$DOMAIN" "$intl_password" >"$STATE/dovecot/users")
	chgrp dovecot "$STATE/dovecot/users"

	cat >"$STATE/testenv.env.tmp" <<EOF
SMTPPORT_TESTENV_HOST=$MAILHOST
SMTPPORT_TESTENV_ADDR=$NS_IP
SMTPPORT_TESTENV_DOMAIN=$DOMAIN
SMTPPORT_TESTENV_CA=$STATE/tls/ca.crt
SMTPPORT_TESTENV_MAILDIR=$STATE/mail/$TEST_USER
SMTPPORT_TESTENV_USER=$TEST_USER@$DOMAIN
SMTPPORT_TESTENV_PASSWORD=$password
SMTPPORT_TESTENV_INTL_USER=$INTL_USER@$DOMAIN
SMTPPORT_TESTENV_INTL_PASSWORD=$intl_password
SMTPPORT_TESTENV_POSTFIX_LOG=$STATE/log/postfix.log
SMTPPORT_TESTENV_DOVECOT_LOG=$STATE/log/dovecot.log
SMTPPORT_TESTENV_SCRIPT=$SCRIPT
EOF
	mv "$STATE/testenv.env.tmp" "$STATE/testenv.env"
}

# make_certs: a throwaway CA and a server certificate for $MAILHOST signed by it.
make_certs() {
	local d=$STATE/tls
	(
		umask 077
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/ca.key" -out "$d/ca.crt" -days 30 \
			-subj "/CN=smtpport test CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=$MAILHOST" 2>/dev/null
		printf '%s\n' "subjectAltName=DNS:$MAILHOST" "basicConstraints=critical,CA:FALSE" \
			"keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$d/server.ext"
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
			-CAcreateserial -days 30 -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
	)
	chmod 644 "$d/ca.crt" "$d/server.crt"
	rm -f "$d/server.csr" "$d/server.ext"
}

# ---------------------------------------------------------------- processes

postfix_pidfile() { echo "$STATE/spool/pid/master.pid"; }
dovecot_pidfile() { echo "$STATE/dovecot/run/master.pid"; }

# alive PIDFILE: prints the pid and succeeds when the file names a live process.
alive() {
	local pid
	[[ -s $1 ]] || return 1
	pid=$(tr -dc 0-9 <"$1")
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

# stop_pid NAME PID: SIGTERM, wait up to 10 s, then SIGKILL.
stop_pid() {
	local name=$1 pid=$2 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || {
			log "$name (pid $pid) stopped"
			return 0
		}
		sleep 0.1
	done
	log "$name (pid $pid) ignored SIGTERM; killing"
	kill -KILL "$pid" 2>/dev/null || true
}

postfix_start() {
	local pid
	if pid=$(alive "$(postfix_pidfile)"); then
		log "postfix already running (pid $pid)"
		return 0
	fi
	# The daemons must not inherit our stdout/stderr: a caller reading them through a
	# pipe would wait for as long as the daemons live.
	# postsuper(1), run by "postfix start", checks the queue as mail_owner and, postlogd
	# not running yet, writes its warnings (a cleanup temp file left by a stop in the
	# middle of a message: "bogus file name") to maillog_file itself. Unless mail_owner
	# may append to it, that warning is fatal and Postfix stays down.
	touch "$STATE/log/postfix.log"
	chown postfix "$STATE/log/postfix.log"
	# "postfix start" returns once master(8) has opened its listeners (master -w).
	if ! in_ns postfix -c "$STATE/postfix" start </dev/null >>"$STATE/log/start.log" 2>&1; then
		tail -n 20 "$STATE/log/start.log" >&2
		die "postfix did not start; see $STATE/log/postfix.log"
	fi
	pid=$(alive "$(postfix_pidfile)") || die "postfix did not start; see $STATE/log/postfix.log"
	wait_ports || die "postfix is running but not listening on ${PORTS[*]}"
	log "postfix started (pid $pid)"
}

postfix_stop() {
	local pid
	if pid=$(alive "$(postfix_pidfile)"); then
		# master(8) stops its children on SIGTERM; the rest are swept by pid in down.
		stop_pid postfix "$pid"
	fi
	rm -f "$(postfix_pidfile)"
}

dovecot_start() {
	local pid i
	if pid=$(alive "$(dovecot_pidfile)"); then
		log "dovecot already running (pid $pid)"
		return 0
	fi
	if ! in_ns dovecot -c "$STATE/dovecot/dovecot.conf" </dev/null >>"$STATE/log/start.log" 2>&1; then
		tail -n 20 "$STATE/log/start.log" >&2
		die "dovecot did not start; see $STATE/log/dovecot.log"
	fi
	for ((i = 0; i < 100; i++)); do
		if pid=$(alive "$(dovecot_pidfile)") && [[ -S $STATE/spool/private/auth ]]; then
			log "dovecot started (pid $pid)"
			return 0
		fi
		sleep 0.1
	done
	die "dovecot did not start; see $STATE/log/dovecot.log"
}

dovecot_stop() {
	local pid
	if pid=$(alive "$(dovecot_pidfile)"); then
		stop_pid dovecot "$pid"
	fi
}

# sweep_ns stops, by pid, anything still running in the namespace (children that outlived
# their master, e.g. after a SIGKILL).
sweep_ns() {
	ip netns list | grep -qw "^$NS" || return 0
	local pid
	for pid in $(ip netns pids "$NS" 2>/dev/null); do
		stop_pid "leftover $(cat "/proc/$pid/comm" 2>/dev/null || echo process)" "$pid"
	done
}

wait_ports() {
	local i p ok
	for ((i = 0; i < 100; i++)); do
		ok=1
		for p in "${PORTS[@]}"; do
			in_ns ss -Hltn "sport = :$p" | grep -q LISTEN || ok=0
		done
		((ok)) && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- commands

cmd_up() {
	need_root
	need_tools
	files_up
	net_up
	postfix_start
	dovecot_start
	log "up: $MAILHOST ($NS_IP) ports ${PORTS[*]}; env in $STATE/testenv.env"
}

cmd_down() {
	need_root
	postfix_stop
	dovecot_stop
	sweep_ns
	net_down
	remove_state
	log "down"
}

# remove_state deletes what files_up and the daemons created, by name, then the directory
# if nothing else is in it: SMTPPORT_TESTENV_DIR may point somewhere shared.
remove_state() {
	[[ -d $STATE ]] || return 0
	local f
	for f in postfix spool data mail tls log blocks dovecot password password-intl testenv.env testenv.env.tmp; do
		rm -rf "${STATE:?}/$f"
	done
	rmdir "$STATE" 2>/dev/null || log "kept $STATE: it holds files testenv.sh did not make"
}

cmd_status() {
	local pid
	if ip netns list | grep -qw "^$NS"; then
		echo "namespace $NS: up ($NS_IP $MAILHOST)"
	else
		echo "namespace $NS: down"
		return 0
	fi
	if pid=$(alive "$(postfix_pidfile)"); then echo "postfix: running (pid $pid)"; else echo "postfix: stopped"; fi
	if pid=$(alive "$(dovecot_pidfile)"); then echo "dovecot: running (pid $pid)"; else echo "dovecot: stopped"; fi
	echo "blocked ports:"
	local f found=0
	for f in "$STATE"/blocks/*; do
		[[ -e $f ]] || continue
		echo "  $(basename "$f") $(<"$f")"
		found=1
	done
	((found)) || echo "  none"
	echo "listening:"
	in_ns ss -Hltn | awk '{print "  " $4}'
	echo "nftables:"
	in_ns nft list table inet "$NFT_TABLE" | sed 's/^/  /'
}

usage() {
	awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$SCRIPT"
	exit 2
}

main() {
	local cmd=${1:-}
	shift || true
	case $cmd in
	up) cmd_up ;;
	down) cmd_down ;;
	block)
		need_root
		cmd_block "$@"
		;;
	stop-postfix)
		need_root
		postfix_stop
		;;
	start-postfix)
		need_root
		ip netns list | grep -qw "^$NS" || die "environment is not up (run: $0 up)"
		postfix_start
		;;
	status) cmd_status ;;
	queue) in_ns postqueue -c "$STATE/postfix" -p ;;
	env) cat "$STATE/testenv.env" ;;
	*) usage ;;
	esac
}

main "$@"
