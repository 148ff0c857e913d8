#!/usr/bin/env bash
# Time limits. A peer that sends a Bootstrap-Request and then answers nothing:
# libcoap retransmits the Discover (RFC 7252), the session ends at --timeout
# with exit 75 naming the request it waited for. recover gives up with 75 when
# no client comes, and reports a restart command that fails.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/inject.bash"

bport=$(free_port) || fail "no free port"
profile card "$(server_account 0 101 1)"

note "a silent peer: retransmissions, then the session times out (exit 75)"
start_serve s1 --file "$TMP/card.ef" --listen "127.0.0.1:$bport" --once --timeout 4
cat >"$TMP/silent.pl" <<'PERL'
use strict; use Socket; use IO::Select;
socket(my $s, PF_INET, SOCK_DGRAM, 0) or die;
connect($s, pack_sockaddr_in($ARGV[0], inet_aton("127.0.0.1"))) or die;
send($s, pack("CCn", 0x41, 0x02, 7) . "t" . "\xB2bs" . "\x4D\x00ep=e2e-silent", 0);
my $sel = IO::Select->new($s); my %gets;
# until the Discover came twice (a retransmission) or 8 s passed
my $end = time + 8;
while (time < $end && $sel->can_read($end - time)) {
	recv($s, my $b, 2048, 0) or last;
	my ($b0, $code, $mid) = unpack("CCn", $b);
	$gets{$mid}++ if ($b0 >> 4 & 3) == 0 && $code == 1;
	last if grep { $_ >= 2 } values %gets;
}
print join(" ", map { "$_:$gets{$_}" } sort keys %gets), "\n";
PERL
t0=$(date +%s)
bg peer 20 perl "$TMP/silent.pl" "$bport"
peer_pid=$bgpid
finish "$serve_pid" s1
expect_rc 75 "serve --once, silent client"
expect_in err "ep=e2e-silent from 127.0.0.1:"
expect_in err "session timed out after 4 s (waiting for the answer to GET /)"
[ $(($(date +%s) - t0)) -le 8 ] || fail "the timeout took $(($(date +%s) - t0)) s"
finish "$peer_pid" peer
# one Discover, sent at least twice with the same message id
printf '%s\n' "$out" | grep -Eq '^[0-9]+:[2-9]$' || fail "no retransmission of the Discover: '$out'"

note "recover: the restart command runs, no client comes: exit 75"
run timeout 20 "$CARDSTRAP" recover --file "$TMP/card.ef" --listen "127.0.0.1:$bport" --timeout 2 \
	--restart-client "true {uri}"
expect_rc 75 "recover without a client"
expect_in err "no client completed a bootstrap within 2 s (restart command exited with status 0)"

note "recover: the restart command fails: its status is reported, exit 69"
run timeout 20 "$CARDSTRAP" recover --file "$TMP/card.ef" --listen "127.0.0.1:$bport" --timeout 20 \
	--restart-client "echo restarting {uri} >&2; exit 3"
expect_rc 69 "recover with a failing restart command"
expect_in err "restarting coap://127.0.0.1:$bport"
expect_in err "the restart command exited with status 3 before any client bootstrapped"

note "recover: {endpoint} needs --endpoint; invalid card data is never served"
run "$CARDSTRAP" recover --file "$TMP/card.ef" --restart-client "x {endpoint}"
expect_rc 64 "{endpoint} without --endpoint"
run timeout 10 "$CARDSTRAP" recover --file "$VECTORS/ef-invalid-ssid-0.hex" \
	--listen "127.0.0.1:$bport" --restart-client "touch $TMP/ran"
expect_rc 65 "recover with invalid data"
[ ! -e "$TMP/ran" ] || fail "the restart command ran although the data is invalid"
echo ok
