#!/usr/bin/env bash
# Cards that carry no bootstrap data: no PKCS#15 application (66, the message
# names 6A82 and the AID, the channel is closed again), a DODF without the
# LwM2M OID (66), an all-FF DODF (66). What was learnt is still printed.
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"

# edit_image FILE PERL: runs PERL with the image as $d (JSON::PP) and writes it back.
edit_image() {
	perl -MJSON::PP -e '
		my ($f, $code) = @ARGV;
		open my $h, "<", $f or die "$f: $!";
		our $d = decode_json(do { local $/; <$h> });
		close $h;
		sub hexfile { open my $v, "<", $_[0] or die "$_[0]: $!"; my $x = "";
			while (<$v>) { s/#.*//; s/[^0-9A-Fa-f]//g; $x .= uc $_ } $x }
		sub file { my $fid = shift; (grep { $_->{fid} eq $fid } map { @{$_->{files}} }
			@{$d->{adfs}})[0] }
		eval $code; die $@ if $@;
		open $h, ">", $f or die "$f: $!";
		print $h encode_json($d);
	' "$1" "$2" || fail "edit_image $2"
}

# swap_card IMAGE: takes the card out of slot 0 and inserts another.
swap_card() {
	if [ -n "${VCARD_PID:-}" ]; then
		kill "$VCARD_PID"
		wait "$VCARD_PID" 2>/dev/null
		wait_card 0 absent
	fi
	start_vcard "$1" 0
}

apdu_pairs() {
	printf '%s\n' "$err" | sed -n -e 's/^trace .* ms  > //p' -e 's/^trace  *< /=> /p' | paste -d' ' - -
}

start_pcscd
make_card "$VECTORS/ef-nordic.hex" "$TMP/std.json"

note "no PKCS#15 application, no EF.DIR"
cp "$TMP/std.json" "$TMP/nopkcs15.json"
edit_image "$TMP/nopkcs15.json" '$d->{adfs} = []; $d->{mf}{files} = [];'
swap_card "$TMP/nopkcs15.json"
run "$CARDSTRAP" dump --trace
expect_rc 66 "no PKCS#15"
expect_in err "card has no PKCS#15 application (6A82 on SELECT A000000063504B43532D3135)"
expect_in out "ICCID         89999000000000000015"
expect_in out "(default PKCS#15 AID; no EF.DIR)"
expect_in "$(apdu_pairs)" "01 A4 04 04 0C A0 00 00 00 63 50 4B 43 53 2D 31 35 00 => 6A 82"
expect_in "$(apdu_pairs)" "01 70 80 01 => 90 00"
run "$CARDSTRAP" dump --json
expect_rc 66 "no PKCS#15 (json)"
printf '%s' "$out" | perl -MJSON::PP -e '
	my $d = decode_json(do { local $/; <STDIN> });
	die "error\n" unless $d->{error}{message} =~ /6A82 on SELECT A000000063504B43532D3135/;
	die "card\n" unless $d->{card}{application}{source} eq "default" && !$d->{valid};
' || fail "dump --json without PKCS#15: $out"
run "$CARDSTRAP" read -o "$TMP/out.bin"
expect_rc 66 "read without PKCS#15"
[ -e "$TMP/out.bin" ] && fail "read wrote a file"

note "DODF without the LwM2M OID"
cp "$TMP/std.json" "$TMP/nolwm2m.json"
edit_image "$TMP/nolwm2m.json" "file('6430')->{data} = hexfile('$VECTORS/dodf-no-lwm2m.hex');"
swap_card "$TMP/nolwm2m.json"
run "$CARDSTRAP" dump
expect_rc 66 "DODF without LwM2M"
expect_in err "no LwM2M bootstrap object (OID 2.23.43.9.1 with a path) in DODF 6430"
expect_in out '"Settings" oidDO, OID none, path 6440, flags none'

note "all-FF DODF"
cp "$TMP/std.json" "$TMP/allff.json"
edit_image "$TMP/allff.json" "file('6430')->{data} = hexfile('$VECTORS/dodf-all-ff.hex');"
swap_card "$TMP/allff.json"
run "$CARDSTRAP" read -o "$TMP/out.bin"
expect_rc 66 "all-FF DODF"
expect_in err "no LwM2M bootstrap object"
[ -e "$TMP/out.bin" ] && fail "read wrote a file"

note "invalid bootstrap data"
make_card "$VECTORS/ef-invalid-ssid-0.hex" "$TMP/invalid.json"
swap_card "$TMP/invalid.json"
run "$CARDSTRAP" dump
expect_rc 65 "invalid EF"
expect_in out "INVALID"
expect_in err "EF 6432: "

note "malformed bootstrap data"
make_card "$VECTORS/ef-malformed-size-past-end.hex" "$TMP/malformed.json"
swap_card "$TMP/malformed.json"
run "$CARDSTRAP" dump
expect_rc 65 "malformed EF"
expect_in err "cardstrap dump: EF 6432: byte "
expect_in out "EF 6432       "
run "$CARDSTRAP" read -o "$TMP/raw.bin"
expect_rc 0 "read copies a malformed EF unchanged"
