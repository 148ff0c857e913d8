# Helpers of the injection end-to-end tests (serve, push, recover against the
# LwM2M test peers). Source after tests/lib.sh. Every process runs under
# `timeout` in the background, is tracked, and is waited for by PID.

CLIENT=$B/tests/testclient
SERVER=$B/tests/testserver
[ -x "$CLIENT" ] && [ -x "$SERVER" ] ||
	skip "testclient/testserver not built (make build/tests/testclient build/tests/testserver)"
[ -x "$CARDSTRAP" ] || skip "cardstrap not built"

# Fast CoAP retransmission for clients that must give up quickly.
FAST=(--max-retransmit 1 --ack-timeout 1)

# wait_for FILE TEXT [SECONDS]: polls until FILE holds TEXT (default 10 s).
wait_for() {
	local f=$1 t=$2 i n=$((${3:-10} * 20))
	for ((i = 0; i < n; i++)); do
		grep -qF -- "$t" "$f" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "no '$t' in $f after ${3:-10} s: $(cat "$f" 2>/dev/null)"
}

# bg NAME SECONDS CMD...: runs CMD under timeout in the background, output in
# $TMP/NAME.out and $TMP/NAME.err; sets $bgpid.
bg() {
	local name=$1 secs=$2
	shift 2
	timeout "$secs" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	bgpid=$!
	track "$bgpid"
}

# finish PID NAME: waits for a bg process; sets rc, out, err.
finish() {
	wait "$1"
	rc=$?
	out=$(cat "$TMP/$2.out")
	err=$(cat "$TMP/$2.err")
}

# start_testserver NAME ARGS...: a testserver, ready when its pid file exists.
start_testserver() {
	local name=$1 i
	shift
	bg "$name" 120 "$SERVER" --pidfile "$TMP/$name.pid" "$@"
	for i in $(seq 100); do
		[ -s "$TMP/$name.pid" ] && return 0
		kill -0 "$bgpid" 2>/dev/null || fail "testserver $name exited: $(cat "$TMP/$name.err")"
		sleep 0.05
	done
	fail "testserver $name did not start"
}

# start_serve NAME ARGS...: `cardstrap serve ARGS` in the background, ready when it
# says so; sets $serve_pid.
start_serve() {
	local name=$1
	shift
	bg "$name" "${SERVE_LIMIT:-60}" "$CARDSTRAP" serve "$@"
	serve_pid=$bgpid
	wait_for "$TMP/$name.err" "serving the bootstrap data on"
}

# profile NAME SENML-RECORDS: writes $TMP/NAME.json and encodes it to $TMP/NAME.ef.
profile() {
	printf '[%s]\n' "$2" >"$TMP/$1.json"
	"$CARDSTRAP" encode -q "$TMP/$1.json" -o "$TMP/$1.ef" || fail "encode $1"
}

# SenML records of a NoSec server account: /0/I and /1/I with SSID at coap://127.0.0.1:PORT.
server_account() {  # iid ssid port [lifetime]
	printf '{"bn":"/0/%s/","n":"0","vs":"coap://127.0.0.1:%s"},{"n":"1","vb":false},' "$1" "$3"
	printf '{"n":"2","v":3},{"n":"10","v":%s},' "$2"
	printf '{"bn":"/1/%s/","n":"0","v":%s},{"n":"1","v":%s},{"n":"6","vb":true},{"n":"7","vs":"U"}' \
		"$1" "$2" "${4:-300}"
}

# SenML records of a NoSec Bootstrap-Server account /0/I at URI.
bs_account() {  # iid uri
	printf '{"bn":"/0/%s/","n":"0","vs":"%s"},{"n":"1","vb":true},{"n":"2","v":3}' "$1" "$2"
}

# Security instances of a testclient state file, one line each: "/0/I bs|server URI SSID".
state_security() {
	perl -MJSON::PP -e '
		my $j = decode_json(do { local $/; <STDIN> });
		my $s = ref $j eq "HASH" ? $j->{senml} : $j;
		my ($bn, %v) = ("");
		for my $r (@$s) {
			$bn = $r->{bn} if defined $r->{bn};
			my $n = $bn . ($r->{n} // "");
			$v{$n} = exists $r->{vs} ? $r->{vs}
			       : exists $r->{vb} ? ($r->{vb} ? "true" : "false")
			       : exists $r->{v} ? $r->{v} : "opaque";
		}
		my %i = map { m{^/0/(\d+)/} ? ($1 => 1) : () } keys %v;
		for my $k (sort { $a <=> $b } keys %i) {
			printf "/0/%d %s %s %s\n", $k, ($v{"/0/$k/1"} // "") eq "true" ? "bs" : "server",
				$v{"/0/$k/0"} // "-", $v{"/0/$k/10"} // "-";
		}' <"$1"
}

# json_field TEXT FIELD: the top-level FIELD of the last JSON line in TEXT.
json_field() {
	printf '%s\n' "$1" | tail -n 1 | FIELD=$2 perl -MJSON::PP -ne '
		my $j = decode_json($_); my $v = $j->{$ENV{FIELD}};
		print ref $v eq "JSON::PP::Boolean" ? ($v ? "true" : "false") : ref $v ? JSON::PP->new->canonical->encode($v) : $v;'
}
