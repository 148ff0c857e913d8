#!/usr/bin/env bash
# Several clients bootstrap from one `cardstrap serve` at the same time: the
# sessions are independent (one per client address and port) and all end well.
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e/inject.bash"

sport=$(free_port) && bport=$(free_port) || fail "no free port"
start_testserver reg --listen "127.0.0.1:$sport"
profile card "$(server_account 0 101 "$sport")"
start_serve serve --file "$TMP/card.ef" --listen "127.0.0.1:$bport" --json

note "four clients started together"
pids=()
for n in 1 2 3 4; do
	bg "c$n" 30 "$CLIENT" --endpoint "e2e-many-$n" --bs "coap://127.0.0.1:$bport" \
		--state "$TMP/c$n.json" --exit-after-register --timeout 20 $([ "$n" = 2 ] && echo --pct 110)
	pids+=("$bgpid")
done
for n in 1 2 3 4; do
	finish "${pids[$((n - 1))]}" "c$n"
	expect_rc 0 "client $n"
	expect_in err "finish 2.04"
	wait_for "$TMP/reg.out" "register ep=e2e-many-$n lt=300"
	expect_in "$(state_security "$TMP/c$n.json")" "/0/1 server coap://127.0.0.1:$sport 101"
done
for n in 1 2 3 4; do
	wait_for "$TMP/serve.out" '"event":"session-ended","session":'
	line=$(grep '"event":"session-ended"' "$TMP/serve.out" | grep "\"endpoint\":\"e2e-many-$n\"") ||
		fail "no report for client $n"
	expect_eq "$(json_field "$line" ok)" true "report of client $n"
done
expect_eq "$(grep -c '"event":"session-ended"' "$TMP/serve.out")" 4 "session reports"
# every session had its own peer address
expect_eq "$(grep '"event":"session-ended"' "$TMP/serve.out" | perl -MJSON::PP -ne 'print decode_json($_)->{peer}, "\n"' | sort -u | wc -l)" 4 "distinct peers"
grep '"endpoint":"e2e-many-2"' "$TMP/serve.out" | grep -q '"content_format":"SenML JSON"' ||
	fail "client 2 (pct=110) not served SenML JSON"

note "one peer: a retransmitted Bootstrap-Request is answered again, a new one restarts the session"
# A minimal CoAP peer: POST /bs (mid 1), the same again (retransmission), then a new POST /bs
# (mid 2) while the first session waits for its Discover answer; then it answers every request.
# It must not print what it receives: stdout is checked.
cat >"$TMP/raw.pl" <<'PERL'
use strict; use Socket; use IO::Select;
my ($port) = @ARGV;
socket(my $s, PF_INET, SOCK_DGRAM, 0) or die;
bind($s, pack_sockaddr_in(0, inet_aton("127.0.0.1"))) or die;
connect($s, pack_sockaddr_in($port, inet_aton("127.0.0.1"))) or die;
my $sel = IO::Select->new($s);
sub bsreq { my ($mid) = @_; pack("CCn", 0x41, 0x02, $mid) . "t" . "\xB2bs" . "\x4Aep=e2e-raw" }
sub recv1 { $sel->can_read(5) or die "no answer\n"; recv($s, my $b, 2048, 0); my ($b0, $code, $mid) = unpack("CCn", $b);
	return ($b0 >> 4 & 3, $code, $mid, substr($b, 4, $b0 & 15)) }
sub ack { my ($mid, $tok, $code, $extra) = @_; send($s, pack("CCn", 0x60 | length($tok), $code, $mid) . $tok . ($extra // ""), 0) }
send($s, bsreq(1), 0);
my ($t, $c, $m) = recv1(); die "first answer $c\n" unless $t == 2 && $c == 0x44 && $m == 1;
my ($t2, $c2, $gmid, $gtok) = recv1(); die "no Discover\n" unless $t2 == 0 && $c2 == 1;
send($s, bsreq(1), 0);
($t, $c, $m) = recv1(); die "retransmission answer $c\n" unless $t == 2 && $c == 0x44 && $m == 1;
send($s, bsreq(2), 0);
ack($gmid, $gtok, 0x81);
my $done = 0; my $acked = 0;
while (!$done) {
	my ($ty, $code, $mid, $tok) = recv1();
	if ($ty == 2) { die "restart answer $code\n" unless $code == 0x44 && $mid == 2; $acked = 1; next }
	# the superseded session's Discover: refused as a client refuses stale commands (NSTART 1
	# holds the new session's first request until this exchange is over)
	if ($mid == $gmid) { ack($mid, $tok, 0x81); next }
	if ($code == 1) { ack($mid, $tok, 0x45, "\xC1\x28\xFF</>;lwm2m=1.1,</0/0>,</1>,</3/0>") }
	elsif ($code == 4) { ack($mid, $tok, 0x42) }
	elsif ($code == 3) { ack($mid, $tok, 0x44) }
	elsif ($code == 2) { ack($mid, $tok, 0x44); $done = 1 }
}
die "restart not answered\n" unless $acked;
print "finished\n";
PERL
run timeout 20 perl "$TMP/raw.pl" "$bport"
expect_rc 0 "raw CoAP peer"
expect_in out finished
wait_for "$TMP/serve.out" '"endpoint":"e2e-raw","peer":"127.0.0.1:'
wait_for "$TMP/serve.err" "ep=e2e-raw from 127.0.0.1:"
raw=$(grep '"event":"session-ended"' "$TMP/serve.out" | grep '"endpoint":"e2e-raw"')
expect_eq "$(printf '%s\n' "$raw" | wc -l)" 2 "two sessions for the raw peer"
expect_in "$(printf '%s\n' "$raw" | head -n 1)" '"result":"cancelled","error":"superseded by a new Bootstrap-Request from 127.0.0.1:'
expect_eq "$(json_field "$(printf '%s\n' "$raw" | tail -n 1)" ok)" true "restarted session"
expect_eq "$(grep -c '"event":"session-started".*"endpoint":"e2e-raw"' "$TMP/serve.out")" 2 "no session for the retransmission"
kill -TERM "$serve_pid"
finish "$serve_pid" serve
expect_rc 0 "serve stops"
echo ok
