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

# Every expectation of a case is checked: an expected file of a case of
# tests/data (out, err, rc, protocol, files/...), broken, makes the case
# fail.  A file with more than one line loses its first line (so a check
# that only looks for a line is caught); any other gets a line added.  To
# stay quick this breaks one file of the first case of each tool and of
# one network case; BATCHPIPE_CASES_ALL=1 breaks every file of every case
# in turn (minutes).
t_harness_every_case_expectation_is_checked() {
	local d f base k=0 n=0 nets=0 tested want missed=() prev=
	for d in "$DATA"/*/*/; do
		d=${d%/}
		base=${d#"$DATA"/}
		case $base in
		net/*)
			nets=$((nets + 1))
			[ -n "${BATCHPIPE_CASES_ALL:-}" ] || [ "$nets" -eq 1 ] || continue ;;
		*)
			[ -x "$BIN/${base%%/*}" ] || continue
			# Quick: the first case of each tool.
			[ -n "${BATCHPIPE_CASES_ALL:-}" ] || [ "${base%%/*}" != "${prev:-}" ] || continue
			prev=${base%%/*} ;;
		esac
		tested=()
		for f in out err rc protocol out.2 err.2 rc.2; do
			case $f in
			protocol) [ "${base%%/*}" = net ] || continue ;;
			*.2) [ -e "$d/$f" ] || continue ;;
			esac
			tested+=("$f")
		done
		[ -d "$d/files" ] && while IFS= read -r f; do tested+=("files/${f#./}"); done < <(
			cd "$d/files" && find . -type f | sort)
		k=$((k + 1))
		[ -n "${BATCHPIPE_CASES_ALL:-}" ] || tested=("${tested[k % ${#tested[@]}]}")
		for f in "${tested[@]}"; do
			n=$((n + 1))
			rm -rf data && mkdir -p "data/${base%/*}" && cp -R "$d" "data/$base"
			want=data/$base/$f
			if [ -s "$want" ] && [ "$(wc -l <"$want")" -gt 1 ]; then
				sed -i 1d "$want"
			else
				echo broken >>"$want"
			fi
			DATA=$T/data LABEL=$LABEL WORK=$T BATCHPIPE_TESTS='' \
				bash "$TOP/tests/lib.sh" "$TOP/tests/test-cases.sh" >log 2>&1 || true
			grep -q '^FAIL ' log && ! grep -q '^PASS ' log || missed+=("$base/$f")
		done
	done
	echo "$((n - ${#missed[@]})) of $n broken expectations failed their case"
	[ "$n" -gt 0 ] || fail "no case found"
	[ "${#missed[@]}" -eq 0 ] || fail "broken, yet passed: ${missed[*]}"
}
