#!/usr/bin/env bash
# bench-wait: oai-wait on 100 batches makes no more than one request per
# batch per poll interval.  The requests are counted in oai-mock's own log
# (one "oai-mock: GET /v1/batches/ID STATUS" line per request).
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BIN:=$TOP/bin}"
export LC_ALL=C
n=100 interval=0.2 lifecycle=2,1,2
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-wait.XXXXXX")
mock=
cleanup() {
	[ -n "$mock" ] && kill "$mock" 2>/dev/null && wait "$mock" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/store"
"$BIN/oai-mock" -p 0 -d "$work/store" -t "$lifecycle" >"$work/url" 2>"$work/mock.log" &
mock=$!
url=
for _ in $(seq 1 100); do
	IFS= read -r url <"$work/url" || true
	[ -n "$url" ] && break
	sleep 0.05
done
[ -n "$url" ] || { echo "bench-wait: oai-mock did not start" >&2; exit 1; }
export OPENAI_BASE_URL=$url OPENAI_API_KEY=sk-test-mock

printf '{"custom_id":"1","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}}\n' >"$work/in.jsonl"
file=$("$BIN/oai-upload" -q "$work/in.jsonl" | cut -f1)
for _ in $(seq 1 "$n"); do
	curl -sS -H "Authorization: Bearer $OPENAI_API_KEY" -H 'Content-Type: application/json' \
		-d "{\"input_file_id\":\"$file\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}" \
		"$url/batches" | grep -o '"id":"batch_[^"]*"' | cut -d'"' -f4
done >"$work/ids"
[ "$(sort -u "$work/ids" | wc -l)" -eq "$n" ] || { echo "bench-wait: could not create $n batches" >&2; exit 1; }

before=$(wc -l <"$work/mock.log")
t0=$(date +%s%N)
rc=0
"$BIN/oai-wait" -q -i "$interval" <"$work/ids" >"$work/results" || rc=$?
t1=$(date +%s%N)
[ "$rc" -eq 0 ] || { echo "bench-wait: oai-wait exited $rc" >&2; exit 1; }
[ "$(wc -l <"$work/results")" -eq "$n" ] || { echo "bench-wait: not $n result lines" >&2; exit 1; }

elapsed_ms=$(((t1 - t0) / 1000000))
tail -n +"$((before + 1))" "$work/mock.log" | grep -o 'GET /v1/batches/batch_[^ ]*' | sort | uniq -c | awk '{ print $1 }' >"$work/counts"
polls=$(awk '{ s += $1 } END { print s + 0 }' "$work/counts")
most=$(sort -n "$work/counts" | tail -n 1)
# One request per batch per interval: the first poll, then one for every
# whole interval that passed.
ceiling=$(awk -v e="$elapsed_ms" -v i="$interval" 'BEGIN { print 1 + int(e / 1000 / i) }')
echo "oai-wait on $n batches (lifecycle $lifecycle s, -i $interval): $elapsed_ms ms, $polls polls, at most $most for one batch; ceiling $ceiling per batch ($((n * ceiling)) in all), ratio $(awk -v p="$polls" -v c="$((n * ceiling))" 'BEGIN { printf "%.2f", p / c }')"
[ "$(wc -l <"$work/counts")" -eq "$n" ] || { echo "bench-wait: not every batch was polled" >&2; exit 1; }
[ "$most" -le "$ceiling" ] || { echo "bench-wait: MISSED: $most polls of one batch, ceiling $ceiling" >&2; exit 1; }
