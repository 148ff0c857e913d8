#!/usr/bin/env bash
# The SCP03 secure channel (Core TS App. H) against cardstrap-vcard behind
# pcscd: INITIALIZE UPDATE 81 50 and EXTERNAL AUTHENTICATE 85 82 33 on the
# logical channel, then every command wrapped (CLA 05, C-MAC, encrypted),
# the EF's bytes never in clear on the wire; a 32 KB EF byte for byte;
# wrong keys (77, no retry, the card still usable); a tampered R-MAC (74,
# nothing written); a card without SCP03 (69 unless --scp03 optional); an
# unsafe keys file (77 before the card is touched).
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"

vec2bin() { perl -ne 's/#.*//; s/[^0-9A-Fa-f]//g; print pack("H*", $_)' "$1"; }

# swap_card IMAGE [vcard args]: takes the card out of slot 0 and inserts another.
swap_card() {
	if [ -n "${VCARD_PID:-}" ]; then
		kill "$VCARD_PID"
		wait "$VCARD_PID" 2>/dev/null
		wait_card 0 absent
	fi
	start_vcard "$1" 0 "${@:2}"
}

# the C-APDUs of the wire trace (layer pcsc), one per line
wire_cmds() { printf '%s\n' "$err" | sed -n 's/^trace .* ms  > //p'; }

# keys: ENC 40.., MAC 50.., DEK 60.., KVN 30 (bytes no trace shows by chance)
KEYS=$TMP/keys
(umask 077 && cat >"$KEYS") <<-EOF
	# SCP03 key set of the test cards
	kvn=30
	enc=404142434445464748494A4B4C4D4E4F
	mac=505152535455565758595A5B5C5D5E5F
	dek=606162636465666768696A6B6C6D6E6F
EOF
WRONG=$TMP/wrong-keys
(umask 077 && sed 's/^mac=5051/mac=5150/' "$KEYS" >"$WRONG")
# "coap://" of ef-nordic.hex, and 8 bytes from the middle of ef-near-32k.hex
NORDIC_PLAIN="63 6F 61 70 3A 2F 2F"
BIG_PLAIN="11 30 4F 6E 8D AC CB EA"

start_pcscd
make_card "$VECTORS/ef-nordic.hex" "$TMP/card.json" --scp03-keys "$KEYS" --scp03-required
grep -q '"scp03"' "$TMP/card.json" || fail "mkcard wrote no scp03 member"
expect_eq "$(stat -c %a "$TMP/card.json")" 600 "image mode"
make_card "$VECTORS/ef-near-32k.hex" "$TMP/big.json" --scp03-keys "$KEYS"
make_card "$VECTORS/ef-nordic.hex" "$TMP/plain.json"

note "mkcard refuses a keys file others may read"
cp "$KEYS" "$TMP/open-keys" && chmod 644 "$TMP/open-keys"
run "$CARDSTRAP" mkcard --ef "$VECTORS/ef-nordic.hex" -o "$TMP/x.json" --scp03-keys "$TMP/open-keys"
expect_rc 77 "mkcard with a 0644 keys file"
expect_in err "has mode 0644"
[ ! -e "$TMP/x.json" ] || fail "mkcard wrote an image with an unsafe keys file"

swap_card "$TMP/card.json"

note "dump --scp03-keys --trace: the wrapped APDUs"
run "$CARDSTRAP" dump --scp03-keys "$KEYS" --trace
expect_rc 0 "dump through SCP03"
expect_in out "Secure channel  SCP03, security level 33 (C-MAC, C-DEC, R-MAC, R-ENC), KVN 30"
expect_in out "coap://leshan.eclipseprojects.io:5783"
expect_in out "Channel       1"
cmds=$(wire_cmds)
expect_match "$cmds" "^81 50 30 00 08 "
expect_match "$cmds" "^85 82 33 00 10 "
# SELECT ODF/DODF/EF and READ BINARY wrapped: CLA 05 (b3 set), data encrypted + C-MAC
expect_eq "$(printf '%s\n' "$cmds" | grep -c '^05 A4 08 04 18 ')" 3 "wrapped SELECTs"
expect_eq "$(printf '%s\n' "$cmds" | grep -c '^05 B0 00 00 08 ')" 3 "wrapped READ BINARYs"
expect_match "$cmds" "^05 70 80 01 08 "
# nothing in plain on channel 1 after SELECT AID
expect_eq "$(printf '%s\n' "$cmds" | grep -c '^01 ')" 1 "plain commands on channel 1"
expect_not_in err "$NORDIC_PLAIN"
expect_not_in err "7F FF 64 32"
# files outside the channel show as without SCP03 (EF ICCID, EF.DIR); only the EF's data is masked
expect_in err "< 98 99 09 00 00 00 00 00 00 51 90 00"
expect_in err "< 61 1B 4F 0C A0 00 00 00 63 50 4B 43 53 2D 31 35"
# the keys appear nowhere
for k in "40 41 42 43" 404142434445 "50 51 52 53" 505152535455 "60 61 62 63" 606162636465; do
	expect_not_in out "$k"
	expect_not_in err "$k"
done

note "-v: the plain APDUs too, the bootstrap EF's content masked unless --show-secrets"
run "$CARDSTRAP" dump --scp03-keys "$KEYS" --trace -v
expect_rc 0 "dump -v"
expect_in err "[scp03] < A1 25 30 11 0C 0F 4C 77 4D 32 4D" # the DODF, as a plain trace shows it
expect_in err "[scp03] > 01 B0 00 00 3C"
expect_in err "[scp03] < <60 bytes redacted> 90 00"
expect_not_in err "$NORDIC_PLAIN"
run "$CARDSTRAP" dump --scp03-keys "$KEYS" --trace -v --show-secrets
expect_rc 0 "dump -v --show-secrets"
expect_in err "$NORDIC_PLAIN"
expect_not_in err "40 41 42 43"

note "dump --json"
run "$CARDSTRAP" dump --scp03-keys "$KEYS" --json
expect_rc 0 "dump --json"
printf '%s' "$out" | perl -MJSON::PP -e '
	my $d = decode_json(do { local $/; <STDIN> });
	my $s = $d->{card}{secure_channel};
	die "secure_channel\n" unless $s->{protocol} eq "SCP03" && $s->{level} eq "33" &&
		$s->{kvn} eq "30" && $s->{i} eq "70";
' || fail "dump --json secure_channel: $out"

note "the card requires the secure channel: a plain read is refused"
run "$CARDSTRAP" dump
expect_rc 77 "plain dump of a card that requires SCP03"
expect_in err "without a secure channel"
expect_in err "6982"

note "wrong keys: card cryptogram mismatch, one attempt, the card stays usable"
run "$CARDSTRAP" dump --scp03-keys "$WRONG" --trace
expect_rc 77 "wrong keys"
expect_in err "card cryptogram mismatch"
cmds=$(wire_cmds)
expect_eq "$(printf '%s\n' "$cmds" | grep -c '^81 50 ')" 1 "INITIALIZE UPDATEs"
expect_eq "$(printf '%s\n' "$cmds" | grep -c '^85 82 ')" 0 "EXTERNAL AUTHENTICATEs"
expect_eq "$(printf '%s\n' "$cmds" | tail -n 1)" "01 70 80 01" "last command"
run "$CARDSTRAP" read --scp03-keys "$WRONG" -o "$TMP/wrong.bin"
expect_rc 77 "wrong keys again"
[ ! -e "$TMP/wrong.bin" ] || fail "read wrote a file with wrong keys"
run "$CARDSTRAP" dump --scp03-keys "$KEYS"
expect_rc 0 "the right keys after two wrong ones"

note "a keys file others may read: refused before the card is touched"
run "$CARDSTRAP" dump --scp03-keys "$TMP/open-keys" --trace
expect_rc 77 "0644 keys file"
expect_in err "has mode 0644"
expect_in err "chmod 600"
expect_not_in err "trace "
run "$CARDSTRAP" read --scp03-keys "$TMP/open-keys" --reader "no such reader" -o "$TMP/x.bin"
expect_rc 77 "0644 keys file before the reader"
run "$CARDSTRAP" dump --scp03 optional
expect_rc 64 "--scp03 without keys"
expect_in err "--scp03-keys FILE"
run "$CARDSTRAP" dump --scp03-keys "$KEYS" --scp03 maybe
expect_rc 64 "--scp03 maybe"

note "a 32 KB EF through SCP03: chunks of 239 bytes, byte-identical"
swap_card "$TMP/big.json"
run "$CARDSTRAP" read --scp03-keys "$KEYS" --trace -o "$TMP/big.bin"
expect_rc 0 "read of the 32 KB EF"
vec2bin "$VECTORS/ef-near-32k.hex" >"$TMP/want.bin"
cmp "$TMP/big.bin" "$TMP/want.bin" || fail "read through SCP03: bytes differ from ef-near-32k.hex"
expect_eq "$(stat -c %a "$TMP/big.bin")" 600 "output mode"
cmds=$(wire_cmds)
# ODF, DODF and ceil(32718 / 239) = 137 chunks; Le EF = 239
expect_eq "$(printf '%s\n' "$cmds" | grep -c '^05 B0 ')" 139 "wrapped READ BINARYs"
expect_match "$cmds" "^05 B0 00 EF 08 ([0-9A-F]{2} ){8}EF$"
expect_match "$cmds" "^05 B0 7E F8 08 "
expect_not_in err "$BIG_PLAIN"

note "a tampered response MAC: detected, nothing written"
swap_card "$TMP/big.json" --tamper-rmac 10
run "$CARDSTRAP" read --scp03-keys "$KEYS" --trace -o "$TMP/tampered.bin"
expect_rc 74 "tampered R-MAC"
expect_in err "response MAC mismatch"
[ ! -e "$TMP/tampered.bin" ] || fail "read wrote a file after a MAC failure"
ls "$TMP"/.tampered.bin.* >/dev/null 2>&1 && fail "a temporary file was left behind"
# the channel is closed in plain after the failure
expect_eq "$(wire_cmds | tail -n 1)" "01 70 80 01" "last command after the MAC failure"
expect_in "$(cat "$TMP/vcard0.log")" "R-MAC of wrapped response 10 flipped"
run "$CARDSTRAP" read --scp03-keys "$KEYS" -o "$TMP/after.bin"
expect_rc 0 "read after the tampered one"
cmp "$TMP/after.bin" "$TMP/want.bin" || fail "read after the tampered one: bytes differ"

note "a card without SCP03"
swap_card "$TMP/plain.json"
run "$CARDSTRAP" dump --scp03-keys "$KEYS"
expect_rc 69 "card without SCP03"
expect_in err "card does not support SCP03 (6E00 on INITIALIZE UPDATE"
run "$CARDSTRAP" dump --scp03-keys "$KEYS" --scp03 optional
expect_rc 0 "card without SCP03, --scp03 optional"
expect_in err "warning"
expect_in err "read without a secure channel"
expect_in out "Secure channel  none: card does not support SCP03"
run "$CARDSTRAP" dump
expect_rc 0 "plain dump"
expect_in out "Secure channel  none"
note "ok"
