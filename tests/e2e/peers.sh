#!/usr/bin/env bash
# The LwM2M test peers on their own (no cardstrap): testclient registers at
# testserver (plain and DTLS-PSK), de-registers on SIGTERM, gives up as
# "purged" without any usable account, and fails in bounded time when its
# Bootstrap-Server does not answer.
. "$TOP/tests/lib.sh"

CLIENT=$B/tests/testclient
SERVER=$B/tests/testserver
[ -x "$CLIENT" ] && [ -x "$SERVER" ] || skip "testclient/testserver not built (make build/tests/testclient build/tests/testserver)"

# Fast CoAP retransmission so that unanswered requests fail within seconds.
FAST=(--max-retransmit 1 --ack-timeout 1)

start_server() {  # name, testserver args...
	local name=$1
	shift
	"$SERVER" --pidfile "$TMP/$name.pid" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	track $!
	for _ in $(seq 50); do
		[ -s "$TMP/$name.pid" ] && return 0
		kill -0 "$!" 2>/dev/null || fail "testserver $name exited: $(cat "$TMP/$name.err")"
		sleep 0.1
	done
	fail "testserver $name did not start"
}

wait_line() {  # file, text: waits up to 5 s for a line containing text
	for _ in $(seq 50); do
		grep -qF -- "$2" "$1" && return 0
		sleep 0.1
	done
	fail "no '$2' in $1: $(cat "$1")"
}

port=$(free_port) || fail "no free port"
start_server plain --listen "127.0.0.1:$port"

note "factory server account: the client registers with ep, lt and b"
run timeout 30 "$CLIENT" --endpoint peers-ep1 --server "coap://127.0.0.1:$port" --ssid 101 \
	--lifetime 300 --binding U --exit-after-register --timeout 20
expect_rc 0 "register with a factory server account"
expect_in out "registered coap://127.0.0.1:$port ep=peers-ep1 location=/rd/1"
expect_in err "registered coap://127.0.0.1:$port ep=peers-ep1 location=/rd/1"
wait_line "$TMP/plain.out" "register ep=peers-ep1 lt=300 b=U lwm2m=1.1 location=/rd/1"

note "a second client gets the next location; SIGTERM de-registers it"
"$CLIENT" --endpoint peers-ep2 --server "coap://127.0.0.1:$port" --ssid 7 --lifetime 60 \
	--state "$TMP/ep2.json" >"$TMP/ep2.out" 2>"$TMP/ep2.err" &
cpid=$!
track $cpid
wait_line "$TMP/ep2.out" "registered coap://127.0.0.1:$port ep=peers-ep2 location=/rd/2"
wait_line "$TMP/plain.out" "register ep=peers-ep2 lt=60 b=U lwm2m=1.1 location=/rd/2"
kill -TERM $cpid
wait $cpid
rc=$?
out=$(cat "$TMP/ep2.out") err=$(cat "$TMP/ep2.err")
expect_rc 0 "registered client stopped by SIGTERM"
wait_line "$TMP/plain.out" "deregister ep=peers-ep2 location=/rd/2"
# the state file is written only after a successful bootstrap, never from factory data
[ ! -e "$TMP/ep2.json" ] || fail "state file written without a bootstrap"

note "only a dead server account, no Bootstrap-Server account: purged, exit 2"
dead=$(free_port) || fail "no free port"
t0=$(date +%s)
run timeout 60 "$CLIENT" --endpoint peers-ep3 --server "coap://127.0.0.1:$dead" --ssid 5 \
	"${FAST[@]}" --timeout 30
expect_rc 2 "client without a reachable server or BS account"
expect_in err "register coap://127.0.0.1:$dead failed"
expect_in err "no Bootstrap-Server account and no reachable server: cannot bootstrap (purged)"
expect_not_in out "registered"
[ $(($(date +%s) - t0)) -le 15 ] || fail "purged client took $(($(date +%s) - t0)) s"

note "no accounts at all: purged, exit 2"
run timeout 30 "$CLIENT" --endpoint peers-ep4 --timeout 10
expect_rc 2 "client without accounts"
expect_in err "cannot bootstrap (purged)"

note "Bootstrap-Server account pointing at nothing: 3 attempts, then exit 4"
t0=$(date +%s)
run timeout 60 "$CLIENT" --endpoint peers-ep5 --bs "coap://127.0.0.1:$dead" --hold-off 1 \
	--bs-retries 2 "${FAST[@]}" --timeout 30
expect_rc 4 "client whose Bootstrap-Server does not answer"
expect_in err "Client Initiated Bootstrap with /0/0 after 1 s hold-off"
expect_in err "Bootstrap-Server unreachable after 3 attempts"
n=$(printf '%s\n' "$err" | grep -c "bootstrap-request coap://127.0.0.1:$dead ep=peers-ep5")
expect_eq "$n" 3 "Bootstrap-Request attempts"
[ $(($(date +%s) - t0)) -le 20 ] || fail "unreachable BS took $(($(date +%s) - t0)) s"

note "dead server plus dead Bootstrap-Server: registration fails first, then bootstrap"
run timeout 60 "$CLIENT" --endpoint peers-ep6 --server "coap://127.0.0.1:$dead" --ssid 9 \
	--bs "coap://127.0.0.1:$dead" --bs-retries 0 "${FAST[@]}" --timeout 30
expect_rc 4 "dead server and dead BS"
expect_in err "registration failed with every server: Client Initiated Bootstrap"

note "--timeout bounds a long hold-off: exit 3"
run timeout 30 "$CLIENT" --endpoint peers-ep7 --bs "coap://127.0.0.1:$dead" --hold-off 600 \
	--timeout 2
expect_rc 3 "hold-off longer than --timeout"
expect_in err "timeout: not registered after 2 s"

note "DTLS-PSK: right identity and key register, a wrong identity fails the handshake"
printf '00112233445566778899aabbccddeeff\n' >"$TMP/psk.hex"
printf 'not-the-right-key' >"$TMP/wrong.key"
dport=$(free_port) || fail "no free port"
start_server dtls --listen-dtls "127.0.0.1:$dport" --psk-identity peers-psk \
	--psk-key-file "$TMP/psk.hex"
run timeout 30 "$CLIENT" --endpoint peers-ep8 --server "coaps://127.0.0.1:$dport" --ssid 11 \
	--server-psk-identity peers-psk --server-psk-key-file "$TMP/psk.hex" \
	--exit-after-register --timeout 20
expect_rc 0 "register over DTLS-PSK"
expect_in out "registered coaps://127.0.0.1:$dport ep=peers-ep8 location=/rd/1"
wait_line "$TMP/dtls.out" "register ep=peers-ep8 lt=86400 b=U lwm2m=1.1 location=/rd/1"
expect_not_in "$err" "00112233"
run timeout 30 "$CLIENT" --endpoint peers-ep9 --server "coaps://127.0.0.1:$dport" --ssid 11 \
	--server-psk-identity intruder --server-psk-key-file "$TMP/wrong.key" "${FAST[@]}" \
	--timeout 20
expect_rc 2 "wrong PSK identity"
expect_in err "register coaps://127.0.0.1:$dport failed: DTLS handshake failed"
expect_not_in "$(cat "$TMP/dtls.out")" "peers-ep9"

note "usage errors exit 1"
run "$CLIENT" --endpoint x --server "coap://127.0.0.1:$port"
expect_rc 1 "--server without --ssid"
run "$CLIENT" --endpoint x --bs "coaps://127.0.0.1:$port"
expect_rc 1 "coaps:// BS without PSK"
run "$SERVER" --listen-dtls "127.0.0.1:$dport"
expect_rc 1 "testserver --listen-dtls without PSK"
echo "ok"
