#!/usr/bin/env bash
# Block1 (RFC 7959) for instances larger than a block: the certificate-mode
# Security instance of ef-lwm2m11-cert.hex (about 1 KB of certificates and key)
# goes block-wise and arrives whole; with --block-size 64 every larger write of
# an ordinary card goes block-wise and the client still bootstraps and registers.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/inject.bash"

sport=$(free_port) && bport=$(free_port) && dead=$(free_port) || fail "no free port"
start_testserver reg --listen "127.0.0.1:$sport"

ops_of() {  # JSON report line → "METHOD PATH CODE BYTES [block1]" per operation
	printf '%s' "$1" | tail -n 1 | perl -MJSON::PP -ne 'for (@{decode_json($_)->{operations}}) {
		print "$_->{method} $_->{path} $_->{code} $_->{request_bytes}", ($_->{block1} ? " block1" : ""), "\n" }'
}

note "the certificate card, its server URI pointed at this machine"
run "$CARDSTRAP" decode --json --show-secrets "$VECTORS/ef-lwm2m11-cert.hex"
expect_rc 0 "decode the certificate vector"
printf '%s' "$out" | sed "s|coaps://lwm2m.example.com:5684|coaps://127.0.0.1:$dead|" >"$TMP/cert.json"
grep -q "coaps://127.0.0.1:$dead" "$TMP/cert.json" || fail "URI not adjusted"
"$CARDSTRAP" encode -q "$TMP/cert.json" -o "$TMP/cert.ef" || fail "encode"

start_serve s1 --file "$TMP/cert.ef" --listen "127.0.0.1:$bport" --once --json
bg c1 30 "$CLIENT" --endpoint e2e-cert --bs "coap://127.0.0.1:$bport" --bs-retries 0 --timeout 20
finish "$serve_pid" s1
ops=$(ops_of "$out")
line=$(printf '%s\n' "$ops" | grep '^PUT /0/1 ') || fail "no PUT /0/1: $ops"
set -- $line
expect_eq "$3" 2.04 "certificate instance written"
[ "$4" -gt 1024 ] || fail "certificate instance is only $4 bytes"
expect_eq "$5" block1 "certificate instance sent block-wise"
# the client reassembled exactly what was sent, and decoded it as TLV
expect_in "$(cat "$TMP/c1.err")" "write /0/1 (tlv, $4 bytes)"
expect_in "$ops" "PUT /1/0 2.04"
# testclient registers only over NoSec or PSK, so it refuses certificate mode at Finish
expect_rc 70 "serve --once, certificate mode refused by the test client at Finish"
expect_in err "4.06 on Bootstrap-Finish"
expect_in err "Security Mode Certificate is not supported by this client"
kill -TERM $bgpid 2>/dev/null
wait $bgpid

note "--block-size 64: every write above 64 bytes block-wise, and the client registers"
psk='{"bn":"/0/2/","n":"0","vs":"coaps://127.0.0.1:'$dead'"},{"n":"1","vb":false},{"n":"2","v":0},{"n":"3","vd":"ZTJlLWJsb2NrLWlkZW50aXR5LXdpdGgtYS1sb25nLW5hbWU"},{"n":"5","vd":"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"},{"n":"10","v":7},{"bn":"/1/2/","n":"0","v":7},{"n":"1","v":300},{"n":"6","vb":true},{"n":"7","vs":"U"}'
profile small "$(server_account 0 101 "$sport"),$psk"
start_serve s2 --file "$TMP/small.ef" --listen "127.0.0.1:$bport" --once --json --block-size 64
bg c2 30 "$CLIENT" --endpoint e2e-small-blocks --bs "coap://127.0.0.1:$bport" --state "$TMP/c2.json" \
	"${FAST[@]}" --timeout 20
finish "$serve_pid" s2
expect_rc 0 "serve --once with 64-byte blocks"
ops=$(ops_of "$out")
expect_in "$ops" "PUT /0/2 2.04"
printf '%s\n' "$ops" | grep -q '^PUT /0/2 2.04 [0-9]* block1$' || fail "PSK instance not block-wise: $ops"
printf '%s\n' "$ops" | grep -q '^PUT /1/0 2.04 [0-9]* *$' || fail "small instance went block-wise: $ops"
wait_for "$TMP/reg.out" "register ep=e2e-small-blocks lt=300"
expect_in "$(state_security "$TMP/c2.json")" "/0/2 server coaps://127.0.0.1:$dead 7"
kill -TERM $bgpid 2>/dev/null
wait $bgpid
echo ok
