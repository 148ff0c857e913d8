#!/usr/bin/env bash
# Client-initiated bootstrap against `cardstrap serve --file`: the testclient
# sends POST /bs, gets 2.04, then Discover, Delete /1, the writes (TLV, or
# SenML JSON with pct=110) and Finish, and registers at the testserver the
# card names. Also: invalid data is never served, the endpoint filter (4.03),
# Bootstrap-Pack (5.01), --once, and SIGTERM ends serve with 0.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/inject.bash"

sport=$(free_port) && bport=$(free_port) || fail "no free port"
start_testserver reg --listen "127.0.0.1:$sport"
profile card "$(server_account 0 101 "$sport")"

note "invalid card data: diagnostics, exit 65, nothing served"
run timeout 10 "$CARDSTRAP" serve --file "$VECTORS/ef-invalid-two-bs.hex" --listen "127.0.0.1:$bport"
expect_rc 65 "invalid data"
expect_in err "error: "
expect_in err "nothing is served"
expect_not_in err "serving the bootstrap data"

note "serve --json; a TLV client bootstraps and registers"
start_serve serve --file "$TMP/card.ef" --listen "127.0.0.1:$bport" --json
bg c1 30 "$CLIENT" --endpoint e2e-tlv --bs "coap://127.0.0.1:$bport" --state "$TMP/c1.json" \
	--exit-after-register --timeout 20
finish $bgpid c1
expect_rc 0 "TLV client"
expect_in err "bootstrap-request answered 2.04"
expect_in err "write /0/1 (tlv, "
expect_in err "finish 2.04"
wait_for "$TMP/reg.out" "register ep=e2e-tlv lt=300 b=U"
wait_for "$TMP/serve.out" '"event":"session-ended"'
report=$(grep '"event":"session-ended"' "$TMP/serve.out" | head -n 1)
expect_eq "$(json_field "$report" ok)" true "report ok"
expect_eq "$(json_field "$report" endpoint)" e2e-tlv "report endpoint"
expect_eq "$(json_field "$report" content_format)" TLV "report content format"
expect_eq "$(json_field "$report" client_bs_instance)" 0 "client BS instance"
expect_eq "$(json_field "$report" deleted)" '["/1"]' "deleted"
expect_eq "$(json_field "$report" finish)" 2.04 "finish"
expect_in "$report" '"written":[{"path":"/0/1","card_path":"/0/0","bootstrap_server":false,"ssid":101,"uri":"coap://127.0.0.1:'"$sport"'"},{"path":"/1/0"'
expect_in "$report" '"remapped":[{"object":0,"from":0,"to":1}]'
# the requests in order, each answered as it should be
ops=$(printf '%s' "$report" | perl -MJSON::PP -ne 'print join(", ", map { "$_->{method} $_->{path} $_->{code}" } @{decode_json($_)->{operations}})')
expect_eq "$ops" "GET / 2.05, DELETE /1 2.02, PUT /0/1 2.04, PUT /1/0 2.04, POST /bs 2.04" "operations"
wait_for "$TMP/serve.err" "session 1: ep=e2e-tlv from 127.0.0.1:"
# the client kept cardstrap as its BS account and holds the card's server account
sec=$(state_security "$TMP/c1.json")
expect_eq "$sec" "/0/0 bs coap://127.0.0.1:$bport -
/0/1 server coap://127.0.0.1:$sport 101" "client Security instances"

note "pct=110: the writes go as SenML JSON"
bg c2 30 "$CLIENT" --endpoint e2e-senml --bs "coap://127.0.0.1:$bport" --pct 110 \
	--exit-after-register --timeout 20
finish $bgpid c2
expect_rc 0 "SenML client"
expect_in err "write /0/1 (senml, "
wait_for "$TMP/reg.out" "register ep=e2e-senml"
wait_for "$TMP/serve.out" '"endpoint":"e2e-senml"'
report=$(grep '"event":"session-ended".*"endpoint":"e2e-senml"' "$TMP/serve.out")
expect_eq "$(json_field "$report" content_format)" "SenML JSON" "pct=110 format"
expect_eq "$(json_field "$report" requested_pct)" 110 "requested pct"

note "pct=112 (SenML CBOR) is refused with 4.15, no session"
bg c3 30 "$CLIENT" --endpoint e2e-cbor --bs "coap://127.0.0.1:$bport" --pct 112 --bs-retries 0 \
	--timeout 10
finish $bgpid c3
[ "$rc" -ne 0 ] || fail "client with pct=112 registered"
wait_for "$TMP/serve.err" "ep=e2e-cbor from 127.0.0.1:"
expect_in "$(cat "$TMP/serve.err")" "refused: Bootstrap-Request refused with 4.15 Unsupported Content-Format: pct=112 is not supported"

note "GET /bspack: 5.01 with a diagnostic, never a reset"
run timeout 10 coap-client-openssl -B 5 -m get "coap://127.0.0.1:$bport/bspack"
expect_in "$out$err" "5.01"
expect_in "$out$err" "Bootstrap-Pack is not served"

note "SIGTERM: serve stops with 0"
kill -TERM "$serve_pid"
finish "$serve_pid" serve
expect_rc 0 "serve after SIGTERM"
expect_in err "stopping"

note "--endpoint: another client gets 4.03; --once ends after the right one"
start_serve once --file "$TMP/card.ef" --listen "127.0.0.1:$bport" --endpoint e2e-only --once
bg c4 30 "$CLIENT" --endpoint e2e-other --bs "coap://127.0.0.1:$bport" --bs-retries 0 --timeout 10
finish $bgpid c4
expect_in err "bootstrap-request rejected: 4.03"
wait_for "$TMP/once.err" "ep=e2e-other from 127.0.0.1:"
expect_in "$(cat "$TMP/once.err")" "refused: Bootstrap-Request refused with 4.03 Forbidden: endpoint e2e-other is not served here"
kill -0 "$serve_pid" 2>/dev/null || fail "serve --once ended on a refused request"
bg c5 30 "$CLIENT" --endpoint e2e-only --bs "coap://127.0.0.1:$bport" --exit-after-register \
	--timeout 20
finish "$serve_pid" once
expect_rc 0 "serve --once after a successful bootstrap"
expect_in err "session 1: ep=e2e-only from 127.0.0.1:"
finish $bgpid c5
expect_rc 0 "the filtered client registers"
echo ok
