#!/usr/bin/env bash
# bench-wait: oai-wait on 100 batches (BENCH_WAIT_N) makes no more than
# one request per batch per poll interval, fewer when it polls through the
# listing.  The requests are counted in oai-mock's own log (one
# "oai-mock: GET /v1/batches/ID STATUS" line per poll of one batch, one
# "oai-mock: GET /v1/batches STATUS" per listing page).
set -eu
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BIN:=$TOP/bin}"
export LC_ALL=C
n=${BENCH_WAIT_N:-100} interval=0.2 lifecycle=2,1,2
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
# One curl over one connection: a curl a batch takes longer than the
# batches live when there are a thousand.
for i in $(seq 1 "$n"); do
	[ "$i" -gt 1 ] && echo next
	printf 'url = "%s/batches"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\n' "$url" "$OPENAI_API_KEY"
	printf 'data = "{\\"input_file_id\\":\\"%s\\",\\"endpoint\\":\\"/v1/chat/completions\\",\\"completion_window\\":\\"24h\\"}"\n' "$file"
done >"$work/curl.cfg"
curl -sS -K "$work/curl.cfg" | grep -o '"id":"batch_[^"]*"' | cut -d'"' -f4 >"$work/ids"
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
pages=$(tail -n +"$((before + 1))" "$work/mock.log" | grep -c 'GET /v1/batches ' || true)
# One request per batch per interval: the first poll, then one for every
# whole interval that passed.
ceiling=$(awk -v e="$elapsed_ms" -v i="$interval" 'BEGIN { print 1 + int(e / 1000 / i) }')
echo "oai-wait on $n batches (lifecycle $lifecycle s, -i $interval): $elapsed_ms ms, $((polls + pages)) requests ($pages listing pages, $polls polls of one batch, at most ${most:-0} for one); ceiling $ceiling per batch ($((n * ceiling)) in all), ratio $(awk -v p="$((polls + pages))" -v c="$((n * ceiling))" 'BEGIN { printf "%.2f", p / c }')"
[ "${most:-0}" -le "$ceiling" ] || { echo "bench-wait: MISSED: $most polls of one batch, ceiling $ceiling" >&2; exit 1; }
[ "$((polls + pages))" -le "$((n * ceiling))" ] || { echo "bench-wait: MISSED: more requests than one per batch per interval" >&2; exit 1; }
