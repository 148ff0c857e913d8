# cardstrap mkcard: card images with the standard layout.
. "$TOP/tests/lib.sh"

run "$CARDSTRAP" mkcard --ef "$VECTORS/ef-nordic.hex" -o "$TMP/card.json"
expect_rc 0 "mkcard"
expect_in err "wrote card image $TMP/card.json: EF LwM2M_Bootstrap 60 bytes"
expect_eq "$(stat -c %a "$TMP/card.json")" 600 "image mode"
expect_in "$(cat "$TMP/card.json")" '"format": "cardstrap-card-image"'
expect_in "$(cat "$TMP/card.json")" '"fid": "6432"'

note "a private object needs a PIN, and the PIN comes from a private file"
run "$CARDSTRAP" mkcard --ef "$VECTORS/ef-nordic.hex" --private -o "$TMP/p.json"
expect_rc 64 "--private without PIN"
printf '1234\n' >"$TMP/pin"
chmod 644 "$TMP/pin"
run "$CARDSTRAP" mkcard --ef "$VECTORS/ef-nordic.hex" --private --pin-file "$TMP/pin" -o "$TMP/p.json"
expect_rc 77 "world-readable PIN file"
[ ! -e "$TMP/p.json" ] || fail "image written despite the unsafe PIN file"
chmod 600 "$TMP/pin"
run "$CARDSTRAP" mkcard --ef "$VECTORS/ef-nordic.hex" --private --pin-file "$TMP/pin" -o "$TMP/p.json"
expect_rc 0 "private card"
expect_in err "PIN, private object"
expect_not_in "$out$err" "1234"

note "bad arguments"
run "$CARDSTRAP" mkcard --ef "$VECTORS/ef-nordic.hex"
expect_rc 64 "no -o"
run "$CARDSTRAP" mkcard --ef "$TMP/none.hex" -o "$TMP/x.json"
expect_rc 66 "missing EF"
run "$CARDSTRAP" mkcard --ef "$VECTORS/ef-nordic.hex" --channels 99 -o "$TMP/x.json"
expect_rc 64 "--channels 99"
