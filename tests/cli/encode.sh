# cardstrap encode: profiles to EF bytes, round trips, refusal of invalid data.
. "$TOP/tests/lib.sh"

V=$VECTORS

hex2bin() { perl -ne 'next if /^\s*#/; s/#.*//; s/[^0-9a-fA-F]//g; print pack("H*", $_)' "$1"; }

note "decode --json --show-secrets | encode gives back the same bytes"
for name in ef-anjay-basic ef-two-servers-acl ef-lwm2m11-two-servers-acl ef-lwm2m11-psk ef-16bit-ids \
	ef-lwm2m11-cert; do
	[ -f "$V/$name.hex" ] || fail "missing vector $name.hex"
	hex2bin "$V/$name.hex" >"$TMP/$name.orig"
	"$CARDSTRAP" decode --json --show-secrets "$V/$name.hex" >"$TMP/$name.json" ||
		fail "decode $name"
	run "$CARDSTRAP" encode "$TMP/$name.json" -o "$TMP/$name.bin"
	expect_rc 0 "encode $name"
	cmp "$TMP/$name.orig" "$TMP/$name.bin" || fail "$name: re-encoded bytes differ"
	expect_eq "$(stat -c %a "$TMP/$name.bin")" 600 "$name output mode"
done

note "the Nordic file re-encodes to its first 4 + size bytes (padding dropped)"
hex2bin "$V/ef-nordic.hex" | head -c 58 >"$TMP/nordic.58"
"$CARDSTRAP" decode --json --show-secrets "$V/ef-nordic.hex" | "$CARDSTRAP" encode - -o "$TMP/nordic.bin" ||
	fail "nordic round trip"
cmp "$TMP/nordic.58" "$TMP/nordic.bin" || fail "Nordic bytes differ"

note "a plain SenML array with a 1.1 server account"
cat >"$TMP/profile.json" <<'JSON'
[
 {"bn":"/0/0/","n":"0","vs":"coap://127.0.0.1:5683"},
 {"n":"1","vb":false},{"n":"2","v":3},{"n":"10","v":101},
 {"bn":"/1/0/","n":"0","v":101},{"n":"1","v":86400},{"n":"6","vb":true},{"n":"7","vs":"U"}
]
JSON
run "$CARDSTRAP" encode --hex "$TMP/profile.json" -o "$TMP/profile.hex"
expect_rc 0 "encode profile"
run "$CARDSTRAP" decode "$TMP/profile.hex"
expect_rc 0 "decode encoded profile"
expect_in out "coap://127.0.0.1:5683"
expect_in out "server account, SSID 101"
expect_match out "Lifetime +86400"

note "masked secrets cannot be encoded"
"$CARDSTRAP" decode --json "$V/ef-anjay-basic.hex" >"$TMP/masked.json"
run "$CARDSTRAP" encode "$TMP/masked.json" -o "$TMP/masked.bin"
expect_rc 65 "masked"
expect_in err "masked secret"
[ ! -e "$TMP/masked.bin" ] || fail "masked.bin was written"

note "invalid data is refused unless --force"
cat >"$TMP/bad.json" <<'JSON'
[{"bn":"/0/0/","n":"0","vs":"coap://127.0.0.1:5683"},{"n":"1","vb":false},{"n":"2","v":3},{"n":"10","v":0}]
JSON
run "$CARDSTRAP" encode "$TMP/bad.json" -o "$TMP/bad.bin"
expect_rc 65 "invalid profile"
expect_in err "outside 1..65534"
expect_in err "nothing written"
[ ! -e "$TMP/bad.bin" ] || fail "bad.bin was written"
run "$CARDSTRAP" encode --force "$TMP/bad.json" -o "$TMP/bad.bin"
expect_rc 0 "--force"
[ -s "$TMP/bad.bin" ] || fail "--force wrote nothing"

note "JSON syntax errors name the position"
printf '[{"n":"/0/0/0","vs":"x"},\n {"n": }]\n' >"$TMP/syntax.json"
run "$CARDSTRAP" encode "$TMP/syntax.json" -o "$TMP/syntax.bin"
expect_rc 65 "syntax error"
expect_in err "line 2"

note "usage"
run "$CARDSTRAP" encode "$TMP/profile.json"
expect_rc 64 "no -o"
run "$CARDSTRAP" encode "$TMP/nope.json" -o "$TMP/x"
expect_rc 66 "missing profile"
run "$CARDSTRAP" encode "$TMP/profile.json" -o "$TMP/no/such/dir/out.bin"
expect_rc 73 "unwritable output"
