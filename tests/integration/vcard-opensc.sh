# Interoperability: OpenSC's opensc-tool talks to cardstrap-vcard through a
# real pcscd + vpcd, runs the APDU sequence of Core TS App. G.2.5 and
# gets back exactly the bytes of the standard-layout card image.
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"

command -v opensc-tool >/dev/null || skip "opensc-tool (OpenSC) is not installed"
AID=A000000063504B43532D3135

# hex of an image member: atr, or the data of an ADF EF by FID
image_hex() {
	perl -MJSON::PP -e '
		local $/; open(my $f, "<", $ARGV[0]) or die "$ARGV[0]: $!";
		my $j = decode_json(<$f>);
		if ($ARGV[1] eq "atr") { print uc($j->{atr}), "\n"; exit 0 }
		for my $a (@{$j->{adfs}}) {
			for my $e (@{$a->{files}}) { print uc($e->{data}), "\n" if $e->{fid} eq $ARGV[1] }
		}' "$TMP/card.json" "$1"
}

# opensc-tool -s output → one line per APDU: "SW DATA" (util_hex_dump_asc: the first
# line is n hex bytes + n characters, later lines 16 columns of hex + characters)
responses() {
	awk '
		function flush() { if (have) print sw, data; have = 0 }
		/^Sending:/ { flush(); next }
		/^Received \(SW1=0x/ {
			flush()
			sw = substr($0, index($0, "SW1=0x") + 6, 2) substr($0, index($0, "SW2=0x") + 6, 2)
			data = ""; have = 1; first = 1; next
		}
		have {
			n = first ? length($0) / 4 : length($0) - 48
			hex = substr($0, 1, 3 * n); gsub(/ /, "", hex); data = data hex; first = 0
		}
		END { flush() }'
}

make_card "$VECTORS/ef-nordic.hex" "$TMP/card.json"
[ "$(stat -c %a "$TMP/card.json")" = 600 ] || fail "card image is not mode 0600"
ef_vector=$(sed 's/#.*//' "$VECTORS/ef-nordic.hex" | tr -d ' \t\r\n' | tr a-f A-F)
[ ${#ef_vector} -eq 120 ] || fail "ef-nordic.hex: expected 60 bytes, got ${#ef_vector} hex digits"

start_pcscd
start_vcard "$TMP/card.json" 0 -v
note "card present in $VPCD_READER"

# the ATR as pcscd reports it
run opensc-tool --reader 0 --atr
expect_rc 0 "opensc-tool --atr"
atr=$(printf '%s' "$out" | tail -n 1 | tr -d ':' | tr a-f A-F)
expect_eq "$atr" "$(image_hex atr)" "ATR"

# App. G.2.5 on logical channel 1: open, SELECT ADF by AID, SELECT 7FFF/5031, 6430, 6432 with
# FCP, READ BINARY Le=80 each, close
run opensc-tool --reader 0 -c default \
	-s 0070000001 \
	-s 01A404040C${AID}00 \
	-s 01A40804047FFF503100 -s 01B0000080 \
	-s 01A40804047FFF643000 -s 01B0000080 \
	-s 01A40804047FFF643200 -s 01B0000080 \
	-s 01708001 \
	-s 01B0000001
expect_rc 0 "opensc-tool --send-apdu"
mapfile -t r < <(printf '%s\n' "$out" | responses)
[ ${#r[@]} -eq 10 ] || fail "expected 10 responses, got ${#r[@]}: $out"

odf=$(image_hex 5031) dodf=$(image_hex 6430) ef=$(image_hex 6432)
expect_eq "$ef" "$ef_vector" "EF 6432 in the image vs ef-nordic.hex"
expect_eq "${r[0]}" "9000 01" "MANAGE CHANNEL open"
case ${r[1]} in "9000 62"*"840C$AID"*) ;; *) fail "SELECT ADF: ${r[1]}" ;; esac
size() { printf '%04X' $((${#1} / 2)); }
case ${r[2]} in "9000 62"*"83025031"*"8002$(size "$odf")"*) ;; *) fail "SELECT 5031: ${r[2]}" ;; esac
expect_eq "${r[3]}" "6282 $odf" "READ BINARY ODF (short file: data + 6282)"
expect_eq "$odf" "A706300404026430" "ODF content (Nordic uicc_lwm2m vector)"
case ${r[4]} in "9000 62"*"83026430"*"8002$(size "$dodf")"*) ;; *) fail "SELECT 6430: ${r[4]}" ;; esac
expect_eq "${r[5]}" "6282 $dodf" "READ BINARY DODF"
case ${r[6]} in "9000 62"*"83026432"*"8002003C"*) ;; *) fail "SELECT 6432: ${r[6]}" ;; esac
expect_eq "${r[7]}" "6282 $ef_vector" "READ BINARY EF LwM2M_Bootstrap"
expect_eq "${r[8]}" "9000 " "MANAGE CHANNEL close"
expect_eq "${r[9]}" "6881 " "READ BINARY on the closed channel"

# the same files on the basic channel by FID and SFI, after a new power-up
run opensc-tool --reader 0 -c default \
	-s 00A4040C0C${AID} -s 00B0910000 -s 00B0900000 -s 00B0920000
expect_rc 0 "opensc-tool SFI reads"
mapfile -t r < <(printf '%s\n' "$out" | responses)
expect_eq "${r[0]}" "9000 " "SELECT ADF, no FCP"
expect_eq "${r[1]}" "6282 $odf" "READ BINARY SFI 11"
expect_eq "${r[2]}" "6282 $dodf" "READ BINARY SFI 10"
expect_eq "${r[3]}" "6282 $ef_vector" "READ BINARY SFI 12"

# the card logged the APDUs it answered
grep -q '> 01 A4 08 04 04 7F FF 64 32 00' "$TMP/vcard0.log" || fail "vcard -v log lacks the SELECT"
note "ok"
