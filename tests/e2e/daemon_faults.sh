#!/usr/bin/env bash
# `cardstrap daemon` and faulty cards. Card A is applied first. Then card B,
# whose data would change what is served, is inserted with faults
# (cardstrap-vcard): the card vanishing at the READ RECORD of EF.DIR, the
# SELECT of the application, the READ BINARY of the DODF and of the EF, the
# closing MANAGE CHANNEL; a flipped first byte in the answers carrying the
# FCP of EF ODF and of the EF and in the answer to MANAGE CHANNEL close; a
# byte of the EF's data flipped in transit, in the first or in the second of
# the two reads the daemon makes of the EF (they must agree).
# None of them changes what the daemon serves (A's data: a client bootstraps
# and registers with A's lifetime), its applied fingerprint, or runs
# restart_client; the daemon keeps running. A card whose EF holds other bytes
# (the same on both reads) is other data: here it is invalid, so the daemon
# stops serving A's data (Core TS §5.2.3.2: changed card data disables the
# old), still without applying anything; re-inserting A brings it back.
# With scp03_keys (SIGHUP reload) the same flip, a wrong R-MAC and a drop
# inside the secure channel are read errors and change nothing. Finally a
# good card B is applied: one restart, the client registers with B's data.
# Needs pcscd: run under `flock /tmp/cs-team/pcscd.lock` next to other pcscd users.
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"
. "$TOP/tests/e2e/inject.bash"

READER="Virtual PCD 00 00"
EP=e2e-faults

count() {  # FILE TEXT: lines of FILE holding TEXT
	local n
	n=$(grep -cF -- "$2" "$1" 2>/dev/null) || true
	echo "${n:-0}"
}

wait_count() {  # FILE TEXT N [SECONDS]
	local f=$1 t=$2 want=$3 i n=$((${4:-15} * 20))
	for ((i = 0; i < n; i++)); do
		[ "$(count "$f" "$t")" -ge "$want" ] && return 0
		sleep 0.05
	done
	fail "expected $want lines with '$t' in $f after ${4:-15} s, got $(count "$f" "$t"): $(tail -n 20 "$f")"
}

fingerprint() { { printf '%s' "$1"; cat "$2"; } | sha256sum | cut -d' ' -f1; }

sport=$(free_port) && bport=$(free_port) || fail "no free port"
start_testserver reg --listen "127.0.0.1:$sport"
KEYS=$TMP/scp03.keys
(umask 077 && cat >"$KEYS") <<-EOF
	kvn=30
	enc=404142434445464748494A4B4C4D4E4F
	mac=505152535455565758595A5B5C5D5E5F
EOF
iccidA=89999000000000000015
iccidB=89999000000000000023
profile cardA "$(server_account 0 101 "$sport" 300)"
profile cardB "$(server_account 0 102 "$sport" 600)"
make_card "$TMP/cardA.ef" "$TMP/A.img" --iccid "$iccidA" --scp03-keys "$KEYS"
make_card "$TMP/cardB.ef" "$TMP/B.img" --iccid "$iccidB" --scp03-keys "$KEYS"
fpA=$(fingerprint "$iccidA" "$TMP/cardA.ef")
fpB=$(fingerprint "$iccidB" "$TMP/cardB.ef")

cat >"$TMP/restart.sh" <<EOF
#!/bin/sh
echo "\$*" >>"$TMP/restarts"
"$CLIENT" --endpoint "\$2" --state "$TMP/client.json" --factory --bs "\$1" \
	--exit-after-register --timeout 20 >>"$TMP/client.log" 2>&1 &
echo \$! >>"$TMP/client.pids"
EOF
chmod 755 "$TMP/restart.sh"
: >"$TMP/restarts"

write_config() {  # extra [card] lines
	cat >"$TMP/daemon.conf" <<-EOF
		[card]
		reader = $READER
		on_removal = keep
		$1

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
write_config ""

start_pcscd
"$CARDSTRAP" daemon --foreground --config "$TMP/daemon.conf" 2>"$TMP/daemon.err" &
dpid=$!
track "$dpid"
LOG=$TMP/daemon.err
wait_for "$LOG" "watching reader '$READER'"

# the daemon serves A: a client of EP bootstraps and registers with A's lifetime
served() {  # lifetime expected
	local n
	n=$(count "$TMP/reg.out" "register ep=$EP lt=$1 ")
	run timeout 30 "$CLIENT" --endpoint "$EP" --state "$TMP/probe.json" --factory \
		--bs "coap://127.0.0.1:$bport" --exit-after-register --timeout 20
	expect_rc 0 "a client bootstraps from the daemon: $err"
	wait_count "$TMP/reg.out" "register ep=$EP lt=$1 " $((n + 1))
}

unchanged() {  # what
	kill -0 "$dpid" 2>/dev/null || fail "$1: the daemon died: $(tail -n 5 "$LOG")"
	expect_eq "$(cat "$TMP/state/applied")" "$fpA" "$1: applied fingerprint"
	expect_eq "$(count "$TMP/restarts" coap://)" 1 "$1: restart_client runs"
	expect_eq "$(count "$LOG" "ICCID $iccidB,")" 0 "$1: card B taken as read"
}

remove_card() {
	if kill -0 "$VCARD_PID" 2>/dev/null; then
		kill "$VCARD_PID"
	fi
	wait "$VCARD_PID" 2>/dev/null
	wait_card 0 absent
}

# faulty FAULT WHAT: card B inserted with cardstrap-vcard's FAULT: the daemon logs a read
# error naming WHAT, B is removed again, and nothing changed
faulty() {
	local fault=$1 what=$2 n0
	n0=$(count "$LOG" "cannot read the card in '$READER': ")
	# shellcheck disable=SC2086
	start_vcard "$TMP/B.img" 0 $fault
	wait_count "$LOG" "cannot read the card in '$READER': " $((n0 + 1))
	tail -n +"$(grep -nF "cannot read the card in '$READER': " "$LOG" | sed -n "$((n0 + 1))p" | cut -d: -f1)" \
		"$LOG" | grep -qF -- "$what" || fail "card B with $fault: no read error naming '$what': $(tail -n 5 "$LOG")"
	failed=$((failed + 1))
	removed=$((removed + 1))
	remove_card
	wait_count "$LOG" "daemon: card removed from '$READER'" $removed
	unchanged "card B with $fault"
}

note "card A is inserted and applied"
start_vcard "$TMP/A.img" 0
wait_for "$LOG" "fingerprint ${fpA:0:8}… applied; recorded in $TMP/state/applied"
wait_for "$TMP/reg.out" "register ep=$EP lt=300 "
removed=1
remove_card
wait_count "$LOG" "daemon: card removed from '$READER': keeping its data" $removed

# FAULT WHAT: 2 READ RECORD of EF.DIR, 5 SELECT AID, 9 READ BINARY of the DODF,
# 11 and 12 READ BINARY of the EF (read twice), 13 MANAGE CHANNEL close;
# answers 6 and 10 are FCPs
failed=0
for spec in "--drop-after 2|READ RECORD" "--drop-after 5|SELECT" "--drop-after 9|READ BINARY" \
	"--drop-after 11|READ BINARY" "--drop-after 12|READ BINARY" \
	"--drop-after 13|MANAGE CHANNEL" \
	"--corrupt-apdu 6|malformed FCP" "--corrupt-apdu 10|malformed FCP" \
	"--corrupt-apdu 11|read twice gave different bytes" \
	"--corrupt-apdu 12|read twice gave different bytes" \
	"--corrupt-apdu 13|6F00 on MANAGE CHANNEL close"; do
	IFS='|' read -r fault what <<<"$spec"
	note "card B with $fault"
	faulty "$fault" "$what"
done
served 300

note "card B holding other EF bytes (invalid), no secure channel"
start_vcard "$TMP/B.img" 0 --corrupt 0
wait_for "$LOG" "card in '$READER' (ICCID $iccidB): EF LwM2M_Bootstrap is malformed: "
wait_for "$LOG" "the data read from '$READER' before is no longer served"
unchanged "card B with a flipped EF byte"
run timeout 20 "$CLIENT" --endpoint "$EP" --state "$TMP/c503.json" --factory \
	--bs "coap://127.0.0.1:$bport" --bs-retries 0 "${FAST[@]}" --timeout 10
expect_rc 4 "Bootstrap-Request while nothing is served"
expect_in err "bootstrap-request rejected: 5.03"
removed=$((removed + 1))
remove_card
wait_count "$LOG" "daemon: card removed from '$READER'" $removed
note "A again: recognised, served, nothing re-applied"
start_vcard "$TMP/A.img" 0
wait_count "$LOG" "its data was applied before; nothing to do" 1
unchanged "A again"
served 300

note "with scp03_keys: flips, a wrong R-MAC and a drop inside the secure channel"
write_config "scp03_keys = $KEYS"
kill -HUP "$dpid"
wait_for "$LOG" "configuration reloaded"
removed=$((removed + 1))
remove_card
wait_count "$LOG" "daemon: card removed from '$READER'" $removed
# wrapped: 11 READ BINARY of the DODF, 13 of the EF; R-MAC 6 = the EF's data
for spec in "--corrupt-apdu 13|response MAC mismatch" "--tamper-rmac 6|response MAC mismatch" \
	"--corrupt-apdu 11|response MAC mismatch" "--drop-after 13|READ BINARY"; do
	IFS='|' read -r fault what <<<"$spec"
	note "card B over SCP03 with $fault"
	faulty "$fault" "$what"
done
served 300

note "a good card B over SCP03: applied, one restart, the client registers with B's data"
start_vcard "$TMP/B.img" 0
wait_for "$LOG" "card inserted in '$READER': ICCID $iccidB, 1 server account, fingerprint ${fpB:0:8}…, read over SCP03"
wait_for "$LOG" "fingerprint ${fpB:0:8}… applied; recorded"
expect_eq "$(cat "$TMP/state/applied")" "$fpB" "applied fingerprint of the good card B"
expect_eq "$(count "$TMP/restarts" coap://)" 2 "restart_client runs"
wait_for "$TMP/reg.out" "register ep=$EP lt=600 "
while read -r pid; do track "$pid"; done <"$TMP/client.pids"
[ "$(count "$LOG" "cannot read the card in '$READER': ")" -ge "$failed" ] || fail "read errors logged"

kill -TERM "$dpid"
wait "$dpid"
expect_eq "$?" 0 "daemon exit code after SIGTERM"
note "$failed faulty insertions and 1 card with other (invalid) EF bytes; no read error changed what was served"
echo ok
