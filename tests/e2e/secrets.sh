#!/usr/bin/env bash
# Secrets never leak into output. A card profile full of distinctive secret
# values (PSK identities and keys of a Bootstrap-Server and a server
# account, an SMS binding secret key /0/x/8, the RPK private key of
# ef-rpk.hex, a PIN, an SCP03 key set, serve's own DTLS key) goes through
# every command: encode, decode (tree, -v, --json, errors), mkcard, readers,
# dump (plain, --trace, --trace -v, --json, -v, $CARDSTRAP_PIN, a wrong PIN,
# bad key files), read (--trace -v, --hex), serve --reader over DTLS with
# --trace -v --json and a testclient that registers over DTLS with the
# card's PSK, push and recover (--json -v), and the daemon when it is built.
# No stdout/stderr, trace, JSON report, error message or daemon state file
# holds any secret as raw bytes, hex (upper/lower, with and without spaces)
# or base64/base64url (every alignment) unless --show-secrets; with
# --show-secrets the card's secrets do appear (so this test can fail), the
# SCP03 keys and serve's DTLS key never. Files that hold secrets by design
# (encode -o, read -o, mkcard images, the testclient's state) are mode 0600.
# The testserver is configured with the card's PSK identity on its command
# line and logs it: its output is not scanned.
# Needs pcscd: run under `flock /tmp/cs-team/pcscd.lock` next to other pcscd users.
. "$TOP/tests/lib.sh"
. "$TOP/tests/pcsc.sh"
. "$TOP/tests/e2e/inject.bash"

O=$TMP/o # every output scanned
mkdir -p "$O"

# ---- the secrets: NAME HEX [never] ("never": not even with --show-secrets) ----
hexof() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n' | tr a-f A-F; }
PSK_ID="cs-Secret-Ident-7Q4wZ9"
BS_ID="cs-Secret-BsIdent-3K8d"
PIN=80642791
cat >"$TMP/secrets" <<EOF
psk-identity $(hexof "$PSK_ID")
psk-key 5EC1A7F00D3C4B29E8179A6B2D4F8C31
sms-key 6F0E2D4C8B1A3957F6E5D4C3B2A19080
bs-identity $(hexof "$BS_ID")
bs-key 9C4D2E7F1A6B3C85D0E9F4A7B2C61D38
rpk-private-scalar DBCDC5C124CF2456A823F616664AA600F55BD994E945CA404320A93AE02C7471
pin $(hexof "$PIN")
scp03-enc 7E1C39A55AC4D10F2B8E6F30917A4C2D never
scp03-mac C35D08E29741BA6C1FD4832A5EF069B7 never
scp03-dek 48A9137CE62FD0853B946E01CA57F21D never
serve-dtls-key 3D9A0C71E4B85F26A1D7C3E90B4F6A58 never
EOF
secret() { awk -v n="$1" '$1 == n {print $2}' "$TMP/secrets"; }
b64url() {
	perl -MMIME::Base64 -e 'my $s = encode_base64(pack("H*", $ARGV[0]), "");
		$s =~ tr{+/}{-_}; $s =~ s/=+$//; print $s' "$1"
}

# scan FILE...: every form of every secret in the files (hex and base64 also when broken
# over lines); prints "FILE: NAME as FORM", exit 1 on any
scan() {
	perl -MMIME::Base64 -e '
		my ($sf, @files) = @ARGV;
		open my $s, "<", $sf or die;
		my @sec;
		while (<$s>) { my ($n, $h) = split; push @sec, [$n, pack("H*", $h)] }
		my $hit = 0;
		for my $f (@files) {
			open my $fh, "<:raw", $f or next;
			my $t = do { local $/; <$fh> };
			# also without white space and colons: hex and base64 broken over lines
			(my $flat = $t) =~ s/[\s:]+//g;
			for my $x (@sec) {
				my ($n, $b) = @$x;
				my $hex = unpack("H*", $b);
				my %forms = ("raw" => $b, "hex" => uc $hex, "hex lower" => $hex,
					"spaced hex" => join(" ", unpack("(A2)*", uc $hex)),
					"spaced hex lower" => join(" ", unpack("(A2)*", $hex)));
				# base64 at each alignment: the characters that depend on the secret only
				for my $k (0 .. 2) {
					my $e = encode_base64(("\0" x $k) . $b, "");
					$e =~ s/=+$//;
					my $core = $k ? substr($e, 4) : $e;
					$core = substr($core, 0, length($core) - 4) if length($core) > 12;
					next if length($core) < 8;
					(my $url = $core) =~ tr{+/}{-_};
					$forms{"base64 at $k"} = $core;
					$forms{"base64url at $k"} = $url;
				}
				for my $form (sort keys %forms) {
					my $in = index($t, $forms{$form}) >= 0 ? "" :
						$form ne "raw" && index($flat, $forms{$form}) >= 0 ?
						" (over lines)" : undef;
					next unless defined $in;
					print "$f: $n as $form$in\n";
					$hit = 1;
				}
			}
		}
		exit $hit;' "$TMP/secrets" "$@"
}

# out NAME CMD...: runs CMD with stdout/stderr in $O/NAME.out/.err; sets rc, out, err
out() {
	local name=$1
	shift
	"$@" >"$O/$name.out" 2>"$O/$name.err"
	rc=$?
	out=$(cat "$O/$name.out")
	err=$(cat "$O/$name.err")
}

mode_600() { expect_eq "$(stat -c %a "$1")" 600 "mode of $1"; }

# ---- keys files, the PIN, the profile ----
(umask 077 && printf '%s\n' "$PIN" >"$TMP/pin")
(umask 077 && printf '11111111\n' >"$TMP/wrong-pin")
(umask 077 && cat >"$TMP/scp03.keys") <<EOF
kvn=30
enc=$(secret scp03-enc)
mac=$(secret scp03-mac)
dek=$(secret scp03-dek)
EOF
(umask 077 && secret serve-dtls-key >"$TMP/serve.key")
(umask 077 && secret psk-key >"$TMP/card-psk.key")

sport=$(free_port) && sdport=$(free_port) && bport=$(free_port) && dport=$(free_port) &&
	pport=$(free_port) && cport=$(free_port) && rport=$(free_port) || fail "no free port"

# The card's accounts: a PSK Bootstrap-Server account, a PSK server account with
# an SMS key (at the testserver's DTLS port), and (full profile only) the RPK
# server account of ef-rpk.hex.
"$CARDSTRAP" decode --json --show-secrets "$VECTORS/ef-rpk.hex" >"$TMP/rpk.json" ||
	fail "decode ef-rpk.hex"
rpk_records=$(perl -MJSON::PP -e '
	my $j = decode_json(do { local $/; <STDIN> });
	my ($bn, $last, @r) = ("", "");
	for my $x (@{$j->{senml}}) {
		my %y = %$x;
		$bn = delete $y{bn} // $bn;
		(my $to = $bn) =~ s{^/(\d)/0/$}{/$1/2/};
		$y{bn} = $to if $to ne $last;
		$last = $to;
		$y{v} = 102 if ($to eq "/0/2/" && $y{n} eq "10") || ($to eq "/1/2/" && $y{n} eq "0");
		push @r, JSON::PP->new->canonical->encode(\%y);
	}
	print join(",", @r);' <"$TMP/rpk.json")
# SenML of the PSK Bootstrap-Server account /0/0 and the PSK server account /0/1 + /1/1
psk_records() {
	printf '{"bn":"/0/0/","n":"0","vs":"coaps://127.0.0.1:%s"},{"n":"1","vb":true},' "$rport"
	printf '{"n":"2","v":0},{"n":"3","vd":"%s"},{"n":"5","vd":"%s"},' \
		"$(b64url "$(secret bs-identity)")" "$(b64url "$(secret bs-key)")"
	printf '{"bn":"/0/1/","n":"0","vs":"coaps://127.0.0.1:%s"},{"n":"1","vb":false},' "$sdport"
	printf '{"n":"2","v":0},{"n":"3","vd":"%s"},{"n":"5","vd":"%s"},{"n":"8","vd":"%s"},' \
		"$(b64url "$(secret psk-identity)")" "$(b64url "$(secret psk-key)")" \
		"$(b64url "$(secret sms-key)")"
	printf '{"n":"10","v":101},{"bn":"/1/1/","n":"0","v":101},{"n":"1","v":300},'
	printf '{"n":"6","vb":true},{"n":"7","vs":"U"}'
}
inject_records=$(psk_records)
printf '[%s]\n' "$inject_records" >"$TMP/inject.json"
printf '[%s,%s]\n' "$inject_records" "$rpk_records" >"$TMP/full.json"

note "encode"
out encode "$CARDSTRAP" encode "$TMP/full.json" -o "$TMP/full.ef"
expect_rc 0 "encode: $err"
mode_600 "$TMP/full.ef"
out encode-hex "$CARDSTRAP" encode -v --hex "$TMP/full.json" -o "$TMP/full.hex"
expect_rc 0 "encode --hex"
mode_600 "$TMP/full.hex"
out encode-stdin "$CARDSTRAP" encode - -o "$TMP/inject.ef" <"$TMP/inject.json"
expect_rc 0 "encode from stdin"
mode_600 "$TMP/inject.ef"
out encode-stdout "$CARDSTRAP" encode --json "$TMP/inject.json" -o /dev/null
# a profile the encoder refuses: the key where a number belongs, the identity as a number
sed 's/"n":"10","v":101/"n":"10","vd":"'"$(b64url "$(secret psk-key)")"'"/' "$TMP/inject.json" >"$TMP/bad1.json"
out encode-bad1 "$CARDSTRAP" encode "$TMP/bad1.json" -o "$TMP/bad1.ef"
[ "$rc" -ne 0 ] || fail "encode took a key as Short Server ID"
out encode-bad2 "$CARDSTRAP" encode --force "$TMP/bad1.json" -o "$TMP/bad2.ef"
out encode-bad3 "$CARDSTRAP" encode "$TMP/full.ef" -o "$TMP/bad3.ef"
[ "$rc" -ne 0 ] || fail "encode took EF bytes as a profile"

note "decode"
out decode "$CARDSTRAP" decode "$TMP/full.ef"
expect_rc 0 "decode: $out $err"
expect_in out "<secret 16 bytes>"
out decode-v "$CARDSTRAP" decode -v "$TMP/full.hex"
expect_rc 0 "decode -v"
out decode-json "$CARDSTRAP" decode --json "$TMP/full.ef"
expect_rc 0 "decode --json"
expect_in out '"secret":16'
# a malformed EF whose bytes hold the keys: the error names offsets, not bytes
perl -e 'local $/; my $d = <STDIN>; substr($d, 3, 1) = chr(ord(substr($d, 3, 1)) + 9); print $d' \
	<"$TMP/full.ef" >"$TMP/broken.ef"
out decode-broken "$CARDSTRAP" decode --json "$TMP/broken.ef"
expect_rc 65 "decode of a broken EF"
out decode-broken2 "$CARDSTRAP" decode -v "$TMP/broken.ef"

note "mkcard"
out mkcard "$CARDSTRAP" mkcard -v --ef "$TMP/full.ef" --pin-file "$TMP/pin" --private \
	--scp03-keys "$TMP/scp03.keys" --scp03-required -o "$TMP/card.json"
expect_rc 0 "mkcard: $err"
mode_600 "$TMP/card.json"
out mkcard-inject "$CARDSTRAP" mkcard --ef "$TMP/inject.ef" --pin-file "$TMP/pin" --private \
	--scp03-keys "$TMP/scp03.keys" --scp03-required -o "$TMP/inject-card.json"
expect_rc 0 "mkcard inject"
mode_600 "$TMP/inject-card.json"
chmod 644 "$TMP/pin"
out mkcard-open-pin "$CARDSTRAP" mkcard --ef "$TMP/full.ef" --pin-file "$TMP/pin" -o "$TMP/x.json"
expect_rc 77 "mkcard with a 0644 PIN file"
chmod 600 "$TMP/pin"

start_pcscd
start_vcard "$TMP/card.json" 0
R=$VPCD_READER
CARD=(--reader "$R" --pin-file "$TMP/pin" --scp03-keys "$TMP/scp03.keys")

note "readers, dump, read"
out readers "$CARDSTRAP" readers
out readers-json "$CARDSTRAP" readers --json
out dump "$CARDSTRAP" dump "${CARD[@]}"
expect_rc 0 "dump: $err"
expect_in out "PIN 01 verified"
out dump-trace "$CARDSTRAP" dump --trace "${CARD[@]}"
expect_rc 0 "dump --trace"
out dump-trace-v "$CARDSTRAP" dump --trace -v "${CARD[@]}"
expect_rc 0 "dump --trace -v"
expect_in err "[scp03] > 01 20 00 01 08 <8 bytes redacted>"
out dump-json "$CARDSTRAP" dump --json -v "${CARD[@]}"
expect_rc 0 "dump --json"
out dump-env env CARDSTRAP_PIN="$PIN" "$CARDSTRAP" dump --trace -v --reader "$R" \
	--scp03-keys "$TMP/scp03.keys"
expect_rc 0 "dump with CARDSTRAP_PIN"
out dump-wrong-pin "$CARDSTRAP" dump --trace -v --reader "$R" --pin-file "$TMP/wrong-pin" \
	--scp03-keys "$TMP/scp03.keys"
expect_rc 77 "dump with a wrong PIN"
expect_in err "2 tries left"
out dump-after-wrong "$CARDSTRAP" dump --trace "${CARD[@]}"
expect_rc 0 "dump after a wrong PIN (the counter is reset)"
# a keys file with a typo inside a key: the message names the line, never the value
(umask 077 && sed 's/^mac=\(..\)/mac=ZZ/' "$TMP/scp03.keys" >"$TMP/bad.keys")
out dump-bad-keys "$CARDSTRAP" dump --reader "$R" --pin-file "$TMP/pin" --scp03-keys "$TMP/bad.keys"
expect_rc 65 "malformed keys file"
(umask 077 && sed '/^dek=/d; s/^enc=\(.*\)/enc=\1AB/' "$TMP/scp03.keys" >"$TMP/short.keys")
out dump-bad-keys2 "$CARDSTRAP" dump --reader "$R" --pin-file "$TMP/pin" --scp03-keys "$TMP/short.keys"
[ "$rc" -ne 0 ] || fail "keys of two lengths accepted"
out read "$CARDSTRAP" read --trace -v "${CARD[@]}" -o "$TMP/read.bin"
expect_rc 0 "read"
mode_600 "$TMP/read.bin"
cmp -s "$TMP/read.bin" "$TMP/full.ef" || fail "read: the bytes differ from the EF"
out read-hex "$CARDSTRAP" read --hex "${CARD[@]}" -o "$TMP/read.hex"
expect_rc 0 "read --hex"
mode_600 "$TMP/read.hex"

note "--show-secrets: the card's secrets do show"
out show-decode "$CARDSTRAP" decode --show-secrets "$TMP/full.ef"
out show-decode-json "$CARDSTRAP" decode --json --show-secrets "$TMP/full.ef"
out show-dump "$CARDSTRAP" dump --trace -v --json --show-secrets "${CARD[@]}"
expect_rc 0 "dump --show-secrets"
shown=$(scan "$O"/show-* | awk '{print $2}' | sort -u | tr '\n' ' ')
for n in psk-identity psk-key sms-key bs-identity bs-key rpk-private-scalar pin; do
	case " $shown " in *" $n "*) ;; *) fail "--show-secrets does not show $n (shown: $shown)" ;; esac
done
for n in scp03-enc scp03-mac scp03-dek serve-dtls-key; do
	case " $shown " in *" $n "*) fail "--show-secrets shows $n" ;; esac
done
mkdir "$TMP/shown" && mv "$O"/show-* "$TMP/shown/"

note "serve --reader over DTLS, a client that registers over DTLS with the card's PSK"
kill "$VCARD_PID"
wait "$VCARD_PID" 2>/dev/null
wait_card 0 absent
start_vcard "$TMP/inject-card.json" 0
start_testserver reg --listen "127.0.0.1:$sport" --listen-dtls "127.0.0.1:$sdport" \
	--psk-identity "$PSK_ID" --psk-key-file "$TMP/card-psk.key"
bg serve 60 "$CARDSTRAP" serve "${CARD[@]}" --trace -v --json --once --listen "127.0.0.1:$bport" \
	--dtls-listen "127.0.0.1:$dport" --psk-identity cardstrap-bs --psk-key-file "$TMP/serve.key"
serve_pid=$bgpid
wait_for "$TMP/serve.err" "serving the bootstrap data on"
bg client 60 "$CLIENT" -v --endpoint sec-dtls --bs "coaps://127.0.0.1:$dport" \
	--bs-psk-identity cardstrap-bs --bs-psk-key-file "$TMP/serve.key" --state "$TMP/client.json" \
	--exit-after-register --timeout 30
finish "$bgpid" client
expect_rc 0 "client over DTLS: $err"
cp "$TMP/client.out" "$O/client.out"
cp "$TMP/client.err" "$O/client.err"
finish "$serve_pid" serve
expect_rc 0 "serve --once"
cp "$TMP/serve.out" "$O/serve.out"
cp "$TMP/serve.err" "$O/serve.err"
expect_in "$(json_field "$out" dtls)" true
wait_for "$TMP/reg.out" "register ep=sec-dtls lt=300"
mode_600 "$TMP/client.json"
# a PSK key file others may read, and one that is not a key
chmod 644 "$TMP/serve.key"
out serve-open-key "$CARDSTRAP" serve --file "$TMP/inject.ef" --listen "127.0.0.1:$bport" \
	--psk-identity x --psk-key-file "$TMP/serve.key"
expect_rc 77 "serve with a 0644 key file"
chmod 600 "$TMP/serve.key"
(umask 077 && printf '%s%s\n' "$(secret serve-dtls-key)" "$(secret serve-dtls-key)0" >"$TMP/odd.key")
out serve-odd-key timeout 5 "$CARDSTRAP" serve --file "$TMP/inject.ef" --listen "127.0.0.1:$bport" \
	--psk-identity x --psk-key-file "$TMP/odd.key" --once --timeout 1

note "push and recover"
bg pclient 60 "$CLIENT" -v --endpoint sec-push --server "coap://127.0.0.1:$sport" --ssid 5 \
	--bs "coap://127.0.0.1:$pport" --accept-push --listen "127.0.0.1:$cport" \
	--state "$TMP/pclient.json" --timeout 50
pclient_pid=$bgpid
wait_for "$TMP/reg.out" "register ep=sec-push lt=86400"
out push timeout 30 "$CARDSTRAP" push --file "$TMP/inject.ef" --client "coap://127.0.0.1:$cport" \
	--listen "127.0.0.1:$pport" --endpoint sec-push --json -v --bs-account skip
expect_rc 0 "push: $err"
wait_for "$TMP/pclient.err" "finish 2.04"
wait_for "$TMP/reg.out" "register ep=sec-push lt=300"
kill -TERM "$pclient_pid"
finish "$pclient_pid" pclient
cp "$TMP/pclient.err" "$O/pclient.err"
mode_600 "$TMP/pclient.json"
restart="timeout 60 $CLIENT -v --endpoint {endpoint} --state $TMP/rclient.json --factory --bs {uri} \
	--exit-after-register --timeout 30 >$O/rclient.out 2>$O/rclient.err & echo \$! >$TMP/rclient.pid"
out recover timeout 60 "$CARDSTRAP" recover --file "$TMP/inject.ef" --listen "127.0.0.1:$rport" \
	--endpoint sec-recover --json -v --timeout 30 --restart-client "$restart"
[ -s "$TMP/rclient.pid" ] && track "$(cat "$TMP/rclient.pid")"
expect_rc 0 "recover: $err"
out recover-text timeout 60 "$CARDSTRAP" recover --file "$TMP/inject.ef" --listen "127.0.0.1:$rport" \
	--endpoint sec-recover2 -v --timeout 30 --restart-client "${restart//rclient/rclient2}"
[ -s "$TMP/rclient2.pid" ] && track "$(cat "$TMP/rclient2.pid")"
expect_rc 0 "recover (text summary): $err"
expect_in out "client recovered"
mode_600 "$TMP/rclient.json"

if [ -f "$TOP/tests/e2e/daemon.sh" ] && "$CARDSTRAP" help daemon >/dev/null 2>&1; then
	note "daemon: its log lines (--trace -v), --check-config and state_dir"
	dbport=$(free_port) && ddport=$(free_port) || fail "no free port"
	cat >"$TMP/drestart.sh" <<-EOF
		#!/bin/sh
		"$CLIENT" -v --endpoint "\$2" --state "$TMP/dclient.json" --factory --bs "\$1" \
			--exit-after-register --timeout 20 >>"$O/dclient.out" 2>>"$O/dclient.err" &
		echo \$! >>"$TMP/dclient.pids"
	EOF
	chmod 755 "$TMP/drestart.sh"
	cat >"$TMP/daemon.conf" <<-EOF
		[card]
		reader = $R
		pin_file = $TMP/pin
		scp03_keys = $TMP/scp03.keys
		[server]
		listen = 127.0.0.1:$dbport
		dtls_listen = 127.0.0.1:$ddport
		psk_identity = cardstrap-bs
		psk_key_file = $TMP/serve.key
		endpoint = sec-daemon
		[client]
		restart_client = $TMP/drestart.sh {uri} {endpoint}
		[daemon]
		state_dir = $TMP/dstate
		log_level = debug
	EOF
	out daemon-check "$CARDSTRAP" daemon --check-config "$TMP/daemon.conf"
	expect_rc 0 "daemon --check-config: $out $err"
	"$CARDSTRAP" daemon --foreground --trace -v --config "$TMP/daemon.conf" \
		>"$O/daemon.out" 2>"$O/daemon.err" &
	dpid=$!
	track "$dpid"
	wait_for "$O/daemon.err" "applied; recorded in $TMP/dstate/applied"
	wait_for "$TMP/reg.out" "register ep=sec-daemon lt=300"
	while read -r pid; do track "$pid"; done <"$TMP/dclient.pids"
	expect_in "$(cat "$O/daemon.err")" "read over SCP03"
	kill -TERM "$dpid"
	wait "$dpid"
	expect_eq "$?" 0 "daemon exit code"
	for f in "$TMP/dstate"/*; do
		mode_600 "$f"
		cp "$f" "$O/dstate-$(basename "$f")"
	done
	mode_600 "$TMP/dclient.json"
else
	note "the daemon is not built: not checked"
fi

note "scan: $(ls "$O" | wc -l) outputs, $(grep -c . "$TMP/secrets") secrets, every form"
if ! hits=$(scan "$O"/*); then
	fail "secrets in the output:
$hits"
fi
for f in "$O"/*; do
	[ -s "$f" ] || continue
	printf '   %-26s %6d bytes\n' "$(basename "$f")" "$(stat -c %s "$f")"
done
echo ok
