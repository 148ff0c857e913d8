#!/usr/bin/env bash
# The purge recovery of recover_card.sh with the card read through an SCP03
# secure channel (level 33) that the virtual card requires for its PKCS#15
# files: the client comes back only when the keys are right.
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"
. "$TOP/tests/e2e/inject.bash"

sport=$(free_port) && bport=$(free_port) && dead=$(free_port) || fail "no free port"
start_testserver reg --listen "127.0.0.1:$sport"

cat >"$TMP/state.json" <<EOF
{"senml": [{"bn": "/0/0/", "n": "0", "vs": "coap://127.0.0.1:$dead"}, {"n": "1", "vb": false},
  {"n": "2", "v": 3}, {"n": "10", "v": 9},
  {"bn": "/1/0/", "n": "0", "v": 9}, {"n": "1", "v": 60}, {"n": "6", "vb": true}, {"n": "7", "vs": "U"}]}
EOF
chmod 600 "$TMP/state.json"

note "a card that requires SCP03 for its bootstrap data"
(umask 077 && printf 'kvn=30\nenc=404142434445464748494A4B4C4D4E4F\nmac=505152535455565758595A5B5C5D5E5F\ndek=606162636465666768696A6B6C6D6E6F\n' >"$TMP/keys")
(umask 077 && printf 'kvn=30\nenc=404142434445464748494A4B4C4D4E4F\nmac=00000000000000000000000000000000\ndek=606162636465666768696A6B6C6D6E6F\n' >"$TMP/wrong")
profile card "$(server_account 0 101 "$sport" 600)"
make_card "$TMP/card.ef" "$TMP/card.img" --scp03-keys "$TMP/keys" --scp03-required
start_pcscd
start_vcard "$TMP/card.img" 0

restart="timeout 60 $CLIENT --endpoint {endpoint} --state $TMP/state.json --factory --bs {uri} \
	>$TMP/client.out 2>$TMP/client.err & echo \$! >$TMP/client.pid"

note "without the keys the card refuses the files: nothing is served, the client is not touched"
run timeout 30 "$CARDSTRAP" recover --reader "$VPCD_READER" --listen "127.0.0.1:$bport" \
	--endpoint e2e-scp03 --timeout 20 --restart-client "$restart"
expect_rc 77 "recover without SCP03 keys"
expect_in err "6982"
[ ! -e "$TMP/client.pid" ] || fail "the restart command ran although the card was not read"

note "wrong keys: card cryptogram mismatch, nothing served"
run timeout 30 "$CARDSTRAP" recover --reader "$VPCD_READER" --scp03-keys "$TMP/wrong" \
	--listen "127.0.0.1:$bport" --endpoint e2e-scp03 --timeout 20 --restart-client "$restart"
expect_rc 77 "wrong SCP03 keys"
expect_in err "card cryptogram mismatch"
[ ! -e "$TMP/client.pid" ] || fail "the restart command ran with wrong keys"

note "the right keys: the card is read through the secure channel and the client recovers"
run timeout 60 "$CARDSTRAP" recover --reader "$VPCD_READER" --scp03-keys "$TMP/keys" \
	--listen "127.0.0.1:$bport" --endpoint e2e-scp03 --timeout 30 --restart-client "$restart"
[ -s "$TMP/client.pid" ] && track "$(cat "$TMP/client.pid")"
expect_rc 0 "recover with SCP03"
expect_in out "client recovered: ep=e2e-scp03"
expect_match out "written +/0/1 +server account SSID 101, coap://127.0.0.1:$sport"
expect_in out "Bootstrap-Finish 2.04 Changed"
wait_for "$TMP/reg.out" "register ep=e2e-scp03 lt=600 b=U lwm2m=1.1 location=/rd/1"
expect_not_in "$out$err" "505152535455565758595A5B5C5D5E5F"
echo ok
