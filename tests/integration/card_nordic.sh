#!/usr/bin/env bash
# A Nordic-layout card (Nordic sdk-nrf tests/lib/uicc_lwm2m) over pcscd + vpcd:
# readers, dump (text, JSON, trace) and read. The APDUs must be exactly the
# basic-channel ICCID/EF.DIR reads and the 9 logical-channel APDUs of that
# test's sequence (Core TS App. G.2.5).
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"

vec2bin() { perl -ne 's/#.*//; s/[^0-9A-Fa-f]//g; print pack("H*", $_)' "$1"; }

start_pcscd
make_card "$VECTORS/ef-nordic.hex" "$TMP/card.json"
start_vcard "$TMP/card.json" 0

note "readers"
run "$CARDSTRAP" readers
expect_rc 0 "readers"
expect_in out "0  $VPCD_READER"
expect_in out "card      3B 85 01 80 73 F6 01 1B 9B"
expect_in out "empty"

note "dump"
run "$CARDSTRAP" dump --trace
expect_rc 0 "dump"
expect_in out "Reader        $VPCD_READER"
expect_in out "ICCID         89999000000000000015"
expect_in out 'Application   A000000063504B43532D3135 "LwM2M" (from EF.DIR)'
expect_in out '"LwM2M Bootstrap" oidDO, OID 2.23.43.9.1, path 6432, flags none'
expect_in out "Channel       1 (9 APDUs on it, 12 in all)"
expect_in out "Instance /0/0  Bootstrap-Server account"
expect_in out "LwM2M Server URI    coap://leshan.eclipseprojects.io:5783"
expect_in out "Bootstrap-Server    true"
expect_in out "Security Mode       3 (NoSec)"
expect_in out "valid: 1 Bootstrap-Server account, 0 server accounts"
# the decoded part is what `decode` prints for the same bytes
run "$CARDSTRAP" decode "$VECTORS/ef-nordic.hex"
decoded=$out
run "$CARDSTRAP" dump
expect_eq "$(printf '%s\n' "$out" | sed -n '/^Object 0/,$p')" "$decoded" "dump vs decode"

run "$CARDSTRAP" dump --trace
apdus=$(printf '%s\n' "$err" | sed -n 's/^trace .* ms  > //p')
expect_eq "$apdus" "00 B0 82 00 0A
00 B2 01 F4 00
00 B2 02 F4 00
00 70 00 00 01
01 A4 04 04 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 00
01 A4 08 04 04 7F FF 50 31 00
01 B0 00 00 08
01 A4 08 04 04 7F FF 64 30 00
01 B0 00 00 27
01 A4 08 04 04 7F FF 64 32 00
01 B0 00 00 3C
01 70 80 01" "APDU sequence"
# file contents are masked in the trace unless --show-secrets
expect_in err "< <60 bytes redacted> 90 00"
expect_not_in err "63 6F 61 70 3A"
run "$CARDSTRAP" dump --trace --show-secrets
expect_rc 0 "dump --show-secrets"
expect_in err "< 00 01 00 36 00 00 00 00 31 08 00 2E C8 00 25 63 6F 61 70 3A"

note "dump --json"
run "$CARDSTRAP" dump --json
expect_rc 0 "dump --json"
printf '%s' "$out" | perl -MJSON::PP -e '
	my $d = decode_json(do { local $/; <STDIN> });
	my $c = $d->{card};
	my $e = $c->{entries}[0];
	die "valid\n" unless $d->{valid};
	die "iccid\n" unless $c->{iccid} eq "89999000000000000015";
	die "aid\n" unless $c->{application}{aid} eq "A000000063504B43532D3135"
		&& $c->{application}{source} eq "EF.DIR";
	die "apdus\n" unless $c->{apdus_channel} == 9 && $c->{apdus} == 12 && $c->{channel} == 1;
	die "entry\n" unless $e->{bootstrap} && $e->{path} eq "6432" && $e->{oid} eq "2.23.43.9.1";
	die "ef\n" unless $c->{ef}{size} == 60 && $c->{ef}{read} == 60;
	die "senml\n" unless grep { ($_->{vs} // "") eq "coap://leshan.eclipseprojects.io:5783" }
		@{$d->{senml}};
' || fail "dump --json: $out"

note "read"
run "$CARDSTRAP" read -o "$TMP/ef.bin"
expect_rc 0 "read"
expect_in err "wrote 60 bytes"
vec2bin "$VECTORS/ef-nordic.hex" >"$TMP/want.bin"
cmp -s "$TMP/ef.bin" "$TMP/want.bin" || fail "read: bytes differ from ef-nordic.hex"
expect_eq "$(stat -c %a "$TMP/ef.bin")" "600" "mode of the written file"
run "$CARDSTRAP" read --hex -o "$TMP/ef.hex"
expect_rc 0 "read --hex"
run "$CARDSTRAP" decode "$TMP/ef.hex"
expect_rc 0 "decode of read --hex"
expect_eq "$out" "$decoded" "decode of read --hex"
