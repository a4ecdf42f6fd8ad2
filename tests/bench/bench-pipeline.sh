#!/usr/bin/env bash
# bench-pipeline: oai-pipeline end to end on 1,000,000 requests against
# oai-mock (no faults), beside the README's one-line pipe of the same
# tools on the same requests and server; then a job ten times the batch
# queue.
#
# Targets (exit status 1 when one is missed):
#  - the driver takes at most 1.5 times the one-line pipe's wall time;
#  - no process of the driver's job peaks above 200 MB RSS;
#  - its run directory, at the end, holds at most 1.3 times the job's
#    own data (the requests and results.jsonl);
#  - a job of 20 parts, with room in the queue for 2 at once, takes at
#    most 1.5 times the ideal 10 queue cycles, with the limit given and
#    learnt (-Q auto).
# ITEMS_COUNT=n for another size.  The requests are made once in
# $BENCH_DIR and reused.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BENCH_DIR:=/tmp/batchpipe-bench}"
BIN=${BIN:-$TOP/bin}
PATH=$BIN:$TOP/scripts:$PATH
export LC_ALL=C PATH
here=$(cd "$(dirname "$0")" && pwd)
ITEMS_COUNT=${ITEMS_COUNT:-1000000}
items=$BENCH_DIR/items.jsonl
[ "$ITEMS_COUNT" -eq 1000000 ] || items=$BENCH_DIR/items-$ITEMS_COUNT.jsonl
sh "$here/gen-items" -n "$ITEMS_COUNT" "$items" || exit 1
dir=$BENCH_DIR/pipeline-$ITEMS_COUNT
mkdir -p "$dir" || exit 1
status=0

requests=$dir/requests.jsonl
if [ ! -s "$requests" ]; then
	jsonl-prompt -m gpt-4o-mini -t '{name}: {description}' -i uuid -T 50 \
		<"$items" >"$requests.tmp" && mv "$requests.tmp" "$requests" || exit 1
fi
cat "$requests" "$items" >/dev/null	# into the page cache

work=$(mktemp -d "$dir/run.XXXXXX") || exit 1
mock=
start_mock() {
	stop_mock
	rm -rf "$work/mock" "$work/url"
	mkdir "$work/mock"
	oai-mock -q -p 0 -d "$work/mock" "$@" >"$work/url" &
	mock=$!
	for _ in $(seq 1 100); do
		[ -s "$work/url" ] && break
		sleep 0.05
	done
	OPENAI_BASE_URL=$(head -n 1 "$work/url")
	export OPENAI_BASE_URL
}
stop_mock() {
	[ -n "$mock" ] && kill "$mock" 2>/dev/null && wait "$mock" 2>/dev/null
	mock=
}
trap 'stop_mock; rm -rf "$work"' EXIT
export OPENAI_API_KEY=sk-bench
unset OPENAI_API_KEY_FILE OPENAI_ORG_ID OPENAI_PROJECT_ID

# timed NAME CMD...: runs CMD (its own stdout and stderr kept), prints
# its wall time and the peak RSS of its largest process; sets ms and rss_kb.
timed() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s%N)
	/usr/bin/time -f '%M' -o "$work/rss" "$@" || { echo "MISSED: $name failed"; status=1; }
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	rss_kb=$(tail -n 1 "$work/rss")
	printf '%-34s %7.1f s %6.1f MB peak RSS\n' "$name" "$(awk -v m="$ms" 'BEGIN { print m / 1000 }')" \
		"$(awk -v k="$rss_kb" 'BEGIN { print k / 1024 }')"
}

echo "requests: $(wc -l <"$requests") lines, $(($(wc -c <"$requests") / 1000000)) MB"

# The one-line pipe, as the README has it (the requests already made).
start_mock -t 0.2,1,0.2
mkdir "$work/in"
# shellcheck disable=SC2016 # expanded by the inner shell
timed "one-line pipe" sh -c 'jsonl-split -d "$1/in" "$2" | oai-upload -q | oai-batch -q |
	oai-wait -q -i 0.2 | oai-fetch -q | jsonl-sortid |
	jsonl-merge -k uuid "$3" - >"$1/pipe.jsonl" 2>"$1/pipe.log"' sh "$work" "$requests" "$items"
pipe_ms=$ms

# The driver, on a fresh server, to a fresh run directory.
start_mock -t 0.2,1,0.2
# shellcheck disable=SC2016 # expanded by the inner shell
timed "oai-pipeline" sh -c 'oai-pipeline -q -i 0.2 -d "$1/run" -k uuid "$2" "$3" >"$1/driver.jsonl" 2>"$1/driver.log"' \
	sh "$work" "$requests" "$items"
drv_ms=$ms
cmp -s "$work/pipe.jsonl" "$work/driver.jsonl" || { echo "MISSED: the driver's output differs from the pipe's"; status=1; }
ratio=$(awk -v a="$drv_ms" -v b="$pipe_ms" 'BEGIN { printf "%.2f", a / b }')
echo "driver / pipe: $ratio (target <= 1.5)"
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.5) }' || { echo "MISSED: driver $ratio x the pipe"; status=1; }
[ "$rss_kb" -le $((200 * 1024)) ] || { echo "MISSED: peak RSS $rss_kb kB, target 200 MB"; status=1; }
data=$(($(wc -c <"$requests") + $(wc -c <"$work/run/results.jsonl")))
size=$(du -sb "$work/run" | cut -f 1)
# merged.jsonl is the user's output (a copy of stdout): counted apart.
merged=$(wc -c <"$work/run/merged.jsonl")
dratio=$(awk -v s="$((size - merged))" -v d="$data" 'BEGIN { printf "%.2f", s / d }')
echo "run directory: $((size / 1000000)) MB, of which merged.jsonl $((merged / 1000000)) MB; the rest / (requests + results): $dratio (target <= 1.3)"
awk -v r="$dratio" 'BEGIN { exit !(r <= 1.3) }' || { echo "MISSED: run directory $dratio x the job's data"; status=1; }
stop_mock
rm -rf "$work/run" "$work/in" "$work/pipe.jsonl" "$work/driver.jsonl"

# Ten times the queue: 20 parts of 10 requests (100 tokens each), room
# for 2 at once; a batch takes 0.2 + 1 + 0.2 s on the server, so 10
# cycles take 14 s at best.
awk 'BEGIN { for (i = 1; i <= 200; i++)
	printf "{\"custom_id\":\"q%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"item %d\"}],\"max_tokens\":5}}\n", i, i }' >"$work/q.jsonl"
for q in 250 auto; do
	start_mock -t 0.2,1,0.2 -F token-limit=250
	timed "20 parts, queue of 2, -Q $q" oai-pipeline -q -i 0.2 -Q "$q" -l 10 -d "$work/q-$q" "$work/q.jsonl" >/dev/null 2>"$work/q-$q.log"
	cyc=$(awk -v m="$ms" 'BEGIN { printf "%.2f", m / 1000 / 14 }')
	echo "  x the ideal 10 cycles: $cyc (target <= 1.5)"
	awk -v r="$cyc" 'BEGIN { exit !(r <= 1.5) }' || { echo "MISSED: -Q $q: $cyc x the ideal"; status=1; }
done
exit $status
