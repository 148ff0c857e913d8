#!/usr/bin/env bash
# A card that carries its own Bootstrap-Server account. handover writes it over
# the client's BS instance found by Discover (last, before Finish); skip leaves
# cardstrap as the client's BS. Either way the client ends with exactly one
# Bootstrap-Server account.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/inject.bash"

sport=$(free_port) && bport=$(free_port) && dead=$(free_port) || fail "no free port"
start_testserver reg --listen "127.0.0.1:$sport"
cardbs="coap://127.0.0.1:$dead"
profile card "$(bs_account 0 "$cardbs"),$(server_account 1 101 "$sport")"

bs_lines() { state_security "$1" | grep ' bs ' || true; }

note "handover, client with only its BS account (/0/0)"
start_serve s1 --file "$TMP/card.ef" --listen "127.0.0.1:$bport" --once --json
bg c1 30 "$CLIENT" --endpoint e2e-handover --bs "coap://127.0.0.1:$bport" --state "$TMP/c1.json" \
	--exit-after-register --timeout 20
finish $bgpid c1
expect_rc 0 "client (handover)"
finish "$serve_pid" s1
expect_rc 0 "serve --once (handover)"
expect_eq "$(json_field "$out" bs_account_written)" true "BS account written"
expect_in "$out" '{"path":"/0/0","card_path":"/0/0","bootstrap_server":true,"uri":"'"$cardbs"'"}'
# the BS account goes last: every earlier command came from the account the client trusted
ops=$(printf '%s' "$out" | tail -n 1 | perl -MJSON::PP -ne 'print join(", ", map { "$_->{method} $_->{path}" } @{decode_json($_)->{operations}})')
expect_eq "$ops" "GET /, DELETE /1, PUT /0/1, PUT /1/1, PUT /0/0, POST /bs" "handover order"
expect_eq "$(bs_lines "$TMP/c1.json")" "/0/0 bs $cardbs -" "one BS account: the card's"
expect_in "$(state_security "$TMP/c1.json")" "/0/1 server coap://127.0.0.1:$sport 101"
wait_for "$TMP/reg.out" "register ep=e2e-handover"

note "handover, client with a dead server at /0/0 and its BS at /0/1"
start_serve s2 --file "$TMP/card.ef" --listen "127.0.0.1:$bport" --once --json
bg c2 30 "$CLIENT" --endpoint e2e-handover2 --server "coap://127.0.0.1:$dead" --ssid 9 \
	--bs "coap://127.0.0.1:$bport" --state "$TMP/c2.json" "${FAST[@]}" --exit-after-register \
	--timeout 20
finish $bgpid c2
expect_rc 0 "client (handover, BS at /0/1)"
finish "$serve_pid" s2
expect_rc 0 "serve --once (handover, BS at /0/1)"
expect_eq "$(json_field "$out" client_bs_instance)" 1 "client BS instance"
expect_eq "$(json_field "$out" deleted)" '["/0/0","/1"]' "deleted"
expect_eq "$(json_field "$out" remapped)" '[{"from":1,"object":0,"to":0},{"from":0,"object":0,"to":1}]' "remapped"
expect_eq "$(bs_lines "$TMP/c2.json")" "/0/1 bs $cardbs -" "one BS account, at the client's BS id"
expect_in "$(state_security "$TMP/c2.json")" "/0/0 server coap://127.0.0.1:$sport 101"

note "skip: the client keeps cardstrap as its Bootstrap-Server"
start_serve s3 --file "$TMP/card.ef" --listen "127.0.0.1:$bport" --once --json --bs-account skip
bg c3 30 "$CLIENT" --endpoint e2e-skip --bs "coap://127.0.0.1:$bport" --state "$TMP/c3.json" \
	--exit-after-register --timeout 20
finish $bgpid c3
expect_rc 0 "client (skip)"
finish "$serve_pid" s3
expect_rc 0 "serve --once (skip)"
expect_eq "$(json_field "$out" bs_account_skipped)" true "BS account skipped"
expect_eq "$(json_field "$out" bs_account_written)" false "BS account not written"
expect_eq "$(json_field "$out" bs_account)" skip "mode in the report"
expect_eq "$(bs_lines "$TMP/c3.json")" "/0/0 bs coap://127.0.0.1:$bport -" "one BS account: cardstrap"
expect_in "$(state_security "$TMP/c3.json")" "/0/1 server coap://127.0.0.1:$sport 101"
wait_for "$TMP/reg.out" "register ep=e2e-skip"

note "--delete-all starts with DELETE / and still keeps one BS account"
start_serve s4 --file "$TMP/card.ef" --listen "127.0.0.1:$bport" --once --json --delete-all
bg c4 30 "$CLIENT" --endpoint e2e-delall --bs "coap://127.0.0.1:$bport" --state "$TMP/c4.json" \
	--exit-after-register --timeout 20
finish $bgpid c4
expect_rc 0 "client (delete-all)"
expect_in err "delete / (kept the Bootstrap-Server account and /3/0)"
finish "$serve_pid" s4
expect_rc 0 "serve --once (delete-all)"
expect_eq "$(json_field "$out" deleted)" '["/"]' "DELETE /"
expect_eq "$(bs_lines "$TMP/c4.json")" "/0/0 bs $cardbs -" "one BS account after DELETE /"
echo ok
