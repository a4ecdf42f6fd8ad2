#!/usr/bin/env bash
# bench-live: oai-run against oai-mock on loopback.
#
# Targets (the exit status is 1 when one is missed):
# - throughput: with 200 ms answers (-L 200) and no rate limit, -c 64
#   sustains at least 90% of 64 / 0.2 s = 320 requests a second, and is
#   no slower than the official openai Node SDK (npm openai 7.60.0,
#   installed into $BENCH_DIR/npm for this only) with 64 requests at once;
# - rate limit: with the mock limiting to 3,000 requests a minute
#   (-F rpm=3000), at least 95% of the limit, with at most 1% of the
#   requests answered 429;
# - memory: at most 32 MB of peak RSS for 100,000 requests with -o.
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BENCH_DIR:=/tmp/batchpipe-bench}"
BIN=${BIN:-$TOP/bin}
export LC_ALL=C OPENAI_API_KEY=sk-bench
dir=$BENCH_DIR/live
npmdir=$BENCH_DIR/npm
mkdir -p "$dir" || exit 1
status=0
work=$(mktemp -d "${TMPDIR:-/tmp}/batchpipe-live.XXXXXX") || exit 1
mock=
trap '[ -n "$mock" ] && kill "$mock" 2>/dev/null; rm -rf "$work"' EXIT

# requests N FILE: N small chat requests with a 10-token cap.
requests() {
	[ -s "$2" ] && return
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"custom_id\":\"r%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"question %d\"}],\"max_tokens\":10}}\n", i, i }' >"$2.tmp" &&
		mv "$2.tmp" "$2"
}

# serve [oai-mock options]: a fresh oai-mock, its log in $work/mock.log.
serve() {
	[ -n "$mock" ] && { kill "$mock"; wait "$mock" 2>/dev/null; }
	rm -rf "$work/mock" && mkdir "$work/mock"
	"$BIN/oai-mock" -p 0 -d "$work/mock" "$@" >"$work/url" 2>"$work/mock.log" &
	mock=$!
	for _ in $(seq 1 100); do
		[ -s "$work/url" ] && break
		sleep 0.05
	done
	OPENAI_BASE_URL=$(cat "$work/url")
	export OPENAI_BASE_URL
}

now() { date +%s.%N; }
# check WHAT VALUE OP TARGET
check() {
	if awk -v v="$2" -v t="$4" -v op="$3" 'BEGIN { exit !(op == ">=" ? v >= t : v <= t) }'; then
		echo "ok: $1 $2 $3 $4"
	else
		echo "MISSED: $1 $2, target $3 $4"
		status=1
	fi
}

requests 6400 "$dir/r6400.jsonl"
requests 1500 "$dir/r1500.jsonl"
requests 100000 "$dir/r100k.jsonl"

# Throughput.
serve -q -L 200
s=$(now)
"$BIN/oai-run" -q -c 64 "$dir/r6400.jsonl" >"$work/out"
e=$(now)
ours=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.1f", 6400 / (e - s) }')
echo "oai-run -c 64, 200 ms answers: $ours requests/s ($(wc -l <"$work/out") lines)"
check "requests/s" "$ours" ">=" 288
if command -v node >/dev/null && command -v npm >/dev/null; then
	if [ "$(node -p "require('$npmdir/node_modules/openai/package.json').version" 2>/dev/null)" != 7.60.0 ]; then
		npm install --silent --no-audit --no-fund --no-save --prefix "$npmdir" openai@7.60.0
	fi
	serve -q -L 200
	secs=$(NPMDIR=$npmdir node "$TOP/tests/bench/live.js" "$dir/r6400.jsonl" 64)
	sdk=$(awk -v t="$secs" 'BEGIN { printf "%.1f", 6400 / t }')
	echo "openai Node SDK, 64 at once: $sdk requests/s"
	check "oai-run / SDK" "$(awk -v a="$ours" -v b="$sdk" 'BEGIN { printf "%.2f", a / b }')" ">=" 1
else
	echo "MISSED: node and npm are needed for the SDK comparison (scripts/deps bench)"
	status=1
fi

# Rate limit: the first second's worth (50) goes at once, the rest at
# 50 a second, so 1,500 requests take 29 s at the least.
serve -F rpm=3000
s=$(now)
"$BIN/oai-run" -q -c 64 "$dir/r1500.jsonl" >"$work/out"
e=$(now)
rate=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.0f", (1500 - 50) / (e - s) * 60 }')
n429=$(grep -c 'completions 429' "$work/mock.log")
echo "rpm=3000: $rate requests a minute after the first second, $n429 answers 429 of $(grep -c 'POST /v1/chat' "$work/mock.log")"
check "share of the limit" "$(awk -v r="$rate" 'BEGIN { printf "%.3f", r / 3000 }')" ">=" 0.95
check "share answered 429" "$(awk -v n="$n429" 'BEGIN { printf "%.4f", n / 1500 }')" "<=" 0.01

# Memory.
serve -q
/usr/bin/time -f '%M' -o "$work/rss" "$BIN/oai-run" -q -c 64 -o "$work/res.jsonl" "$dir/r100k.jsonl"
echo "100,000 requests: peak RSS $(cat "$work/rss") KB, $(wc -l <"$work/res.jsonl") lines"
check "peak RSS KB" "$(cat "$work/rss")" "<=" 32768
exit $status
