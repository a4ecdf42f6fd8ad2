# shellcheck shell=bash
# The number parsers of common/numarg.c through their test program
# tests/prog/numarg.c ($BIN/../tests/numarg, so that the ASan build tests
# its own): every case of tests/data/numarg/cases.tsv (input, parser,
# min, max, the value or the error strtonum would give).

NUMARG=$BIN/../tests/numarg
CASES=$DATA/numarg/cases.tsv

t_numarg_cases() {
	[ -x "$NUMARG" ] || fail "$NUMARG not built (make testprogs)"
	run "$NUMARG" "$CASES"
	expect_rc 0
	expect_empty "$T/out"
	expect_empty "$T/err"
}

# The runner must see a broken case: a case whose expectation is wrong
# fails, and names its line.
t_numarg_wrong_case_fails() {
	[ -x "$NUMARG" ] || fail "$NUMARG not built (make testprogs)"
	printf '# a comment\n\n+5\twhole\t0\t10\t5\n5\twhole\t0\t10\t5\n' >cases
	run "$NUMARG" cases
	expect_rc 1
	expect_eq "$(cat "$T/err")" 'numarg: cases:3: "+5": expected 5, got invalid'
}
