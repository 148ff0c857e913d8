#!/usr/bin/env bash
# A card with T=0 behaviour: SELECT answers 61xx (GET RESPONSE on the same
# channel), READ BINARY with Le beyond the end of a 9-byte EF ICCID answers
# 6Cxx (the same command again with Le = xx). The read gives the same EF.
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"

# "C-APDU => R-APDU" lines of the --trace output in $err
apdu_pairs() {
	printf '%s\n' "$err" | sed -n -e 's/^trace .* ms  > //p' -e 's/^trace  *< /=> /p' | paste -d' ' - -
}

start_pcscd
make_card "$VECTORS/ef-nordic.hex" "$TMP/card.json" --t0
# an EF ICCID of 9 bytes (18 digits, no filler byte), so that Le 0A is one too many
perl -MJSON::PP -e '
	my ($f) = @ARGV;
	open my $h, "<", $f or die "$f: $!";
	my $d = decode_json(do { local $/; <$h> });
	close $h;
	delete $d->{iccid};
	push @{$d->{mf}{files}}, { fid => "2FE2", name => "ICCID", structure => "transparent",
		sfi => 2, read => "always", data => "989909000000000051" };
	open $h, ">", $f or die "$f: $!";
	print $h encode_json($d);
' "$TMP/card.json" || fail "image edit"
start_vcard "$TMP/card.json" 0 --t0

run "$CARDSTRAP" dump --trace
expect_rc 0 "dump of a T=0 card"
expect_in out "LwM2M Server URI    coap://leshan.eclipseprojects.io:5783"
expect_in out "valid: 1 Bootstrap-Server account"
expect_in out "ICCID         899990000000000015"
# EF ICCID by SFI: 6Cxx, then the same READ BINARY with Le = xx
expect_in "$(apdu_pairs)" "00 B0 82 00 0A => 6C 09"
expect_in "$(apdu_pairs)" "00 B0 82 00 09 => 98 99 09 00 00 00 00 00 51 90 00"
# SELECT: 61xx, then GET RESPONSE on the same channel with Le = xx
expect_in "$(apdu_pairs)" "01 A4 04 04 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 00 => 61 23"
expect_in err "> 01 C0 00 00 23"
expect_in err "> 01 C0 00 00 19"
gr=$(printf '%s\n' "$err" | grep -c '> 01 C0 00 00')
expect_eq "$gr" "4" "GET RESPONSE count (one per SELECT)"

run "$CARDSTRAP" read -o "$TMP/ef.bin"
expect_rc 0 "read of a T=0 card"
perl -ne 's/#.*//; s/[^0-9A-Fa-f]//g; print pack("H*", $_)' "$VECTORS/ef-nordic.hex" >"$TMP/want.bin"
cmp -s "$TMP/ef.bin" "$TMP/want.bin" || fail "T=0 read: bytes differ from ef-nordic.hex"
