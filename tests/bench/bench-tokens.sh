#!/usr/bin/env bash
# bench-tokens: the tokenizer (common/tokenizer.c, through
# tests/prog/tokenize.c: `tokenize -r -E o200k_base`, one tokenizer_count
# per line) on 50 MB of varied text made from the tokenizer's corpus
# (tests/bench/tokens.js gen: prose in many languages, code, symbols,
# emoji, odd code points), against npm gpt-tokenizer 4.0.0's countTokens
# in node over the same lines, and, for information, npm tiktoken 1.0.22
# (OpenAI's tiktoken built to WASM).  Everything on one core (taskset -c 0);
# three rounds, each contender once a round, the fastest run counts.
# Prints MB/s for each and the ratio; exits 1 when ours is under 50 MB/s,
# under 2 times gpt-tokenizer, or when its total differs from tiktoken's.
# Run by `make bench` (tests/bench/run sets BIN and BENCH_DIR); the node
# packages are installed with npm into $BENCH_DIR/npm at those versions.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${BENCH_DIR:=/tmp/batchpipe-bench}" "${BIN:=$here/../../bin}"
: "${TOKENS_BYTES:=50000000}"
export LC_ALL=C
tokenize=$BIN/../tests/tokenize
corpus=$here/../data/tokens/corpus.jsonl
npmdir=$BENCH_DIR/npm
text=$BENCH_DIR/tokens-$TOKENS_BYTES.txt
mkdir -p "$BENCH_DIR"
[ -x "$tokenize" ] || { echo "MISSED: $tokenize not built (make testprogs)"; exit 1; }
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "MISSED: node and npm are needed (scripts/deps bench)"
	exit 1
fi

# version PACKAGE: the version of PACKAGE installed in $npmdir, if any.
version() {
	node -p "require('$npmdir/node_modules/$1/package.json').version" 2>/dev/null || true
}
if [ "$(version tiktoken)" != 1.0.22 ] || [ "$(version gpt-tokenizer)" != 4.0.0 ]; then
	npm install --silent --no-audit --no-fund --no-save --prefix "$npmdir" \
		tiktoken@1.0.22 gpt-tokenizer@4.0.0
fi
if [ ! -s "$text" ] || [ "$corpus" -nt "$text" ] || [ "$here/tokens.js" -nt "$text" ]; then
	node "$here/tokens.js" gen "$corpus" "$text.tmp" "$TOKENS_BYTES"
	mv "$text.tmp" "$text"
fi
bytes=$(wc -c <"$text")
echo "text: $text, $(wc -l <"$text") lines, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB; on core 0"

work=$(mktemp -d "${TMPDIR:-/tmp}/batchpipe-tokens.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat "$text" >/dev/null

now() { date +%s.%N; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b != "" && b < a) ? b : a }'; }
mbs() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / 1e6 / s }'; }

# timed NAME CMD...: runs CMD on core 0, its output in $work/NAME; keeps
# the fastest time in the variable t_NAME.
timed() {
	local name=$1 t0 t1 secs prev
	shift
	t0=$(now)
	taskset -c 0 "$@" >"$work/$name"
	t1=$(now)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
	prev=$(eval "echo \${t_$name:-}")
	eval "t_$name=$(best "$secs" "$prev")"
}

t_ours='' t_gpt='' t_tik=''
for run in 1 2 3; do
	timed ours "$tokenize" -r -E o200k_base "$text"
	timed gpt node "$here/tokens.js" count gpt-tokenizer "$npmdir" "$text"
	timed tik node "$here/tokens.js" count tiktoken "$npmdir" "$text"
	echo "round $run: ours $t_ours s, gpt-tokenizer $t_gpt s, tiktoken $t_tik s (best so far)"
done

status=0
ours_n=$(cut -f1 "$work/ours") gpt_n=$(cut -f1 "$work/gpt") tik_n=$(cut -f1 "$work/tik")
printf '%-36s %7.2f s %7s MB/s  %s tokens\n' "tokenize -r -E o200k_base (C)" \
	"$t_ours" "$(mbs "$t_ours")" "$ours_n"
printf '%-36s %7.2f s %7s MB/s  %s tokens\n' "gpt-tokenizer 4.0.0 countTokens" \
	"$t_gpt" "$(mbs "$t_gpt")" "$gpt_n"
printf '%-36s %7.2f s %7s MB/s  %s tokens\n' "tiktoken 1.0.22 (WASM), information" \
	"$t_tik" "$(mbs "$t_tik")" "$tik_n"
ratio=$(awk -v a="$t_gpt" -v b="$t_ours" 'BEGIN { printf "%.1f", a / b }')
echo "gpt-tokenizer / ours: ${ratio}x (target >= 2); ours: $(mbs "$t_ours") MB/s (target >= 50)"
echo "tiktoken / ours: $(awk -v a="$t_tik" -v b="$t_ours" 'BEGIN { printf "%.1f", a / b }')x"
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null) && echo "load average during the run: $load"
[ "$ours_n" = "$tik_n" ] || { echo "MISSED: ours counted $ours_n tokens, tiktoken $tik_n"; status=1; }
[ "$gpt_n" = "$tik_n" ] || echo "note: gpt-tokenizer counted $gpt_n (see tests/data/tokens/README)"
awk -v x="$(mbs "$t_ours")" 'BEGIN { exit !(x >= 50) }' || { echo "MISSED: under 50 MB/s"; status=1; }
awk -v x="$ratio" 'BEGIN { exit !(x >= 2) }' || { echo "MISSED: under 2x gpt-tokenizer"; status=1; }
exit $status
