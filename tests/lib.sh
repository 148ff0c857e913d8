# Shared helpers for the shell test suites. Source it: . "$TOP/tests/lib.sh"
# Every process a test starts is registered with `track PID` and stopped
# by PID when the test exits, whatever happens.
set -u
: "${TOP:?run through tests/run or make check}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cardstrap-test.XXXXXX")
_tracked=()

track() { _tracked+=("$1"); }

_cleanup() {
	local pid
	for pid in "${_tracked[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${_tracked[@]}"; do
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "skipped: $*"; exit 77; }
note() { echo "-- $*"; }

# run CMD...: runs it, keeping stdout in $out, stderr in $err, exit code in $rc.
run() {
	"$@" >"$TMP/.out" 2>"$TMP/.err"
	rc=$?
	out=$(cat "$TMP/.out")
	err=$(cat "$TMP/.err")
	return 0
}

expect_rc() {  # expected, description
	[ "$rc" -eq "$1" ] || fail "$2: exit code $rc, expected $1; stdout: $out; stderr: $err"
}

expect_in() {  # haystack-name needle
	local hay
	case $1 in out) hay=$out ;; err) hay=$err ;; *) hay=$1 ;; esac
	printf '%s' "$hay" | grep -qF -- "$2" || fail "expected '$2' in $1; got: $hay"
}

expect_match() {  # haystack-name extended-regex
	local hay
	case $1 in out) hay=$out ;; err) hay=$err ;; *) hay=$1 ;; esac
	printf '%s' "$hay" | grep -qE -- "$2" || fail "expected /$2/ in $1; got: $hay"
}

expect_not_in() {
	local hay
	case $1 in out) hay=$out ;; err) hay=$err ;; *) hay=$1 ;; esac
	if printf '%s' "$hay" | grep -qF -- "$2"; then fail "did not expect '$2' in $1; got: $hay"; fi
}

expect_eq() {  # actual expected description
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# A free port (TCP and UDP) on 127.0.0.1 from a high range, random per call.
free_port() {
	perl -MSocket -e '
		for (1..200) {
			my $p = 40000 + int(rand(20000)); my $ok = 1;
			for my $t (SOCK_STREAM, SOCK_DGRAM) {
				socket(my $s, PF_INET, $t, 0) or die;
				$ok = 0 unless bind($s, pack_sockaddr_in($p, inet_aton("127.0.0.1")));
				close $s;
			}
			if ($ok) { print "$p\n"; exit 0 }
		}
		exit 1'
}
