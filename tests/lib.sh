#!/usr/bin/env bash
# The test harness: `bash tests/lib.sh tests/test-foo.sh` runs every t_*
# function of that file and prints one `PASS label file:test` or
# `FAIL label file:test` line per test, with the failed test's log after it.
# tests/run sets TOP (the checkout), BIN (the tools under test) and LABEL.
#
# Inside a test: the current directory is a fresh scratch directory ($T),
# `set -e` is on, the tools are first on PATH, and the helpers below are
# there.  tests/lib-*.sh files are sourced too (the mock helpers live there).
set -u
file=$1
: "${TOP:=$(cd "$(dirname "$0")/.." && pwd)}" "${BIN:=$TOP/bin}" "${LABEL:=bin}" "${KEEP:=}"
: "${WORK:=${TMPDIR:-/tmp}}"
# DATA, the cases and fixtures, is another directory only when the
# harness tests itself.
export TOP BIN DATA="${DATA:-$TOP/tests/data}"
export PATH="$BIN:$TOP/scripts:$PATH"
export LC_ALL=C
# Sanitizer reports go to files the harness checks after each test, so a
# report cannot hide behind an expected non-zero exit status.
export ASAN_OPTIONS="abort_on_error=0:detect_leaks=1:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=86"
unset OPENAI_API_KEY OPENAI_API_KEY_FILE OPENAI_BASE_URL OPENAI_ORG_ID OPENAI_PROJECT_ID
# The tools read a CA bundle from these: the user's must not change a test.
unset CURL_CA_BUNDLE SSL_CERT_FILE

# run CMD...: runs CMD with stdout to $T/out, stderr to $T/err; sets $rc.
run() {
	rc=0
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	return 0
}

# background CMD...: starts CMD in the background; it is killed when the
# test ends, however the test ends.
background() {
	"$@" &
	echo $! >>"$T.pids"
}

# fifo_reader FIFO FILE: makes FIFO and starts a reader copying it to
# FILE, open before this returns, with a writer of the test's own on fd 4
# (O_RDWR does not block on a FIFO): a reader that opened the FIFO only
# after the last writer closed would find the data gone, and wait.  After
# the writes, `exec 4>&-; wait "$FIFO_READER"` ends it.
fifo_reader() {
	mkfifo "$1"
	exec 4<>"$1"
	exec 5<"$1"
	cat <&5 >"$2" 4>&- &
	# shellcheck disable=SC2034 # waited for by the test
	FIFO_READER=$!
	exec 5<&-
}

# fail MSG: reports MSG and fails the test.
fail() {
	echo "fail: $*" >&2
	return 1
}

# expect_rc N: the last `run` exited N.
expect_rc() {
	[ "$rc" -eq "$1" ] || { echo "--- stderr:"; head -c 2000 "$T/err"; fail "exit status $rc, expected $1"; }
}

# expect_eq GOT WANT [what]
expect_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: got '$1', expected '$2'"
}

# expect_same FILE WANT-FILE: byte-identical files (diff shown otherwise).
expect_same() {
	cmp -s "$1" "$2" || { diff -u "$2" "$1" | head -40; fail "$1 differs from $2"; }
}

# expect_grep PATTERN FILE: an extended regex that must match a line of FILE.
expect_grep() {
	grep -Eq -- "$1" "$2" || { echo "--- $2:"; head -c 2000 "$2"; fail "no line of $2 matches '$1'"; }
}

# expect_no_grep PATTERN FILE
expect_no_grep() {
	! grep -Eq -- "$1" "$2" || { grep -E -- "$1" "$2" | head -5; fail "$2 matches '$1'"; }
}

# expect_empty FILE
expect_empty() {
	[ ! -s "$1" ] || { head -c 2000 "$1"; fail "$1 is not empty"; }
}

# expect_lines N FILE
expect_lines() {
	local n
	n=$(wc -l <"$2")
	[ "$n" -eq "$1" ] || fail "$2 has $n lines, expected $1"
}

for lib in "$TOP"/tests/lib-*.sh; do
	# shellcheck disable=SC1090
	[ -e "$lib" ] && . "$lib"
done
# shellcheck disable=SC1090
. "$file"

name=$(basename "$file" .sh)
# BATCHPIPE_TESTS, an extended regex, picks the tests to run by name.
for t in $(declare -F | awk -v only="${BATCHPIPE_TESTS:-.}" '$3 ~ /^t_/ && $3 ~ only { print $3 }'); do
	T=$(mktemp -d "$WORK/$name.$t.XXXXXX")
	export T
	log=$T.log
	# Not `( ... ) || rc=$?`: bash ignores set -e in every command of the
	# left side of || (functions included), so a failed check in the
	# middle of a test would not stop it.
	(
		cd "$T" || exit 1
		# The tools' locks go to the test's own state directory,
		# never the user's.
		export XDG_STATE_HOME="$T.state"
		export ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$T.san"
		export UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$T.san"
		set -e
		"$t"
	) >"$log" 2>&1 </dev/null
	rc=$?
	# Anything a test left running (a mock server, say) is stopped.
	# A sanitized server's leak check at exit takes a while (it scans the
	# tokenizer's tables too): a SIGKILL in the middle of it makes
	# LeakSanitizer report "Unable to get registers from thread".  So it
	# gets up to 10 s to end by itself first.
	if [ -s "$T.pids" ]; then
		mapfile -t pids <"$T.pids"
		kill "${pids[@]}" 2>/dev/null
		for _ in $(seq 1 100); do
			kill -0 "${pids[@]}" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "${pids[@]}" 2>/dev/null
	fi
	rm -f "$T.pids"
	san=$(cat "$T".san.* 2>/dev/null)
	if [ "$rc" -eq 0 ] && [ -z "$san" ]; then
		echo "PASS $LABEL $name:$t"
		rm -rf "$T" "$log"
	else
		echo "FAIL $LABEL $name:$t (exit $rc)"
		sed 's/^/    /' "$log" | tail -n 40
		[ -n "$san" ] && printf '%s\n' "$san" | sed 's/^/    san: /' | head -n 60
		if [ -n "$KEEP" ]; then echo "    kept: $T"; else rm -rf "$T"; fi
		rm -f "$log"
	fi
	rm -f "$T".san.*
	rm -rf "$T.state"
done
