#!/usr/bin/env bash
# `cardstrap push`: server-initiated bootstrap to a running client that holds
# cardstrap (127.0.0.1:BPORT) as its Bootstrap-Server account. The commands
# must leave from exactly BPORT: the client refuses them from anywhere else.
# Over DTLS (the account is coaps://127.0.0.1:DPORT) the client takes the
# handshake only with its account's PSK identity.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/inject.bash"

sport=$(free_port) && bport=$(free_port) && cport=$(free_port) && other=$(free_port) &&
	dead=$(free_port) && dport=$(free_port) || fail "no free port"
start_testserver reg --listen "127.0.0.1:$sport"
profile card "$(server_account 0 202 "$sport" 120)"

note "a registered client that accepts pushes from its BS account 127.0.0.1:$bport"
bg client 60 "$CLIENT" --endpoint e2e-push --server "coap://127.0.0.1:$sport" --ssid 5 \
	--bs "coap://127.0.0.1:$bport" --accept-push --listen "127.0.0.1:$cport" \
	--state "$TMP/client.json" --timeout 50
client_pid=$bgpid
wait_for "$TMP/reg.out" "register ep=e2e-push lt=86400 b=U lwm2m=1.1 location=/rd/1"

note "push from another port: the client refuses, push exits 70 naming the request"
run timeout 20 "$CARDSTRAP" push --file "$TMP/card.ef" --client "coap://127.0.0.1:$cport" \
	--listen "127.0.0.1:$other" --endpoint e2e-push
expect_rc 70 "push from a port that is not the client's BS account"
expect_in err "GET / failed: 4.01 Unauthorized"
wait_for "$TMP/client.err" "not the Bootstrap-Server account's address (4.01)"

note "push from the BS port: Discover, Delete, writes, Finish; the client registers anew"
run timeout 20 "$CARDSTRAP" push --file "$TMP/card.ef" --client "coap://127.0.0.1:$cport" \
	--listen "127.0.0.1:$bport" --endpoint e2e-push --json
expect_rc 0 "push"
expect_eq "$(json_field "$out" ok)" true "push report ok"
expect_eq "$(json_field "$out" push)" true "push flag"
expect_eq "$(json_field "$out" peer)" "127.0.0.1:$cport" "push peer"
expect_eq "$(json_field "$out" deleted)" '["/0/0","/1"]' "deleted the old server account"
expect_in err "session 1: ep=e2e-push to 127.0.0.1:$cport (push): ok"
wait_for "$TMP/client.err" "bootstrap commands from 127.0.0.1:$bport without Bootstrap-Request (push)"
wait_for "$TMP/client.err" "finish 2.04"
wait_for "$TMP/reg.out" "register ep=e2e-push lt=120 b=U lwm2m=1.1 location=/rd/2"
sec=$(state_security "$TMP/client.json")
expect_eq "$sec" "/0/0 server coap://127.0.0.1:$sport 202
/0/1 bs coap://127.0.0.1:$bport -" "client Security instances after the push"
kill -TERM "$client_pid"
finish "$client_pid" client

note "push of a card with its own Bootstrap-Server account (handover): one BS account remains"
newbs=$(free_port) || fail "no free port"
profile withbs "$(bs_account 1 "coap://127.0.0.1:$newbs"),$(server_account 0 303 "$sport" 120)"
bg client2 60 "$CLIENT" --endpoint e2e-push2 --server "coap://127.0.0.1:$sport" --ssid 5 \
	--bs "coap://127.0.0.1:$bport" --accept-push --listen "127.0.0.1:$cport" \
	--state "$TMP/client2.json" --timeout 50
client2_pid=$bgpid
wait_for "$TMP/reg.out" "register ep=e2e-push2 lt=86400"
run timeout 20 "$CARDSTRAP" push --file "$TMP/withbs.ef" --client "coap://127.0.0.1:$cport" \
	--listen "127.0.0.1:$bport" --endpoint e2e-push2
expect_rc 0 "push with handover"
wait_for "$TMP/client2.err" "finish 2.04"
wait_for "$TMP/reg.out" "register ep=e2e-push2 lt=120"
expect_eq "$(state_security "$TMP/client2.json")" "/0/0 server coap://127.0.0.1:$sport 303
/0/1 bs coap://127.0.0.1:$newbs -" "the card's BS account took over the client's"
kill -TERM "$client2_pid"
finish "$client2_pid" client2

note "push over DTLS to a client whose BS account is coaps://127.0.0.1:$dport"
key=9d1e6a5ff00d9d1e6a5ff00d9d1e6a5f
(umask 077 && printf '%s\n' "$key" >"$TMP/psk.key")
bg client3 60 "$CLIENT" --endpoint e2e-push3 --server "coap://127.0.0.1:$sport" --ssid 5 \
	--bs "coaps://127.0.0.1:$dport" --bs-psk-identity e2e-bs-id --bs-psk-key-file "$TMP/psk.key" \
	--accept-push --listen "127.0.0.1:$cport" --state "$TMP/client3.json" --timeout 50
client3_pid=$bgpid
wait_for "$TMP/reg.out" "register ep=e2e-push3 lt=86400"
run timeout 20 "$CARDSTRAP" push --file "$TMP/card.ef" --client "coaps://127.0.0.1:$cport" \
	--listen "127.0.0.1:$bport" --dtls-listen "127.0.0.1:$dport" --psk-identity intruder \
	--psk-key-file "$TMP/psk.key" --endpoint e2e-push3 --timeout 5
expect_rc 74 "DTLS push with another identity"
expect_in err "FAILED: the DTLS handshake failed: the client refused this PSK identity or key"
wait_for "$TMP/client3.err" "DTLS handshake from 127.0.0.1:$dport: not the Bootstrap-Server account's identity"
[ ! -e "$TMP/client3.json" ] || fail "a refused DTLS push changed the client's state"
run timeout 20 "$CARDSTRAP" push --file "$TMP/card.ef" --client "coaps://127.0.0.1:$cport" \
	--listen "127.0.0.1:$bport" --dtls-listen "127.0.0.1:$dport" --psk-identity e2e-bs-id \
	--psk-key-file "$TMP/psk.key" --endpoint e2e-push3 --json
expect_rc 0 "push over DTLS"
expect_eq "$(json_field "$out" peer)" "127.0.0.1:$cport" "DTLS push peer"
expect_in err "session 1: ep=e2e-push3 to 127.0.0.1:$cport (DTLS) (push): ok"
wait_for "$TMP/client3.err" "finish 2.04"
wait_for "$TMP/reg.out" "register ep=e2e-push3 lt=120"
expect_eq "$(state_security "$TMP/client3.json")" "/0/0 server coap://127.0.0.1:$sport 202
/0/1 bs coaps://127.0.0.1:$dport -" "the client's coaps:// BS account is kept"
expect_not_in "$out$err" "$key"
kill -TERM "$client3_pid"
finish "$client3_pid" client3

note "push to a port where nothing listens: no session, exit 74 or 75"
run timeout 20 "$CARDSTRAP" push --file "$TMP/card.ef" --client "coap://127.0.0.1:$dead" \
	--listen "127.0.0.1:$bport" --timeout 3
[ "$rc" -eq 74 ] || [ "$rc" -eq 75 ] || fail "push to nothing: exit $rc; $err"
expect_in err "GET /"

note "usage"
run "$CARDSTRAP" push --file "$TMP/card.ef"
expect_rc 64 "push without --client"
run "$CARDSTRAP" push --file "$TMP/card.ef" --client "http://127.0.0.1:$cport" --listen "127.0.0.1:$bport"
expect_rc 64 "push to http://"
echo ok
