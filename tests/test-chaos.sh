# shellcheck shell=bash
# The short form of the chaos soak (tests/chaos; `make chaos` runs the long
# one): whole jobs against oai-mock with random faults and kill -9s, each
# checked for answers, double payment, live batches, unknown batches,
# temporaries and the key.  30 trials on the plain build, 10 under ASan
# (whose tools and server's exit are several times slower), to stay within
# a few minutes on a loaded machine (50 plain trials took 4.7 to 6.1 min
# on 2 busy cores); CHAOS_TRIALS sets the number for both.  The seeds start at 1 (CHAOS_SEED), so a
# failure replays with the seed it prints.

t_chaos_short_form() {
	local n
	case $LABEL in
	asan) n=${CHAOS_TRIALS:-10} ;;
	*) n=${CHAOS_TRIALS:-30} ;;
	esac
	TMPDIR=$T python3 "$TOP/tests/chaos" -b "$BIN" -n "$n" -s "${CHAOS_SEED:-1}" >chaos.out 2>&1 ||
		{ cat chaos.out; fail "the chaos soak broke a rule"; }
	expect_grep "^$n trials, [0-9]+ kills, 0 violations\$" chaos.out
}
