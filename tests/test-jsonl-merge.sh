# shellcheck shell=bash
# The expected messages hold literal dollar signs:
# shellcheck disable=SC2016
# jsonl-merge: answers back onto the items, by custom_id.

# chat ID CONTENT-JSON [MODEL PROMPT COMPLETION]: a successful chat result.
chat() {
	printf '{"id":"batch_req_%s","custom_id":"%s","response":{"status_code":200,"request_id":"req_%s","body":{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"%s","choices":[{"index":0,"message":{"role":"assistant","content":%s,"refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":%s,"completion_tokens":%s,"total_tokens":0}}},"error":null}\n' \
		"$1" "$1" "$1" "${3:-m-a}" "$2" "${4:-10}" "${5:-5}"
}

# failed ID CODE MESSAGE: an error-file line.
failed() {
	printf '{"id":"batch_req_%s","custom_id":"%s","response":null,"error":{"code":"%s","message":"%s"}}\n' "$1" "$1" "$2" "$3"
}

prices() {
	printf '# test prices\nm-a\t1.00\t2.00\nm-b\t0.50\t0\n' >p.tsv
}

t_chat_answer_joined_by_custom_id_not_position() {
	prices
	printf '%s\n' '{"uuid":"u1","name":"one"}' '{"uuid":"u2","name":"two"}' >items
	{ chat u2 '"second"'; chat u1 '"first \"quoted\"\n"'; } >results
	run jsonl-merge -P p.tsv -k uuid items results
	expect_rc 0
	expect_eq "$(cat out)" '{"uuid":"u1","name":"one","llm":"first \"quoted\"\n"}
{"uuid":"u2","name":"two","llm":"second"}'
}

t_line_numbers_without_k() {
	prices
	printf '%s\n' '{"a":1}' '{"a":2}' '{"a":3}' >items
	{ chat 3 '"c"'; chat 1 '"a"'; chat 2 '"b"'; } >results
	run jsonl-merge -P p.tsv items results
	expect_rc 0
	expect_eq "$(cat out)" '{"a":1,"llm":"a"}
{"a":2,"llm":"b"}
{"a":3,"llm":"c"}'
}

t_integer_key_field() {
	prices
	printf '%s\n' '{"n":7}' '{"n":-2}' >items
	{ chat 7 '"seven"'; chat -2 '"minus two"'; } >results
	run jsonl-merge -P p.tsv -k n items results
	expect_rc 0
	expect_eq "$(cat out)" '{"n":7,"llm":"seven"}
{"n":-2,"llm":"minus two"}'
}

t_field_option_and_empty_object_and_spaces() {
	prices
	printf '%s\n' '{}' '{ "a" : 1 }  ' >items
	{ chat 1 '"x"'; failed 2 server_error boom; } >results
	run jsonl-merge -P p.tsv -f answer items results
	expect_rc 3
	expect_eq "$(cat out)" '{"answer":"x"}
{ "a" : 1 , "answer_error": {"code": "server_error", "message": "boom"}}'
}

t_responses_answer_is_the_output_text() {
	prices
	echo '{"id":"r1"}' >items
	printf '%s\n' '{"id":"b1","custom_id":"r1","response":{"status_code":200,"body":{"object":"response","model":"m-a","output":[{"type":"reasoning","summary":[]},{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Hello, ","annotations":[]},{"type":"refusal","refusal":"no"},{"type":"output_text","text":"w\u00f6rld \"!\""}]}],"usage":{"input_tokens":100,"output_tokens":40}}},"error":null}' >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 0
	expect_eq "$(cat out)" '{"id":"r1","llm":"Hello, wörld \"!\""}'
	expect_grep '^jsonl-merge: tokens: 100 prompt, 40 completion$' err
}

t_embeddings_answer_is_the_vector() {
	prices
	echo '{"id":"e1"}' >items
	printf '%s\n' '{"id":"b1","custom_id":"e1","response":{"status_code":200,"body":{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25, -1e-3, 0]}],"model":"m-b","usage":{"prompt_tokens":8,"total_tokens":8}}},"error":null}' >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 0
	expect_eq "$(cat out)" '{"id":"e1","llm":[0.25, -1e-3, 0]}'
}

t_other_endpoint_answer_is_the_whole_body() {
	prices
	echo '{"id":"x"}' >items
	printf '%s\n' '{"id":"b1","custom_id":"x","response":{"status_code":200,"body":{"object":"moderation", "results":[{"flagged":false}]}},"error":null}' >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 0
	expect_eq "$(cat out)" '{"id":"x","llm":{"object":"moderation", "results":[{"flagged":false}]}}'
}

t_null_content_is_null() {
	prices
	echo '{"id":"x"}' >items
	chat x null >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 0
	expect_eq "$(cat out)" '{"id":"x","llm":null}'
}

t_failed_non200_and_missing_items_exit_3() {
	prices
	printf '{"id":"%s"}\n' ok expired limited http500 gone >items
	{
		chat ok '"fine"'
		failed expired batch_expired 'This request could not be executed before the completion window expired.'
		echo '{"id":"b3","custom_id":"limited","response":{"status_code":429,"request_id":"q","body":{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}},"error":null}'
		echo '{"id":"b4","custom_id":"http500","response":{"status_code":500,"request_id":"q","body":{}},"error":null}'
	} >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 3
	expect_eq "$(cat out)" '{"id":"ok","llm":"fine"}
{"id":"expired","llm_error":{"code":"batch_expired","message":"This request could not be executed before the completion window expired."}}
{"id":"limited","llm_error":{"code":"rate_limit_exceeded","message":"Rate limit reached"}}
{"id":"http500","llm_error":{"code":"http_500","message":"HTTP status 500"}}
{"id":"gone","llm_error":{"code":"missing","message":"no result for custom_id gone"}}'
	expect_eq "$(cat err)" 'jsonl-merge: 5 items: 1 answered, 3 failed, 1 missing
jsonl-merge: tokens: 10 prompt, 5 completion
jsonl-merge: cost: $0.000010 at the batch discount (50%)'
}

t_summary_numbers_exact() {
	prices
	printf '{"id":"%s"}\n' a b c d >items
	{
		chat a '"1"' m-a-2024-07-18 1000 500
		chat b '"2"' m-a 3000 1500
		chat c '"3"' m-b 2000000 0
		failed d server_error x
	} >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 3
	# m-a: (4000 * 1.00 + 2000 * 2.00) / 1e6 = 0.008; m-b: 2e6 * 0.50 /
	# 1e6 = 1.00; half of 1.008.
	expect_eq "$(cat err)" 'jsonl-merge: 4 items: 3 answered, 1 failed, 0 missing
jsonl-merge: tokens: 2004000 prompt, 2000 completion
jsonl-merge: cost: $0.504000 at the batch discount (50%)'
}

t_unknown_model_cost_is_unknown_not_zero() {
	prices
	printf '{"id":"%s"}\n' a b >items
	{ chat a '"1"' m-a 1000 1000; chat b '"2"' m-zzz 70 30; } >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 0
	expect_eq "$(sed -n 3p err)" 'jsonl-merge: cost: $0.001500 at the batch discount (50%), and unknown for 70 prompt and 30 completion tokens of models not in p.tsv: m-zzz'
}

t_shipped_price_table() {
	echo '{"id":"a"}' >items
	chat a '"1"' gpt-4o-mini-2024-07-18 1000000 1000000 >results
	BATCHPIPE_PRICES=$TOP/share/prices.tsv run jsonl-merge -k id items results
	expect_rc 0
	# (0.15 + 0.60) / 2
	expect_eq "$(sed -n 3p err)" 'jsonl-merge: cost: $0.375000 at the batch discount (50%)'
	# -P wins over the environment.
	prices
	BATCHPIPE_PRICES=$TOP/share/prices.tsv run jsonl-merge -P p.tsv -k id items results
	expect_grep 'cost: \$0\.000000 .* of models not in p\.tsv: gpt-4o-mini-2024-07-18$' err
}

t_bad_price_table() {
	echo '{"id":"a"}' >items
	chat a '"1"' >results
	printf 'm-a\t1.00\n' >bad.tsv
	run jsonl-merge -P bad.tsv -k id items results
	expect_rc 1
	expect_empty out
	expect_eq "$(cat err)" 'jsonl-merge: bad.tsv:1: 2 fields: expected model, input, cached_input and output (4 fields, or 8 with a long-context tier)'
	BATCHPIPE_PRICES=$T/none run jsonl-merge -k id items results
	expect_rc 1
	expect_eq "$(cat err)" "jsonl-merge: $T/none: No such file or directory"
}

t_unknown_result_id_reported_exit_3() {
	prices
	printf '{"id":"%s"}\n' a >items
	{ chat stray '"?"'; chat a '"1"'; } >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 3
	expect_eq "$(cat out)" '{"id":"a","llm":"1"}'
	expect_eq "$(sed -n 1p err)" 'jsonl-merge: results:1: custom_id stray matches no item'
	expect_eq "$(sed -n 2p err)" 'jsonl-merge: 1 items: 1 answered, 0 failed, 0 missing'
}

t_duplicate_result_the_successful_one_wins() {
	prices
	printf '{"id":"%s"}\n' a b >items
	{ failed a batch_expired x; chat a '"retried"'; chat b '"first"'; failed b server_error y; } >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 0
	expect_eq "$(cat out)" '{"id":"a","llm":"retried"}
{"id":"b","llm":"first"}'
	expect_eq "$(sed -n 1,2p err)" 'jsonl-merge: results:2: duplicate custom_id a (first at line 1)
jsonl-merge: results:4: duplicate custom_id b (first at line 3)'
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

t_crlf_items_and_results_accepted() {
	prices
	printf '{"id":"a"}\r\n{"id":"b"}\r\n' >items
	{ chat a '"1"'; chat b '"2"'; } | sed 's/$/\r/' >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 0
	printf '{"id":"a","llm":"1"}\n{"id":"b","llm":"2"}\n' >want
	expect_same out want
}

t_empty_items() {
	prices
	: >items
	: >results
	run jsonl-merge -P p.tsv items results
	expect_rc 0
	expect_empty out
	expect_eq "$(sed -n 1p err)" 'jsonl-merge: 0 items: 0 answered, 0 failed, 0 missing'
}

t_empty_results_all_missing() {
	prices
	printf '{"id":"%s"}\n' a b >items
	: >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 3
	expect_lines 2 out
	expect_eq "$(sed -n 1p err)" 'jsonl-merge: 2 items: 0 answered, 0 failed, 2 missing'
}

# bad_items LINE2 REASON: a good item, then LINE2: exit 1, nothing written.
bad_items() {
	prices
	{ printf '{"id":"a"}\n'; printf '%b' "$1"; } >items
	chat a '"1"' >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 1
	expect_empty out
	expect_eq "$(cat err)" "jsonl-merge: items:2: $2"
}

t_bad_item_blank_line() { bad_items '\n' "blank line"; }
t_bad_item_truncated() { bad_items '{"id":"b"' "unexpected end of line (truncated JSON?)"; }
t_bad_item_invalid_utf8() { bad_items '{"id":"b\xff"}\n' "invalid UTF-8 in string"; }
t_bad_item_nul_byte() { bad_items '{"id":"b"}\0\n' "NUL byte"; }
t_bad_item_two_values() { bad_items '{"id":"b"}{"id":"c"}\n' "more than one JSON value on the line"; }
t_bad_item_array() { bad_items '[1]\n' "a JSON array, not an object"; }
t_bad_item_no_key() { bad_items '{"name":"b"}\n' 'no field "id"'; }
t_bad_item_key_type() { bad_items '{"id":true}\n' 'field "id" is true, not a string or an integer'; }
t_bad_item_duplicate_key() { bad_items '{"id":"a"}\n' "duplicate key a (first at line 1)"; }
t_bad_item_has_field_already() { bad_items '{"id":"b","llm":1}\n' 'the item already has a field "llm"'; }

t_bad_item_bom() {
	prices
	printf '\xef\xbb\xbf{"id":"a"}\n' >items
	chat a '"1"' >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 1
	expect_empty out
	expect_eq "$(cat err)" "jsonl-merge: items:1: UTF-8 byte order mark (not allowed in JSONL)"
}

# bad_results LINE2 REASON
bad_results() {
	prices
	printf '{"id":"a"}\n' >items
	{ chat a '"1"'; printf '%b' "$1"; } >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 1
	expect_empty out
	expect_eq "$(cat err)" "jsonl-merge: results:2: $2"
}

t_bad_results_blank_line() { bad_results '  \n' "blank line"; }
t_bad_results_truncated() { bad_results '{"custom_id":"b","response":{' "unexpected end of line (truncated JSON?)"; }
t_bad_results_invalid_utf8() { bad_results '{"custom_id":"\xed\xa0\x80"}\n' "invalid UTF-8 in string"; }
t_bad_results_nul() { bad_results '{"custom_id":"b"}\0\n' "NUL byte"; }
t_bad_results_two_values() { bad_results '{"custom_id":"b"} 1\n' "more than one JSON value on the line"; }
t_bad_results_array() { bad_results '[]\n' "a JSON array, not an object"; }
t_bad_results_numeric_id() { bad_results '{"custom_id":12}\n' "custom_id is a number, not a string"; }

t_stdout_dev_full() {
	prices
	echo '{"id":"a"}' >items
	chat a '"1"' >results
	run sh -c 'exec jsonl-merge -P p.tsv -k id items results >/dev/full'
	expect_rc 1
	expect_eq "$(cat err)" "jsonl-merge: stdout: No space left on device"
}

t_usage_and_version() {
	run jsonl-merge items
	expect_rc 2
	expect_eq "$(cat err)" "usage: jsonl-merge [-chjV] [-k key-field] [-f field] [-P prices-file]
                   items-file results-file"
	run jsonl-merge - -
	expect_rc 2
	run jsonl-merge -f '' a b
	expect_rc 2
	run jsonl-merge -h
	expect_rc 0
	expect_grep '^usage: jsonl-merge ' out
	run jsonl-merge -V
	expect_eq "$(cat out)" "jsonl-merge batchpipe 0.1.0"
	run jsonl-merge nonexistent nonexistent2
	expect_rc 1
	expect_eq "$(cat err)" "jsonl-merge: nonexistent2: No such file or directory"
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

# usage_line ID MODEL USAGE-JSON [OBJECT]: a successful result with that
# usage (a chat completion, or a Responses body with OBJECT response).
usage_line() {
	if [ "${4:-chat.completion}" = response ]; then
		printf '{"id":"b_%s","custom_id":"%s","response":{"status_code":200,"body":{"object":"response","model":"%s","output":[],"usage":%s}},"error":null}\n' "$1" "$1" "$2" "$3"
	else
		printf '{"id":"b_%s","custom_id":"%s","response":{"status_code":200,"body":{"object":"chat.completion","model":"%s","choices":[{"index":0,"message":{"role":"assistant","content":"x"}}],"usage":%s}},"error":null}\n' "$1" "$1" "$2" "$3"
	fi
}

t_cached_tokens_priced_at_the_cached_price() {
	printf '# model\tinput\tcached_input\toutput\nm-a\t1.00\t0.25\t2.00\n' >p.tsv
	printf '{"id":"%s"}\n' c r >items
	{
		usage_line c m-a '{"prompt_tokens":1000000,"completion_tokens":100000,"prompt_tokens_details":{"cached_tokens":400000,"audio_tokens":0}}'
		usage_line r m-a '{"input_tokens":200000,"input_tokens_details":{"cached_tokens":200000},"output_tokens":0,"output_tokens_details":{"reasoning_tokens":0}}' response
	} >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 0
	# chat: 600000 * 1.00 + 400000 * 0.25 + 100000 * 2.00 = $0.90;
	# responses: 200000 * 0.25 = $0.05; half of $0.95.
	expect_eq "$(sed -n 2,3p err)" 'jsonl-merge: tokens: 1200000 prompt (600000 of them cached, priced as cached input), 100000 completion
jsonl-merge: cost: $0.475000 at the batch discount (50%)'
}

t_cached_tokens_more_than_prompt_counted_as_all_cached() {
	printf 'm-a\t1\t0.5\t2\n' >p.tsv
	echo '{"id":"c"}' >items
	usage_line c m-a '{"prompt_tokens":1000000,"completion_tokens":0,"prompt_tokens_details":{"cached_tokens":3000000}}' >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 0
	expect_eq "$(sed -n 2,3p err)" 'jsonl-merge: tokens: 1000000 prompt (1000000 of them cached, priced as cached input), 0 completion
jsonl-merge: cost: $0.250000 at the batch discount (50%)'
}

t_new_format_table_with_long_context_tier() {
	# m-l: the long prices above 100000 input tokens; m-c: no cached
	# price ("-"), so cached input costs the input price.
	printf '# test\nm-l\t1\t0.5\t2\t100000\t2\t1\t4\nm-c  1  -  2\n' >p.tsv
	printf '{"id":"%s"}\n' a b c >items
	{
		usage_line a m-l '{"prompt_tokens":100000,"completion_tokens":0}'
		usage_line b m-l '{"prompt_tokens":200000,"completion_tokens":10000,"prompt_tokens_details":{"cached_tokens":100000}}'
		usage_line c m-c '{"prompt_tokens":1000000,"completion_tokens":0,"prompt_tokens_details":{"cached_tokens":500000}}'
	} >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 0
	# a, at the base tier: 100000 * 1 = $0.10; b, past the tier: 100000 *
	# 2 + 100000 * 1 + 10000 * 4 = $0.34; c: 1000000 * 1 = $1.00.
	expect_eq "$(sed -n 3p err)" 'jsonl-merge: cost: $0.720000 at the batch discount (50%)'
}

t_old_three_column_table_still_read() {
	# model, input, output, as before the cached column: cached input
	# tokens cost the input price.
	printf 'm-a\t1.00\t2.00\n' >p.tsv
	echo '{"id":"c"}' >items
	usage_line c m-a '{"prompt_tokens":1000000,"completion_tokens":500000,"prompt_tokens_details":{"cached_tokens":500000}}' >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 0
	expect_eq "$(sed -n 3p err)" 'jsonl-merge: cost: $1.000000 at the batch discount (50%)'
}

# bad_table CONTENT LINE REASON: jsonl-merge refuses the table, nothing out.
bad_table() {
	printf '%b' "$1" >bad.tsv
	echo '{"id":"a"}' >items
	chat a '"1"' >results
	run jsonl-merge -P bad.tsv -k id items results
	expect_rc 1
	expect_empty out
	expect_eq "$(cat err)" "jsonl-merge: bad.tsv:$2: $3"
}

t_bad_table_field_count() { bad_table '# c\nm-a\t1\t-\t2\t5\n' 2 '5 fields: expected model, input, cached_input and output (4 fields, or 8 with a long-context tier)'; }
t_bad_table_price_not_a_number() { bad_table 'm-a\tx\t1\t2\n' 1 'field 2 (input): "x" is not a price'; }
t_bad_table_dash_for_input() { bad_table 'm-a\t-\t1\t2\n' 1 'field 2 (input): "-" is not a price'; }
t_bad_table_negative_price() { bad_table 'm-a\t1\t1\t-1\n' 1 'field 4 (output): "-1" is not a price'; }
t_bad_table_infinite_price() { bad_table 'm-a\t1\t1\tinf\n' 1 'field 4 (output): "inf" is not a price'; }
t_bad_table_nan_cached() { bad_table 'm-a\t1\tnan\t2\n' 1 'field 3 (cached_input): "nan" is not a price or "-"'; }
t_bad_table_tier_threshold() { bad_table 'm-a\t1\t1\t2\t1e3\t2\t2\t2\n' 1 'field 5 (long_above): "1e3" is not a number of tokens'; }
t_bad_table_duplicate_model() { bad_table 'm-a\t1\t1\t2\n\nm-a\t1\t1\t3\n' 3 'duplicate model m-a (first at line 1)'; }
t_bad_table_nul_byte() { bad_table 'm-a\t1\t1\t2\nm-b\t1\0\t1\t2\n' 2 'NUL byte'; }

t_error_code_by_the_shared_rule() {
	# The code and message of common/result, as jsonl-triage reports
	# them: the body's error.type when it has no code, a code "" as none,
	# the error's code over the body's.
	prices
	printf '{"id":"%s"}\n' a b c >items
	{
		echo '{"custom_id":"a","response":{"status_code":404,"body":{"error":{"message":"no such model","type":"invalid_request_error"}}},"error":null}'
		echo '{"custom_id":"b","response":{"status_code":500,"body":{"error":{"code":"","message":"boom"}}},"error":null}'
		echo '{"custom_id":"c","response":{"status_code":400,"body":{"error":{"code":"body_code","message":"body"}}},"error":{"code":"top_code","message":"top"}}'
	} >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 3
	expect_eq "$(cat out)" '{"id":"a","llm_error":{"code":"invalid_request_error","message":"no such model"}}
{"id":"b","llm_error":{"code":"http_500","message":"boom"}}
{"id":"c","llm_error":{"code":"top_code","message":"top"}}'
}

# -c checks the keys alone, on the requests as well as on results, and
# names the member that would join them.
t_check_keys_only() {
	printf '{"uuid":"u%d","n":%d}\n' 1 1 2 2 3 3 >items
	printf '{"custom_id":"u%d","method":"POST","url":"/v1/chat/completions","body":{}}\n' 1 2 3 >requests
	run jsonl-merge -c -k uuid items requests
	expect_rc 0
	expect_empty out
	expect_empty err
	run jsonl-merge -c items requests
	expect_rc 3
	expect_empty out
	expect_eq "$(cat err)" 'jsonl-merge: items: 3 of 3 items match no custom_id of requests, and 3 custom_ids match no item; did you mean -k uuid?'
	head -n 2 requests >two
	run jsonl-merge -c -k uuid items two
	expect_rc 3
	expect_eq "$(cat err)" 'jsonl-merge: items: 1 of 3 items match no custom_id of two, and 0 custom_ids match no item'
	BATCHPIPE_PRICES=$T/none run jsonl-merge -c -k uuid items requests
	expect_rc 0
}

# A wrong key makes every result match no item: the first 10 are named,
# the rest counted, so the summary is not buried.
t_unknown_ids_named_ten_then_counted() {
	prices
	printf '{"id":"x"}\n' >items
	for i in $(seq 1 25); do chat "r$i" '"a"'; done >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 3
	expect_eq "$(grep -c 'matches no item$' err)" 10 "named"
	expect_grep '^jsonl-merge: results: 15 more custom_ids match no item$' err
	expect_grep '^jsonl-merge: 1 items: 0 answered, 0 failed, 1 missing$' err
}

t_status_400_with_error_null_is_a_failure() {
	# The usual shape of a rejected request in an output file: "error"
	# is null, the status says 400.  It is a failure (exit 3), never an
	# answer, whatever else the body holds; 200 with an error object is
	# a failure too.
	prices
	printf '{"id":"%s"}\n' bad odd good >items
	{
		echo '{"id":"b1","custom_id":"bad","response":{"status_code":400,"request_id":"q","body":{"error":{"message":"Invalid value for messages","type":"invalid_request_error","param":"messages","code":null}}},"error":null}'
		echo '{"id":"b2","custom_id":"odd","response":{"status_code":400,"request_id":"q","body":{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"not an answer"}}]}},"error":null}'
		chat good '"fine"'
	} >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 3
	expect_eq "$(cat out)" '{"id":"bad","llm_error":{"code":"invalid_request_error","message":"Invalid value for messages"}}
{"id":"odd","llm_error":{"code":"http_400","message":"HTTP status 400"}}
{"id":"good","llm":"fine"}'
	expect_eq "$(sed -n 1p err)" 'jsonl-merge: 3 items: 1 answered, 2 failed, 0 missing'
}

t_escaped_result_id_joins_its_item() {
	# The id is compared decoded: a result's "a\/b" or "\u00e9" is the
	# item's "a/b" or "é", never a missing item and a stray result.
	prices
	printf '{"id":"a/b"}\n{"id":"\303\251"}\n' >items
	{ chat 'a\/b' '"1"'; chat '\u00e9' '"2"'; } >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 0
	expect_eq "$(cat out)" "$(printf '{"id":"a/b","llm":"1"}\n{"id":"\303\251","llm":"2"}')"
	expect_eq "$(sed -n 1p err)" 'jsonl-merge: 2 items: 2 answered, 0 failed, 0 missing'
}

# -k takes the field paths jsonl-prompt's -i takes: a nested field, its
# names matched decoded; the requests jsonl-prompt makes with -i PATH
# join with -k PATH.
t_nested_key_field_as_jsonl_prompt() {
	prices
	printf '%s\n' '{"product":{"sku":"A1","n":1},"name":"a"}' \
		'{"pro\u0064uct":{"s\u006bu":"B2"},"name":"b"}' \
		'{"name":"c","product":{"sku":7}}' >items
	{ chat 7 '"seven"'; chat A1 '"one"'; chat B2 '"two"'; } >results
	run jsonl-merge -P p.tsv -k product.sku items results
	expect_rc 0
	expect_eq "$(cat out)" '{"product":{"sku":"A1","n":1},"name":"a","llm":"one"}
{"pro\u0064uct":{"s\u006bu":"B2"},"name":"b","llm":"two"}
{"name":"c","product":{"sku":7},"llm":"seven"}'
	run jsonl-prompt -m m -i product.sku items
	expect_rc 0
	cp out requests
	run jsonl-merge -c -k product.sku items requests
	expect_rc 0
	expect_empty err
}

t_nested_key_field_absent_or_not_an_object() {
	printf '{"product":{"sku":"A1"}}\n{"product":"B2"}\n' >items
	chat A1 '"one"' >results
	run jsonl-merge -k product.sku items results
	expect_rc 1
	expect_empty out
	expect_eq "$(cat err)" 'jsonl-merge: items:2: no field "product.sku"'
	printf '{"product":{"sku":{"id":1}}}\n' >items
	run jsonl-merge -k product.sku items results
	expect_rc 1
	expect_eq "$(cat err)" 'jsonl-merge: items:1: field "product.sku" is object, not a string or an integer'
}

# -c names a nested member that would join the items, as a field path.
t_check_suggests_a_nested_key() {
	printf '{"n":%d,"product":{"name":"x","sku":"S%d"}}\n' 1 1 2 2 >items
	printf '{"custom_id":"S%d","method":"POST","url":"/v1/chat/completions","body":{}}\n' 1 2 >requests
	run jsonl-merge -c items requests
	expect_rc 3
	expect_eq "$(cat err)" 'jsonl-merge: items: 2 of 2 items match no custom_id of requests, and 2 custom_ids match no item; did you mean -k product.sku?'
	run jsonl-merge -c -k product.sku items requests
	expect_rc 0
}

# The member added is spaced as the item's own members: none in a
# compact item, ", " and ": " in a spaced one, each as the item writes it.
t_added_member_spaced_as_the_item() {
	prices
	printf '%s\n' '{"id":"a","x":1}' '{"id": "b", "x": 1}' '{"id":"c", "x":1}' \
		'{"id": "d"}' '{"id":"e"}' '{"id":"f"}' >items
	{ chat a '"1"'; chat b '"2"'; chat c '"3"'; chat d '"4"'; failed e server_error boom; } >results
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 3
	expect_eq "$(cat out)" '{"id":"a","x":1,"llm":"1"}
{"id": "b", "x": 1, "llm": "2"}
{"id":"c", "x":1, "llm":"3"}
{"id": "d", "llm": "4"}
{"id":"e","llm_error":{"code":"server_error","message":"boom"}}
{"id":"f","llm_error":{"code":"missing","message":"no result for custom_id f"}}'
}

# -j: an answer that is text is taken as JSON, written without its white
# space; one that is not JSON (as RFC 8259 says, so no NaN and no single
# quotes, which json-c would take) is a failure that keeps the text.
t_json_answers_with_j() {
	prices
	printf '{"id":"%s"}\n' obj str nan quote fence null emb resp >items
	{
		chat obj '"{\"a\": [1, 2.5],\n  \"s\": \"x\\\" y \\\\n\"}"'
		chat str '"\"plain\""'
		chat nan '"{\"a\": NaN}"'
		chat quote "\"{'a': 1}\""
		chat fence '"```json\n{\"a\": 1}\n```"'
		chat null 'null'
		printf '%s\n' '{"custom_id":"emb","response":{"status_code":200,"body":{"object":"list","data":[{"embedding":[0.5, 1]}],"model":"m-a"}},"error":null}'
		printf '%s\n' '{"custom_id":"resp","response":{"status_code":200,"body":{"object":"response","model":"m-a","output":[{"type":"message","content":[{"type":"output_text","text":"[1, "},{"type":"output_text","text":"true]"}]}]}},"error":null}'
	} >results
	run jsonl-merge -P p.tsv -j -k id items results
	expect_rc 3
	expect_eq "$(cat out)" '{"id":"obj","llm":{"a":[1,2.5],"s":"x\" y \\n"}}
{"id":"str","llm":"plain"}
{"id":"nan","llm_error":{"code":"invalid_json","message":"the answer is not JSON: unexpected character at byte 7","answer":"{\"a\": NaN}"}}
{"id":"quote","llm_error":{"code":"invalid_json","message":"the answer is not JSON: expected a string key at byte 2","answer":"{'"'"'a'"'"': 1}"}}
{"id":"fence","llm_error":{"code":"invalid_json","message":"the answer is not JSON: unexpected character at byte 1","answer":"```json\n{\"a\": 1}\n```"}}
{"id":"null","llm":null}
{"id":"emb","llm":[0.5, 1]}
{"id":"resp","llm":[1,true]}'
	expect_eq "$(sed -n 1p err)" 'jsonl-merge: 8 items: 5 answered, 0 failed, 0 missing, 3 answers not JSON'
	# Without -j the same answers are strings, and all answered.
	run jsonl-merge -P p.tsv -k id items results
	expect_rc 0
	expect_grep '^\{"id":"obj","llm":"\{' out
	expect_eq "$(sed -n 1p err)" 'jsonl-merge: 8 items: 8 answered, 0 failed, 0 missing'
}

# -L: live calls cost the list price, and the summary says which price.
t_live_calls_at_the_list_price() {
	prices
	printf '{"id":"%s"}\n' a b >items
	{
		chat a '"1"' m-a 1000 500
		chat b '"2"' m-b 2000000 0
	} >results
	run jsonl-merge -L -P p.tsv -k id items results
	expect_rc 0
	# m-a: 1000 * 1.00 + 500 * 2.00 = 2000 per 1e6; m-b: 2e6 * 0.50 / 1e6.
	expect_eq "$(sed -n 3p err)" 'jsonl-merge: cost: $1.002000 at the list price (live calls)'
	run jsonl-merge -P p.tsv -k id items results
	expect_eq "$(sed -n 3p err)" 'jsonl-merge: cost: $0.501000 at the batch discount (50%)'
}
