#!/usr/bin/env bash
# bench-sortid-merge: jsonl-sortid and jsonl-merge on 1,000,000 results of
# about 650 bytes in 20 shuffled files (and the 1,000,000 items they answer).
# Each file is what a batch of 50,000 requests returns: the results of a
# run of consecutive requests, in random order (tests/bench/gen-results).
# For information, jsonl-sortid is also timed on the same results shuffled
# across all 20 files (gen-results -g: no batch returns that; the worst
# case for jsonl-sortid's copy), without a target.
#
# Targets (the exit status is 1 when one is missed):
#   jsonl-sortid at least 3x faster than GNU sort on the same lines
#     (wall time, both writing a file in $BENCH_DIR; five rounds of a
#     sort run then a jsonl-sortid run, so that both meet the same spells
#     of load on a shared machine, and the fastest run of each counts),
#     LC_ALL=C sort -t'"' -k8,8 FILES (the 8th '"'-separated field is the
#     custom_id of every generated line; byte order, as jsonl-sortid uses
#     for uuids), with peak RSS under a quarter of the input's size;
#   jsonl-merge at least 10x faster than tests/bench/merge.py (a dict of
#     every result, json.loads/json.dumps a line), with peak RSS under a
#     quarter of the results' size (an index of ids, not the lines).
# Data lives in $BENCH_DIR (made once, reused).  COUNT=n for a smaller run.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BENCH_DIR:=/tmp/batchpipe-bench}"
BIN=${BIN:-$TOP/bin}
COUNT=${COUNT:-1000000}
export LC_ALL=C
dir=$BENCH_DIR/sortid-merge-$COUNT
mkdir -p "$dir" || exit 1
status=0

cc -O2 -o "$dir/gen-items" "$TOP/tests/bench/gen-items.c" || exit 1
cc -O2 -D_GNU_SOURCE -o "$dir/gen-results" "$TOP/tests/bench/gen-results.c" || exit 1
if [ ! -s "$dir/items.jsonl" ]; then
	"$dir/gen-items" "$COUNT" >"$dir/items.tmp" && mv "$dir/items.tmp" "$dir/items.jsonl" || exit 1
fi
# results/ is made by gen-results without -g; results-global/ with -g.
# (A results/ made by an older gen-results, shuffled across the files,
# has no results/BATCHES marker and is made again.)
if [ ! -s "$dir/results/part20.jsonl" ] || [ ! -e "$dir/results/BATCHES" ]; then
	rm -rf "$dir/results"
	mkdir -p "$dir/results" &&
		"$dir/gen-results" -k uuid "$dir/items.jsonl" "$dir/results" &&
		: >"$dir/results/BATCHES" || exit 1
fi
if [ ! -s "$dir/results-global/part20.jsonl" ]; then
	rm -rf "$dir/results-global"
	mkdir -p "$dir/results-global" &&
		"$dir/gen-results" -g -k uuid "$dir/items.jsonl" "$dir/results-global" || exit 1
fi
results=("$dir"/results/part*.jsonl)
global=("$dir"/results-global/part*.jsonl)
rbytes=$(cat "${results[@]}" | wc -c)
ibytes=$(wc -c <"$dir/items.jsonl")
# Warm the page cache so that every contender reads from memory, from
# pages in the state that reading a file from disk leaves them in.  The
# pages that the generator's writes left (small ones, from small writes)
# are dropped first: mapping and reading them costs more, so the times
# of a run would depend on whether the data was just made (measured on
# Linux 6.18, ext4: jsonl-sortid 0.79 s with the generator's pages, 0.59 s
# after they were dropped and read again; sort 1.78 s and 1.70 s).
sync
for f in "${results[@]}" "${global[@]}" "$dir/items.jsonl"; do
	dd if="$f" iflag=nocache count=0 status=none
done
cat "${results[@]}" "${global[@]}" "$dir/items.jsonl" >/dev/null

# measure NAME OUT CMD...: runs CMD with stdout to OUT; sets secs (wall),
# cpu (user + system) and rss_kb.  On a shared machine the wall times move
# with the load; the CPU times show what each contender really costs.
measure() {
	local name=$1 out=$2 user sys
	shift 2
	/usr/bin/time -f '%e %U %S %M' -o "$dir/time.$name" "$@" >"$out" || true
	read -r secs user sys rss_kb <"$dir/time.$name"
	# A time of 0.00 s would divide by zero below.
	[ "$secs" = 0.00 ] && secs=0.01
	cpu=$(echo "$user + $sys" | bc -l)
	printf '%-14s %7.2f s %8.1f MB/s %7.2f s CPU %7d MB peak RSS\n' "$name" \
		"$secs" "$(echo "$rbytes / 1048576 / $secs" | bc -l)" "$cpu" \
		$((rss_kb / 1024))
}

# ratio A B: A / B to two decimals.
ratio() { echo "scale=2; $1 / $2" | bc -l; }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "input: $COUNT results, $((rbytes / 1048576)) MB in ${#results[@]} files; items $((ibytes / 1048576)) MB"

# once NAME OUT CMD...: one run of measure, keeping NAME's fastest run
# in best_secs and best_rss (by NAME) and its line in
# $dir/best.NAME.  Each run starts after sync(1), so that no run pays for
# writing back the output of the one before (each writes about 660 MB),
# and with the files in ${warm[@]} read again (the kernel may have
# dropped them from the page cache).
declare -A best_secs best_rss
once() {
	local name=$1
	sync
	cat "${warm[@]}" >/dev/null
	measure "$@" >"$dir/time.line"
	if [ -z "${best_secs[$name]:-}" ] ||
		[ "$(echo "$secs < ${best_secs[$name]}" | bc)" = 1 ]; then
		best_secs[$name]=$secs best_rss[$name]=$rss_kb
		cp "$dir/time.line" "$dir/best.${name//[^a-z0-9-]/_}"
	fi
}
# best NAME: prints NAME's fastest run; sets secs and rss_kb from it.
best() {
	cat "$dir/best.${1//[^a-z0-9-]/_}"
	secs=${best_secs[$1]} rss_kb=${best_rss[$1]}
}

warm=("${results[@]}")
for _ in 1 2 3 4 5; do
	once "sort -k8,8" "$dir/sorted.sort" sort -t'"' -k8,8 "${results[@]}"
	once jsonl-sortid "$dir/sorted.jsonl" "$BIN/jsonl-sortid" "${results[@]}"
done
best "sort -k8,8"
sort_secs=$secs
best jsonl-sortid
sortid_secs=$secs sortid_rss=$rss_kb
if ! cmp -s "$dir/sorted.jsonl" "$dir/sorted.sort"; then
	echo "MISSED: jsonl-sortid and sort disagree on the order"
	status=1
fi
r=$(ratio "$sort_secs" "$sortid_secs")
echo "jsonl-sortid: ${r}x faster than sort (target 3x); peak RSS $((sortid_rss / 1024)) MB for $((rbytes / 1048576)) MB of input"
[ "$(echo "$r >= 3" | bc)" = 1 ] || { echo "MISSED: jsonl-sortid speed"; status=1; }
# For information: sort held to the memory jsonl-sortid used (it spills
# to temporary files then), the comparison at an equal memory budget.
measure "sort -S ${sortid_rss}K" "$dir/sorted.sort" sort -S "${sortid_rss}K" -t'"' -k8,8 "${results[@]}"
echo "jsonl-sortid: $(ratio "$secs" "$sortid_secs")x faster than sort in the same memory (no target)"
[ $((sortid_rss * 1024 * 4)) -lt "$rbytes" ] || { echo "MISSED: jsonl-sortid memory"; status=1; }
# For information: the results shuffled across all the files.
warm=("${global[@]}")
for _ in 1 2 3; do
	once "sortid -g" "$dir/sorted.global" "$BIN/jsonl-sortid" "${global[@]}"
done
best "sortid -g"
cmp -s "$dir/sorted.global" "$dir/sorted.jsonl" ||
	{ echo "MISSED: jsonl-sortid's order differs on the shuffled files"; status=1; }
echo "jsonl-sortid on results shuffled across all files: $(ratio "$sort_secs" "$secs")x faster than sort on the batches' files (no target); peak RSS $((rss_kb / 1024)) MB"
[ $((rss_kb * 1024 * 4)) -lt "$rbytes" ] || { echo "MISSED: jsonl-sortid memory (shuffled files)"; status=1; }

measure merge.py "$dir/merged.py" python3 "$TOP/tests/bench/merge.py" -k uuid "$dir/items.jsonl" "$dir/sorted.jsonl"
py_secs=$secs
measure jsonl-merge "$dir/merged.jsonl" "$BIN/jsonl-merge" -k uuid "$dir/items.jsonl" "$dir/sorted.jsonl"
merge_secs=$secs merge_rss=$rss_kb
for f in merged.py merged.jsonl; do
	n=$(wc -l <"$dir/$f")
	[ "$n" -eq "$COUNT" ] || { echo "MISSED: $f has $n lines, expected $COUNT"; status=1; }
done
r=$(ratio "$py_secs" "$merge_secs")
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "jsonl-merge: ${r}x faster than merge.py (target 10x); peak RSS $((merge_rss / 1024)) MB for $((rbytes / 1048576)) MB of results"
[ "$(echo "$r >= 10" | bc)" = 1 ] || { echo "MISSED: jsonl-merge speed"; status=1; }
[ $((merge_rss * 1024 * 4)) -lt "$rbytes" ] || { echo "MISSED: jsonl-merge memory"; status=1; }
rm -f "$dir"/sorted.sort "$dir"/sorted.global "$dir"/merged.py "$dir"/merged.jsonl "$dir"/time.*
exit $status
