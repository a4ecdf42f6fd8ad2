# shellcheck shell=bash
# oai-pipeline: the whole job against oai-mock, retry rounds, crashes and
# resumes, bad input.  The mock's batches run in well under a second.

# quick_mock [options]: oai-mock with batches that end within a second.
quick_mock() {
	mock_start -t 0.05,0.2,0.05 "$@"
}

# mkreq N [prefix]: N chat requests, custom_ids prefix1..prefixN.
mkreq() {
	awk -v n="$1" -v p="${2:-req-}" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"custom_id\":\"%s%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"item %d\"}],\"max_tokens\":5}}\n", p, i, i }'
}

# mkitems N: N items keyed by sku, and req.jsonl with one request each.
mkitems() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"sku\":\"S%03d\",\"name\":\"Widget %d\"}\n", i, i }' >items.jsonl
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"custom_id\":\"S%03d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Widget %d\"}],\"max_tokens\":5}}\n", i, i }' >req.jsonl
}

# ids FILE: the custom_ids of FILE's lines, in order.
ids() {
	sed 's/.*"custom_id": *"\([^"]*\)".*/\1/' "$1"
}

# pipeline ARGS: oai-pipeline with quick polls, as a test runs it.
pipeline() {
	run oai-pipeline -i 0.05 "$@"
}

# batches_of_server: `batch_ID input-file-ID status` for every batch.
batches_of_server() {
	mock_curl GET '/batches?limit=100' |
		grep -o '"id":"batch_[^"]*"\|"input_file_id":"[^"]*"\|"status":"[^"]*"' |
		sed 's/.*:"\(.*\)"/\1/' | paste - - -
}

# one_batch_per_file: no input file has more than one batch that is not
# failed, expired or cancelled, and every batch on the server is recorded
# in a run directory given (nothing created behind the driver's back).
one_batch_per_file() {
	local dup
	batches_of_server >server.batches
	dup=$(awk '$3 !~ /^(failed|expired|cancelled)$/ { n[$2]++ } END { for (f in n) if (n[f] > 1) print f }' server.batches)
	[ -z "$dup" ] || { cat server.batches; fail "more than one live batch for $dup"; }
	cat "$@" | cut -f 1 | sort -u >recorded.batches
	cut -f 1 server.batches | sort -u >server.ids
	expect_same server.ids recorded.batches
}

# whole_files DIR: no file under DIR is cut short: every non-empty file
# ends in a newline, every JSONL line is a whole object, no temporaries.
whole_files() {
	local f
	[ -z "$(find "$1" -name '*.tmp' -o -name '.*.tmp.*')" ] ||
		{ find "$1" -name '*.tmp' -o -name '.*.tmp.*'; fail "temporaries left in $1"; }
	while IFS= read -r f; do
		[ -s "$f" ] || continue
		[ "$(tail -c 1 "$f" | od -An -tx1 | tr -d ' \n')" = 0a ] || fail "$f: no newline at the end"
	done < <(find "$1" -type f ! -name lock)
	while IFS= read -r f; do
		awk '!/^\{.*\}$/ { print FILENAME ":" FNR ": not a whole object"; bad = 1 } END { exit bad }' "$f" ||
			fail "$f: a line cut short"
	done < <(find "$1" -type f -name '*.jsonl')
}

t_usage() {
	run oai-pipeline -h
	expect_rc 0
	expect_eq "$(cat "$T/out")" "usage: oai-pipeline [-cnqV] [-B dollars] [-d run-dir] [-e endpoint] [-i interval] [-k key-field] [-l max-lines] [-r retries] [-t timeout] requests.jsonl [items.jsonl]"
	run oai-pipeline -V
	expect_rc 0
	expect_eq "$(cat "$T/out")" "oai-pipeline batchpipe 0.1.0"
	run oai-pipeline -x req.jsonl
	expect_rc 2
	expect_grep '^usage: oai-pipeline ' "$T/err"
	run oai-pipeline
	expect_rc 2
	run oai-pipeline -r two req.jsonl
	expect_rc 2
	expect_grep '^oai-pipeline: -r two: not a number of rounds$' "$T/err"
}

t_items_merged_in_items_order() {
	quick_mock
	mkitems 40
	pipeline -k sku -l 15 -d run req.jsonl items.jsonl
	expect_rc 0
	expect_lines 40 "$T/out"
	expect_eq "$(sed 's/^{"sku":"\([^"]*\)".*/\1/' "$T/out" | tr '\n' ' ')" "$(ids req.jsonl | tr '\n' ' ')" "items order"
	expect_grep '^\{"sku":"S001","name":"Widget 1", "llm": "' "$T/out"
	expect_no_grep 'llm_error' "$T/out"
	expect_same "$T/out" run/merged.jsonl
	expect_grep '^oai-pipeline: 40 requests: 40 succeeded, 0 failed; 1 round \(0 submitted again\), 3 batches$' "$T/err"
	expect_grep '^oai-pipeline: tokens: [0-9]+ prompt, [0-9]+ completion' "$T/err"
	expect_grep '^oai-pipeline: cost: ' "$T/err"
	expect_eq "$(head -n 6 run/summary | tr '\n' ' ')" "requests 40 succeeded 40 failed 0 rounds 1 resubmitted 0 batches 3 "
	expect_lines 3 run/r1/split
	expect_lines 3 run/r1/uploaded
	expect_lines 3 run/r1/batches
	expect_grep "^file-[^	]+	in/r1-0001.jsonl$" run/r1/uploaded
	whole_files run
	one_batch_per_file run/r*/batches
	# Run again: every step is done, nothing more on the server.
	pipeline -k sku -l 15 -d run req.jsonl items.jsonl
	expect_rc 0
	expect_same "$T/out" run/merged.jsonl
	one_batch_per_file run/r*/batches
	expect_eq "$(wc -l <server.batches)" 3 "batches on the server"
}

t_progress_on_a_terminal() {
	quick_mock
	mkreq 10 >req.jsonl
	script -qec "oai-pipeline -i 0.05 -d run req.jsonl >out.jsonl" /dev/null >tty.txt
	# The tools' own progress lines end in a carriage return.
	expect_grep '^oai-pipeline: round 1: splitting req.jsonl' tty.txt
	expect_grep 'oai-pipeline: round 1: uploading in/r1-0001.jsonl' tty.txt
	expect_grep 'oai-pipeline: round 1: creating the batch for in/r1-0001.jsonl' tty.txt
	expect_grep 'oai-pipeline: round 1: waiting for 1 batch' tty.txt
	expect_grep 'batch_[0-9a-f]+: completed' tty.txt
	expect_grep 'oai-pipeline: round 1: downloading 1 result file' tty.txt
	expect_grep 'oai-pipeline: 10 requests: 10 succeeded, 0 failed; 1 round \(0 submitted again\), 1 batch' tty.txt
	expect_lines 10 out.jsonl
	# -q: the summary only.
	script -qec "oai-pipeline -q -i 0.05 -d run2 req.jsonl >out2.jsonl" /dev/null >tty2.txt
	expect_no_grep 'round 1|batch_|MB' tty2.txt
	expect_grep '^oai-pipeline: 10 requests: 10 succeeded, 0 failed' tty2.txt
	expect_same out2.jsonl out.jsonl
}

t_same_as_the_shell_pipe() {
	# Items keyed by line number (no -i, no -k): oai-pipeline's output is
	# what the one-line pipe of DESIGN.md gives.
	quick_mock
	head -n 25 "$TOP/share/demo/items.jsonl" >items.jsonl
	jsonl-prompt -m gpt-4o-mini -s "$TOP/share/demo/system.txt" -t '{subject}: {body}' items.jsonl >req.jsonl
	pipeline -d run req.jsonl items.jsonl
	expect_rc 0
	cp "$T/out" driver.jsonl
	mkdir in
	jsonl-split -d in <req.jsonl | oai-upload -q | oai-batch -q | oai-wait -q -i 0.05 |
		oai-fetch -q | jsonl-sortid | jsonl-merge items.jsonl - >pipe.jsonl 2>/dev/null
	expect_same driver.jsonl pipe.jsonl
	expect_lines 25 driver.jsonl
	expect_grep '^\{"ticket_id":"T-000001",.*, "llm": "' driver.jsonl
}

t_results_sorted_without_items() {
	quick_mock
	mkreq 30 >req.jsonl
	# Shuffled input: the output is in custom_id order all the same.
	sort -r req.jsonl >shuffled.jsonl
	pipeline -d run shuffled.jsonl
	expect_rc 0
	expect_lines 30 "$T/out"
	expect_same "$T/out" run/results.jsonl
	ids "$T/out" >got.ids
	ids req.jsonl | sort >want.ids
	expect_same got.ids want.ids
	expect_no_grep '"status_code": *[^2]' "$T/out"
	# The default run directory sits beside the requests file.
	pipeline req.jsonl
	expect_rc 0
	[ -f req.run/results.jsonl ] || fail "no req.run"
}

t_failed_requests_recovered_by_a_retry_round() {
	quick_mock -F fail-requests=0.2
	mkreq 60 >req.jsonl
	pipeline -l 25 -d run req.jsonl
	expect_rc 0
	expect_lines 60 "$T/out"
	expect_no_grep '"error": *\{' "$T/out"
	expect_grep '^retry [1-9]' run/r1/classified
	expect_grep '^retry 0$' run/r2/classified
	[ ! -d run/r3 ] || fail "a third round"
	expect_grep '	retry	server_error: ' run/r1/failed.txt
	# Round 2 sent exactly round 1's failures again.
	cut -f 1 run/r1/failed.txt | sort >failed1
	ids run/r1/retry.jsonl | sort >retried
	expect_same retried failed1
	expect_grep '^oai-pipeline: 60 requests: 60 succeeded, 0 failed; 2 rounds' "$T/err"
	one_batch_per_file run/r*/batches
}

t_failures_after_the_last_round_exit_3_then_more_rounds() {
	quick_mock -F fail-requests=0.2 -F fail-status=500
	mkreq 40 >req.jsonl
	pipeline -r 0 -d run req.jsonl
	expect_rc 3
	n=$(wc -l <run/failed.txt)
	[ "$n" -gt 0 ] || fail "nothing failed"
	expect_lines 40 "$T/out"
	expect_grep "^oai-pipeline: 40 requests: $((40 - n)) succeeded, $n failed; 1 round " "$T/err"
	expect_grep "^oai-pipeline: $n requests failed: custom_id, round and reason in $T/run/failed.txt; their result lines in $T/run/results.jsonl, their requests in $T/run/failed-requests.jsonl$" "$T/err"
	expect_grep '^req-[0-9]+	1	HTTP 500: server_error: The server had an error' run/failed.txt
	cut -f 1 run/failed.txt >failed.ids
	ids run/failed-requests.jsonl >freq.ids
	expect_same freq.ids failed.ids
	grep -F -f <(sed 's/.*/"&"/' failed.ids) req.jsonl >want.freq
	expect_same run/failed-requests.jsonl want.freq
	expect_eq "$(grep -c '"status_code": *500' "$T/out")" "$n" "500 lines in the output"
	# The same command with more rounds carries on from there.
	pipeline -r 1 -d run req.jsonl
	expect_rc 0
	expect_no_grep '"status_code": *500' "$T/out"
	expect_lines 40 "$T/out"
	expect_empty run/failed.txt
	one_batch_per_file run/r*/batches
}

t_expired_batch_recovered() {
	quick_mock -F expire=0.5:1
	mkitems 30
	pipeline -k sku -d run req.jsonl items.jsonl
	expect_rc 0
	expect_lines 30 "$T/out"
	expect_no_grep 'llm_error' "$T/out"
	expect_grep '	expired$' run/r1/results
	expect_grep '	retry	batch_expired: ' run/r1/failed.txt
	expect_eq "$(wc -l <run/r1/failed.txt)" 15 "expired requests"
	expect_eq "$(wc -l <run/r2/in/r2-0001.jsonl)" 15 "requests submitted again"
}

t_cancelled_batch_recovered() {
	quick_mock -F cancel=0.3:1
	mkreq 20 >req.jsonl
	pipeline -d run req.jsonl
	expect_rc 0
	expect_lines 20 "$T/out"
	expect_grep '	cancelled$' run/r1/results
	expect_grep '	retry	batch_cancelled: ' run/r1/failed.txt
	expect_grep '^succeeded 6$' run/r1/classified
	one_batch_per_file run/r*/batches
}

t_token_limit_second_batch_waits_a_round() {
	# Each batch of 20 fits the limit; two at once do not, so the second
	# fails validation and goes again in round 2, once the first is done.
	# The first stays in progress long enough for a slow (sanitized,
	# loaded) machine to create the second meanwhile.
	quick_mock -t 0.05,2,0.05 -F token-limit=300
	mkreq 40 >req.jsonl
	pipeline -l 20 -d run req.jsonl
	expect_rc 0
	expect_lines 40 "$T/out"
	expect_grep '^retry 20$' run/r1/classified
	expect_grep '	retry	no result \(.*token_limit_exceeded' run/r1/failed.txt
	expect_grep '^succeeded 20$' run/r2/classified
	one_batch_per_file run/r*/batches
}

t_token_limit_never_fits_exit_3() {
	quick_mock -F token-limit=10
	mkitems 10
	pipeline -k sku -r 1 -d run req.jsonl items.jsonl
	expect_rc 3
	expect_lines 10 "$T/out"
	expect_eq "$(grep -c '"llm_error"' "$T/out")" 10 "items with an error"
	expect_lines 10 run/failed.txt
	expect_grep '^S001	2	no result \(.*token_limit_exceeded' run/failed.txt
	# Round 2's file is byte for byte round 1's: it was uploaded afresh,
	# so that round 2 got a batch of its own.
	expect_same run/r2/in/r2-0001.jsonl run/r1/in/r1-0001.jsonl
	[ "$(cut -f 1 run/r1/uploaded)" != "$(cut -f 1 run/r2/uploaded)" ] || fail "round 2 reused round 1's file"
	expect_eq "$(cat run/r1/batches run/r2/batches | cut -f 1 | sort -u | wc -l)" 2 "batches"
}

t_flaky_server_and_lost_create() {
	# 5xx and 429 bursts, dropped connections, a download cut short and a
	# batch whose creation answer is lost: the tools retry or reconcile,
	# and the job ends with one batch per file.
	quick_mock -F http500=2@/v1/files -F http429=2@/v1/batches -F close=1@/v1/batches/ \
		-F cut=1@/v1/files/ -F lose-create=1
	export BATCHPIPE_RETRY_BASE_MS=20 BATCHPIPE_RETRY_MAX_MS=100
	mkreq 30 >req.jsonl
	pipeline -l 10 -d run req.jsonl
	expect_rc 0
	expect_lines 30 "$T/out"
	one_batch_per_file run/r*/batches
	expect_eq "$(wc -l <server.batches)" 3 "batches on the server"
}

t_ids_read_as_json() {
	# custom_id last, after a body that holds a nested custom_id and the
	# text of one; escaped quotes and \u escapes in ids.  Every request
	# fails once: only ids read right send each exactly once again.
	quick_mock -F fail-requests=1
	{
		printf '%s\n' '{"method":"POST","url":"/v1/chat/completions","body":{"model":"m","custom_id":"nested","messages":[{"role":"user","content":"\"custom_id\":\"fake\""}]},"custom_id":"last"}'
		printf '%s\n' '{"custom_id":"say \"hi\"","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"x"}]}}'
		printf '%s\n' '{"custom_id":"caf\u00e9","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"y"}]}}'
		printf '%s\n' '{"custom_id" : "spaced" , "method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"z"}]}}'
	} >req.jsonl
	pipeline -d run req.jsonl
	expect_rc 0
	expect_grep '^requests 4$' run/r1/classified
	expect_grep '^retry 4$' run/r1/classified
	expect_grep '^succeeded 4$' run/r2/classified
	expect_eq "$(cut -f 1 run/r1/failed.txt | sort | tr '\n' ' ')" 'caf\u00e9 last say \"hi\" spaced ' "failed ids"
	expect_same run/r1/retry.jsonl req.jsonl
	expect_lines 4 "$T/out"
}

t_permanent_failure_not_retried() {
	quick_mock
	mkreq 5 >req.jsonl
	# A request the server refuses (an empty messages array): HTTP 400 is
	# final, the request is not sent again.
	sed '3s/"messages":\[[^]]*\]/"messages":[]/' req.jsonl >bad.jsonl
	pipeline -d run bad.jsonl
	expect_rc 3
	expect_eq "$(cat run/failed.txt)" "req-3	1	HTTP 400: empty_array: Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead." "failed.txt"
	expect_grep '^requests 5$' run/r1/classified
	expect_grep '^retry 0$' run/r1/classified
	expect_grep '^failed 1$' run/r1/classified
	[ ! -d run/r2 ] || fail "an invalid request went to round 2"
	expect_same run/failed-requests.jsonl <(sed -n 3p bad.jsonl)
}

t_clean_deletes_remote_files() {
	quick_mock -F fail-requests=0.3
	mkreq 20 >req.jsonl
	pipeline -c -d run req.jsonl
	expect_rc 0
	mock_curl GET /files >files.json
	expect_no_grep '"id":"file-' files.json
	# What was deleted is recorded, round by round.
	expect_eq "$(sort run/r1/removed | tr '\n' ' ')" "$({ cut -f 1 run/r1/uploaded; cut -f 1 run/r1/results; } | sort | tr '\n' ' ')" "removed"
	[ -s run/r2/removed ] || fail "round 2's files not deleted"
}

t_empty_requests() {
	quick_mock
	: >req.jsonl
	pipeline -d run req.jsonl </dev/null
	expect_rc 0
	expect_empty "$T/out"
	expect_grep '^oai-pipeline: 0 requests: 0 succeeded, 0 failed; 1 round \(0 submitted again\), 0 batches$' "$T/err"
	mock_curl GET /files >files.json
	expect_no_grep '"id":"file-' files.json
}

t_item_without_request_exit_3() {
	quick_mock
	mkitems 5
	printf '{"sku":"S999","name":"Orphan"}\n' >>items.jsonl
	pipeline -k sku -d run req.jsonl items.jsonl
	expect_rc 3
	expect_lines 6 "$T/out"
	expect_grep '^\{"sku":"S999","name":"Orphan", "llm_error": ' "$T/out"
	expect_grep "^oai-pipeline: some items have no answer: see $T/run/merge.log$" "$T/err"
}

t_duplicate_custom_id_stops_before_upload() {
	quick_mock
	mkreq 5 >req.jsonl
	sed -n 2p req.jsonl >dup.jsonl
	cat dup.jsonl >>req.jsonl
	pipeline -d run req.jsonl
	expect_rc 1
	expect_grep 'req.jsonl:6: .*req-2' "$T/err"
	expect_grep '^oai-pipeline: req.jsonl: not split \(see above\); nothing was uploaded$' "$T/err"
	expect_empty "$T/out"
	mock_curl GET /files >files.json
	expect_no_grep '"id":"file-' files.json
	[ ! -e run/r1/split ] || fail "a split record"
}

t_bad_line_stops_before_upload() {
	quick_mock
	mkreq 5 >req.jsonl
	printf '{"custom_id":"x","method":"POST"\n' >>req.jsonl
	pipeline -d run req.jsonl
	expect_rc 1
	expect_grep 'req.jsonl:6: ' "$T/err"
	mock_curl GET /files >files.json
	expect_no_grep '"id":"file-' files.json
}

t_wrong_endpoint_stops_before_upload() {
	quick_mock
	mkreq 5 >req.jsonl
	pipeline -e /v1/embeddings -d run req.jsonl
	expect_rc 1
	expect_grep '^oai-pipeline: req.jsonl: a request has url /v1/chat/completions, not /v1/embeddings \(-e\); stopped before uploading it$' "$T/err"
	# And again, now that the split is done.
	pipeline -e /v1/embeddings -d run req.jsonl
	expect_rc 1
	expect_grep 'not /v1/embeddings \(-e\); stopped before uploading it$' "$T/err"
	mock_curl GET /files >files.json
	expect_no_grep '"id":"file-' files.json
	pipeline -e /v1/chat/completions -d run req.jsonl
	expect_rc 0
}

t_missing_key() {
	mkreq 5 >req.jsonl
	OPENAI_BASE_URL=http://127.0.0.1:9/v1 pipeline -d run req.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-pipeline: no API key: set OPENAI_API_KEY (or OPENAI_API_KEY_FILE)"
	[ ! -e run ] || fail "a run directory without a key"
}

t_other_requests_same_run_dir_refused() {
	quick_mock
	mkreq 5 >req.jsonl
	pipeline -d run req.jsonl
	expect_rc 0
	mkreq 6 >req.jsonl
	pipeline -d run req.jsonl
	expect_rc 1
	expect_grep "^oai-pipeline: req.jsonl: not the requests file this run directory was started with \(see $T/run/job\); use another -d$" "$T/err"
}

t_unreachable_server_75_then_rerun() {
	mkreq 10 >req.jsonl
	# A port nobody listens on: the tools try a few times, then give up.
	export BATCHPIPE_MAX_TRIES=2 BATCHPIPE_RETRY_BASE_MS=10 BATCHPIPE_RETRY_MAX_MS=20
	OPENAI_API_KEY=sk-test OPENAI_BASE_URL=http://127.0.0.1:9/v1 pipeline -d run req.jsonl
	expect_rc 75
	expect_grep '^oai-pipeline: oai-upload .*: temporary failure; run the same command again to carry on$' "$T/err"
	expect_empty "$T/out"
	quick_mock
	pipeline -d run req.jsonl
	expect_rc 0
	expect_lines 10 "$T/out"
}

t_lost_records_are_recovered() {
	# A power loss can leave a record's last line cut short, or lose the
	# record of a batch just created: the next run drops the partial line
	# and oai-batch finds the batch on the server instead of paying twice.
	quick_mock
	mkreq 10 >req.jsonl
	pipeline -d run req.jsonl
	expect_rc 0
	cp "$T/out" first.jsonl
	bid=$(cut -f 1 run/r1/batches)
	rm run/r1/classified run/r1/results
	printf 'batch_cut_sh' >run/r1/batches
	pipeline -d run req.jsonl
	expect_rc 0
	expect_grep "^oai-pipeline: $T/run/r1/batches: dropping a partial last line left by an interrupted run$" "$T/err"
	expect_eq "$(cut -f 1 run/r1/batches)" "$bid" "the batch recorded again"
	expect_same "$T/out" first.jsonl
	one_batch_per_file run/r1/batches
	expect_eq "$(wc -l <server.batches)" 1 "batches on the server"
}

t_timeout_75_then_carry_on() {
	mock_start -t 0.05,2,0.05
	mkreq 10 >req.jsonl
	pipeline -t 0.3 -d run req.jsonl
	expect_rc 75
	expect_grep '^oai-wait: batch_[0-9a-f]+: still in_progress after' "$T/err"
	expect_grep '^oai-pipeline: round 1: batches still running after 0.3 s \(-t\); run the same command again to carry on$' "$T/err"
	expect_empty "$T/out"
	[ ! -f run/r1/results ] || fail "results before the batches ended"
	pipeline -d run req.jsonl
	expect_rc 0
	expect_lines 10 "$T/out"
	one_batch_per_file run/r1/batches
	expect_eq "$(wc -l <server.batches)" 1 "batches on the server"
}

t_second_driver_refused() {
	quick_mock
	mkreq 5 >req.jsonl
	mkdir run
	background flock run/lock sleep 30
	sleep 0.2
	pipeline -d run req.jsonl
	expect_rc 75
	expect_eq "$(cat "$T/err")" "oai-pipeline: $T/run: another oai-pipeline, or a tool it started, is working in this run directory"
	[ ! -e run/job ] || fail "the second driver wrote a record"
}

# stop_then_resume SIGNAL STATUS: the driver stopped by SIGNAL while it
# waits for its batches stops its tools and exits STATUS; then it resumes.
stop_then_resume() {
	local pid
	mock_start -t 0.2,3,0.2
	mkreq 30 >req.jsonl
	# env resets SIGINT, which a shell ignores in the background jobs it starts.
	env --default-signal=INT oai-pipeline -i 0.05 -d run req.jsonl >out1 2>err1 &
	pid=$!
	for _ in $(seq 1 100); do
		[ -s run/r1/batches ] && break
		sleep 0.05
	done
	[ -s run/r1/batches ] || fail "no batch created"
	sleep 0.3
	kill -"$1" "$pid"
	rc=0
	wait "$pid" || rc=$?
	expect_eq "$rc" "$2" "exit status"
	expect_grep "^oai-pipeline: stopped by SIG$1; run the same command again to carry on$" err1
	# Its tools are gone too: nothing holds the lock.
	flock -n run/lock true || fail "a tool still holds the lock"
	[ ! -f run/r1/results ] || fail "stopped after the wait"
	whole_files run
	pipeline -d run req.jsonl
	expect_rc 0
	expect_lines 30 "$T/out"
	one_batch_per_file run/r*/batches
}

t_sigterm_stops_cleanly_then_resumes() {
	stop_then_resume TERM 143
}

t_sigint_stops_cleanly_then_resumes() {
	stop_then_resume INT 130
}

# state_of DIR: how far the run in DIR got, in a few words.
state_of() {
	local r w
	for r in "$1"/r*; do
		[ -d "$r" ] || continue
		w="${r##*/}:"
		[ -f "$r/split" ] && w="$w split"
		[ -f "$r/uploaded" ] && w="$w up=$(wc -l <"$r/uploaded")"
		[ -f "$r/batches" ] && w="$w batches=$(wc -l <"$r/batches")"
		[ -f "$r/results" ] && w="$w waited"
		[ -d "$r/out" ] && w="$w out=$(find "$r/out" -name 'file-*.jsonl' | wc -l)"
		[ -f "$r/classified" ] && w="$w classified"
		printf '%s; ' "$w"
	done
	[ -f "$1/results.jsonl" ] && printf 'results'
	[ -d "$1" ] || printf 'nothing'
}

# The driver killed with SIGKILL at random moments (alone, its tools left
# running, or with them, as in a crash), once or twice, then run again
# until it finishes: every request answered exactly once, one batch per
# input file, nothing cut short in the run directory.
t_crash_and_resume() {
	local trial pid kills k delay dirs=()
	mock_start -t 0.1,0.4,0.1 -F slow=60 -F fail-requests=0.1
	RANDOM=4242
	for trial in $(seq 1 14); do
		mkreq 24 "t$trial-" >"req$trial.jsonl"
		kills=$((1 + RANDOM % 2))
		for k in $(seq 1 "$kills"); do
			delay=$((RANDOM % 2500))
			# Two kills while it starts and splits.
			[ "$k" -eq 1 ] && [ "$trial" -le 2 ] && delay=$((trial * 30))
			setsid oai-pipeline -i 0.05 -l 10 -d "run$trial" "req$trial.jsonl" >/dev/null 2>>crash.log &
			pid=$!
			sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
			if [ $((trial % 2)) -eq 0 ]; then
				kill -KILL -- -"$pid" 2>/dev/null || true
			else
				kill -KILL "$pid" 2>/dev/null || true
			fi
			wait "$pid" 2>/dev/null || true
			echo "trial $trial: killed after ${delay} ms: $(state_of "run$trial")" >>crash.log
		done
		# Tools left running after the driver's death hold the lock: the
		# next run says so (75) until they have finished.
		for k in $(seq 1 100); do
			pipeline -l 10 -d "run$trial" "req$trial.jsonl"
			[ "$rc" -eq 75 ] && grep -q 'another oai-pipeline' "$T/err" && { sleep 0.1; continue; }
			break
		done
		expect_rc 0 || { tail -n 20 crash.log; return 1; }
		ids "$T/out" >got.ids
		ids "req$trial.jsonl" | sort >want.ids
		expect_same got.ids want.ids
		whole_files "run$trial"
		for k in "run$trial"/r*/batches; do dirs+=("$k"); done
	done
	one_batch_per_file "${dirs[@]}"
}

# mkreq50 N: N chat requests whose answers are far shorter than their
# cap (max_tokens 50), so a batch's real cost is under its worst case.
mkreq50() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"custom_id\":\"q%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"item %d\"}],\"max_tokens\":50}}\n", i, i }'
}

# usd_sum A B ...: the sum of dollar figures, to 6 decimals.
usd_sum() {
	awk 'BEGIN { for (i = 1; i < ARGC; i++) s += ARGV[i]; printf "%.6f", s }' "$@"
}

t_dry_run_plan() {
	mkreq50 50 >req.jsonl
	printf 'gpt-4o-mini\t1\t250\ngpt-4o-mini\t3\t150\n' >limits.tsv
	# No key, no server: nothing is sent.
	BATCHPIPE_LIMITS=$T/limits.tsv pipeline -n -l 20 -d run req.jsonl
	expect_rc 0
	expect_empty "$T/err"
	expect_eq "$(head -n 1 "$T/out")" "file	requests	input-tokens	max-output-tokens	worst-case-usd	input-only-usd	model	queue-limit"
	(cd run/r1 && BATCHPIPE_LIMITS=$T/limits.tsv jsonl-tokens -s -T 1 in/r1-0001.jsonl in/r1-0002.jsonl in/r1-0003.jsonl) >want
	expect_eq "$(sed -n 2,5p "$T/out")" "$(cat want)"
	expect_grep '^requests: 50$' "$T/out"
	expect_grep "^input tokens: $(tail -n 1 want | cut -f 3)\$" "$T/out"
	expect_grep '^max output tokens: 2500$' "$T/out"
	expect_grep "^worst-case cost: \\\$$(tail -n 1 want | cut -f 5) at the batch price\$" "$T/out"
	# Files of 200, 200 and 100 tokens: no two of them fit in 250.
	expect_grep '^queue: gpt-4o-mini at usage tier 1 holds 250 enqueued tokens: 3 queue cycles$' "$T/out"
	BATCHPIPE_TIER=2 BATCHPIPE_LIMITS=$T/limits.tsv pipeline -n -l 20 -d run req.jsonl
	expect_grep '^queue: gpt-4o-mini: no batch queue limit known at usage tier 2$' "$T/out"
	BATCHPIPE_TIER=3 BATCHPIPE_LIMITS=$T/limits.tsv pipeline -n -l 20 -d run req.jsonl
	# 200 tokens in 20 requests: 150 tokens hold 13 of them, 12 with a
	# tenth to spare.
	expect_grep '^queue: gpt-4o-mini at usage tier 3 holds 150 enqueued tokens: 2 files hold more and can never run; split with -l 13 or fewer requests a file$' "$T/out"
	BATCHPIPE_TIER=9 pipeline -n -d run req.jsonl
	expect_rc 2
	# The real run uses the same split.
	quick_mock
	cp run/r1/split split.before
	pipeline -l 20 -d run req.jsonl
	expect_rc 0
	expect_same run/r1/split split.before
	expect_lines 50 "$T/out"
}

t_budget_holds_back_and_carries_on() {
	quick_mock
	printf 'gpt-4o-mini\t10000\t-\t20000\n' >prices.tsv
	BATCHPIPE_PRICES=$T/prices.tsv
	export BATCHPIPE_PRICES
	mkreq50 60 >req.jsonl
	pipeline -n -l 20 -d run req.jsonl
	w1=$(sed -n 1p run/r1/tokens | cut -f 5) w2=$(sed -n 2p run/r1/tokens | cut -f 5)
	w3=$(sed -n 3p run/r1/tokens | cut -f 5)
	# Room for the first file's worst case, not for the second's too.
	pipeline -B "$(usd_sum "$w1" 0.01)" -l 20 -d run req.jsonl
	expect_rc 3
	expect_lines 1 run/r1/batches
	expect_eq "$(cat run/r1/held)" "in/r1-0002.jsonl
in/r1-0003.jsonl"
	expect_grep '^held 40$' run/r1/classified
	expect_eq "$(grep -c '	held	not sent: its batch would take the job past the budget' run/r1/failed.txt)" 40 "held requests"
	expect_grep '^oai-pipeline: 40 requests were not sent: .*-B .*; run the same command with a larger -B to carry on$' "$T/err"
	# The same cap again: nothing more is sent.
	pipeline -B "$(usd_sum "$w1" 0.01)" -l 20 -d run req.jsonl
	expect_rc 3
	[ ! -e run/r2 ] || fail "a round for the same budget"
	# Round 1 now counts at its real cost, under its worst case: a cap
	# just short of that cost and one more file holds both back again...
	real=$(cat run/r1/cost)
	awk -v r="$real" -v w="$w1" 'BEGIN { exit !(r < w - 0.01) }' || fail "real cost $real not under worst $w1"
	pipeline -B "$(usd_sum "$real" "$w2" -0.005)" -l 20 -d run req.jsonl
	expect_rc 3
	expect_lines 2 run/r2/held
	[ ! -s run/r2/batches ] || fail "round 2 created a batch past the cap"
	# ... and a cap that the worst cases of all three files exceed lets
	# the rest go.
	pipeline -B "$(usd_sum "$w1" "$w2" "$w3" -0.01)" -l 20 -d run req.jsonl
	expect_rc 0
	expect_lines 60 "$T/out"
	expect_grep '^succeeded 40$' run/r3/classified
	expect_eq "$(cat run/r*/batches | wc -l)" 3 "batches"
	one_batch_per_file run/r*/batches
}

t_budget_needs_known_prices() {
	quick_mock
	printf 'gpt-4\t1\t-\t2\n' >prices.tsv
	mkreq50 5 >req.jsonl
	BATCHPIPE_PRICES=$T/prices.tsv pipeline -B 5 -d run req.jsonl
	expect_rc 1
	expect_grep '^oai-pipeline: -B: the worst case of in/r1-0001.jsonl is unknown' "$T/err"
	[ ! -s run/r1/batches ] || fail "a batch was created"
	pipeline -B 1,5 -d run req.jsonl
	expect_rc 2
	expect_grep '^oai-pipeline: -B 1,5: not an amount of dollars$' "$T/err"
}
