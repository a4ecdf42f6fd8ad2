#!/usr/bin/env bash
# bench-prompt-split: jsonl-prompt | jsonl-split on 1,000,000 items of about
# 280 bytes, against (a) the straightforward Python script doing the same
# (tests/bench/prompt_split.py; target: at least 10 times faster) and (b) a
# getline/fwrite loop copying the items to a file (tests/bench/copyloop.c;
# target: at most 3 times its time).  Prints seconds, MB/s of items read and
# peak RSS for each, and the ratios; exits 1 when a target is missed.
# Run by `make bench` (tests/bench/run sets BIN and BENCH_DIR).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${BENCH_DIR:=/tmp/batchpipe-bench}" "${BIN:=$here/../../bin}"
: "${ITEMS_COUNT:=1000000}"
export LC_ALL=C
mkdir -p "$BENCH_DIR"
items=$BENCH_DIR/items.jsonl
[ "$ITEMS_COUNT" -eq 1000000 ] || items=$BENCH_DIR/items-$ITEMS_COUNT.jsonl
sh "$here/gen-items" -n "$ITEMS_COUNT" "$items"
work=$(mktemp -d "$BENCH_DIR/prompt-split.XXXXXX")
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/copyloop" "$here/copyloop.c"
printf 'You write short, factual product descriptions.\n' >"$work/system.txt"
bytes=$(wc -c <"$items")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "items: $items, $(wc -l <"$items") lines, $mb MB"

now() { date +%s.%N; }
# report NAME SECONDS RSS-KB...: one result line.
report() {
	local name=$1 secs=$2
	shift 2
	printf '%-28s %7.2f s %8.1f MB/s   peak RSS %s\n' "$name" "$secs" \
		"$(awk -v b="$bytes" -v s="$secs" 'BEGIN { print b / 1e6 / s }')" "$*"
}

# Warm the page cache so every contender reads from memory.
cat "$items" >/dev/null

t0=$(now)
/usr/bin/time -f %M -o "$work/copy.rss" "$work/copyloop" "$items" "$work/copy.out"
t1=$(now)
copy=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
rm -f "$work/copy.out"
report "copy loop (floor)" "$copy" "$(cat "$work/copy.rss") KB"

cmd=("$BIN/jsonl-prompt" -m gpt-4o-mini -s "$work/system.txt" -t '{name}: {description}' -i uuid "$items")
echo "run: jsonl-prompt -m gpt-4o-mini -s system.txt -t '{name}: {description}' -i uuid items.jsonl | jsonl-split -d DIR"
t0=$(now)
/usr/bin/time -f %M -o "$work/prompt.rss" "${cmd[@]}" |
	/usr/bin/time -f %M -o "$work/split.rss" "$BIN/jsonl-split" -d "$work/c" >"$work/c.paths"
t1=$(now)
ours=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
report "jsonl-prompt | jsonl-split" "$ours" "$(cat "$work/prompt.rss") KB + $(cat "$work/split.rss") KB"
c_files=$(wc -l <"$work/c.paths")
c_lines=$(cat "$work"/c/*.jsonl | wc -l)
rm -rf "$work/c"

t0=$(now)
/usr/bin/time -f %M -o "$work/py.rss" python3 "$here/prompt_split.py" gpt-4o-mini \
	"$work/system.txt" '{name}: {description}' uuid "$items" "$work/py" >"$work/py.paths"
t1=$(now)
py=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
report "python json.loads/dumps" "$py" "$(cat "$work/py.rss") KB"
py_files=$(wc -l <"$work/py.paths")
py_lines=$(cat "$work"/py/*.jsonl | wc -l)
rm -rf "$work/py"

status=0
if [ "$c_files" -ne "$py_files" ] || [ "$c_lines" -ne "$py_lines" ]; then
	echo "MISSED: the C tools wrote $c_files files of $c_lines lines, Python $py_files of $py_lines"
	status=1
fi
speedup=$(awk -v a="$py" -v b="$ours" 'BEGIN { printf "%.1f", a / b }')
floor=$(awk -v a="$ours" -v b="$copy" 'BEGIN { printf "%.2f", a / b }')
echo "python / ours: ${speedup}x (target >= 10)"
echo "ours / copy loop: ${floor}x (target <= 3)"
awk -v x="$speedup" 'BEGIN { exit !(x >= 10) }' || { echo "MISSED: under 10x faster than Python"; status=1; }
awk -v x="$floor" 'BEGIN { exit !(x <= 3) }' || { echo "MISSED: over 3x the copy loop"; status=1; }
exit $status
