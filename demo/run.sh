#!/usr/bin/env bash
# make demo: a dead LwM2M client is brought back from a (virtual) smartcard.
#
# Starts pcscd with the vpcd driver, a virtual card holding the operator's
# profile (demo/profile.json), an LwM2M test server, and a test client whose
# state was purged (a dead server account, no Bootstrap-Server account). Then
# runs `cardstrap recover`, shows what the card held and that the client
# registered, and stops everything it started.
set -u
cd "$(dirname "$0")/.."
export TOP=$PWD B=${B:-$PWD/build}
export CARDSTRAP=$B/cardstrap VCARD=$B/cardstrap-vcard VECTORS=$TOP/applet-spec/vectors
. tests/lib.sh
. tests/pcsc.sh
. tests/e2e/inject.bash

bold="" off=""
if [ -t 1 ]; then bold=$(tput bold 2>/dev/null) off=$(tput sgr0 2>/dev/null); fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$off"; }

[ "$(id -u)" -eq 0 ] || fail "the demo starts its own pcscd (socket in /run/pcscd): run it as root"

sport=$(free_port) && bport=$(free_port) && dead=$(free_port) || fail "no free port"

step "1. An LwM2M server (the operator's), listening on 127.0.0.1:$sport"
start_testserver server --listen "127.0.0.1:$sport"
echo "testserver is up (pid $(cat "$TMP/server.pid"))"

step "2. A purged client: its only account points at a dead server, no Bootstrap-Server account"
cat >"$TMP/state.json" <<EOF
{"senml": [{"bn": "/0/0/", "n": "0", "vs": "coap://127.0.0.1:$dead"}, {"n": "1", "vb": false},
  {"n": "2", "v": 3}, {"n": "10", "v": 9},
  {"bn": "/1/0/", "n": "0", "v": 9}, {"n": "1", "v": 60}, {"n": "6", "vb": true}, {"n": "7", "vs": "U"}]}
EOF
chmod 600 "$TMP/state.json"
"$CLIENT" --endpoint demo-gateway --state "$TMP/state.json" "${FAST[@]}" --timeout 20 2>&1 |
	grep -E "purged|register|bootstrap" | sed 's/^/  client: /'

step "3. The operator's card: profile -> EF LwM2M_Bootstrap -> card image -> virtual card"
sed "s/@SERVER_PORT@/$sport/" demo/profile.json >"$TMP/profile.json"
"$CARDSTRAP" encode "$TMP/profile.json" -o "$TMP/card.ef" || fail "encode"
"$CARDSTRAP" mkcard --ef "$TMP/card.ef" -o "$TMP/card.img" || fail "mkcard"
start_pcscd
start_vcard "$TMP/card.img" 0
"$CARDSTRAP" readers

step "4. What the card holds: cardstrap dump"
"$CARDSTRAP" dump --reader "$VPCD_READER" || fail "dump"

step "5. cardstrap recover: serve the card's data, restart the client in factory-bootstrap mode"
restart="$CLIENT --endpoint {endpoint} --state $TMP/state.json --factory --bs {uri} \
--exit-after-register >$TMP/client.out 2>$TMP/client.err & echo \$! >$TMP/client.pid"
echo "\$ cardstrap recover --reader '$VPCD_READER' --endpoint demo-gateway \\"
echo "      --listen 127.0.0.1:$bport --restart-client 'testclient ... --bs {uri}'"
"$CARDSTRAP" recover --reader "$VPCD_READER" --endpoint demo-gateway \
	--listen "127.0.0.1:$bport" --timeout 60 --restart-client "$restart"
rc=$?
[ -s "$TMP/client.pid" ] && track "$(cat "$TMP/client.pid")"
[ $rc -eq 0 ] || fail "recover failed (exit $rc)"

step "6. The client registered with the operator's server"
wait_for "$TMP/server.out" "register ep=demo-gateway" 30
grep "register ep=demo-gateway" "$TMP/server.out" | sed 's/^/  testserver: /'

step "Done: the client is back. Stopping pcscd, the virtual card and the test peers."
