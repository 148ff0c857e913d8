#!/usr/bin/env bash
# Without pcscd every card command says so and exits 69, and `read` writes nothing.
. "$TOP/tests/lib.sh"

if pids=$(pgrep -x pcscd); then
	skip "a pcscd is running (pid $(echo $pids)); run under 'flock /tmp/cs-team/pcscd.lock'"
fi
msg="pcscd is not running (cannot reach /run/pcscd/pcscd.comm); start it: systemctl start pcscd.socket"

run "$CARDSTRAP" readers
expect_rc 69 "readers"
expect_in err "cardstrap readers: $msg"
run "$CARDSTRAP" dump
expect_rc 69 "dump"
expect_in err "cardstrap dump: $msg"
run "$CARDSTRAP" dump --json
expect_rc 69 "dump --json"
expect_in out '"error"'
run "$CARDSTRAP" read -o "$TMP/out.bin"
expect_rc 69 "read"
expect_in err "$msg"
[ -e "$TMP/out.bin" ] && fail "read wrote a file"
exit 0
