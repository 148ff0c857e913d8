#!/usr/bin/env bash
# The client says no. (e) a write answered 4.00: the session stops there, no
# Finish, exit 70, and the message names the request, the code and the
# client's diagnostic. (f) 4.06 on Bootstrap-Finish: exit 70 with the
# inconsistency message. Both through `recover` (and `serve --once` for e).
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/inject.bash"

sport=$(free_port) && bport=$(free_port) || fail "no free port"
start_testserver reg --listen "127.0.0.1:$sport"
profile card "$(server_account 0 101 "$sport")"

# the restart command: a client in the background, its pid in a file the test tracks
restart() {  # name, extra client options
	printf '%s' "timeout 60 $CLIENT --endpoint {endpoint} --bs {uri} --bs-retries 0 $2 \
		>$TMP/$1.out 2>$TMP/$1.err & echo \$! >$TMP/$1.pid"
}
track_client() {
	[ -s "$TMP/$1.pid" ] || fail "no pid file for $1"
	track "$(cat "$TMP/$1.pid")"
}

note "(e) recover: the client rejects PUT /0/1 with 4.00"
run timeout 30 "$CARDSTRAP" recover --file "$TMP/card.ef" --listen "127.0.0.1:$bport" \
	--endpoint e2e-reject --timeout 20 --json --restart-client "$(restart c1 '--reject-write /0/1')"
track_client c1
expect_rc 70 "recover, write rejected"
expect_in err 'PUT /0/1 failed: 4.00 Bad Request (client said: "rejected by test")'
expect_eq "$(json_field "$out" result)" "rejected by the client" "result"
ops=$(printf '%s' "$out" | tail -n 1 | perl -MJSON::PP -ne 'print join(", ", map { "$_->{method} $_->{path} $_->{code}" } @{decode_json($_)->{operations}})')
expect_eq "$ops" "GET / 2.05, DELETE /1 2.02, PUT /0/1 4.00" "no request after the rejected write, no Finish"
expect_eq "$(json_field "$out" finish)" none "Finish not sent"
wait_for "$TMP/c1.err" "write /0/1 (tlv, 34 bytes): 4.00 rejected by test (--reject-write)"
expect_not_in "$(cat "$TMP/c1.err")" "finish"

note "(e) serve --once: the same rejection ends serve with 70"
start_serve s1 --file "$TMP/card.ef" --listen "127.0.0.1:$bport" --once
bg c2 30 "$CLIENT" --endpoint e2e-reject2 --bs "coap://127.0.0.1:$bport" --bs-retries 0 \
	--reject-write /1/0 --bs-timeout 5 --timeout 20
finish "$serve_pid" s1
expect_rc 70 "serve --once, write rejected"
expect_in err 'PUT /1/0 failed: 4.00 Bad Request (client said: "rejected by test")'
kill -TERM $bgpid 2>/dev/null
wait $bgpid

note "(f) recover: the client answers Bootstrap-Finish with 4.06"
run timeout 30 "$CARDSTRAP" recover --file "$TMP/card.ef" --listen "127.0.0.1:$bport" \
	--endpoint e2e-406 --timeout 20 --restart-client "$(restart c3 --finish-406)"
track_client c3
expect_rc 70 "recover, Finish 4.06"
expect_in err 'the client found the configuration inconsistent (4.06 on Bootstrap-Finish) (client said: "refused by test (--finish-406)")'
expect_not_in out "client recovered"
wait_for "$TMP/c3.err" "finish 4.06: refused by test (--finish-406)"

note "(f) a genuinely inconsistent configuration: several servers with ACLs, no ACL object"
profile multi "$(server_account 0 101 "$sport"),$(server_account 1 102 "$sport"),{\"bn\":\"/2/0/\",\"n\":\"0\",\"v\":1},{\"n\":\"1\",\"v\":0},{\"n\":\"2/101\",\"v\":7},{\"n\":\"3\",\"v\":101}"
run timeout 30 "$CARDSTRAP" recover --file "$TMP/multi.ef" --listen "127.0.0.1:$bport" \
	--endpoint e2e-noacl --timeout 20 --restart-client "$(restart c4 --no-acl-object)"
track_client c4
expect_rc 70 "recover, inconsistent multi-server configuration"
expect_in err "the client found the configuration inconsistent (4.06 on Bootstrap-Finish)"
expect_in err "no Access Control object"
echo ok
