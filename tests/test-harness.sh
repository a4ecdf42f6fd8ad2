# The test harness itself: a check that fails must fail its test, even
# when later commands of the test succeed.

t_harness_set_e_stops_a_test() {
	cat >"$T/test-inner.sh" <<'INNER'
t_inner_fails_early() { false; true; }
t_inner_passes() { true; }
INNER
	run env TOP="$TOP" BIN="$BIN" LABEL=inner WORK="$T" bash "$TOP/tests/lib.sh" "$T/test-inner.sh"
	expect_grep '^FAIL inner test-inner:t_inner_fails_early' "$T/out"
	expect_grep '^PASS inner test-inner:t_inner_passes' "$T/out"
	expect_lines 2 "$T/out"
}
