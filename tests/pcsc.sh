# PC/SC helpers for the integration and e2e suites: a private pcscd with the
# vpcd driver on free ports, and virtual cards in its slots. Source it after
# tests/lib.sh:
#   . "$TOP/tests/lib.sh"; . "$TOP/tests/pcsc.sh"
#   start_pcscd                      # exports VPCD_PORT (slot 0; slot 1 is +1)
#   start_vcard IMAGE [SLOT] [ARGS]  # cardstrap-vcard in SLOT (default 0), waits for the card
#   wait_card SLOT [absent]          # waits for the card (or its absence); fails on timeout
# Only one pcscd can run per machine (/run/pcscd): run these tests one at a
# time (tests/run does); start_pcscd refuses to start a second one.

: "${B:?run through tests/run or make check}"
PCSC_WAIT=${PCSC_WAIT:-$B/tests/pcsc_wait}
PCSC_TIMEOUT=${PCSC_TIMEOUT:-10}
VPCD_DRIVER=${VPCD_DRIVER:-/usr/lib/pcsc/drivers/serial/libifdvpcd.so}
PCSCD_RUN=/run/pcscd

# True when TCP port $1 on 127.0.0.1 can be bound.
_port_free() {
	perl -MSocket -e '
		socket(my $s, PF_INET, SOCK_STREAM, 0) or exit 1;
		bind($s, pack_sockaddr_in($ARGV[0], inet_aton("127.0.0.1"))) or exit 1;
		exit 0' "$1"
}

# Reader name of a vpcd slot, as pcsc-lite names it (FRIENDLYNAME + slot).
vpcd_reader() {
	echo "Virtual PCD 00 0${1:-0}"
}

# _launch_pcscd NAME WHEN: starts pcscd on $TMP/reader.conf.d (log appended to
# $TMP/pcscd.log), sets PCSCD_PID, waits until its socket is up and it lists both
# vpcd readers; NAME and WHEN word the failures.
_launch_pcscd() {
	local name=$1 when=$2 i
	pcscd --foreground -c "$TMP/reader.conf.d" ${PCSCD_ARGS:-} >>"$TMP/pcscd.log" 2>&1 &
	PCSCD_PID=$!
	track "$PCSCD_PID"
	# ready when the pid file names our pcscd and its socket exists
	for i in $(seq 200); do
		kill -0 "$PCSCD_PID" 2>/dev/null ||
			fail "pcscd exited $when: $(tail -n 5 "$TMP/pcscd.log")"
		if [ -S "$PCSCD_RUN/pcscd.comm" ] &&
			[ "$(tr -d '\0\n' <"$PCSCD_RUN/pcscd.pid" 2>/dev/null)" = "$PCSCD_PID" ]; then
			break
		fi
		sleep 0.05
	done
	[ -S "$PCSCD_RUN/pcscd.comm" ] || fail "$name did not create $PCSCD_RUN/pcscd.comm"
	for i in 0 1; do
		"$PCSC_WAIT" -t "$PCSC_TIMEOUT" "$(vpcd_reader $i)" listed >/dev/null ||
			fail "$name did not list the vpcd reader of slot $i; log: $(tail -n 5 "$TMP/pcscd.log")"
	done
}

start_pcscd() {
	local port="" i pids
	command -v pcscd >/dev/null || skip "pcscd is not installed"
	[ -e "$VPCD_DRIVER" ] || skip "the vpcd driver is not installed ($VPCD_DRIVER)"
	[ -x "$PCSC_WAIT" ] || fail "$PCSC_WAIT is not built (make $PCSC_WAIT)"
	if pids=$(pgrep -x pcscd); then
		fail "a pcscd is already running (pid $(echo $pids)); the tests need their own:" \
			"stop it, or run the tests under 'flock /tmp/cs-team/pcscd.lock'"
	fi
	# vpcd listens on CHANNELID + slot: PORT and PORT+1 must both be free
	for i in $(seq 20); do
		port=$(free_port) || fail "no free port"
		_port_free $((port + 1)) && break
		port=""
	done
	[ -n "$port" ] || fail "no two free consecutive ports for vpcd"
	mkdir -p "$TMP/reader.conf.d"
	cat >"$TMP/reader.conf.d/vpcd" <<-EOF
		FRIENDLYNAME "Virtual PCD"
		DEVICENAME   /dev/null:$port
		LIBPATH      $VPCD_DRIVER
		CHANNELID    $port
	EOF
	_launch_pcscd "pcscd" "at start-up"
	export VPCD_PORT=$port PCSCD_PID
	note "pcscd $PCSCD_PID with vpcd on ports $port/$((port + 1))"
}

# wait_card SLOT [present|absent]: sets VPCD_READER to the reader's full name.
wait_card() {
	local slot=${1:-0} state=${2:-present}
	VPCD_READER=$("$PCSC_WAIT" -t "$PCSC_TIMEOUT" "$(vpcd_reader "$slot")" "$state") ||
		fail "card in slot $slot not $state after ${PCSC_TIMEOUT}s" \
			"$( [ -f "$TMP/vcard$slot.log" ] && tail -n 5 "$TMP/vcard$slot.log")"
}

# start_vcard IMAGE [SLOT] [cardstrap-vcard args...]: sets VCARD_PID (and VCARD_PID_<slot>);
# the card's stderr goes to $TMP/vcard<slot>.log.
start_vcard() {
	local image=$1 slot=${2:-0}
	shift
	[ $# -gt 0 ] && shift
	[ -n "${VPCD_PORT:-}" ] || fail "start_vcard: call start_pcscd first"
	[ -x "${VCARD:-}" ] || fail "cardstrap-vcard is not built (${VCARD:-VCARD not set})"
	"$VCARD" --image "$image" --port $((VPCD_PORT + slot)) "$@" \
		2>>"$TMP/vcard$slot.log" &
	VCARD_PID=$!
	track "$VCARD_PID"
	eval "VCARD_PID_$slot=$VCARD_PID"
	wait_card "$slot" present
}

# make_card EF OUT [--pin PIN] [cardstrap mkcard options]: a standard-layout
# card image around the EF bytes of a vector, built by `cardstrap mkcard`.
make_card() {
	local ef=$1 out=$2 args=()
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		--pin)
			(umask 077 && printf '%s\n' "$2" >"$TMP/.mkcard-pin")
			args+=(--pin-file "$TMP/.mkcard-pin")
			shift 2 ;;
		*) args+=("$1"); shift ;;
		esac
	done
	"$CARDSTRAP" mkcard -q --ef "$ef" -o "$out" "${args[@]}" || fail "mkcard $ef"
}

# restart_pcscd [SIGNAL]: stops the pcscd of start_pcscd by its PID (default
# SIGTERM; SIGKILL leaves its socket behind) and starts a new one with the
# same reader configuration, so that vpcd listens on the same ports again and
# running cardstrap-vcard processes reconnect. Updates PCSCD_PID.
restart_pcscd() {
	local sig=${1:-TERM} i
	[ -n "${PCSCD_PID:-}" ] && [ -d "$TMP/reader.conf.d" ] || fail "restart_pcscd: call start_pcscd first"
	kill -s "$sig" "$PCSCD_PID" 2>/dev/null
	for i in $(seq 100); do kill -0 "$PCSCD_PID" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$PCSCD_PID" 2>/dev/null && fail "pcscd $PCSCD_PID did not stop on SIG$sig"
	wait "$PCSCD_PID" 2>/dev/null
	_launch_pcscd "restarted pcscd" "at restart"
	export PCSCD_PID
	note "pcscd restarted after SIG$sig: pid $PCSCD_PID, vpcd on ports $VPCD_PORT/$((VPCD_PORT + 1))"
}
