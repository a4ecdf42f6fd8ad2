# shellcheck shell=bash
# The expected messages hold literal dollar signs:
# shellcheck disable=SC2016
# jsonl-merge: answers back onto the items, by custom_id.
# The cases of the shape input → stdout, stderr and status are data, in
# tests/data/jsonl-merge/ (run by tests/test-cases.sh; see tests/README);
# the tests here need more: pipes, FIFOs, large inputs, other tools.

# chat ID CONTENT-JSON [MODEL PROMPT COMPLETION]: a successful chat result.
chat() {
	printf '{"id":"batch_req_%s","custom_id":"%s","response":{"status_code":200,"request_id":"req_%s","body":{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"%s","choices":[{"index":0,"message":{"role":"assistant","content":%s,"refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":%s,"completion_tokens":%s,"total_tokens":0}}},"error":null}\n' \
		"$1" "$1" "$1" "${3:-m-a}" "$2" "${4:-10}" "${5:-5}"
}

prices() {
	printf '# test prices\nm-a\t1.00\t2.00\nm-b\t0.50\t0\n' >p.tsv
}

t_results_from_stdin_pipe() {
	prices
	printf '{"id":"%s"}\n' a b >items
	{ chat b '"2"'; chat a '"1"'; } | jsonl-merge -P p.tsv -k id items - >out 2>err
	expect_eq "$(cat out)" '{"id":"a","llm":"1"}
{"id":"b","llm":"2"}'
}

t_items_from_stdin() {
	prices
	chat 1 '"1"' >results
	echo '{"q":1}' | jsonl-merge -P p.tsv - results >out 2>err
	expect_eq "$(cat out)" '{"q":1,"llm":"1"}'
}

t_stdout_dev_full() {
	prices
	echo '{"id":"a"}' >items
	chat a '"1"' >results
	run sh -c 'exec jsonl-merge -P p.tsv -k id items results >/dev/full'
	expect_rc 1
	expect_eq "$(cat err)" "jsonl-merge: stdout: No space left on device"
}

t_no_price_table_cost_unknown() {
	[ -e /usr/local/share/batchpipe/prices.tsv ] && return 0
	# A copy of the program has no ../share/ beside it.
	mkdir -p x/bin
	cp "$BIN/jsonl-merge" x/bin/
	echo '{"id":"a"}' >items
	chat a '"1"' >results
	run x/bin/jsonl-merge -k id items results
	expect_rc 0
	expect_eq "$(sed -n 3p err)" 'jsonl-merge: cost: unknown (no price table: see -P)'
	# The table beside it, as in a source tree, is found.
	mkdir -p x/share
	printf 'm-a\t2\t2\n' >x/share/prices.tsv
	run x/bin/jsonl-merge -k id items results
	expect_eq "$(sed -n 3p err)" 'jsonl-merge: cost: $0.000015 at the batch discount (50%)'
}
