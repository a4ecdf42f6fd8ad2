# shellcheck shell=bash
# The client tools with BATCHPIPE_PROVIDER=anthropic against oai-mock -D
# anthropic: oai-upload names local files, oai-batch sends the requests
# inline and never makes two batches for one file (its note in the
# file's lock; a lost create found by listing), oai-wait, oai-fetch
# (results translated), oai-cancel, oai-ls, oai-rm, and the README's pipe
# and oai-pipeline end to end with faults.

net_fast

anth_mock() {
	mock_start -q -D anthropic -t 0.05,0.2,0.05 "$@"
	export BATCHPIPE_PROVIDER=anthropic
}

# anth_req N [MODEL]: N chat requests on stdout, custom_ids S001...
anth_req() {
	awk -v n="$1" -v m="${2:-claude-3-5-haiku}" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"custom_id\":\"S%03d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"%s\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},{\"role\":\"user\",\"content\":\"Widget %d\"}],\"max_tokens\":5}}\n", i, m, i }'
}

anth_items() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"sku\":\"S%03d\",\"name\":\"Widget %d\"}\n", i, i }'
}

# anth_batches: the ids of the server's batches, one a line.
anth_batches() {
	curl -sS -H "x-api-key: $OPENAI_API_KEY" -H 'anthropic-version: 2023-06-01' \
		"$MOCK_URL/messages/batches?limit=100" |
		grep -o '"id":"msgbatch_[^"]*"' | sed 's/.*:"\(.*\)"/\1/'
}

# The README's one-line pipe, items in and answers out, every request
# answered once, with a lost create, 503s on the batches and failed
# requests.
t_anthropic_readme_pipe() {
	anth_mock -F lose-create=1 -F http503=2@/v1/messages/batches
	anth_items 5 >items.jsonl
	anth_req 5 >req.jsonl
	{ jsonl-split -d work/in req.jsonl | oai-upload | oai-batch | oai-wait -i 0.05 | oai-fetch |
		jsonl-sortid | jsonl-merge -k sku items.jsonl - >items_out.jsonl; } 2>err
	expect_lines 5 items_out.jsonl
	expect_eq "$(grep -c '"llm":"mock answer to: ' items_out.jsonl)" 5 "answers"
	expect_grep 'the answer was lost; looking for the batch' err
	expect_eq "$(anth_batches | wc -l)" 1 "batches on the server"
}

# oai-upload uploads nothing: the id is the content's hash, the same on
# a re-run; standard input and -x are refused.
t_anthropic_upload_local_id() {
	anth_mock
	anth_req 2 >a.jsonl
	run oai-upload a.jsonl
	expect_rc 0
	expect_eq "$(cat "$T/out")" "file-local-$(sha256sum <a.jsonl | cut -c 1-32)	a.jsonl"
	cp "$T/out" first
	run oai-upload a.jsonl
	expect_same "$T/out" first
	run oai-upload - <a.jsonl
	expect_rc 1
	expect_grep 'standard input: .*save them to a file first' "$T/err"
	run oai-upload -x 3600 a.jsonl
	expect_rc 2
	expect_grep '^oai-upload: -x: anthropic keeps no uploaded file' "$T/err"
}

# A line with no translation: file:line named, exit 1, nothing sent; a
# file changed since oai-upload: refused; -m, -X and -Q N refused.
t_anthropic_batch_refuses() {
	anth_mock
	anth_req 2 >a.jsonl
	printf '%s\n' '{"custom_id":"t","method":"POST","url":"/v1/chat/completions","body":{"model":"claude-3-5-haiku","max_tokens":5,"messages":[{"role":"tool","content":"x"}]}}' >>a.jsonl
	oai-upload a.jsonl >up
	run oai-batch <up
	expect_rc 1
	expect_grep '^oai-batch: a.jsonl:3: .*; no batch is made of it$' "$T/err"
	anth_req 2 >b.jsonl
	oai-upload b.jsonl >up
	anth_req 3 >b.jsonl
	run oai-batch <up
	expect_rc 1
	expect_grep '^oai-batch: b.jsonl: changed since oai-upload named it file-local-' "$T/err"
	for o in '-m k=v' '-X 3600' '-Q 1M'; do
		# shellcheck disable=SC2086 # two words
		run oai-batch $o <up
		expect_rc 2
	done
	expect_eq "$(anth_batches | wc -l)" 0 "batches on the server"
}

# A re-run reuses the batch noted; killed after the create (the note has
# no batch yet), a re-run finds it by listing; two that match: exit 75.
t_anthropic_batch_never_twice() {
	anth_mock
	anth_req 3 >a.jsonl
	oai-upload a.jsonl >up
	run oai-batch <up
	expect_rc 0
	b=$(cut -f 1 "$T/out")
	run oai-batch <up
	expect_rc 0
	expect_eq "$(cut -f 1 "$T/out")" "$b" "reused"
	expect_grep "reusing $b" "$T/err"
	# As if killed between the create and its note.
	lock=$(grep -l "^batch $b$" "$XDG_STATE_HOME"/batchpipe/locks/*)
	sed -i "/^batch /d" "$lock"
	run oai-batch <up
	expect_rc 0
	expect_eq "$(cut -f 1 "$T/out")" "$b" "found by listing"
	expect_grep '^batch ' "$lock"
	expect_eq "$(anth_batches | wc -l)" 1 "batches on the server"
	# Another batch of as many requests since: no guess.
	run oai-batch -f <up
	expect_rc 0
	sed -i "/^batch /d" "$lock"
	run oai-batch <up
	expect_rc 75
	expect_grep 'batches of 3 requests were created since its create began .*not guessing' "$T/err"
	expect_eq "$(anth_batches | wc -l)" 2 "batches on the server"
}

# oai-batch killed once its create is sent (the mock makes the batch
# after 3 s): a re-run makes no second batch.
t_anthropic_batch_killed_after_create() {
	anth_mock -F slow=3000@/v1/messages/batches
	anth_req 3 >a.jsonl
	oai-upload a.jsonl >up
	oai-batch <up >/dev/null 2>&1 &
	pid=$!
	# The note is written just before the create is sent.
	for _ in $(seq 1 100); do
		grep -qs '^began ' "$XDG_STATE_HOME"/batchpipe/locks/batch-* && break
		sleep 0.1
	done
	sleep 1
	kill "$pid"
	wait "$pid" || true
	for _ in $(seq 1 80); do
		[ "$(anth_batches | wc -l)" -ge 1 ] && break
		sleep 0.1
	done
	expect_eq "$(anth_batches | wc -l)" 1 "batches after the kill"
	run oai-batch <up
	expect_rc 0
	expect_eq "$(cut -f 1 "$T/out")" "$(anth_batches)" "the same batch"
	expect_grep 'made by a create whose answer was not recorded' "$T/err"
	expect_eq "$(anth_batches | wc -l)" 1 "batches on the server"
}

# oai-fetch writes OpenAI output lines, one per request, in each of its
# three ways; oai-rm deletes a batch and says a local id has nothing.
t_anthropic_fetch_ls_rm() {
	anth_mock -F fail-requests=50%
	anth_req 4 >a.jsonl
	oai-upload a.jsonl | oai-batch | oai-wait -i 0.05 >w 2>/dev/null
	b=$(cut -f 1 w)
	run oai-fetch "$b"
	expect_rc 0
	expect_lines 4 "$T/out"
	ok=$(grep -c '"status_code":200' "$T/out")
	bad=$(grep -c '"error":{' "$T/out")
	if [ "$ok" -lt 1 ] || [ "$bad" -lt 1 ] || [ $((ok + bad)) -ne 4 ]; then
		fail "$ok succeeded and $bad errored of 4"
	fi
	cp "$T/out" whole
	run oai-fetch -d d "$b"
	expect_rc 0
	expect_same "d/$b.jsonl" whole
	run oai-fetch -o o.jsonl "$b" "$b"
	expect_rc 0
	cat whole whole >twice
	expect_same o.jsonl twice
	run oai-ls
	expect_rc 0
	expect_grep "^$b	completed	/v1/chat/completions	" "$T/out"
	run oai-ls -f
	expect_rc 2
	run oai-rm "$(cut -f 1 <(oai-upload a.jsonl))" "$b"
	expect_rc 0
	expect_grep 'a local file.s id: nothing on the server to delete' "$T/err"
	expect_lines 2 "$T/out"
	expect_eq "$(anth_batches | wc -l)" 0 "batches left"
	run oai-fetch "$b"
	expect_rc 1
	expect_grep "$b: the batch is gone from the server" "$T/err"
}

# oai-fetch of a batch still running: no results yet; oai-cancel: the
# batch ends cancelled.
t_anthropic_cancel() {
	mock_start -q -D anthropic -t 0.05,30,0.05
	export BATCHPIPE_PROVIDER=anthropic
	anth_req 2 >a.jsonl
	b=$(oai-upload a.jsonl | oai-batch | cut -f 1)
	run oai-fetch "$b"
	expect_rc 1
	expect_grep "^oai-fetch: $b: no results yet: the batch is in_progress$" "$T/err"
	run oai-cancel "$b"
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$b	cancelled"
}

# oai-pipeline end to end, with faults: every item answered once, one
# batch a part, costs priced; a re-run does nothing more.
t_anthropic_pipeline() {
	anth_mock -F lose-create=1 -F http503=2@/v1/messages/batches -F fail-requests=20%
	anth_items 40 >items.jsonl
	anth_req 40 >req.jsonl
	run timeout 120 oai-pipeline -i 0.05 -k sku -l 15 -d run req.jsonl items.jsonl
	expect_rc 0
	expect_lines 40 "$T/out"
	expect_eq "$(grep -c '"llm":"mock answer to: ' "$T/out")" 40 "answers"
	expect_grep '^oai-pipeline: 40 requests: 40 succeeded, 0 failed; [3-9] batches \([1-9][0-9]* requests submitted again\)$' "$T/err"
	expect_grep '^oai-pipeline: cost: [$]0[.][0-9]*[1-9][0-9]* at the batch discount' "$T/err"
	n=$(anth_batches | wc -l)
	expect_eq "$n" "$(wc -l <run/batches)" "batches on the server"
	run timeout 120 oai-pipeline -i 0.05 -k sku -l 15 -d run req.jsonl items.jsonl
	expect_rc 0
	expect_eq "$(anth_batches | wc -l)" "$n" "batches after a re-run"
}

# oai-ls pages Anthropic's listing by after_id.
t_anthropic_ls_pages() {
	anth_mock -O 250
	run oai-ls
	expect_rc 0
	expect_lines 250 "$T/out"
}
