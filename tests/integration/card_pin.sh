#!/usr/bin/env bash
# A PIN-protected bootstrap object (DODF flag private, PIN 1234 with 3 tries):
# the PIN from --pin-file and from CARDSTRAP_PIN, never from argv; wrong PIN
# shows the tries left; with one try left cardstrap refuses and the counter
# stays; an unsafe PIN file and a missing PIN are refused (exit 77).
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"

# "C-APDU => R-APDU" lines of the --trace output in $err
apdu_pairs() {
	printf '%s\n' "$err" | sed -n -e 's/^trace .* ms  > //p' -e 's/^trace  *< /=> /p' | paste -d' ' - -
}

# No controlling terminal, so that a missing PIN cannot turn into a prompt.
notty() { setsid -w "$@" </dev/null; }

start_pcscd
make_card "$VECTORS/ef-nordic.hex" "$TMP/card.json" --pin 1234 --private
start_vcard "$TMP/card.json" 0
printf '1234\n' >"$TMP/pin"
chmod 600 "$TMP/pin"

note "--pin-file"
run notty "$CARDSTRAP" dump --trace --pin-file "$TMP/pin"
expect_rc 0 "dump --pin-file"
expect_in out "flags private, authId 01"
expect_in out "EF 6432       60 bytes read (file size 60), PIN 01 verified"
expect_in out "valid: 1 Bootstrap-Server account"
# the counter first, then the PIN, masked
expect_in "$(apdu_pairs)" "01 20 00 01 => 63 C3"
expect_in "$(apdu_pairs)" "01 20 00 01 08 <8 bytes redacted> => 90 00"
expect_not_in err "31 32 33 34 FF"
run notty "$CARDSTRAP" dump --trace --show-secrets --pin-file "$TMP/pin"
expect_rc 0 "dump --show-secrets"
expect_in err "> 01 20 00 01 08 31 32 33 34 FF FF FF FF"
# the card was reset after the read: the PIN is needed again each time
expect_in err "< 63 C3"

note "read with CARDSTRAP_PIN"
run notty env CARDSTRAP_PIN=1234 "$CARDSTRAP" read -o "$TMP/ef.bin"
expect_rc 0 "read with CARDSTRAP_PIN"
expect_eq "$(stat -c %s "$TMP/ef.bin")" "60" "size read"

note "unsafe PIN file"
chmod 644 "$TMP/pin"
run notty "$CARDSTRAP" dump --trace --pin-file "$TMP/pin"
expect_rc 77 "group/world-readable PIN file"
expect_in err "can be read or written by group or others (mode 0644)"
expect_eq "$(printf '%s\n' "$err" | grep -c '^trace')" "0" "APDUs sent with an unsafe PIN file"
chmod 600 "$TMP/pin"

note "no PIN source"
run notty "$CARDSTRAP" dump
expect_rc 77 "no PIN"
expect_in err "the card needs the PIN (key reference 01, 3 tries left)"
expect_in err "--pin-file FILE or CARDSTRAP_PIN"

note "wrong PIN, then one try left"
run notty env CARDSTRAP_PIN=9999 "$CARDSTRAP" dump
expect_rc 77 "wrong PIN"
expect_in err "wrong PIN (key reference 01): 2 tries left (63C2 on VERIFY 01)"
run notty env CARDSTRAP_PIN=0000 "$CARDSTRAP" read -o "$TMP/out.bin"
expect_rc 77 "second wrong PIN"
expect_in err "1 try left"
[ -e "$TMP/out.bin" ] && fail "read wrote a file after a wrong PIN"
for i in 1 2; do
	run notty "$CARDSTRAP" dump --trace --show-secrets --pin-file "$TMP/pin"
	expect_rc 77 "refusal $i"
	expect_in err "only 1 try left for PIN (key reference 01)"
	expect_in "$(apdu_pairs)" "01 20 00 01 => 63 C1"
	expect_not_in err "> 01 20 00 01 08"
done
