# shellcheck shell=bash
# The test harness itself: a check that fails must fail its test, even
# when later commands of the test succeed.  (The last command decides
# here on purpose, so this test does not depend on what it tests.)

t_harness_set_e_stops_a_test() {
	cat >"$T/test-inner.sh" <<'INNER'
t_inner_fails_early() { false; true; }
t_inner_passes() { true; }
INNER
	run env TOP="$TOP" BIN="$BIN" LABEL=inner WORK="$T" bash "$TOP/tests/lib.sh" "$T/test-inner.sh"
	expect_same "$T/out" <(printf '%s\n' 'FAIL inner test-inner:t_inner_fails_early (exit 1)' \
		'PASS inner test-inner:t_inner_passes')
}
