#!/usr/bin/env bash
# `cardstrap daemon` on pcscd + cardstrap-vcard + the LwM2M test peers, run in
# the foreground with a temporary config and state_dir. restart_client starts
# a fresh testclient (factory bootstrap, pointed at {uri}) that registers at
# the testserver the card names. Checks, in order:
#  - started before pcscd: waits for its socket (inotify), then for a card;
#  - card inserted: one restart, one bootstrap, one registration; state_dir
#    0700 and `applied` holds SHA-256(ICCID || EF) and nothing else;
#  - the same card again (removed and inserted): nothing re-applied;
#  - a different card (PIN-protected, read with pin_file): applied anew;
#  - SIGHUP: on_removal = forget without restarting the Bootstrap-Server;
#    card removed: a Bootstrap-Request gets 5.03;
#  - the card's process gone and back: read again and served again;
#  - pcscd killed and restarted on the same ports: logged once, recovered,
#    the next card change is applied;
#  - a card with invalid data replacing a kept card: its first error logged,
#    the kept data no longer served (5.03);
#  - idle: no CPU ticks in 5 s (VmRSS printed);
#  - SIGTERM while a peer leaves a session hanging: cancelled, exit 0 within 2 s.
# Needs pcscd: run under `flock /tmp/cs-team/pcscd.lock` next to other pcscd users.
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"
. "$TOP/tests/e2e/inject.bash"

READER="Virtual PCD 00 00"
EP=e2e-daemon

# count FILE TEXT: lines of FILE holding TEXT.
count() {
	local n
	n=$(grep -cF -- "$2" "$1" 2>/dev/null) || true
	echo "${n:-0}"
}

# wait_count FILE TEXT N [SECONDS]: waits until N lines of FILE hold TEXT.
wait_count() {
	local f=$1 t=$2 want=$3 i n=$((${4:-15} * 20))
	for ((i = 0; i < n; i++)); do
		[ "$(count "$f" "$t")" -ge "$want" ] && return 0
		sleep 0.05
	done
	fail "expected $want lines with '$t' in $f after ${4:-15} s, got $(count "$f" "$t"): $(tail -n 20 "$f")"
}

# The clients restart_client started, tracked so that they are stopped at the end.
clients_tracked=0
track_clients() {
	local pid n=0
	[ -f "$TMP/client.pids" ] || return 0
	while read -r pid; do
		n=$((n + 1))
		[ "$n" -gt "$clients_tracked" ] && track "$pid"
	done <"$TMP/client.pids"
	clients_tracked=$n
}

# The SHA-256 over the ICCID digits and the EF bytes, as the daemon computes it.
fingerprint() {  # iccid ef-file
	{ printf '%s' "$1"; cat "$2"; } | sha256sum | cut -d' ' -f1
}

ticks() {  # utime + stime of a process, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

sport=$(free_port) && bport=$(free_port) || fail "no free port"
start_testserver reg --listen "127.0.0.1:$sport"

note "three cards: plain, PIN-protected bootstrap object, invalid data"
iccid1=89999000000000000015
iccid2=89999000000000000023
profile card1 "$(server_account 0 101 "$sport")"
profile card2 "$(server_account 0 102 "$sport" 600)"
make_card "$TMP/card1.ef" "$TMP/card1.img" --iccid "$iccid1"
make_card "$TMP/card2.ef" "$TMP/card2.img" --iccid "$iccid2" --pin 4321 --private
iccid3=89999000000000000031
make_card "$VECTORS/ef-invalid-two-bs.hex" "$TMP/card3.img" --iccid "$iccid3"
fp1=$(fingerprint "$iccid1" "$TMP/card1.ef")
fp2=$(fingerprint "$iccid2" "$TMP/card2.ef")
[ "$fp1" != "$fp2" ] || fail "the two cards have the same fingerprint"
cp "$TMP/card1.img" "$TMP/card.img"
printf '4321\n' >"$TMP/pin"
chmod 600 "$TMP/pin"

# restart_client: a fresh factory-bootstrap client pointed at the daemon
cat >"$TMP/restart.sh" <<EOF
#!/bin/sh
echo "\$*" >>"$TMP/restarts"
"$CLIENT" --endpoint "\$2" --state "$TMP/client.json" --factory --bs "\$1" \
	--exit-after-register --timeout 20 >>"$TMP/client.log" 2>&1 &
echo \$! >>"$TMP/client.pids"
EOF
chmod 755 "$TMP/restart.sh"

write_config() {  # on_removal
	cat >"$TMP/daemon.conf" <<-EOF
		# e2e test configuration
		[card]
		reader = $READER
		pin_file = pin
		on_removal = $1

		[server]
		listen = 127.0.0.1:$bport
		endpoint = $EP

		[client]
		restart_client = $TMP/restart.sh {uri} {endpoint}

		[daemon]
		state_dir = state
		log_level = debug
	EOF
}
write_config keep
run "$CARDSTRAP" daemon --check-config "$TMP/daemon.conf"
expect_rc 0 "--check-config"
expect_in out "restart_client = $TMP/restart.sh {uri} {endpoint}"
expect_in out "state_dir = $TMP/state"

note "the daemon starts before pcscd, and waits for it"
if pids=$(pgrep -x pcscd); then
	fail "a pcscd is already running (pid $(echo $pids)); run under 'flock /tmp/cs-team/pcscd.lock'"
fi
"$CARDSTRAP" daemon --foreground --config "$TMP/daemon.conf" 2>"$TMP/daemon.err" &
dpid=$!
track "$dpid"
LOG=$TMP/daemon.err
wait_for "$LOG" "pcscd is not running; waiting for it"
start_pcscd
wait_for "$LOG" "pcscd is back"
wait_for "$LOG" "watching reader '$READER'"
wait_for "$LOG" "Bootstrap-Server on coap://127.0.0.1:$bport for ep=$EP"
expect_eq "$(stat -c %a "$TMP/state")" 700 "state_dir mode"

note "card inserted: one restart, one bootstrap, one registration"
start_vcard "$TMP/card.img" 0
wait_for "$LOG" "card inserted in '$READER': ICCID $iccid1, 1 server account, fingerprint ${fp1:0:8}"
wait_for "$LOG" "running restart_client: $TMP/restart.sh coap://127.0.0.1:$bport $EP"
wait_for "$LOG" "fingerprint ${fp1:0:8}… applied; recorded in $TMP/state/applied"
track_clients
expect_match "$(cat "$LOG")" "bootstrap of ep=$EP from 127\.0\.0\.1:[0-9]+ succeeded: 2 writes, Finish 2\.04 \([0-9]+ ms\)"
wait_for "$TMP/reg.out" "register ep=$EP lt=300 b=U"
expect_eq "$(cat "$TMP/state/applied")" "$fp1" "applied fingerprint"
expect_eq "$(stat -c %a "$TMP/state/applied")" 600 "applied file mode"
expect_eq "$(ls -A "$TMP/state")" applied "state_dir contents"
expect_eq "$(count "$TMP/restarts" coap://)" 1 "restarts"
expect_eq "$(count "$TMP/reg.out" "register ep=$EP")" 1 "registrations"

note "the same card removed and inserted again: nothing re-applied"
kill -USR1 "$VCARD_PID"
wait_for "$LOG" "card removed from '$READER': keeping its data (on_removal = keep)"
kill -USR2 "$VCARD_PID"
wait_count "$LOG" "its data was applied before; nothing to do" 1
expect_eq "$(count "$LOG" "card inserted in '$READER'")" 2 "card reads"
expect_eq "$(count "$TMP/restarts" coap://)" 1 "restarts after the same card"
expect_eq "$(count "$LOG" "bootstrap of ep=")" 1 "bootstraps after the same card"
expect_eq "$(count "$TMP/reg.out" "register ep=$EP")" 1 "registrations after the same card"

note "a different card (PIN from pin_file): applied anew"
kill -USR1 "$VCARD_PID"
wait_count "$LOG" "card removed from '$READER'" 2
cp "$TMP/card2.img" "$TMP/card.img"
kill -HUP "$VCARD_PID"
wait_for "$TMP/vcard0.log" "reloaded"
kill -USR2 "$VCARD_PID"
wait_for "$LOG" "card inserted in '$READER': ICCID $iccid2, 1 server account, fingerprint ${fp2:0:8}"
wait_for "$LOG" "fingerprint ${fp2:0:8}… applied; recorded"
track_clients
wait_for "$TMP/reg.out" "register ep=$EP lt=600 b=U"
expect_eq "$(cat "$TMP/state/applied")" "$fp2" "applied fingerprint of the second card"
expect_eq "$(count "$TMP/restarts" coap://)" 2 "restarts after the card change"
expect_eq "$(count "$LOG" "succeeded: 2 writes")" 2 "bootstraps after the card change"
# the reset that ends a transaction with a VERIFY is no card change: one read only
expect_eq "$(count "$LOG" "reading the card in '$READER'")" 3 "card reads after the PIN card"
expect_not_in "$(cat "$LOG")" "4321"

note "SIGHUP: on_removal = forget, the Bootstrap-Server keeps running"
write_config forget
kill -HUP "$dpid"
wait_for "$LOG" "configuration reloaded"
expect_not_in "$(cat "$LOG")" "Bootstrap-Server restarted"
kill -USR1 "$VCARD_PID"
wait_for "$LOG" "card removed from '$READER': forgetting its data"
run timeout 20 "$CLIENT" --endpoint "$EP" --state "$TMP/c503.json" --factory \
	--bs "coap://127.0.0.1:$bport" --bs-retries 0 "${FAST[@]}" --timeout 10
expect_rc 4 "Bootstrap-Request without data"
expect_in err "bootstrap-request rejected: 5.03"
wait_for "$LOG" "Bootstrap-Request refused with 5.03 Service Unavailable"

note "the card's process gone and back: read again and served"
kill -USR2 "$VCARD_PID"
wait_count "$LOG" "its data was applied before; nothing to do" 2
kill "$VCARD_PID"
wait "$VCARD_PID" 2>/dev/null
wait_count "$LOG" "card removed from '$READER': forgetting its data" 2
start_vcard "$TMP/card.img" 0
wait_count "$LOG" "its data was applied before; nothing to do" 3
run timeout 30 "$CLIENT" --endpoint "$EP" --state "$TMP/c-again.json" --factory \
	--bs "coap://127.0.0.1:$bport" --exit-after-register --timeout 20
expect_rc 0 "a client bootstraps from the card read again"
expect_eq "$(count "$TMP/restarts" coap://)" 2 "restarts after the card came back"

note "pcscd killed and restarted: logged once, recovered"
restart_pcscd KILL
wait_for "$LOG" "pcscd is not running; waiting for it"
wait_for "$LOG" "pcscd is back" 20
wait_count "$LOG" "its data was applied before; nothing to do" 4 20
expect_eq "$(count "$LOG" "pcscd is not running")" 2 "pcscd-down lines (one per outage)"
note "... and the next card change is applied"
kill -USR1 "$VCARD_PID"
wait_count "$LOG" "card removed from '$READER': forgetting its data" 3
cp "$TMP/card1.img" "$TMP/card.img"
kill -HUP "$VCARD_PID"
wait_count "$TMP/vcard0.log" "reloaded" 2
kill -USR2 "$VCARD_PID"
wait_count "$LOG" "fingerprint ${fp1:0:8}… applied; recorded" 2
track_clients
expect_eq "$(cat "$TMP/state/applied")" "$fp1" "applied fingerprint after pcscd came back"
expect_eq "$(count "$TMP/restarts" coap://)" 3 "restarts after pcscd came back"
wait_count "$TMP/reg.out" "register ep=$EP lt=300 b=U" 2
# the last client has registered and exits: nothing is left to do
while read -r pid; do
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
done <"$TMP/client.pids"

note "a card with invalid data (on_removal = keep again): nothing is served any more"
write_config keep
kill -HUP "$dpid"
wait_count "$LOG" "configuration reloaded" 2
kill -USR1 "$VCARD_PID"
wait_count "$LOG" "card removed from '$READER': keeping its data" 3
cp "$TMP/card3.img" "$TMP/card.img"
kill -HUP "$VCARD_PID"
wait_count "$TMP/vcard0.log" "reloaded" 3
kill -USR2 "$VCARD_PID"
wait_for "$LOG" "card in '$READER' (ICCID $iccid3): invalid bootstrap data: error: "
expect_match "$(cat "$LOG")" "invalid bootstrap data: error: [^;]+; nothing from it is served"
wait_for "$LOG" "the data read from '$READER' before is no longer served"
run timeout 20 "$CLIENT" --endpoint "$EP" --state "$TMP/c-invalid.json" --factory \
	--bs "coap://127.0.0.1:$bport" --bs-retries 0 "${FAST[@]}" --timeout 10
expect_rc 4 "Bootstrap-Request after an invalid card"
expect_in err "bootstrap-request rejected: 5.03"
expect_eq "$(count "$TMP/restarts" coap://)" 3 "restarts after the invalid card"
expect_eq "$(cat "$TMP/state/applied")" "$fp1" "applied fingerprint after the invalid card"

note "idle: no CPU time in 5 s"
t1=$(ticks "$dpid")
sleep 5
t2=$(ticks "$dpid")
note "daemon $(grep VmRSS "/proc/$dpid/status" | tr -s ' \t' ' '); CPU ticks $t1 -> $t2 while idle"
expect_eq "$t2" "$t1" "CPU ticks while idle"

note "SIGTERM during a session: it is cancelled, exit 0 within 2 s"
removed=$(count "$LOG" "card removed from '$READER'")
kill -USR1 "$VCARD_PID"
wait_count "$LOG" "card removed from '$READER'" $((removed + 1))
cp "$TMP/card1.img" "$TMP/card.img"
kill -HUP "$VCARD_PID"
wait_count "$TMP/vcard0.log" "reloaded" 4
kill -USR2 "$VCARD_PID"
wait_count "$LOG" "its data was applied before; nothing to do" 5
# a peer that sends POST /bs?ep=... (CON, no token) and then answers nothing
perl -MSocket -e '
	socket(my $s, PF_INET, SOCK_DGRAM, 0) or die "socket: $!";
	my $q = "ep=$ARGV[1]";
	my $msg = pack("CCn", 0x40, 0x02, 0x4711) . pack("C", 0xB2) . "bs" .
		pack("CC", 0x4D, length($q) - 13) . $q;
	send($s, $msg, 0, pack_sockaddr_in($ARGV[0], inet_aton("127.0.0.1"))) or die "send: $!";
	$| = 1;
	while (defined(recv($s, my $buf, 2048, 0))) { printf "received %d bytes\n", length $buf }
	' "$bport" "$EP" >"$TMP/stall.out" 2>&1 &
track $!
wait_count "$TMP/stall.out" "received" 2
wait_for "$LOG" "Bootstrap-Request of ep=$EP from 127.0.0.1:"

start=$(date +%s%N)
kill -TERM "$dpid"
wait "$dpid"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "$rc" 0 "exit code after SIGTERM"
[ "$ms" -lt 2000 ] || fail "the daemon took $ms ms to stop"
note "stopped in $ms ms"
expect_in "$(cat "$LOG")" "SIGTERM: stopping"
expect_match "$(cat "$LOG")" "bootstrap of ep=$EP from 127\.0\.0\.1:[0-9]+ cancelled: "
expect_eq "$(tail -n 1 "$LOG")" "cardstrap daemon: stopped" "last log line"
# the invalid card is the only error
expect_eq "$(count "$LOG" "cardstrap daemon: error:")" 1 "error lines"
echo ok
