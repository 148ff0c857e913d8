#!/usr/bin/env bash
# The card vanishes in the middle of a read, at every APDU index of a small
# read (cardstrap-vcard --drop-after N, N = 1..12): exit 74, a message naming
# the reader and the command, and no output file.
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"

start_pcscd
make_card "$VECTORS/ef-nordic.hex" "$TMP/card.json"

# the whole read: 3 APDUs on the basic channel, 9 on the logical channel
commands=("READ BINARY" "READ RECORD" "READ RECORD" "MANAGE CHANNEL" "SELECT" "SELECT"
	"READ BINARY" "SELECT" "READ BINARY" "SELECT" "READ BINARY" "MANAGE CHANNEL")
start_vcard "$TMP/card.json" 0
run "$CARDSTRAP" dump --json
expect_rc 0 "full read"
total=$(printf '%s' "$out" | perl -MJSON::PP -e 'print decode_json(do { local $/; <STDIN> })->{card}{apdus}')
expect_eq "$total" "${#commands[@]}" "APDUs of the full read"
kill "$VCARD_PID"
wait "$VCARD_PID" 2>/dev/null
wait_card 0 absent

for n in $(seq 1 "$total"); do
	start_vcard "$TMP/card.json" 0 --drop-after "$n"
	run "$CARDSTRAP" read -o "$TMP/out.bin"
	expect_rc 74 "card removed at APDU $n"
	expect_in err "card removed from '$VPCD_READER' during ${commands[n - 1]}"
	[ -e "$TMP/out.bin" ] && fail "APDU $n: read left $TMP/out.bin"
	ls -A "$TMP" | grep -q '^\.out\.bin\.' && fail "APDU $n: read left a temporary file"
	wait "$VCARD_PID" 2>/dev/null
	wait_card 0 absent
done

note "dump after a removal: exit 69 (no card)"
run "$CARDSTRAP" dump
expect_rc 69 "no card"
expect_in err "no card in any of the 2 readers"
