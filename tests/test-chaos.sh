# shellcheck shell=bash
# The short form of the chaos soak (tests/chaos; `make chaos` runs the long
# one): whole jobs against oai-mock with random faults and kill -9s, each
# checked for answers, double payment, live batches, unknown batches,
# temporaries and the key.  40 trials on the plain build and 10 under
# ASan (whose tools and server are several times slower): 50 in all, in a
# few minutes on a loaded machine.  CHAOS_TRIALS sets the number for both.
# The seeds start at 1 (CHAOS_SEED), so a failure replays with the seed
# it prints.

t_chaos_short_form() {
	local n
	case $LABEL in
	asan) n=${CHAOS_TRIALS:-10} ;;
	*) n=${CHAOS_TRIALS:-40} ;;
	esac
	TMPDIR=$T python3 "$TOP/tests/chaos" -b "$BIN" -n "$n" -s "${CHAOS_SEED:-1}" >chaos.out 2>&1 ||
		{ cat chaos.out; fail "the chaos soak broke a rule"; }
	expect_grep "^$n trials, [0-9]+ kills, 0 violations\$" chaos.out
}
