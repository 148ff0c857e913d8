#!/usr/bin/env bash
# The daemon's configuration file, installation and service files:
#  - `cardstrap daemon --check-config`: the example and a full config are
#    valid and print their effective settings (secrets as paths only), the
#    printout loads again to the same settings; bad files give every error
#    as FILE:LINE: message and exit 65, an unreadable one 66;
#  - the daemon refuses to start on a bad config; runs in the background
#    (the parent exits 0 once it listens, 69 when it cannot); tells systemd
#    READY=1 / RELOADING=1 / STOPPING=1 through NOTIFY_SOCKET;
#  - `make install DESTDIR=...`: udev rules, unit (with @BINDIR@ and
#    @SYSCONFDIR@ filled in) and example config land; an existing config is
#    kept; `systemd-analyze verify` passes on the unit (when available);
#  - the udev rules: `udevadm test` in a private mount namespace on a
#    made-up CCID reader and a made-up USB stick (when udevadm is available).
. "$TOP/tests/lib.sh"

# wait_file FILE TEXT [SECONDS]: waits until FILE holds TEXT.
wait_file() {
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "no '$2' in $1 after ${3:-10} s: $(cat "$1" 2>/dev/null)"
}

check() {  # FILE: runs --check-config on it
	run "$CARDSTRAP" daemon --check-config "$1"
}

note "the example config is valid, and its printout loads to the same settings"
check "$TOP/dist/cardstrap.conf"
expect_rc 0 "example config"
expect_in out "# cardstrap daemon: the effective settings of $TOP/dist/cardstrap.conf"
expect_in out "listen = 127.0.0.1:5783"
expect_in out "on_removal = keep"
expect_in out "reapply = changed"
expect_in out "state_dir = /var/lib/cardstrap"
expect_in out "log_level = info"
printf '%s\n' "$out" >"$TMP/printed.conf"
check "$TMP/printed.conf"
expect_rc 0 "printed example"
expect_eq "$(printf '%s\n' "$out" | tail -n +2)" "$(tail -n +2 "$TMP/printed.conf")" "printout of the printout"

note "a config with every key: secrets appear as paths only"
mkdir "$TMP/etc"
(umask 077 && printf '123456\n' >"$TMP/etc/pin" && printf '000102030405060708090A0B0C0D0E0F\n' >"$TMP/etc/psk.key")
(umask 077 && printf 'kvn=30\nenc=404142434445464748494A4B4C4D4E4F\nmac=505152535455565758595A5B5C5D5E5F\n' >"$TMP/etc/scp03.keys")
cat >"$TMP/etc/full.conf" <<'EOF'
; every key
[card]
reader = Virtual PCD
pin_file = pin
scp03_keys = scp03.keys
scp03 = optional
on_removal = forget

[server]
listen = [::1]:45783
listen_any = no
dtls_listen = 127.0.0.1:45784
psk_identity = gw-identity
psk_key_file = psk.key
endpoint = gw-0001
bs_account = skip
delete_all = yes
timeout = 120
block_size = 256

[client]
restart_client = systemctl restart lwm2m-client@{endpoint}.service ; a comment
reapply = always

[daemon]
state_dir = /var/lib/cardstrap-test
log_level = warning
EOF
check "$TMP/etc/full.conf"
expect_rc 0 "full config"
for line in "reader = Virtual PCD" "pin_file = $TMP/etc/pin" "scp03_keys = $TMP/etc/scp03.keys" \
	"scp03 = optional" "on_removal = forget" "listen = [::1]:45783" "dtls_listen = 127.0.0.1:45784" \
	"psk_identity = gw-identity" "psk_key_file = $TMP/etc/psk.key" "endpoint = gw-0001" \
	"bs_account = skip" "delete_all = yes" "timeout = 120" "block_size = 256" \
	"restart_client = systemctl restart lwm2m-client@{endpoint}.service" "reapply = always" \
	"state_dir = /var/lib/cardstrap-test" "log_level = warning"; do
	expect_in out "$line"
done
expect_not_in out "123456"
expect_not_in out "000102030405"
expect_not_in out "404142434445"
expect_not_in out "a comment"

note "bad configs: FILE:LINE: message, exit 65"
# case: "config text" "expected message" (the line is where the config puts it)
bad() {
	printf '%b' "$1" >"$TMP/bad.conf"
	check "$TMP/bad.conf"
	expect_rc 65 "bad config: $2"
	expect_in err "$TMP/bad.conf:$2"
	expect_in err "cardstrap daemon: $TMP/bad.conf: invalid configuration"
	expect_eq "$out" "" "stdout of a bad config"
}
bad 'reader = x\n' "1: 'reader' is outside a section"
bad '[card]\n\n[cards]\n' "3: unknown section [cards]"
bad '[card]\nreaders = x\n' "2: unknown key 'readers' in [card]"
bad '[server]\nreader = x\n' "2: 'reader' belongs in [card], not in [server]"
bad '[card]\nreader = a\nreader = b\n' "3: 'reader' is given twice (first on line 2)"
bad '[card]\nreader = 0\n' "2: reader: give the reader's name or a part of it, not an index"
bad '[card]\non_removal = drop\n' "2: on_removal is keep or forget, not 'drop'"
bad '[card]\nscp03 = sometimes\n' "2: scp03 is required or optional, not 'sometimes'"
bad '[card]\nscp03 = optional\n' "2: scp03 = optional needs the keys: set scp03_keys"
bad '[card]\npin_file = /nonexistent/pin\n' "2: pin_file: cannot use /nonexistent/pin: No such file or directory"
bad '[server]\nlisten = 127.0.0.1\nlisten_any = maybe\n' "3: listen_any is yes or no (true/false, on/off, 1/0), not 'maybe'"
bad '[server]\nlisten = 127.0.0.1:0\n' "2: listen: the port in '127.0.0.1:0' is not 1..65535"
bad '[server]\nlisten = ::1:5783\n' "2: listen: '::1:5783': write IPv6 addresses as [ADDR]:PORT"
bad '[server]\nlisten = 192.0.2.1:5783\n' "2: listen: 192.0.2.1:5783 is not a loopback address (allow it with listen_any = yes)"
bad '[server]\n\ndtls_listen = 127.0.0.1:5784\n' "3: DTLS needs dtls_listen, psk_identity and psk_key_file; missing: psk_identity psk_key_file"
bad '[server]\nbs_account = replace\n' "2: bs_account is handover or skip, not 'replace'"
bad '[server]\ntimeout = 3601\n' "2: timeout is 1..3600 seconds, not '3601'"
bad '[server]\nblock_size = 100\n' "2: block_size is 16, 32, 64, 128, 256, 512 or 1024, not '100'"
bad '[server]\nendpoint =;x\n' "2: endpoint: a value cannot begin with ';'"
bad '[client]\nrestart_client = run {endpoint}\n' "2: restart_client uses {endpoint}: set endpoint in [server]"
bad '[client]\nreapply = never\n' "2: reapply is changed or always, not 'never'"
bad '[daemon]\nstate_dir =\n' "2: state_dir needs a directory"
bad '[daemon]\nlog_level = verbose\n' "2: log_level is error, warning, info or debug, not 'verbose'"
bad '[client]\nrestart_client = a\n  --flag\n' "3: indented line: values continued on another line are not supported"
bad '[card]\njust words\n' "2: expected 'key = value', '[section]' or a comment"
bad '[card\n' "1: section header without ']'"
bad "[client]\nrestart_client = $(printf 'x%.0s' $(seq 200))\n" "2: line longer than 198 characters"
chmod 644 "$TMP/etc/pin"
bad "[card]\npin_file = $TMP/etc/pin\n" "2: pin_file: $TMP/etc/pin can be read or written by group or others (mode 0644)"
chmod 600 "$TMP/etc/pin"

note "every error of a file, in line order"
printf '[card]\non_removal = x\n[server]\ntimeout = 0\nbogus = 1\n[nope]\n' >"$TMP/many.conf"
check "$TMP/many.conf"
expect_rc 65 "several errors"
expect_eq "$(printf '%s\n' "$err" | grep -c "^$TMP/many.conf:")" 4 "errors reported"
expect_eq "$(printf '%s\n' "$err" | grep "^$TMP/many.conf:" | cut -d: -f2 | tr '\n' ' ')" "2 4 5 6 " "error lines"

note "unreadable: exit 66"
check "$TMP/nonexistent.conf"
expect_rc 66 "missing config"
expect_in err "$TMP/nonexistent.conf: cannot read: No such file or directory"
check "$TMP"
expect_rc 66 "a directory"
expect_in err "$TMP: cannot read: it is a directory"

note "usage"
run "$CARDSTRAP" daemon --check-config "$TMP/printed.conf" --foreground
expect_rc 64 "--check-config with --foreground"
run "$CARDSTRAP" daemon extra
expect_rc 64 "an argument"

note "the daemon does not start on a bad config"
run timeout 10 "$CARDSTRAP" daemon --foreground --config "$TMP/many.conf"
expect_rc 65 "daemon with a bad config"
expect_in err "$TMP/many.conf:2: on_removal is keep or forget, not 'x'"
run timeout 10 "$CARDSTRAP" daemon --foreground --config "$TMP/nonexistent.conf"
expect_rc 66 "daemon with a missing config"

note "NOTIFY_SOCKET: READY=1, RELOADING=1 on SIGHUP, STOPPING=1"
port=$(free_port) || fail "no free port"
cat >"$TMP/run.conf" <<EOF
[server]
listen = 127.0.0.1:$port
[daemon]
state_dir = $TMP/state
EOF
perl -MSocket -e '
	socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
	bind($s, pack_sockaddr_un($ARGV[0])) or die "bind: $!";
	$| = 1;
	while (defined(recv($s, my $m, 4096, 0))) { print "$m\n" }' "$TMP/notify.sock" >"$TMP/notify.out" &
track $!
for _ in $(seq 100); do [ -S "$TMP/notify.sock" ] && break; sleep 0.05; done
NOTIFY_SOCKET=$TMP/notify.sock "$CARDSTRAP" daemon --foreground --config "$TMP/run.conf" \
	2>"$TMP/run.err" &
dpid=$!
track "$dpid"
wait_file "$TMP/notify.out" "READY=1"
wait_file "$TMP/run.err" "Bootstrap-Server on coap://127.0.0.1:$port"
expect_eq "$(stat -c %a "$TMP/state")" 700 "state_dir created 0700"
kill -HUP "$dpid"
wait_file "$TMP/notify.out" "RELOADING=1"
wait_file "$TMP/run.err" "configuration reloaded"
note "a bad config on SIGHUP is refused, the daemon keeps running"
cp "$TMP/run.conf" "$TMP/run.good"
printf '[daemon]\nlog_level = loud\n' >>"$TMP/run.conf"
kill -HUP "$dpid"
wait_file "$TMP/run.err" "$TMP/run.conf:6: log_level is error, warning, info or debug, not 'loud'"
wait_file "$TMP/run.err" "keeping the current configuration"
kill -0 "$dpid" || fail "the daemon stopped on a bad config"
kill -TERM "$dpid"
wait "$dpid"
expect_eq "$?" 0 "exit code on SIGTERM"
wait_file "$TMP/notify.out" "STOPPING=1"
# the commands it runs do not see the socket
expect_eq "$(grep -c . "$TMP/notify.out")" "$(grep -cE '^(READY=1|RELOADING=1|STOPPING=1|STATUS=.*)$' "$TMP/notify.out")" "notify messages"

note "in the background: the parent exits once the daemon listens"
cp "$TMP/run.good" "$TMP/run.conf"
run timeout 10 "$CARDSTRAP" daemon --config "$TMP/run.conf"
expect_rc 0 "background start"
bgd=$(pgrep -f -- "daemon --config $TMP/run.conf") || fail "no daemon in the background"
track "$bgd"
expect_eq "$(ps -o stat= -p "$bgd" | cut -c1)" S "background daemon state"
note "a second one cannot listen on the same port: exit 69 from the parent"
run timeout 10 "$CARDSTRAP" daemon --config "$TMP/run.conf"
expect_rc 69 "second background start"
expect_in err "cannot start the Bootstrap-Server"
kill -TERM "$bgd"
for _ in $(seq 40); do kill -0 "$bgd" 2>/dev/null || break; sleep 0.05; done
kill -0 "$bgd" 2>/dev/null && fail "the background daemon did not stop on SIGTERM"

note "make install into a DESTDIR"
root=$TMP/root
run make -s -C "$TOP" -o all install DESTDIR="$root" PREFIX=/usr B="$B"
expect_rc 0 "make install"
unit=$root/lib/systemd/system/cardstrap.service
[ -f "$root/lib/udev/rules.d/60-cardstrap.rules" ] || fail "udev rules not installed"
[ -f "$unit" ] || fail "unit not installed"
[ -f "$root/etc/cardstrap/cardstrap.conf" ] || fail "config not installed"
cmp -s "$root/lib/udev/rules.d/60-cardstrap.rules" "$TOP/udev/60-cardstrap.rules" || fail "rules differ"
cmp -s "$root/etc/cardstrap/cardstrap.conf" "$TOP/dist/cardstrap.conf" || fail "config differs"
expect_in "$(cat "$unit")" "ExecStart=/usr/bin/cardstrap daemon --foreground --config /etc/cardstrap/cardstrap.conf"
expect_not_in "$(cat "$unit")" "@BINDIR@"
expect_not_in "$(cat "$unit")" "@SYSCONFDIR@"
expect_eq "$(stat -c %a "$unit")" 644 "unit mode"
note "an existing config is kept"
echo "# edited" >>"$root/etc/cardstrap/cardstrap.conf"
run make -s -C "$TOP" -o all install DESTDIR="$root" PREFIX=/usr B="$B" SYSCONFDIR=/etc
expect_rc 0 "make install again"
expect_eq "$(tail -n 1 "$root/etc/cardstrap/cardstrap.conf")" "# edited" "config after a second install"
note "other directories"
run make -s -C "$TOP" -o all install DESTDIR="$TMP/root2" PREFIX=/opt/cs SYSCONFDIR=/opt/cs/etc \
	UDEVRULESDIR=/etc/udev/rules.d SYSTEMDUNITDIR=/etc/systemd/system B="$B"
expect_rc 0 "make install elsewhere"
expect_in "$(cat "$TMP/root2/etc/systemd/system/cardstrap.service")" \
	"ExecStart=/opt/cs/bin/cardstrap daemon --foreground --config /opt/cs/etc/cardstrap/cardstrap.conf"
[ -f "$TMP/root2/etc/udev/rules.d/60-cardstrap.rules" ] || fail "rules not in UDEVRULESDIR"
[ -f "$TMP/root2/opt/cs/etc/cardstrap/cardstrap.conf" ] || fail "config not in SYSCONFDIR"

if command -v systemd-analyze >/dev/null; then
	note "systemd-analyze verify (ExecStart pointed at the built binary)"
	run make -s -C "$TOP" -o all install DESTDIR="$TMP/root3" BINDIR="$B" B="$B"
	expect_rc 0 "make install for verify"
	run systemd-analyze verify "$TMP/root3/lib/systemd/system/cardstrap.service"
	expect_rc 0 "systemd-analyze verify"
	expect_eq "$out$err" "" "systemd-analyze verify output"
else
	note "skipped: systemd-analyze is not installed"
fi

# udevadm test on made-up sysfs devices, inside a private mount namespace: the
# rules go to a tmpfs over /etc/udev/rules.d, /etc/group gains a pcscd group,
# /run and /dev are private, so nothing of the machine's udev state changes.
udev_test() {  # ID_USB_INTERFACES-value
	cat >"$TMP/udev.sh" <<-EOF
		set -e
		mount -t tmpfs tmpfs /etc/udev/rules.d
		cp "$TOP/udev/60-cardstrap.rules" /etc/udev/rules.d/
		{ cat /etc/group; echo "pcscd:x:64999:"; } >"$TMP/group"
		mount --bind "$TMP/group" /etc/group
		mount -t tmpfs tmpfs /run
		mkdir -p "$TMP/dev" && touch "$TMP/dev/null" && mount --bind /dev/null "$TMP/dev/null"
		mount --bind "$TMP/dev" /dev
		mount -t tmpfs tmpfs /sys/devices/virtual
		d=/sys/devices/virtual/cardstrap-usb
		mkdir \$d
		printf 'MAJOR=189\nMINOR=7\nDEVNAME=bus/usb/001/008\nDEVTYPE=usb_device\nPRODUCT=76b/3021/301\nBUSNUM=001\nDEVNUM=008\nID_USB_INTERFACES=%s\n' "$1" >\$d/uevent
		ln -s ../../../bus/usb \$d/subsystem
		SYSTEMD_DEVICE_VERIFY_SYSFS=0 udevadm test --action=add \$d
	EOF
	run unshare -m --propagation private bash "$TMP/udev.sh"
}
if ! command -v udevadm >/dev/null; then
	note "skipped: udevadm is not installed (the udev rules were not tested)"
elif ! unshare -m --propagation private true 2>/dev/null; then
	note "skipped: no private mount namespace here (unshare -m); the udev rules were not tested"
else
	gl=$(grep -n '^GROUP=' "$TOP/udev/60-cardstrap.rules" | cut -d: -f1)
	note "udevadm test: a CCID reader starts cardstrap.service"
	udev_test ":0b0000:"
	expect_rc 0 "udevadm test (CCID)"
	expect_in err "Reading rules file: /etc/udev/rules.d/60-cardstrap.rules"
	# nothing in our rules file is reported but the assignments
	expect_eq "$(printf '%s\n' "$err" | grep '60-cardstrap.rules:' | grep -vE '60-cardstrap.rules:[0-9]+ (GROUP|MODE) ')" "" "udevadm messages on the rules"
	expect_in err "60-cardstrap.rules:$gl GROUP 64999"
	expect_in err "60-cardstrap.rules:$gl MODE 0660"
	expect_in out "CARDSTRAP_CCID=1"
	expect_match out "SYSTEMD_WANTS=.*cardstrap\.service"
	expect_match out "TAGS=.*:systemd:"
	note "udevadm test: a USB stick does not"
	udev_test ":080650:"
	expect_rc 0 "udevadm test (mass storage)"
	expect_not_in out "cardstrap.service"
	expect_not_in out "CARDSTRAP_CCID"
	expect_not_in err "60-cardstrap.rules:$gl GROUP"
fi
exit 0
