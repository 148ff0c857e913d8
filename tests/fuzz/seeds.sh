#!/bin/sh
# Builds the seed corpora $B/fuzz/corpus/NAME/ of the fuzz targets from the test
# vectors (applet-spec/vectors), the CLI's output for them and the small hand-made
# seeds in tests/fuzz/seeds/. Seeds are named seed-*, so running it again
# refreshes them and keeps what libFuzzer added. Nothing here is committed.
# Environment: B (build dir, default build), CLI (default $B/cardstrap).
set -eu

B=${B:-build}
CLI=${CLI:-$B/cardstrap}
VEC=applet-spec/vectors
SEEDS=tests/fuzz/seeds
CORPUS=$B/fuzz/corpus
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

# Hex text with '#' comments → bytes.
hex2bin() {
	perl -0777 -ne 's/#[^\n]*//g; s/[^0-9A-Fa-f]//g; print pack("H*", $_)' "$1"
}

# put TARGET NAME < bytes
put() {
	mkdir -p "$CORPUS/$1"
	cat >"$CORPUS/$1/seed-$2"
}

expect() {
	sed -n 's/^# expect: *\([a-z]*\).*/\1/p' "$1" | head -n 1
}

for f in "$VEC"/ef-*.hex; do
	n=$(basename "$f" .hex)
	hex2bin "$f" >"$TMP/$n.bin"
	for t in bsfile model roundtrip; do
		put "$t" "$n" <"$TMP/$n.bin"
	done
	# 32 KiB seeds would make libFuzzer try inputs that large; the TLV walk is slow on them
	[ "$(wc -c <"$TMP/$n.bin")" -le 4096 ] || continue
	put tlv "$n" <"$TMP/$n.bin"
	# the TLV of the first record, after the 4-byte file and 5-byte record headers
	tail -c +10 "$TMP/$n.bin" | put tlv "$n-record1"
done
for f in "$VEC"/dir-*.hex; do hex2bin "$f" | put pkcs15_dir "$(basename "$f" .hex)"; done
for f in "$VEC"/odf-*.hex; do hex2bin "$f" | put pkcs15_odf "$(basename "$f" .hex)"; done
for f in "$VEC"/dodf-*.hex; do hex2bin "$f" | put pkcs15_dodf "$(basename "$f" .hex)"; done
for f in "$SEEDS"/fcp/*.hex; do hex2bin "$f" | put fcp "$(basename "$f" .hex)"; done
for f in "$SEEDS"/coap/*.hex; do hex2bin "$f" | put coap "$(basename "$f" .hex)"; done
for f in "$SEEDS"/discover/*; do put discover "$(basename "$f")" <"$f"; done
for f in "$SEEDS"/scp03_keys/*; do put scp03_keys "$(basename "$f")" <"$f"; done
for f in "$SEEDS"/config/*; do put config "$(basename "$f")" <"$f"; done
[ ! -f dist/cardstrap.conf ] || put config dist-cardstrap.conf <dist/cardstrap.conf
# hex text as the vectors and card images write it, and base64 as SenML "vd" does
for f in "$VEC"/ef-nordic.hex "$VEC"/dodf-nordic.hex "$SEEDS"/fcp/adf-pkcs15.hex "$SEEDS"/hex/*; do
	put hex "$(basename "$f")" <"$f"
done

# SenML-JSON as `cardstrap decode --json --show-secrets` prints it, for the valid vectors
for f in "$VEC"/ef-*.hex; do
	[ "$(expect "$f")" = ok ] || continue
	n=$(basename "$f" .hex)
	"$CLI" decode --json --show-secrets "$f" >"$TMP/$n.json"
	put senml "$n.json" <"$TMP/$n.json"
	# the bare SenML array too
	perl -0777 -ne 'print $1 if /"senml":\s*(\[.*?\])\s*,\s*"objects"/s' "$TMP/$n.json" |
		put senml "$n-array.json"
done

# card images from `cardstrap mkcard`, in the standard layout with a few variations
printf '1234\n' >"$TMP/pin" && chmod 600 "$TMP/pin"
cp "$SEEDS"/scp03_keys/aes128.txt "$TMP/keys" && chmod 600 "$TMP/keys"
mkcard() { # NAME VECTOR [mkcard options]
	n=$1 v=$2
	shift 2
	"$CLI" mkcard --ef "$VEC/$v.hex" -o "$TMP/$n.json" "$@" 2>"$TMP/err" || {
		cat "$TMP/err" >&2
		exit 1
	}
	put cardimg "$n.json" <"$TMP/$n.json"
}
mkcard nordic ef-nordic
mkcard pin-private ef-two-servers-acl --pin-file "$TMP/pin" --private
mkcard t0-wrapped ef-lwm2m11-psk --t0 --wrapped-oid --channels 1
mkcard scp03 ef-anjay-basic --scp03-keys "$TMP/keys" --scp03-required --extended-length

# what those cards answer to a read, replayed by fuzz_card
if [ -x "$B/fuzz/fuzz_card" ]; then
	for n in nordic pin-private t0-wrapped; do
		FUZZ_CARD_RECORD=$TMP/$n.json "$B/fuzz/fuzz_card" 2>/dev/null | put card "$n"
	done
fi

for d in "$CORPUS"/*; do
	printf '%s: %s seeds\n' "$(basename "$d")" "$(ls "$d" | grep -c '^seed-')"
done
