#!/usr/bin/env bash
# bench-net: oai-upload and oai-fetch move a 200 MB file through oai-mock
# on loopback.
#
# Targets (the exit status is 1 when one is missed): at least 200 MB/s
# each way (wall time of the whole command: hashing, listing, the
# transfer, the size check and, for oai-fetch on stdout, the copy out of
# the temporary file), and a peak RSS under 32 MB for each tool.
# The file is made once in $BENCH_DIR and reused.  MB=n for another size.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BENCH_DIR:=/tmp/batchpipe-bench}"
BIN=${BIN:-$TOP/bin}
MB=${MB:-200}
export LC_ALL=C
dir=$BENCH_DIR/net-$MB
mkdir -p "$dir" || exit 1
status=0

# About 1 KB request lines, unique custom_ids, up to MB megabytes.
input=$dir/input.jsonl
if [ ! -s "$input" ]; then
	awk -v bytes=$((MB * 1000000)) 'BEGIN {
		pad = sprintf("%900s", ""); gsub(/ /, "x", pad)
		for (i = 1; n < bytes; i++) {
			line = sprintf("{\"custom_id\":\"r%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}}", i, pad)
			print line
			n += length(line) + 1
		}
	}' >"$input.tmp" && mv "$input.tmp" "$input" || exit 1
fi
bytes=$(wc -c <"$input")
cat "$input" >/dev/null	# into the page cache

work=$(mktemp -d "$dir/run.XXXXXX") || exit 1
mkdir "$work/mock"
"$BIN/oai-mock" -q -p 0 -d "$work/mock" >"$work/url" &
mock=$!
trap 'kill $mock 2>/dev/null; wait $mock 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
	[ -s "$work/url" ] && break
	sleep 0.05
done
OPENAI_BASE_URL=$(head -n 1 "$work/url")
export OPENAI_BASE_URL OPENAI_API_KEY=sk-bench
unset OPENAI_API_KEY_FILE OPENAI_ORG_ID OPENAI_PROJECT_ID

# measure NAME OUT CMD...: runs CMD (stdout to OUT) $RUNS times, prints
# the best MB/s and the highest peak RSS, and checks both against the
# targets.  The best of several runs, because the machine is shared: the
# slower runs measure the neighbours.  PREP, if set, names a function run
# before each run.
RUNS=${RUNS:-3}
measure() {
	local name=$1 out=$2 t0 t1 ms best=0 rss_kb=0 r mbs i
	shift 2
	for i in $(seq 1 "$RUNS"); do
		[ -n "${PREP:-}" ] && "$PREP"
		t0=$(date +%s%N)
		/usr/bin/time -f '%M' -o "$work/rss" "$@" >"$out" ||
			{ echo "MISSED: $name failed"; status=1; }
		t1=$(date +%s%N)
		ms=$(((t1 - t0) / 1000000))
		[ "$ms" -gt 0 ] || ms=1
		mbs=$(awk -v b="$bytes" -v ms="$ms" 'BEGIN { printf "%.0f", b / 1e6 / (ms / 1000) }')
		[ "$mbs" -gt "$best" ] && best=$mbs
		r=$(tail -n 1 "$work/rss")
		[ "$r" -gt "$rss_kb" ] && rss_kb=$r
		printf '  %-20s run %d: %6d ms %6d MB/s\n' "$name" "$i" "$ms" "$mbs"
	done
	printf '%-22s best %6d MB/s %5.1f MB peak RSS\n' "$name" "$best" \
		"$(awk -v k="$rss_kb" 'BEGIN { print k / 1024 }')"
	[ "$best" -ge 200 ] || { echo "MISSED: $name: $best MB/s, target 200"; status=1; }
	[ "$rss_kb" -lt $((32 * 1024)) ] || { echo "MISSED: $name: peak RSS $rss_kb kB, target < 32 MB"; status=1; }
}

echo "input: $((bytes / 1000000)) MB, one file; best of $RUNS runs"
# Each upload run starts with the file gone from the server, or it would
# only find it there.
# shellcheck disable=SC2317 # called through $PREP
remove_upload() {
	[ -s "$work/up" ] && "$BIN/oai-rm" -q <"$work/up" >/dev/null
	return 0
}
PREP=remove_upload
measure "oai-upload" "$work/up" "$BIN/oai-upload" -q "$input"
PREP=
id=$(cut -f1 "$work/up")
case $id in file-*) ;; *) echo "MISSED: no file id from oai-upload"; exit 1 ;; esac
measure "oai-fetch -o file" /dev/null "$BIN/oai-fetch" -q -o "$work/got.jsonl" "$id"
cmp -s "$work/got.jsonl" "$input" || { echo "MISSED: oai-fetch -o: the file differs"; status=1; }
rm -f "$work/got.jsonl"
measure "oai-fetch >file" "$work/got.jsonl" "$BIN/oai-fetch" -q "$id"
cmp -s "$work/got.jsonl" "$input" || { echo "MISSED: oai-fetch: stdout differs"; status=1; }
exit $status
