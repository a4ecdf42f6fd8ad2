# shellcheck shell=bash
# The translations between OpenAI's batch lines and Anthropic's Message
# Batches (common/anthropic.c, anthresult.c) through their test program
# tests/prog/anthropic.c ($BIN/../tests/anthropic, so that the ASan build
# tests its own): each tests/data/anthropic/MODE.in, its cases commented,
# must give MODE.out, every line of which a person has read.

ANTH=$BIN/../tests/anthropic
ANTH_CASES=$DATA/anthropic

anth_mode() {
	[ -x "$ANTH" ] || fail "$ANTH not built (make testprogs)"
	run "$ANTH" "$1" <"$ANTH_CASES/$1.in"
	expect_rc 0
	expect_empty "$T/err"
	expect_same "$T/out" "$ANTH_CASES/$1.out"
}

# Request lines to create entries: system, text parts, max_tokens, the
# sampling members, and each refusal with its reason.
t_anthropic_request() { anth_mode request; }

# Results lines to OpenAI output lines, each with the classification
# (common/result.c) of what it became.
t_anthropic_result() { anth_mode result; }

# MessageBatch objects: each processing_status and the counts.
t_anthropic_batch() { anth_mode batch; }

# A request without max_tokens takes the default the caller passes.
t_anthropic_request_default() {
	[ -x "$ANTH" ] || fail "$ANTH not built (make testprogs)"
	printf '%s\n' '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x"}]}}' >in
	run "$ANTH" request 1024 <in
	expect_rc 0
	expect_eq "$(cat "$T/out")" '{"custom_id":"a","params":{"model":"m","max_tokens":1024,"messages":[{"role":"user","content":"x"}]}}'
}

# The default: BATCHPIPE_MAX_TOKENS, else the model's largest output in
# models.tsv, else none (-1); a bad BATCHPIPE_MAX_TOKENS exits 2.
t_anthropic_default_max() {
	[ -x "$ANTH" ] || fail "$ANTH not built (make testprogs)"
	printf 'claude-x\to200k_base\t200000\t64000\n' >models.tsv
	run env BATCHPIPE_MODELS="$PWD/models.tsv" BATCHPIPE_MAX_TOKENS=77 "$ANTH" default claude-x
	expect_rc 0
	expect_eq "$(cat "$T/out")" 77 "BATCHPIPE_MAX_TOKENS"
	run env -u BATCHPIPE_MAX_TOKENS BATCHPIPE_MODELS="$PWD/models.tsv" "$ANTH" default claude-x-20260101
	expect_rc 0
	expect_eq "$(cat "$T/out")" 64000 "models.tsv"
	run env -u BATCHPIPE_MAX_TOKENS BATCHPIPE_MODELS="$PWD/models.tsv" "$ANTH" default claude-y
	expect_rc 0
	expect_eq "$(cat "$T/out")" -1 "unknown model"
	run env BATCHPIPE_MODELS="$PWD/models.tsv" BATCHPIPE_MAX_TOKENS=0 "$ANTH" default claude-x
	expect_rc 2
	expect_grep 'BATCHPIPE_MAX_TOKENS: 0: expected a whole number of tokens from 1 to' "$T/err"
}
