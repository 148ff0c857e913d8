#!/usr/bin/env bash
# Two readers with different cards (vpcd slots 0 and 1): `readers` lists both,
# --reader picks by substring and by index, the default is the first reader
# with a card, and a reader that does not exist is exit 69.
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"

start_pcscd
make_card "$VECTORS/ef-nordic.hex" "$TMP/nordic.json"
make_card "$VECTORS/ef-anjay-basic.hex" "$TMP/anjay.json" --iccid 89999000000000000023
start_vcard "$TMP/nordic.json" 0
reader0=$VPCD_READER
start_vcard "$TMP/anjay.json" 1
reader1=$VPCD_READER
expect_eq "$reader0" "Virtual PCD 00 00" "reader name of slot 0"
expect_eq "$reader1" "Virtual PCD 00 01" "reader name of slot 1"

run "$CARDSTRAP" readers
expect_rc 0 "readers"
expect_in out "0  $reader0"
expect_in out "1  $reader1"
expect_eq "$(printf '%s\n' "$out" | grep -c ' card ')" "2" "readers with a card"
run "$CARDSTRAP" readers --json
expect_rc 0 "readers --json"
printf '%s' "$out" | perl -MJSON::PP -e '
	my $r = decode_json(do { local $/; <STDIN> });
	die "count\n" unless @$r == 2;
	die "slot 1\n" unless $r->[1]{index} == 1 && $r->[1]{card} && $r->[1]{atr} =~ /^3B/;
' || fail "readers --json: $out"

nordic="coap://leshan.eclipseprojects.io:5783"
anjay="coaps://eu.iot.avsystem.cloud:5684"
for sel in "00 01" "1" "$reader1"; do
	run "$CARDSTRAP" dump --reader "$sel"
	expect_rc 0 "--reader '$sel'"
	expect_in out "Reader        $reader1"
	expect_in out "ICCID         89999000000000000023"
	expect_in out "$anjay"
done
for sel in "00 00" "0"; do
	run "$CARDSTRAP" dump --reader "$sel"
	expect_rc 0 "--reader '$sel'"
	expect_in out "$nordic"
done
run "$CARDSTRAP" dump
expect_rc 0 "default reader"
expect_in out "Reader        $reader0"

run "$CARDSTRAP" read --reader 1 -o "$TMP/anjay.bin"
expect_rc 0 "read --reader 1"
expect_eq "$(stat -c %s "$TMP/anjay.bin")" "126" "size of the Anjay EF"

run "$CARDSTRAP" dump --reader 2
expect_rc 69 "--reader 2"
expect_in err "no reader number 2 (there are 2: 0..1)"
run "$CARDSTRAP" dump --reader "Gemalto"
expect_rc 69 "--reader Gemalto"
expect_in err "no reader matches 'Gemalto'"

note "slot 0 emptied: the default moves to slot 1, --reader 0 has no card"
kill "$VCARD_PID_0"
wait "$VCARD_PID_0" 2>/dev/null
wait_card 0 absent
run "$CARDSTRAP" dump
expect_rc 0 "default reader after removal"
expect_in out "Reader        $reader1"
run "$CARDSTRAP" dump --reader 0
expect_rc 69 "--reader 0 without a card"
expect_in err "no card in reader '$reader0'"
run "$CARDSTRAP" readers
expect_rc 0 "readers"
expect_in out "$reader0"
expect_in out "empty"
