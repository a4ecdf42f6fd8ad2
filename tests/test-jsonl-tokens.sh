# shellcheck shell=bash
# shellcheck disable=SC2034 # rc is read by expect_rc (tests/lib.sh)
# jsonl-tokens: the input tokens and output cap of each request, and -s.

# The counts of tests/data/tokens/requests.jsonl (chat, Responses,
# embeddings and completions requests, escapes, content parts, token ids)
# as computed a second way, by tests/data/tokens/ref.js: node 20 with the
# npm package tiktoken 1.0.22 (OpenAI's tokenizer compiled to wasm) and
# the counting rules of jsonl-tokens(1) written again in JavaScript:
#	node tests/data/tokens/ref.js <tests/data/tokens/requests.jsonl
# The chat counts of chat-1 and chat-name are also what gpt-tokenizer
# 4.0.0's countChatCompletionTokens gives for those messages.
REF_COUNTS='chat-1	21	-
chat-name	36	100
chat-parts	22	300
chat-cl100k	24	-
emb-string	8	-
emb-array	12	-
emb-ids	5	-
emb-id-arrays	5	-
resp-string	25	500
resp-items	18	-
compl-string	5	7
compl-array	14	-'

# chat ID [BODY-EXTRA [MODEL]]: a chat request line for gpt-4o-mini whose
# messages are those of chat-1 above (21 input tokens).
chat() {
	printf '{"custom_id":"%s","method":"POST","url":"/v1/chat/completions","body":{"model":"%s","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Hello, world!"}]%s}}\n' \
		"$1" "${3:-gpt-4o-mini}" "${2:-}"
}

# A price table for -s, in USD per 1M tokens (list prices: jsonl-tokens
# halves them), large so that a few tokens make cents.
prices() {
	printf '# test prices\n'
	printf 'gpt-4o-mini\t10000\t20000\n'
	printf 'text-embedding-3-small\t5000\t0\n'
	printf 'gpt-4\t30000\t60000\n'
}

# tokens_fails MESSAGE ARGS...: jsonl-tokens ARGS exits 1 with exactly
# MESSAGE on stderr and nothing on stdout.
tokens_fails() {
	local msg=$1
	shift
	run jsonl-tokens "$@"
	expect_rc 1
	printf '%s\n' "$msg" >want.err
	expect_same "$T/err" want.err
	expect_empty "$T/out"
}

t_usage_and_version() {
	local usage='usage: jsonl-tokens [-hLqsV] [-E encoding] [-P prices-file] [-T tier]
                    [file ...]'
	run jsonl-tokens -h
	expect_rc 0
	expect_eq "$(sed '/^$/,$d' "$T/out")" "$usage"
	run jsonl-tokens -x
	expect_rc 2
	expect_eq "$(sed 1d "$T/err")" "$usage"
	expect_empty "$T/out"
	run jsonl-tokens -V
	expect_rc 0
	expect_eq "$(cat "$T/out")" 'jsonl-tokens batchpipe 0.1.0'
	run jsonl-tokens -E p50k_base
	expect_rc 2
	expect_eq "$(cat "$T/err")" 'jsonl-tokens: -E: unknown encoding: p50k_base (o200k_base or cl100k_base)'
	expect_empty "$T/out"
}

t_counts_match_reference() {
	run jsonl-tokens "$DATA/tokens/requests.jsonl"
	expect_rc 0
	expect_empty "$T/err"
	printf '%s\n' "$REF_COUNTS" >want
	expect_same "$T/out" want
}

# The same requests with CR LF line ends, from a pipe: the same counts.
t_crlf_and_pipe() {
	sed 's/$/\r/' "$DATA/tokens/requests.jsonl" | run jsonl-tokens
	expect_rc 0
	printf '%s\n' "$REF_COUNTS" >want
	expect_same "$T/out" want
}

t_max_output_variants() {
	{
		chat none
		chat max_tokens ',"max_tokens":10'
		chat max_completion_tokens ',"max_completion_tokens":20'
		chat max_output_tokens ',"max_output_tokens":30'
		chat null ',"max_tokens":null'
		chat null-then-set ',"max_completion_tokens":null,"max_tokens":40'
		chat both ',"max_tokens":50,"max_completion_tokens":60'
		chat zero ',"max_tokens":0'
		chat repeated ',"max_tokens":1,"max_tokens":70'
	} >r.jsonl
	run jsonl-tokens r.jsonl
	expect_rc 0
	cat >want <<-'EOF'
	none	21	-
	max_tokens	21	10
	max_completion_tokens	21	20
	max_output_tokens	21	30
	null	21	-
	null-then-set	21	40
	both	21	60
	zero	21	0
	repeated	21	70
	EOF
	expect_same "$T/out" want
	chat x ',"max_tokens":"100"' >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: body.max_tokens is a string, not a number' r.jsonl
	chat x ',"max_completion_tokens":1.5' >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: body.max_completion_tokens is not a count of tokens: 1.5' r.jsonl
	chat x ',"max_output_tokens":-1' >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: body.max_output_tokens is not a count of tokens: -1' r.jsonl
}

# Figures by hand, list prices halved:
# s1: 21 + 36 + 8 = 65 input tokens, 100 + 100 + 0 output (embeddings
#     have none); input 57 * 10000 + 8 * 5000 = 610,000 -> $0.305;
#     output 200 * 20000 = 4,000,000 -> $2; worst case $2.305.
# s2: 5 input, 7 output; input 5 * 30000 -> $0.075, output 7 * 60000
#     -> $0.21; worst case $0.285.
t_summary_figures() {
	prices >p.tsv
	{ chat a ',"max_tokens":100'
	  grep -e chat-name -e emb-string "$DATA/tokens/requests.jsonl"; } >s1.jsonl
	grep compl-string "$DATA/tokens/requests.jsonl" >s2.jsonl
	run jsonl-tokens -s -P p.tsv s1.jsonl s2.jsonl
	expect_rc 0
	expect_empty "$T/err"
	cat >want <<-'EOF'
	s1.jsonl	3	65	200	2.3050	0.3050
	s2.jsonl	1	5	7	0.2850	0.0750
	total	4	70	207	2.5900	0.3800
	EOF
	expect_same "$T/out" want
	# The table from the environment, as jsonl-merge reads it.
	BATCHPIPE_PRICES=p.tsv run jsonl-tokens -s s1.jsonl s2.jsonl
	expect_rc 0
	expect_same "$T/out" want
}

# A request without a cap counts the model's largest output: 16,384
# tokens for gpt-4o-mini (share/models.tsv); 21 input tokens.
t_summary_model_max_output() {
	prices >p.tsv
	chat a >r.jsonl
	run jsonl-tokens -s -P p.tsv r.jsonl
	expect_rc 0
	# input 21 * 10000 -> $0.105; output 16384 * 20000 -> $163.84
	cat >want <<-'EOF'
	r.jsonl	1	21	16384	163.9450	0.1050
	total	1	21	16384	163.9450	0.1050
	EOF
	expect_same "$T/out" want
}

# A model without a price: one warning naming it, at its first line, and
# "unknown" for the dollar figures of its file and the total; the counts
# stand, and the exit status is 0.  -q leaves out the warning.
t_summary_missing_price() {
	prices >p.tsv
	{ chat a ',"max_tokens":5'; chat b ',"max_tokens":5' gpt-4o
	  chat c ',"max_tokens":5' gpt-4o; } >m.jsonl
	chat d ',"max_tokens":5' >ok.jsonl
	run jsonl-tokens -s -P p.tsv m.jsonl ok.jsonl
	expect_rc 0
	cat >want <<-'EOF'
	m.jsonl	3	63	15	unknown	unknown
	ok.jsonl	1	21	5	0.1550	0.1050
	total	4	84	20	unknown	unknown
	EOF
	expect_same "$T/out" want
	expect_eq "$(cat "$T/err")" 'jsonl-tokens: m.jsonl:2: no price for model "gpt-4o" (see -P): cost unknown'
	run jsonl-tokens -q -s -P p.tsv m.jsonl ok.jsonl
	expect_rc 0
	expect_same "$T/out" want
	expect_empty "$T/err"
}

# A model that no table knows the largest output of, in a request without
# a cap: the output and worst-case figures read "unknown".
t_summary_unknown_max_output() {
	printf 'gpt-4o-mini\t10000\t20000\n' >p.tsv
	printf 'gpt-4o-mini\to200k_base\t128000\t-\n' >models.tsv
	chat a >r.jsonl
	BATCHPIPE_MODELS=models.tsv run jsonl-tokens -s -P p.tsv r.jsonl
	expect_rc 0
	cat >want <<-'EOF'
	r.jsonl	1	21	unknown	unknown	0.1050
	total	1	21	unknown	unknown	0.1050
	EOF
	expect_same "$T/out" want
}

t_summary_empty_input() {
	prices >p.tsv
	run jsonl-tokens -s -P p.tsv </dev/null
	expect_rc 0
	printf -- '-\t0\t0\t0\t0.0000\t0.0000\ntotal\t0\t0\t0\t0.0000\t0.0000\n' >want
	expect_same "$T/out" want
	run jsonl-tokens </dev/null
	expect_rc 0
	expect_empty "$T/out"
}

t_unknown_model() {
	{ chat a; chat b '' no-such-model; } >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:2: unknown model "no-such-model": no encoding known (give one with -E)' r.jsonl
	# -E counts it, and overrides the encoding of known models too.
	run jsonl-tokens -E o200k_base r.jsonl
	expect_rc 0
	printf 'a\t21\t-\nb\t21\t-\n' >want
	expect_same "$T/out" want
}

# gpt-4 is cl100k_base; the same text in o200k_base has another count.
t_encoding_override() {
	grep chat-cl100k "$DATA/tokens/requests.jsonl" >r.jsonl
	run jsonl-tokens r.jsonl
	expect_eq "$(cat "$T/out")" 'chat-cl100k	24	-'
	run jsonl-tokens -E cl100k_base r.jsonl
	expect_eq "$(cat "$T/out")" 'chat-cl100k	24	-'
	# node, tiktoken 1.0.22: 3 + o200k("user") 1 + o200k(the content) 15 + 3
	run jsonl-tokens -E o200k_base r.jsonl
	expect_rc 0
	expect_eq "$(cat "$T/out")" 'chat-cl100k	22	-'
}

t_bad_utf8() {
	{ chat a; printf '{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"caf\351"}]}}\n'; } >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:2: invalid UTF-8 in string' r.jsonl
}

# The checks and messages of jsonl-split, line numbers included.
t_not_a_request() {
	{ chat a; echo 'not json'; } >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:2: unexpected character' r.jsonl
	{ chat a; echo '[1]'; } >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:2: an array, not an object' r.jsonl
	{ chat a; echo; } >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:2: blank line' r.jsonl
	echo '{"method":"POST","url":"/v1/embeddings","body":{"model":"m"}}' >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: no custom_id' r.jsonl
	echo '{"custom_id":"x","method":"POST","url":"/v1/embeddings"}' >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: no body' r.jsonl
	echo '{"custom_id":"x","method":"POST","body":{"model":"m"}}' >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: no url' r.jsonl
	{ chat a; chat b | head -c 60; } >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:2: incomplete last line (the writer stopped early?): unexpected end of line (truncated JSON?)' r.jsonl
	# A good last line without its newline is counted.
	{ chat a; chat b | tr -d '\n'; } >r.jsonl
	run jsonl-tokens r.jsonl
	expect_rc 0
	expect_lines 2 "$T/out"
}

t_url_not_counted() {
	echo '{"custom_id":"x","method":"POST","url":"/v1/audio/speech","body":{"model":"gpt-4o-mini-tts","input":"hi"}}' >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: url "/v1/audio/speech" is not counted (only chat, responses, embeddings, completions, images and videos)' r.jsonl
}

t_bad_bodies() {
	local base='{"custom_id":"x","method":"POST","url":'
	printf '%s"/v1/chat/completions","body":{"model":"gpt-4o"}}\n' "$base" >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: no body.messages' r.jsonl
	printf '%s"/v1/chat/completions","body":{"model":"gpt-4o","messages":"hi"}}\n' "$base" >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: body.messages is a string, not an array' r.jsonl
	printf '%s"/v1/chat/completions","body":{"model":"gpt-4o","messages":[{"role":"user","content":"a"},{"content":"b"}]}}\n' "$base" >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: body.messages[1]: no role' r.jsonl
	printf '%s"/v1/chat/completions","body":{"model":"gpt-4o","messages":[{"role":"user","content":7}]}}\n' "$base" >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: body.messages[0].content is a number, not a string or an array' r.jsonl
	printf '%s"/v1/embeddings","body":{"model":"text-embedding-3-small"}}\n' "$base" >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: no body.input' r.jsonl
	printf '%s"/v1/embeddings","body":{"model":"text-embedding-3-small","input":["a",{}]}}\n' "$base" >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: body.input[1] is an object, not a string, a token id or an array of them' r.jsonl
	printf '%s"/v1/completions","body":{"model":"gpt-4","prompt":[[1,"a"]]}}\n' "$base" >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: body.prompt[0] holds a string, not a token id' r.jsonl
	printf '%s"/v1/responses","body":{"model":"gpt-4o","input":{}}}\n' "$base" >r.jsonl
	tokens_fails 'jsonl-tokens: r.jsonl:1: body.input is an object, not a string or an array' r.jsonl
}

t_stdin_and_several_files() {
	chat a >a.jsonl
	grep emb-string "$DATA/tokens/requests.jsonl" >b.jsonl
	chat c ',"max_tokens":9' >c.jsonl
	run jsonl-tokens a.jsonl - c.jsonl <b.jsonl
	expect_rc 0
	printf 'a\t21\t-\nemb-string\t8\t-\nc\t21\t9\n' >want
	expect_same "$T/out" want
	prices >p.tsv
	run jsonl-tokens -s -P p.tsv a.jsonl - c.jsonl <b.jsonl
	expect_rc 0
	expect_eq "$(cut -f 1-4 "$T/out" | tr '\t\n' ' /')" 'a.jsonl 1 21 16384/- 1 8 0/c.jsonl 1 21 9/total 3 50 16393/'
	# An error in a later file names it; stdin is "stdin".
	echo '{}' >bad.jsonl
	tokens_fails 'jsonl-tokens: bad.jsonl:1: no custom_id' a.jsonl bad.jsonl
	run jsonl-tokens - <bad.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" 'jsonl-tokens: stdin:1: no custom_id'
	tokens_fails 'jsonl-tokens: nosuch.jsonl: No such file or directory' nosuch.jsonl
}

# An id that needs escaping is shown as in JSON, so each line stays one.
t_escaped_custom_id() {
	chat 'a\tb\u00e9\n' >r.jsonl
	run jsonl-tokens r.jsonl
	expect_rc 0
	expect_eq "$(cat "$T/out")" 'a\tbé\n	21	-'
}

t_closed_stdout() {
	chat a >r.jsonl
	rc=0
	jsonl-tokens r.jsonl >&- 2>err || rc=$?
	expect_rc 1
	expect_eq "$(cat err)" 'jsonl-tokens: stdout: Bad file descriptor'
	rc=0
	jsonl-tokens -s r.jsonl >/dev/full 2>err || rc=$?
	expect_rc 1
	expect_eq "$(tail -n 1 err)" 'jsonl-tokens: stdout: No space left on device'
}

# Many lines in little memory, whatever their number.
t_many_lines() {
	chat x ',"max_tokens":3' >one
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do cat one one >two; mv two one; done
	run jsonl-tokens -s one
	expect_rc 0
	expect_eq "$(cut -f 1-4 "$T/out" | head -n 1)" 'one	16384	344064	49152'
}

t_summary_queue_limit() {
	prices >p.tsv
	printf 'gpt-4o-mini\t1\t2000000\ngpt-4o-mini\t2\t20000000\n' >limits.tsv
	chat a >a.jsonl
	chat b >>a.jsonl
	chat c '' gpt-4 >b.jsonl
	chat d '' gpt-4.1-nano >c.jsonl
	BATCHPIPE_LIMITS=limits.tsv run jsonl-tokens -s -T 2 -P p.tsv a.jsonl c.jsonl
	expect_rc 0
	expect_eq "$(cut -f 1,7,8 "$T/out")" "a.jsonl	gpt-4o-mini	20000000
c.jsonl	gpt-4.1-nano	unknown
total	-	-"
	BATCHPIPE_LIMITS=limits.tsv run jsonl-tokens -s -T 1 -P p.tsv a.jsonl
	expect_eq "$(cut -f 1,7,8 "$T/out")" "a.jsonl	gpt-4o-mini	2000000
total	gpt-4o-mini	2000000"
	cat a.jsonl b.jsonl >ab.jsonl
	BATCHPIPE_LIMITS=limits.tsv run jsonl-tokens -s -T 1 -P p.tsv ab.jsonl
	expect_eq "$(cut -f 1,7,8 "$T/out" | head -n 1)" "ab.jsonl	-	-"
	# The shipped table, as the driver's plan reads it.
	run jsonl-tokens -s -T 1 -P p.tsv a.jsonl
	expect_eq "$(tail -n 1 "$T/out" | cut -f 8)" 2000000
	run jsonl-tokens -T 1 a.jsonl
	expect_rc 2
	expect_eq "$(head -n 1 "$T/err")" "jsonl-tokens: -T goes with -s"
	run jsonl-tokens -s -T 6 a.jsonl
	expect_rc 2
	expect_eq "$(head -n 1 "$T/err")" "jsonl-tokens: -T 6: not a usage tier (1 to 5)"
	# The tier is read by numarg (common/numarg.h): "01" is 1, and a
	# blank or a sign is refused.
	run jsonl-tokens -s -T 01 -P p.tsv a.jsonl
	expect_rc 0
	expect_eq "$(tail -n 1 "$T/out" | cut -f 8)" 2000000
	for bad in ' 1' +1 '1 ' -0 0x1; do
		run jsonl-tokens -s -T "$bad" a.jsonl
		expect_rc 2
		expect_eq "$(head -n 1 "$T/err")" "jsonl-tokens: -T $bad: not a usage tier (1 to 5)"
		expect_grep '^usage: jsonl-tokens ' "$T/err"
	done
}

# A repeated top-level key is refused as jsonl-split refuses it.
t_repeated_top_level_key() {
	printf '%s\n' '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[]},"b\u006fdy":{"model":"gpt-4o-mini","messages":[]}}' >r.jsonl
	run jsonl-tokens r.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" 'jsonl-tokens: r.jsonl:1: repeated key "body"'
	expect_empty "$T/out"
}

# -L: the same figures at the list price, twice the batch price.
t_live_prices() {
	prices >p.tsv
	grep compl-string "$DATA/tokens/requests.jsonl" >s2.jsonl
	run jsonl-tokens -s -L -P p.tsv s2.jsonl
	expect_rc 0
	expect_eq "$(cat "$T/out")" "s2.jsonl	1	5	7	0.5700	0.1500
total	1	5	7	0.5700	0.1500"
	run jsonl-tokens -L s2.jsonl
	expect_rc 2
	expect_grep '^jsonl-tokens: -L goes with -s$' "$T/err"
}
