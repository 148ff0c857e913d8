#!/usr/bin/env bash
# DTLS-PSK: `serve --dtls-listen` with an identity and a key file. The right
# identity and key bootstrap over coaps://; a wrong identity fails the
# handshake and gets no session; the key never appears in any output; an
# unsafe key file is refused with 77.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/inject.bash"

sport=$(free_port) && bport=$(free_port) && dport=$(free_port) || fail "no free port"
start_testserver reg --listen "127.0.0.1:$sport"
profile card "$(server_account 0 101 "$sport")"
key=5ec2e75ec2e75ec2e75ec2e75ec2e7aa
printf '%s\n' "$key" >"$TMP/psk.key"
chmod 600 "$TMP/psk.key"
printf 'not-the-key' >"$TMP/wrong.key"
chmod 600 "$TMP/wrong.key"

note "unsafe key file: 77; identity without key: 64"
chmod 644 "$TMP/psk.key"
run timeout 10 "$CARDSTRAP" serve --file "$TMP/card.ef" --listen "127.0.0.1:$bport" \
	--dtls-listen "127.0.0.1:$dport" --psk-identity e2e-bs-id --psk-key-file "$TMP/psk.key"
expect_rc 77 "group/world-readable key file"
expect_in err "chmod 600"
expect_not_in err "valid, 3 warnings" # refused before the card data is read
expect_not_in "$out$err" "$key"
chmod 600 "$TMP/psk.key"
run timeout 10 "$CARDSTRAP" serve --file "$TMP/card.ef" --dtls-listen "127.0.0.1:$dport" \
	--psk-identity e2e-bs-id
expect_rc 64 "identity without key file"

note "an empty key file: 77; a line of hex digits that does not decode: 65, no digit quoted"
(umask 077 && : >"$TMP/empty.key" && printf '5e c2 e7 a\n' >"$TMP/odd.key")
run timeout 10 "$CARDSTRAP" serve --file "$TMP/card.ef" --listen "127.0.0.1:$bport" \
	--dtls-listen "127.0.0.1:$dport" --psk-identity e2e-bs-id --psk-key-file "$TMP/empty.key"
expect_rc 77 "empty key file"
expect_in err "PSK key file $TMP/empty.key: $TMP/empty.key holds no key"
run timeout 10 "$CARDSTRAP" serve --file "$TMP/card.ef" --listen "127.0.0.1:$bport" \
	--dtls-listen "127.0.0.1:$dport" --psk-identity e2e-bs-id --psk-key-file "$TMP/odd.key"
expect_rc 65 "odd number of hex digits"
expect_in err "cardstrap serve: PSK key file $TMP/odd.key: not a valid hex key (an odd number of digits?)"
expect_not_in "$out$err" "5e c2"

note "the right identity and key: bootstrap over DTLS"
start_serve serve --file "$TMP/card.ef" --listen "127.0.0.1:$bport" \
	--dtls-listen "127.0.0.1:$dport" --psk-identity e2e-bs-id --psk-key-file "$TMP/psk.key" --json -v
expect_in "$(cat "$TMP/serve.err")" "serving the bootstrap data on coap://127.0.0.1:$bport and coaps://127.0.0.1:$dport"
bg c1 30 "$CLIENT" --endpoint e2e-dtls --bs "coaps://127.0.0.1:$dport" --bs-psk-identity e2e-bs-id \
	--bs-psk-key-file "$TMP/psk.key" --state "$TMP/c1.json" --exit-after-register --timeout 20
finish $bgpid c1
expect_rc 0 "DTLS client"
expect_in err "finish 2.04"
wait_for "$TMP/reg.out" "register ep=e2e-dtls lt=300"
wait_for "$TMP/serve.out" '"event":"session-ended"'
report=$(grep '"event":"session-ended"' "$TMP/serve.out")
expect_eq "$(json_field "$report" dtls)" true "report dtls"
expect_eq "$(json_field "$report" ok)" true "report ok"
expect_in "$(state_security "$TMP/c1.json")" "/0/0 bs coaps://127.0.0.1:$dport -"

note "a wrong identity: the handshake fails, no session"
bg c2 30 "$CLIENT" --endpoint e2e-intruder --bs "coaps://127.0.0.1:$dport" \
	--bs-psk-identity intruder --bs-psk-key-file "$TMP/wrong.key" --bs-retries 0 "${FAST[@]}" \
	--timeout 15
finish $bgpid c2
[ "$rc" -ne 0 ] || fail "a client with a wrong identity bootstrapped"
expect_not_in "$(cat "$TMP/serve.out")" "e2e-intruder"
expect_eq "$(grep -c '"event":"session-started"' "$TMP/serve.out")" 1 "sessions"

note "the plain listener still works next to DTLS"
bg c3 30 "$CLIENT" --endpoint e2e-plain --bs "coap://127.0.0.1:$bport" --exit-after-register \
	--timeout 20
finish $bgpid c3
expect_rc 0 "plain client next to DTLS"

kill -TERM "$serve_pid"
finish "$serve_pid" serve
expect_rc 0 "serve stops"
expect_not_in "$out$err" "$key"
expect_not_in "$out$err" "5E C2 E7"
echo ok
