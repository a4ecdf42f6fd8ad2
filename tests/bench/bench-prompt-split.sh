#!/usr/bin/env bash
# bench-prompt-split: jsonl-prompt | jsonl-split on 1,000,000 items of about
# 280 bytes, against (a) the straightforward Python script doing the same
# (tests/bench/prompt_split.py; target: at least 10 times faster) and (b) a
# getline/fwrite loop copying the items to a file (tests/bench/copyloop.c;
# target: at most 3 times its time).  Prints seconds, MB/s of items read,
# CPU seconds and peak RSS for each, and the ratios; exits 1 when a target
# is missed.
# Run by `make bench` (tests/bench/run sets BIN and BENCH_DIR).
#
# Every contender writes its output to the same place, BENCH_OUT: by default
# a directory in /dev/shm (memory), so the numbers are the tools' work and
# not the disk's (jsonl-split fsyncs each file it writes, the others do
# not; on tmpfs that costs nothing).  Set BENCH_OUT to a disk directory to
# measure with the disk.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${BENCH_DIR:=/tmp/batchpipe-bench}" "${BIN:=$here/../../bin}"
: "${ITEMS_COUNT:=1000000}"
export LC_ALL=C
mkdir -p "$BENCH_DIR"
items=$BENCH_DIR/items.jsonl
[ "$ITEMS_COUNT" -eq 1000000 ] || items=$BENCH_DIR/items-$ITEMS_COUNT.jsonl
sh "$here/gen-items" -n "$ITEMS_COUNT" "$items"
if [ -z "${BENCH_OUT:-}" ]; then
	BENCH_OUT=$BENCH_DIR
	[ -d /dev/shm ] && [ -w /dev/shm ] && BENCH_OUT=/dev/shm
fi
work=$(mktemp -d "$BENCH_OUT/batchpipe-prompt-split.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/copyloop" "$here/copyloop.c"
printf 'You write short, factual product descriptions.\n' >"$work/system.txt"
bytes=$(wc -c <"$items")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "items: $items, $(wc -l <"$items") lines, $mb MB; output to $BENCH_OUT"

now() { date +%s.%N; }
# report NAME SECONDS CPU-SECONDS RSS...: one result line.
report() {
	local name=$1 secs=$2 cpu=$3
	shift 3
	printf '%-28s %6.2f s %7.1f MB/s  (cpu %5.2f s)  peak RSS %s\n' "$name" \
		"$secs" "$(awk -v b="$bytes" -v s="$secs" 'BEGIN { print b / 1e6 / s }')" \
		"$cpu" "$*"
}
# field N FILE: field N of the `time -f '%e %U %S %M'` line in FILE.
field() { awk -v n="$1" '{ print $n }' "$2"; }
cpu() { awk '{ s += $2 + $3 } END { print s }' "$@"; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b != "" && b < a) ? b : a }'; }
fmt='%e %U %S %M'

# Warm the page cache so every contender reads from memory.
cat "$items" >/dev/null

# Three rounds of a copy loop run then a jsonl-prompt | jsonl-split run, so
# that both meet the same spells of load on a shared machine; the fastest
# run of each counts.  Python runs once.
copy='' ours=''
for run in 1 2 3; do
	t0=$(now)
	/usr/bin/time -f "$fmt" -o "$work/copy.$run" "$work/copyloop" "$items" "$work/copy.out"
	t1=$(now)
	rm -f "$work/copy.out"
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
	[ "$(best "$secs" "$copy")" = "$secs" ] && { copy=$secs; cbest=$run; }

	rm -rf "$work/c"
	t0=$(now)
	/usr/bin/time -f "$fmt" -o "$work/prompt.$run" "$BIN/jsonl-prompt" -m gpt-4o-mini \
		-s "$work/system.txt" -t '{name}: {description}' -i uuid "$items" |
		/usr/bin/time -f "$fmt" -o "$work/split.$run" "$BIN/jsonl-split" -d "$work/c" >"$work/c.paths"
	t1=$(now)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
	[ "$(best "$secs" "$ours")" = "$secs" ] && { ours=$secs; obest=$run; }
done
copy_cpu=$(cpu "$work/copy.$cbest")
report "copy loop (floor)" "$copy" "$copy_cpu" "$(field 4 "$work/copy.$cbest") KB"

echo "run: jsonl-prompt -m gpt-4o-mini -s system.txt -t '{name}: {description}' -i uuid items.jsonl | jsonl-split -d DIR"
ours_cpu=$(cpu "$work/prompt.$obest" "$work/split.$obest")
report "jsonl-prompt | jsonl-split" "$ours" "$ours_cpu" \
	"$(field 4 "$work/prompt.$obest") KB + $(field 4 "$work/split.$obest") KB"
c_files=$(wc -l <"$work/c.paths")
c_lines=$(cat "$work"/c/*.jsonl | wc -l)
rm -rf "$work/c"

t0=$(now)
/usr/bin/time -f "$fmt" -o "$work/py" python3 "$here/prompt_split.py" gpt-4o-mini \
	"$work/system.txt" '{name}: {description}' uuid "$items" "$work/pyout" >"$work/py.paths"
t1=$(now)
py=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
py_cpu=$(cpu "$work/py")
report "python json.loads/dumps" "$py" "$py_cpu" "$(field 4 "$work/py") KB"
py_files=$(wc -l <"$work/py.paths")
py_lines=$(cat "$work"/pyout/*.jsonl | wc -l)
rm -rf "$work/pyout"

status=0
if [ "$c_files" -ne "$py_files" ] || [ "$c_lines" -ne "$py_lines" ]; then
	echo "MISSED: the C tools wrote $c_files files of $c_lines lines, Python $py_files of $py_lines"
	status=1
fi
speedup=$(awk -v a="$py" -v b="$ours" 'BEGIN { printf "%.1f", a / b }')
floor=$(awk -v a="$ours" -v b="$copy" 'BEGIN { printf "%.2f", a / b }')
echo "python / ours: ${speedup}x (target >= 10)"
echo "ours / copy loop: ${floor}x (target <= 3)"
# CPU seconds, for a machine busy with other work (the targets are on
# elapsed time).  The two filters run at the same time: jsonl-prompt
# writes its requests as it makes them.
awk -v p="$py_cpu" -v o="$ours_cpu" -v c="$copy_cpu" 'BEGIN {
	printf "in CPU seconds: python / ours %.1fx, ours / copy loop %.2fx\n", p / o, o / c }'
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null) && echo "load average during the run: $load"
awk -v x="$speedup" 'BEGIN { exit !(x >= 10) }' || { echo "MISSED: under 10x faster than Python"; status=1; }
awk -v x="$floor" 'BEGIN { exit !(x <= 3) }' || { echo "MISSED: over 3x the copy loop"; status=1; }
exit $status
