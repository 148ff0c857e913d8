# cardstrap-vcard behind pcscd: removal and insertion by signal, card change
# by SIGHUP, and the fault injection options (--drop-after, --delay,
# --corrupt-apdu, --t0), seen through opensc-tool.
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"

command -v opensc-tool >/dev/null || skip "opensc-tool (OpenSC) is not installed"
SEL_ADF=00A4040C0CA000000063504B43532D3135
READ_ODF=00B0910008	# READ BINARY SFI 11 (ODF), 8 bytes

# "SW1=0x.., SW2=0x.." of every response, one per line
sws() { printf '%s\n' "$out" | sed -n 's/^Received (SW1=0x\(..\), SW2=0x\(..\)).*/\1\2/p' | tr '\n' ' '; }
atr_of() { opensc-tool --reader "$1" --atr 2>/dev/null | tail -n 1 | tr -d ':' | tr a-f A-F; }

make_card "$VECTORS/ef-nordic.hex" "$TMP/card.json"
make_card "$VECTORS/ef-nordic.hex" "$TMP/card-ext.json" --extended-length
make_card "$VECTORS/ef-nordic.hex" "$TMP/card-t0.json" --t0

start_pcscd

# usage errors and a bad image: exit 2 / 1 with a message naming the problem
run "$VCARD"
expect_rc 2 "no --image"
expect_in err "--image FILE is required"
echo '{"format": "cardstrap-card-image", "version": 1, "channels": 99}' >"$TMP/bad.json"
run "$VCARD" --image "$TMP/bad.json" --port "$VPCD_PORT"
expect_rc 1 "bad image"
expect_in err "channels: 99 is outside 1..20"
run "$VCARD" --image "$TMP/card.json" --corrupt 60
expect_rc 1 "--corrupt past the EF"
expect_in err "offset 60 is past the 60-byte EF 6432"

# slot 0: pid file, removal (SIGUSR1), insertion (SIGUSR2)
cp "$TMP/card.json" "$TMP/slot0.json"
start_vcard "$TMP/slot0.json" 0 --pidfile "$TMP/vcard0.pid"
expect_eq "$(cat "$TMP/vcard0.pid")" "$VCARD_PID" "pid file"
v0=$VCARD_PID
expect_eq "$(atr_of 0)" 3B85018073F6011B9B "ATR of the standard image"
kill -USR1 "$v0"
wait_card 0 absent
kill -USR2 "$v0"
wait_card 0 present
run opensc-tool --reader 0 -c default -s "$SEL_ADF" -s "$READ_ODF"
expect_eq "$(sws)" "9000 9000 " "APDUs after re-insertion"

# SIGHUP: the image file changed (extended length → other ATR); the card is changed
cp "$TMP/card-ext.json" "$TMP/slot0.json"
kill -HUP "$v0"
for _ in $(seq 50); do
	[ "$(atr_of 0)" = 3B85018073F6015BDB ] && break
	sleep 0.1
done
expect_eq "$(atr_of 0)" 3B85018073F6015BDB "ATR after SIGHUP"
# the new card answers (OpenSC itself refuses extended APDUs with its default driver)
run opensc-tool --reader 0 -c default -s "$SEL_ADF" -s "$READ_ODF"
expect_eq "$(sws)" "9000 9000 " "APDUs after the card change"
# a broken image on SIGHUP keeps the current card
echo '{' >"$TMP/slot0.json"
kill -HUP "$v0"
for _ in $(seq 50); do grep -q "not reloaded" "$TMP/vcard0.log" && break; sleep 0.1; done
expect_in "$(cat "$TMP/vcard0.log")" "SIGHUP: $TMP/slot0.json not reloaded"
expect_eq "$(atr_of 0)" 3B85018073F6015BDB "ATR after a failed reload"

# slot 1: --drop-after 2: the first APDU is answered, at the second the card vanishes
start_vcard "$TMP/card.json" 1 --drop-after 2
v1=$VCARD_PID
run opensc-tool --reader 1 -c default -s "$SEL_ADF" -s "$READ_ODF"
expect_eq "$(sws)" "9000 " "answers before the drop"
[ "$rc" -ne 0 ] || fail "opensc-tool succeeded although the card vanished"
wait "$v1"
expect_eq "$?" 0 "vcard exit code after --drop-after"
wait_card 1 absent

# --corrupt-apdu 2: the first data byte of the 2nd response (A7 of the ODF) is flipped
start_vcard "$TMP/card.json" 1 --corrupt-apdu 2
run opensc-tool --reader 1 -c default -s "$SEL_ADF" -s "$READ_ODF" -s "$READ_ODF"
expect_rc 0 "opensc-tool"
expect_eq "$(printf '%s\n' "$out" | grep -c '^58 06 30 04 04 02 64 30')" 1 "corrupted response"
expect_eq "$(printf '%s\n' "$out" | grep -c '^A7 06 30 04 04 02 64 30')" 1 "intact response"
kill "$VCARD_PID"
wait "$VCARD_PID"
expect_eq "$?" 0 "vcard exit code after SIGTERM"
wait_card 1 absent

# --delay 400: three APDUs take at least 1.2 s
start_vcard "$TMP/card.json" 1 --delay 400
t0=$(date +%s%N)
run opensc-tool --reader 1 -c default -s "$SEL_ADF" -s "$READ_ODF" -s "$READ_ODF"
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "$(sws)" "9000 9000 9000 " "slow card answers"
[ "$ms" -ge 1200 ] || fail "3 APDUs with --delay 400 took only $ms ms"
kill "$VCARD_PID"
wait_card 1 absent

# --t0 override: the card answers a case-4 SELECT with 61xx and a READ BINARY past the
# end with 6Cxx; OpenSC then sends GET RESPONSE / the corrected Le itself
start_vcard "$TMP/card.json" 1 --t0 -v
run opensc-tool --reader 1 -c default -s 00A404040CA000000063504B43532D313500 -s 00B0920080
expect_eq "$(sws)" "9000 9000 " "T=0 card as OpenSC sees it"
expect_in out "62 21 82 02 78 21"
log=$(grep -E '^cardstrap-vcard: [<>]' "$TMP/vcard1.log" | sed 's/^cardstrap-vcard: //')
expect_in "$log" "< 61 23"
expect_in "$log" "> 00 C0 00 00 23"
expect_in "$log" "> 00 B0 92 00 80"
expect_in "$log" "< 6C 3C"
expect_in "$log" "> 00 B0 92 00 3C"
kill "$VCARD_PID"
wait_card 1 absent
# the same from an image that says T=0
start_vcard "$TMP/card-t0.json" 1 -v
run opensc-tool --reader 1 -c default -s 00A4000C033F0000 -s 00A404040CA000000063504B43532D313500
expect_eq "$(sws)" "6700 9000 " "T=0 image"
expect_in "$(cat "$TMP/vcard1.log")" "< 61 23"
note "ok"
