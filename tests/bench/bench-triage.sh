#!/usr/bin/env bash
# bench-triage: jsonl-triage on 1,000,000 results of about 650 bytes in 20
# files (tests/bench/gen-results, as bench-sortid-merge makes them), of
# which 10% are turned into failures (server_error, batch_expired, HTTP
# 400, 429 and 500, in turn), against the classification the driver ran
# in awk before jsonl-triage (tests/bench/classify-reference.awk, run as
# its step_classify ran it, its copies of the ok and failed lines sent to
# /dev/null).  The two must write the same retry lines and the
# same failed.txt.
#
# Targets (the exit status is 1 when one is missed): jsonl-triage at
# least 10x faster than the awk (wall time, best of three each, run in
# turn), with peak RSS under a quarter of the results' size (an index of
# the ids, not the lines, as jsonl-merge's target).
# Data lives in $BENCH_DIR (made once, reused).  COUNT=n for a smaller run.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BENCH_DIR:=/tmp/batchpipe-bench}"
BIN=${BIN:-$TOP/bin}
COUNT=${COUNT:-1000000}
export LC_ALL=C
src=$BENCH_DIR/sortid-merge-$COUNT
dir=$BENCH_DIR/triage-$COUNT
mkdir -p "$src" "$dir" || exit 1
status=0

cc -O2 -o "$src/gen-items" "$TOP/tests/bench/gen-items.c" || exit 1
cc -O2 -D_GNU_SOURCE -o "$src/gen-results" "$TOP/tests/bench/gen-results.c" || exit 1
if [ ! -s "$src/items.jsonl" ]; then
	"$src/gen-items" "$COUNT" >"$src/items.tmp" && mv "$src/items.tmp" "$src/items.jsonl" || exit 1
fi
if [ ! -s "$src/results/part20.jsonl" ] || [ ! -e "$src/results/BATCHES" ]; then
	rm -rf "$src/results"
	mkdir -p "$src/results" &&
		"$src/gen-results" -k uuid "$src/items.jsonl" "$src/results" &&
		: >"$src/results/BATCHES" || exit 1
fi
# The requests, and the results with every 10th line a failure.
if [ ! -s "$dir/requests.jsonl" ]; then
	"$BIN/jsonl-prompt" -m gpt-4o-mini -i uuid -t '{name}: {description}' \
		"$src/items.jsonl" >"$dir/requests.tmp" &&
		mv "$dir/requests.tmp" "$dir/requests.jsonl" || exit 1
fi
if [ ! -s "$dir/results/part20.jsonl" ]; then
	rm -rf "$dir/results"
	mkdir -p "$dir/results" || exit 1
	for f in "$src"/results/part*.jsonl; do
		awk '
		NR % 10 != 0 { print; next }
		{
			match($0, /"custom_id":"[^"]*"/); id = substr($0, RSTART, RLENGTH)
			k = (NR / 10) % 5
			if (k == 0) printf "{\"id\":\"batch_req_x\",%s,\"response\":null,\"error\":{\"code\":\"server_error\",\"message\":\"The server had an error.\"}}\n", id
			else if (k == 1) printf "{\"id\":\"batch_req_x\",%s,\"response\":null,\"error\":{\"code\":\"batch_expired\",\"message\":\"This request could not be executed before the completion window expired.\"}}\n", id
			else printf "{\"id\":\"batch_req_x\",%s,\"response\":{\"status_code\":%s,\"request_id\":\"q\",\"body\":{\"error\":{\"message\":\"Invalid \\u0027messages\\u0027.\\nSee the docs.\",\"type\":\"invalid_request_error\",\"code\":%s}}},\"error\":null}\n", id, k == 2 ? 400 : k == 3 ? 429 : 500, k == 2 ? "\"invalid_request\"" : "null"
		}' "$f" >"$dir/results/${f##*/}" || exit 1
	done
fi
results=("$dir"/results/part*.jsonl)
rbytes=$(cat "${results[@]}" | wc -c)
cat "${results[@]}" "$dir/requests.jsonl" >/dev/null

classify=(awk -v okf=/dev/null -v failf=/dev/null -v budget= -v retryf="$dir/awk.retry"
	-v whyf="$dir/awk.failed" -f "$TOP/tests/bench/classify-reference.awk" mode=up /dev/null mode=bat /dev/null
	mode=st /dev/null mode=res /dev/null "${results[@]}" mode=held /dev/null
	mode=req /dev/null "$dir/requests.jsonl")

# measure NAME OUT CMD...: runs CMD with stdout to OUT; sets secs, rss_kb.
measure() {
	local name=$1 out=$2 user sys
	shift 2
	/usr/bin/time -f '%e %U %S %M' -o "$dir/time.$name" "$@" >"$out" || true
	read -r secs user sys rss_kb <"$dir/time.$name"
	[ "$secs" = 0.00 ] && secs=0.01
	printf '%-14s %7.2f s %8.1f MB/s %7.2f s CPU %7d MB peak RSS\n' "$name" \
		"$secs" "$(echo "$rbytes / 1048576 / $secs" | bc -l)" \
		"$(echo "$user + $sys" | bc -l)" $((rss_kb / 1024))
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "input: $COUNT requests, results $((rbytes / 1048576)) MB in ${#results[@]} files, 10% failed"
awk_best='' tri_best='' tri_rss=0
for _ in 1 2 3; do
	measure awk "$dir/awk.counts" "${classify[@]}"
	if [ -z "$awk_best" ] || [ "$(echo "$secs < $awk_best" | bc)" = 1 ]; then
		awk_best=$secs
	fi
	measure jsonl-triage "$dir/tri.retry" "$BIN/jsonl-triage" -c "$dir/tri.counts" \
		-f "$dir/tri.failed" "$dir/requests.jsonl" "${results[@]}"
	if [ -z "$tri_best" ] || [ "$(echo "$secs < $tri_best" | bc)" = 1 ]; then
		tri_best=$secs tri_rss=$rss_kb
	fi
done
cmp -s "$dir/awk.retry" "$dir/tri.retry" || { echo "MISSED: the retry lines differ"; status=1; }
cmp -s "$dir/awk.failed" "$dir/tri.failed" || { echo "MISSED: failed.txt differs"; status=1; }
head -n 4 "$dir/awk.counts" | cmp -s - "$dir/tri.counts" || { echo "MISSED: the counts differ"; status=1; }
echo "counts: $(tr '\n' ' ' <"$dir/tri.counts")"
r=$(echo "scale=2; $awk_best / $tri_best" | bc -l)
echo "jsonl-triage: ${r}x faster than the driver's awk (target 10x); best ${tri_best} s against ${awk_best} s; peak RSS $((tri_rss / 1024)) MB for $((rbytes / 1048576)) MB of results"
[ "$(echo "$r >= 10" | bc)" = 1 ] || { echo "MISSED: jsonl-triage speed"; status=1; }
[ $((tri_rss * 1024 * 4)) -lt "$rbytes" ] || { echo "MISSED: jsonl-triage memory"; status=1; }
rm -f "$dir"/time.* "$dir"/awk.* "$dir"/tri.*
exit $status
