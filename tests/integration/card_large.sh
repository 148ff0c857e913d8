#!/usr/bin/env bash
# A 32718-byte EF (ef-near-32k.hex): READ BINARY in 128 chunks of at most 256
# bytes, offsets up to 7F00, and the bytes written are those of the vector.
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"

vec2bin() { perl -ne 's/#.*//; s/[^0-9A-Fa-f]//g; print pack("H*", $_)' "$1"; }

start_pcscd
make_card "$VECTORS/ef-near-32k.hex" "$TMP/card.json"
start_vcard "$TMP/card.json" 0

run "$CARDSTRAP" read --trace -o "$TMP/ef.bin"
expect_rc 0 "read"
vec2bin "$VECTORS/ef-near-32k.hex" >"$TMP/want.bin"
expect_eq "$(stat -c %s "$TMP/want.bin")" "32718" "vector size"
cmp "$TMP/ef.bin" "$TMP/want.bin" || fail "read: bytes differ from ef-near-32k.hex"
reads=$(printf '%s\n' "$err" | grep -c '^trace .* ms  > 01 B0 ')
# ODF, DODF and 128 chunks of the EF
expect_eq "$reads" "130" "READ BINARY count"
expect_in err "> 01 B0 00 00 00"
expect_in err "> 01 B0 01 00 00"
expect_in err "> 01 B0 7F 00 CE"
expect_in err "< <256 bytes redacted> 90 00"
expect_in err "< <206 bytes redacted> 90 00"
expect_not_in err "< 6B 00"

run "$CARDSTRAP" decode "$TMP/ef.bin"
expect_rc 0 "decode of the file read"
expect_in out "valid: 0 Bootstrap-Server accounts, 1 server account"
