#!/usr/bin/env bash
# The purge case from the card: a client whose state holds only a dead server
# account and no Bootstrap-Server account listens to nobody and gives up
# ("purged"). `cardstrap recover --reader` reads the virtual card (a profile
# naming the testserver, built with encode + mkcard, served by cardstrap-vcard
# through pcscd), serves it, restarts the client in factory-bootstrap mode
# pointed at {uri}, and the client registers at the testserver.
# Needs pcscd: run under `flock /tmp/cs-team/pcscd.lock` next to other pcscd users.
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"
. "$TOP/tests/e2e/inject.bash"

sport=$(free_port) && bport=$(free_port) && dead=$(free_port) || fail "no free port"
start_testserver reg --listen "127.0.0.1:$sport"

note "the purged client: only a dead server account, no BS account"
cat >"$TMP/state.json" <<EOF
{"senml": [{"bn": "/0/0/", "n": "0", "vs": "coap://127.0.0.1:$dead"}, {"n": "1", "vb": false},
  {"n": "2", "v": 3}, {"n": "10", "v": 9},
  {"bn": "/1/0/", "n": "0", "v": 9}, {"n": "1", "v": 60}, {"n": "6", "vb": true}, {"n": "7", "vs": "U"}],
 "objects": [{"id": 0, "version": "1.1"}, {"id": 1, "version": "1.1"}]}
EOF
chmod 600 "$TMP/state.json"
run timeout 30 "$CLIENT" --endpoint e2e-purged --state "$TMP/state.json" "${FAST[@]}" --timeout 20
expect_rc 2 "the purged client gives up"
expect_in err "no Bootstrap-Server account and no reachable server: cannot bootstrap (purged)"

note "the operator's card: a server account at the testserver"
profile card "$(server_account 0 101 "$sport" 600)"
run "$CARDSTRAP" mkcard --ef "$TMP/card.ef" -o "$TMP/card.img"
expect_rc 0 "mkcard"
start_pcscd
start_vcard "$TMP/card.img" 0

note "recover --reader: serve first, then restart the client"
restart="timeout 60 $CLIENT --endpoint {endpoint} --state $TMP/state.json --factory --bs {uri} \
	>$TMP/client.out 2>$TMP/client.err & echo \$! >$TMP/client.pid"
run timeout 60 "$CARDSTRAP" recover --reader "$VPCD_READER" --listen "127.0.0.1:$bport" \
	--endpoint e2e-purged --timeout 30 --restart-client "$restart"
[ -s "$TMP/client.pid" ] && track "$(cat "$TMP/client.pid")"
expect_rc 0 "recover"
expect_in err "read "
expect_in err "bytes of EF LwM2M_Bootstrap from $VPCD_READER"
expect_in out "client recovered: ep=e2e-purged bootstrapped from 127.0.0.1:"
expect_in out "restart command"
expect_in out "exited with status 0"
expect_in out "the client's Bootstrap-Server account is /0/0"
expect_match out "written +/0/1 +server account SSID 101, coap://127.0.0.1:$sport \(card /0/0\)"
expect_match out "/1/0 +server SSID 101"
expect_in out "Bootstrap-Finish 2.04 Changed"
expect_match out "timings +Bootstrap-Request [0-9]+ ms after the restart, session [0-9]+ ms \(5 requests\)"
wait_for "$TMP/reg.out" "register ep=e2e-purged lt=600 b=U lwm2m=1.1 location=/rd/1"
wait_for "$TMP/client.err" "state written to $TMP/state.json"
expect_eq "$(state_security "$TMP/state.json")" "/0/0 bs coap://127.0.0.1:$bport -
/0/1 server coap://127.0.0.1:$sport 101" "the recovered client's Security instances"

note "the recovered client restarts from its state and registers again, without cardstrap"
kill -TERM "$(cat "$TMP/client.pid")"
wait_for "$TMP/reg.out" "deregister ep=e2e-purged"
run timeout 30 "$CLIENT" --endpoint e2e-purged --state "$TMP/state.json" --exit-after-register \
	--timeout 20
expect_rc 0 "the recovered client on its own"
expect_in err "state loaded from $TMP/state.json (2 Security, 1 Server instances)"
wait_for "$TMP/reg.out" "register ep=e2e-purged lt=600 b=U lwm2m=1.1 location=/rd/2"
echo ok
