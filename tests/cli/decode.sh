# cardstrap decode: readable tree, JSON, secrets, exit codes.
. "$TOP/tests/lib.sh"

V=$VECTORS

note "Nordic card file: the Bootstrap-Server account"
run "$CARDSTRAP" decode "$V/ef-nordic.hex"
expect_rc 0 "decode Nordic"
expect_in out "Object 0 LwM2M Security"
expect_in out "Instance /0/0  Bootstrap-Server account"
expect_match out "LwM2M Server URI +coap://leshan\\.eclipseprojects\\.io:5783"
expect_match out "1  Bootstrap-Server +true"
expect_match out "2  Security Mode +3 \\(NoSec\\)"
expect_in out "valid: 1 Bootstrap-Server account, 0 server accounts"

note "binary input and standard input give the same result"
grep -v '^#' "$V/ef-nordic.hex" | xxd -r -p >"$TMP/nordic.bin" 2>/dev/null ||
	perl -ne 'next if /^#/; s/#.*//; s/[^0-9a-fA-F]//g; print pack("H*", $_)' "$V/ef-nordic.hex" >"$TMP/nordic.bin"
expect_eq "$(stat -c %s "$TMP/nordic.bin")" 60 "Nordic EF size"
run "$CARDSTRAP" decode "$TMP/nordic.bin"
expect_rc 0 "decode binary"
first=$out
run "$CARDSTRAP" decode - <"$TMP/nordic.bin"
expect_rc 0 "decode stdin"
expect_eq "$out" "$first" "stdin output"

note "Anjay file: PSK secrets are masked unless --show-secrets"
run "$CARDSTRAP" decode "$V/ef-anjay-basic.hex"
expect_rc 0 "decode Anjay"
expect_in out "coaps://eu.iot.avsystem.cloud:5684"
expect_in out "<secret 19 bytes>"
expect_in out "<secret 20 bytes>"
expect_not_in out "3x@mpl3P5K53cr3tK3y"
expect_not_in out "example-psk-identity"
expect_in out "server SSID 1"
run "$CARDSTRAP" decode --json "$V/ef-anjay-basic.hex"
expect_rc 0 "decode --json Anjay"
expect_not_in out "3x@mpl3P5K53cr3tK3y"
expect_in out '"secret":19'
expect_in out '"valid":true'
run "$CARDSTRAP" decode --show-secrets "$V/ef-anjay-basic.hex"
expect_in out "3x@mpl3P5K53cr3tK3y"

note "JSON shape"
run "$CARDSTRAP" decode --json "$V/ef-nordic.hex"
expect_rc 0 "decode --json Nordic"
expect_in out '"senml":[{"bn":"/0/0/","n":"0","vs":"coap://leshan.eclipseprojects.io:5783"},{"n":"1","vb":true},{"n":"2","v":3}]'
expect_in out '"diagnostics":['

note "usage errors exit 64, unreadable input 66"
run "$CARDSTRAP" decode
expect_rc 64 "no file"
expect_in err "Try 'cardstrap help decode'"
run "$CARDSTRAP" decode --bogus "$V/ef-nordic.hex"
expect_rc 64 "unknown option"
run "$CARDSTRAP" decode "$TMP/does-not-exist"
expect_rc 66 "missing file"
expect_in err "cannot open $TMP/does-not-exist"
run "$CARDSTRAP" frobnicate
expect_rc 64 "unknown subcommand"

note "every malformed vector: exit 65 and the byte offset in the message"
n=0
for f in "$V"/ef-*.hex; do
	exp=$(sed -n 's/^# *expect: *//p' "$f" | head -n 1)
	case $exp in
	malformed@*)
		off=${exp#malformed@}
		run "$CARDSTRAP" decode "$f"
		expect_rc 65 "$(basename "$f")"
		expect_match err "(byte|offset) $off\\b"
		run "$CARDSTRAP" decode --json "$f"
		expect_in out "\"offset\":$off"
		n=$((n + 1)) ;;
	invalid)
		run "$CARDSTRAP" decode "$f"
		expect_rc 65 "$(basename "$f")"
		expect_in out "INVALID"
		expect_in err "validation error" ;;
	ok)
		run "$CARDSTRAP" decode "$f"
		expect_rc 0 "$(basename "$f")"
		expect_in out "valid:" ;;
	esac
done
[ $n -ge 10 ] || fail "only $n malformed vectors found"

note "bad hex text: offset of the bad character"
printf '00 01 00 3Z\n' >"$TMP/bad.hex"
run "$CARDSTRAP" decode "$TMP/bad.hex"
expect_rc 65 "bad hex"
expect_in err "offset 10"
