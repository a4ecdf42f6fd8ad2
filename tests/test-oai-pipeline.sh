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
# in a run directory given (nothing created behind the driver's back),
# but for those that failed: a probe of oai-batch -Q auto that the queue
# refused is not printed (it ran nothing and costs nothing).
one_batch_per_file() {
	local dup
	batches_of_server >server.batches
	dup=$(awk '$3 !~ /^(failed|expired|cancelled)$/ { n[$2]++ } END { for (f in n) if (n[f] > 1) print f }' server.batches)
	[ -z "$dup" ] || { cat server.batches; fail "more than one live batch for $dup"; }
	cat "$@" | cut -f 1 | sort -u >recorded.batches
	awk -F '\t' 'FILENAME == ARGV[1] { rec[$1] = 1; next } $3 != "failed" || ($1 in rec) { print $1 }' \
		recorded.batches server.batches | sort -u >server.ids
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
	expect_eq "$(sed '/^$/,$d' "$T/out" | tr -s ' \n' ' ' | sed 's/ $//')" "usage: oai-pipeline [-CchjLnqV] [-B dollars] [-d run-dir] [-e endpoint] [-i interval] [-k key-field] [-l max-lines] [-Q limit] [-r retries] [-t timeout] [-w window] [-x seconds] requests.jsonl [items.jsonl]"
	run oai-pipeline -V
	expect_rc 0
	expect_eq "$(cat "$T/out")" "oai-pipeline batchpipe 0.1.0"
	run oai-pipeline -y req.jsonl
	expect_rc 2
	expect_grep '^usage: oai-pipeline ' "$T/err"
	run oai-pipeline
	expect_rc 2
	run oai-pipeline -r two req.jsonl
	expect_rc 2
	expect_grep '^oai-pipeline: -r two: not a number of tries$' "$T/err"
	run oai-pipeline -Q lots req.jsonl
	expect_rc 2
	expect_grep '^oai-pipeline: -Q lots: not a number of tokens, tier-1 to tier-5 or auto$' "$T/err"
}

# Every option value is checked before anything is split, uploaded or
# created: a bad one found later, by the tool that uses it, would come
# after the money was spent.  Each error names what is wrong first.
t_bad_options_stop_before_anything() {
	quick_mock
	mkreq 3 >req.jsonl
	mkitems 3
	while IFS='|' read -r opts msg; do
		# shellcheck disable=SC2086 # opts is a list of words
		run oai-pipeline -d run $opts req.jsonl
		expect_rc 2
		expect_eq "$(head -n 1 "$T/err")" "oai-pipeline: $msg"
		expect_grep '^usage: oai-pipeline ' "$T/err"
	done <<'EOF2'
-i 0|-i 0: not a number of seconds
-i 1s|-i 1s: not a number of seconds
-t abc|-t abc: not a number of seconds
-l 0|-l 0: not a positive number of requests
-l -5|-l -5: not a positive number of requests
-l +5|-l +5: not a positive number of requests
-l 0x10|-l 0x10: not a positive number of requests
-i +5|-i +5: not a number of seconds
-t 1e3|-t 1e3: not a number of seconds
-r +1|-r +1: not a number of tries
-r -1|-r -1: not a number of tries
-B +1|-B +1: not an amount of dollars
-Q 5kk|-Q 5kk: not a number of tokens, tier-1 to tier-5 or auto
-Q 5k5|-Q 5k5: not a number of tokens, tier-1 to tier-5 or auto
-Q 0|-Q 0: not a number of tokens, tier-1 to tier-5 or auto
-e chat|-e chat: an endpoint is a path such as /v1/embeddings
-x 3599|-x 3599: not a number of seconds from 3600 to 2592000
-x 2592001|-x 2592001: not a number of seconds from 3600 to 2592000
-x 1h|-x 1h: not a number of seconds from 3600 to 2592000
-L -x 3600|-x: -L keeps no file on the server, so nothing expires
-w 48h|oai-batch: -w 48h: openai accepts 24h
-L -w 24h|-w: -L makes no batches
-y|-y: no such option
EOF2
	# A blank before or after a number is refused as the tools refuse
	# it (common/numarg.h).
	for opt in -l -i -t -r -B -Q; do
		for v in ' 5' '5 '; do
			run oai-pipeline -d run "$opt" "$v" req.jsonl
			expect_rc 2
			expect_grep "^oai-pipeline: $opt $v: not a" "$T/err"
		done
	done
	run oai-pipeline -d run -i
	expect_rc 2
	expect_eq "$(head -n 1 "$T/err")" "oai-pipeline: -i: needs a value"
	run oai-pipeline -d run
	expect_rc 2
	expect_eq "$(head -n 1 "$T/err")" "oai-pipeline: no requests file given"
	run oai-pipeline -d run req.jsonl items.jsonl -k sku
	expect_rc 2
	expect_eq "$(head -n 1 "$T/err")" "oai-pipeline: -k: options come before the requests file"
	[ ! -e run ] || fail "a run directory was made"
	expect_eq "$(net_count_files)" 0 "files on the server"
}

t_items_merged_in_items_order() {
	quick_mock
	mkitems 40
	pipeline -k sku -l 15 -d run req.jsonl items.jsonl
	expect_rc 0
	expect_lines 40 "$T/out"
	expect_eq "$(sed 's/^{"sku":"\([^"]*\)".*/\1/' "$T/out" | tr '\n' ' ')" "$(ids req.jsonl | tr '\n' ' ')" "items order"
	expect_grep '^\{"sku":"S001","name":"Widget 1","llm":"' "$T/out"
	expect_no_grep 'llm_error' "$T/out"
	expect_same "$T/out" run/merged.jsonl
	expect_grep '^oai-pipeline: 40 requests: 40 succeeded, 0 failed; 3 batches \(0 requests submitted again\)$' "$T/err"
	expect_grep '^oai-pipeline: tokens: [0-9]+ prompt, [0-9]+ completion' "$T/err"
	expect_grep '^oai-pipeline: cost: ' "$T/err"
	expect_eq "$(head -n 7 run/summary | tr '\n' ' ')" "requests 40 succeeded 40 failed 0 held 0 resubmitted 0 requeued 0 batches 3 "
	expect_lines 3 run/parts.tsv
	expect_lines 3 run/uploaded
	expect_lines 3 run/batches
	expect_lines 3 run/done
	expect_grep "^file-[^	]+	parts/p0001.jsonl$" run/uploaded
	# Settled parts leave no copy of their requests or results behind.
	[ -z "$(find run/parts run/out -type f)" ] || fail "parts or results left: $(find run/parts run/out -type f)"
	whole_files run
	one_batch_per_file run/batches
	# Run again: every step is done, nothing more on the server.
	pipeline -k sku -l 15 -d run req.jsonl items.jsonl
	expect_rc 0
	expect_same "$T/out" run/merged.jsonl
	one_batch_per_file run/batches
	expect_eq "$(wc -l <server.batches)" 3 "batches on the server"
}

t_progress_on_a_terminal() {
	quick_mock
	mkreq 10 >req.jsonl
	script -qec "oai-pipeline -i 0.05 -d run req.jsonl >out.jsonl" /dev/null >tty.txt
	# The tools' own progress lines end in a carriage return.
	expect_grep '^oai-pipeline: splitting req.jsonl' tty.txt
	expect_grep 'oai-pipeline: 1 part to run' tty.txt
	expect_grep 'batch_[0-9a-f]+: completed' tty.txt
	expect_grep 'oai-pipeline: p0001.jsonl: batch batch_[0-9a-f]+ completed: 10 succeeded, 0 to try again, 0 failed' tty.txt
	expect_grep 'oai-pipeline: 10 requests: 10 succeeded, 0 failed; 1 batch \(0 requests submitted again\)' tty.txt
	expect_lines 10 out.jsonl
	# -q: the summary only.
	script -qec "oai-pipeline -q -i 0.05 -d run2 req.jsonl >out2.jsonl" /dev/null >tty2.txt
	expect_no_grep 'part|batch_|MB' tty2.txt
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
	expect_grep '^\{"ticket_id":"T-000001",.*,"llm":"' driver.jsonl
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

# tried N: the parts of try N, one name a line.
tried() {
	awk -F '\t' -v n="$1" '$4 == n { print $1 }' run/parts.tsv
}

t_failed_requests_submitted_again() {
	quick_mock -F fail-requests=0.2
	mkreq 60 >req.jsonl
	pipeline -l 25 -d run req.jsonl
	expect_rc 0
	expect_lines 60 "$T/out"
	expect_no_grep '"error": *\{' "$T/out"
	[ -n "$(tried 2)" ] || fail "nothing was tried again"
	[ -z "$(tried 3)" ] || fail "a third try"
	# Each part of try 2 holds exactly its parent's failures.
	for p in $(tried 2); do
		parent=${p%%.*}.jsonl
		expect_grep '	retry	server_error: ' "run/settled/$parent.failed"
		cut -f 1 "run/settled/$parent.failed" | sort >failed1
		expect_eq "$(wc -l <failed1)" "$(awk -F '\t' -v p="$p" '$1 == p { print $2 }' run/parts.tsv)" "requests of $p"
	done
	expect_grep '^oai-pipeline: 60 requests: 60 succeeded, 0 failed; [0-9]+ batches \([1-9][0-9]* requests submitted again\)$' "$T/err"
	one_batch_per_file run/batches
}

# A server that answers a request never sent: 20 requests, 21 result
# lines on the server.  The job's output holds the 20, the extra line is
# reported and kept apart, and the requests all count as answered.
t_result_for_a_request_never_sent_kept_apart() {
	quick_mock -F extra-result
	mkreq 20 >req.jsonl
	pipeline -d run req.jsonl
	expect_rc 0
	expect_lines 20 "$T/out"
	expect_eq "$(ids "$T/out" | sort | tr '\n' ' ')" "$(ids req.jsonl | sort | tr '\n' ' ')"
	expect_no_grep 'mock-unsent' "$T/out"
	expect_no_grep 'mock-unsent' run/results.jsonl
	expect_lines 20 run/results.jsonl
	# The server's output file held 21 lines.
	oid=$(mock_curl GET '/batches?limit=10' | grep -o '"output_file_id":"file-[^"]*"' | cut -d '"' -f 4)
	expect_eq "$(mock_curl GET "/files/$oid/content" | wc -l)" 21 "result lines on the server"
	expect_grep '^jsonl-triage: 1 result matches no request \(the first: custom_id mock-unsent-1\)$' "$T/err"
	expect_grep '^oai-pipeline: 20 requests: 20 succeeded, 0 failed; 1 batch \(0 requests submitted again\)$' "$T/err"
	expect_no_grep ' items: ' "$T/err"
	expect_grep "^oai-pipeline: 1 result line for a custom_id that was never sent was left out of the results: see $PWD/run/unknown-results.jsonl\$" "$T/err"
	expect_lines 1 run/unknown-results.jsonl
	expect_grep '"custom_id":"mock-unsent-1"' run/unknown-results.jsonl
	expect_grep '^unknown 1$' run/summary
	# Again: the same answer from what is on disk.
	pipeline -d run req.jsonl
	expect_rc 0
	expect_lines 20 "$T/out"
	expect_lines 1 run/unknown-results.jsonl
	expect_grep '^unknown 1$' run/summary
}

t_failures_after_the_last_try_exit_3_then_more_tries() {
	quick_mock -F fail-requests=0.2 -F fail-status=500
	mkreq 40 >req.jsonl
	pipeline -r 0 -d run req.jsonl
	expect_rc 3
	n=$(wc -l <run/failed.txt)
	[ "$n" -gt 0 ] || fail "nothing failed"
	expect_lines 40 "$T/out"
	expect_grep "^oai-pipeline: 40 requests: $((40 - n)) succeeded, $n failed; 1 batch " "$T/err"
	expect_grep "^oai-pipeline: $n requests did not succeed: custom_id, status and reason in $T/run/failed.txt; their result lines in $T/run/results.jsonl, their requests in $T/run/failed-requests.jsonl$" "$T/err"
	expect_grep '^req-[0-9]+	retry	HTTP 500: server_error: The server had an error' run/failed.txt
	cut -f 1 run/failed.txt >failed.ids
	ids run/failed-requests.jsonl >freq.ids
	expect_same freq.ids failed.ids
	grep -F -f <(sed 's/.*/"&"/' failed.ids) req.jsonl >want.freq
	expect_same run/failed-requests.jsonl want.freq
	expect_eq "$(grep -c '"status_code": *500' "$T/out")" "$n" "500 lines in the output"
	# The same command with more tries does not take back what is settled.
	pipeline -r 1 -d run req.jsonl
	expect_rc 3
	expect_lines 40 "$T/out"
	expect_lines 1 run/batches
	one_batch_per_file run/batches
}

t_expired_batch_recovered() {
	quick_mock -F expire=0.5:1
	mkitems 30
	pipeline -k sku -d run req.jsonl items.jsonl
	expect_rc 0
	expect_lines 30 "$T/out"
	expect_no_grep 'llm_error' "$T/out"
	expect_grep '	expired	[^	]+	[^	]+	[^	]+	[^	]+$' run/ended
	expect_grep '	retry	batch_expired: ' run/settled/p0001.jsonl.failed
	expect_eq "$(wc -l <run/settled/p0001.jsonl.failed)" 15 "expired requests"
	expect_eq "$(tried 2)" "p0001.2.jsonl" "the part tried again"
	expect_grep '^p0001.2.jsonl	15	-	2$' run/parts.tsv
}

# The driver dies after oai-wait saw a batch expire but before the end
# was recorded (here: stopped, the end left in the pipe, then killed).
# The next run asks the server for the batches whose end it has no
# record of, and settles the expired one with its partial results: the
# file gets no second batch for the requests the first one ran.
t_expired_end_lost_then_resume() {
	local pid fid bid
	mock_start -t 0.05,0.4,0.05 -F expire=0.5:1
	mkreq 10 >req.jsonl
	setsid oai-pipeline -q -i 0.05 -d run req.jsonl >/dev/null 2>err1 &
	pid=$!
	for _ in $(seq 1 100); do
		[ -s run/batches ] && break
		sleep 0.05
	done
	[ -s run/batches ] || fail "no batch created"
	kill -STOP "$pid"
	bid=$(cut -f 1 run/batches)
	fid=$(cut -f 2 run/batches)
	for _ in $(seq 1 100); do
		mock_curl GET "/batches/$bid" | grep -q '"status":"expired"' && break
		sleep 0.05
	done
	sleep 0.5
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	expect_empty run/ended
	pipeline -d run req.jsonl
	expect_rc 0
	expect_lines 10 "$T/out"
	expect_grep "^$bid	expired	" run/ended
	batches_of_server >server.batches
	expect_eq "$(awk -v f="$fid" '$2 == f' server.batches | wc -l)" 1 "batches of the first file"
	expect_grep '^oai-pipeline: 10 requests: 10 succeeded, 0 failed; 2 batches \(5 requests submitted again\)$' "$T/err"
}

# The create is refused after the upload was recorded; then the batch is
# made behind the driver's back (a crash between a create and its
# record), and it expires.  The re-run adopts that batch, fetches its
# partial results and submits only the requests it left unanswered: the
# first file never gets a second batch.
t_unrecorded_batch_that_expired_is_adopted() {
	mock_start -t 0.1,0.6,0.1 -F http400=1@/v1/batches -F expire=0.5:1
	mkreq 10 >req.jsonl
	pipeline -d run req.jsonl
	expect_rc 1
	expect_lines 1 run/uploaded
	fid=$(cut -f 1 run/uploaded)
	expect_empty run/batches
	bid=$(bw_create "$fid")
	bw_wait_for "$bid" expired
	pipeline -d run req.jsonl
	expect_rc 0
	expect_lines 10 "$T/out"
	expect_grep "^$bid	$fid\$" run/batches
	expect_eq "$(bw_batches "$fid")" "$bid" "the batches of the first file"
	expect_grep '^oai-pipeline: 10 requests: 10 succeeded, 0 failed; 2 batches \(5 requests submitted again\)$' "$T/err"
}

# -B with results in both an output and an error file; the counts and
# the cost of each part on record.
t_budget_with_failed_requests() {
	quick_mock -F fail-requests=0.3
	mkreq 40 >req.jsonl
	pipeline -B 10 -l 20 -d run req.jsonl
	expect_rc 0
	expect_lines 40 "$T/out"
	expect_grep '^oai-pipeline: 40 requests: 40 succeeded, 0 failed; ' "$T/err"
	awk -F '\t' '$4 + $5 + $6 == 0 { bad = 1 } END { exit bad }' run/done || { cat run/done; fail "a part with no counts"; }
	expect_eq "$(cut -f 1 run/cost | tr '\n' ' ')" "$(cut -f 1 run/done | tr '\n' ' ')" "parts costed"
	awk -F '\t' '!($2 > 0) { bad = 1 } END { exit bad }' run/cost || { cat run/cost; fail "a part of no cost"; }
}

# The failures of a part settled as the last try stay final when a later
# run gives more tries: failed.txt keeps them, with their requests.
t_failed_txt_kept_by_a_run_with_more_tries() {
	quick_mock -F fail-requests=0.3
	mkreq 30 >req.jsonl
	pipeline -r 0 -d run req.jsonl
	expect_rc 3
	n=$(wc -l <run/failed.txt)
	[ "$n" -gt 0 ] || fail "nothing failed"
	cp run/failed.txt failed.before
	pipeline -r 3 -d run req.jsonl
	expect_rc 3
	expect_same run/failed.txt failed.before
	expect_lines "$n" run/failed-requests.jsonl
}

t_cancelled_batch_recovered() {
	quick_mock -F cancel=0.3:1
	mkreq 20 >req.jsonl
	pipeline -d run req.jsonl
	expect_rc 0
	expect_lines 20 "$T/out"
	expect_grep '	cancelled	' run/ended
	expect_grep '	retry	batch_cancelled: ' run/settled/p0001.jsonl.failed
	expect_grep '^p0001.jsonl	batch_[^	]+	cancelled	6	14	0	-$' run/done
	one_batch_per_file run/batches
}

t_token_limit_learnt_file_submitted_again() {
	# Each part of 20 fits the queue; two at once do not.  The driver
	# learns the limit from the first refusal (oai-batch -Q auto): at
	# most one batch is refused, and it goes again with the same file.
	quick_mock -t 0.05,1,0.05 -F token-limit=300
	mkreq 80 >req.jsonl
	pipeline -l 20 -d run req.jsonl
	expect_rc 0
	expect_lines 80 "$T/out"
	batches_of_server >server.batches
	expect_eq "$(grep -c '	failed$' server.batches)" 1 "refused batches"
	[ -z "$(tried 2)" ] || fail "a refusal made a new part"
	expect_eq "$(cut -f 1 run/uploaded | sort -u | wc -l)" 4 "files uploaded"
	one_batch_per_file run/batches
}

# A job ten times the queue: 20 parts, room for 2 at once.  It finishes
# with nothing failed; with the limit given nothing is refused, and with
# -Q auto one batch at most (the one that teaches the limit).  (How full
# the queue is kept, in queue cycles, is measured by make bench.)
ten_times_the_queue() {
	quick_mock -t 0.05,0.4,0.05 -F token-limit="$1"
	mkreq 200 >req.jsonl
	pipeline -Q "$2" -l 10 -d run req.jsonl
	expect_rc 0
	expect_lines 200 "$T/out"
	expect_grep '^oai-pipeline: 200 requests: 200 succeeded, 0 failed; ' "$T/err"
	batches_of_server >server.batches
	expect_eq "$(grep -c '	failed$' server.batches)" "$3" "refused batches"
	expect_eq "$(grep -c '	completed$' server.batches)" 20 "completed batches"
	one_batch_per_file run/batches
}

t_job_ten_times_the_queue_limit_given() {
	# A part of 10 requests holds 100 tokens: 2 fit in 250, not 3.
	ten_times_the_queue 250 250 0
}

t_job_ten_times_the_queue_limit_learnt() {
	ten_times_the_queue 250 auto 1
}

# kill -9 of the driver alone while the queue is full (oai-batch waiting
# for room, batches running): the same command run at once takes over,
# stops the tools the dead driver left, and ends with every request once
# and one live batch per file.
t_kill_9_while_the_queue_is_full_then_resume_at_once() {
	local pid
	mock_start -t 0.05,0.6,0.05 -F token-limit=250
	mkreq 100 >req.jsonl
	setsid oai-pipeline -q -i 0.05 -Q 250 -l 10 -d run req.jsonl >/dev/null 2>err1 &
	pid=$!
	for _ in $(seq 1 200); do
		[ "$(wc -l <run/batches 2>/dev/null || echo 0)" -ge 2 ] && break
		sleep 0.05
	done
	[ "$(wc -l <run/batches)" -ge 2 ] || fail "the queue did not fill"
	[ ! -s run/done ] || fail "a batch ended before the kill: the queue was not full"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	# The dead driver's tools still run.
	grep -q -s -z -x -F "BATCHPIPE_RUN=$T/run" /proc/[0-9]*/environ || fail "no tool outlived the driver"
	pipeline -Q 250 -l 10 -d run req.jsonl
	expect_rc 0
	expect_grep "^oai-pipeline: stopping the tools that an earlier oai-pipeline left running in $T/run$" "$T/err"
	ids "$T/out" >got.ids
	ids req.jsonl | sort >want.ids
	expect_same got.ids want.ids
	expect_eq "$(grep -c '	failed$' <(batches_of_server))" 0 "batches refused for the queue"
	one_batch_per_file run/batches
	whole_files run
}

t_token_limit_given_none_refused() {
	quick_mock -t 0.05,0.5,0.05 -F token-limit=300
	mkreq 80 >req.jsonl
	pipeline -Q 300 -l 20 -d run req.jsonl
	expect_rc 0
	expect_lines 80 "$T/out"
	batches_of_server >server.batches
	expect_no_grep '	failed$' server.batches
	expect_eq "$(wc -l <server.batches)" 4 "batches"
}

t_token_limit_never_fits_exit_1() {
	# A request of 10 tokens, a queue of 5: no file can ever run.
	quick_mock -F token-limit=5
	mkitems 10
	pipeline -k sku -Q 5 -d run req.jsonl items.jsonl
	expect_rc 1
	expect_grep 'jsonl-split' "$T/err"
	mock_curl GET /files >files.json
	expect_no_grep '"id":"file-' files.json
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
	one_batch_per_file run/batches
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
	expect_grep '^requests 4$' run/settled/p0001.jsonl.counts
	expect_grep '^retry 4$' run/settled/p0001.jsonl.counts
	expect_grep '^succeeded 4$' run/settled/p0001.2.jsonl.counts
	expect_eq "$(cut -f 1 run/settled/p0001.jsonl.failed | sort | tr '\n' ' ')" 'caf\u00e9 last say \"hi\" spaced ' "failed ids"
	expect_grep '^p0001.2.jsonl	4	-	2$' run/parts.tsv
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
	expect_eq "$(cat run/failed.txt)" "req-3	final	HTTP 400: empty_array: Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead." "failed.txt"
	expect_grep '^requests 5$' run/settled/p0001.jsonl.counts
	expect_grep '^retry 0$' run/settled/p0001.jsonl.counts
	expect_grep '^failed 1$' run/settled/p0001.jsonl.counts
	[ -z "$(tried 2)" ] || fail "an invalid request was tried again"
	expect_same run/failed-requests.jsonl <(sed -n 3p bad.jsonl)
}

t_clean_deletes_remote_files() {
	quick_mock -F fail-requests=0.3
	mkreq 20 >req.jsonl
	pipeline -c -d run req.jsonl
	expect_rc 0
	mock_curl GET /files >files.json
	expect_no_grep '"id":"file-' files.json
	# What was deleted is recorded: every input, output and error file.
	expect_eq "$(sort run/removed | tr '\n' ' ')" "$({ cut -f 1 run/uploaded; cut -f 4,5 run/ended | tr '\t' '\n' | grep -v '^-$'; } | sort -u | tr '\n' ' ')" "removed"
}

t_empty_requests() {
	quick_mock
	: >req.jsonl
	pipeline -d run req.jsonl </dev/null
	expect_rc 0
	expect_empty "$T/out"
	expect_grep '^oai-pipeline: 0 requests: 0 succeeded, 0 failed; 0 batches \(0 requests submitted again\)$' "$T/err"
	mock_curl GET /files >files.json
	expect_no_grep '"id":"file-' files.json
}

# Items that do not join onto the requests stop the job before anything is
# paid for: an item without a request, or a forgotten -k, with the field
# that would join them named.
t_items_that_do_not_join_stop_before_upload() {
	quick_mock
	mkitems 5
	cp items.jsonl items5.jsonl
	printf '{"sku":"S999","name":"Orphan"}\n' >>items.jsonl
	pipeline -k sku -d run req.jsonl items.jsonl
	expect_rc 2
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-pipeline: items.jsonl: 1 of 6 items match no custom_id of req.jsonl, and 0 custom_ids match no item
oai-pipeline: the items do not join onto the requests (see -k in oai-pipeline(1)); nothing was submitted"
	pipeline -d run req.jsonl items5.jsonl
	expect_rc 2
	expect_eq "$(head -n 1 "$T/err")" "oai-pipeline: items5.jsonl: 5 of 5 items match no custom_id of req.jsonl, and 5 custom_ids match no item; did you mean -k sku?"
	[ ! -e run ] || fail "a run directory was made"
	expect_eq "$(net_count_files)" 0 "files on the server"
	pipeline -k sku -d run req.jsonl items5.jsonl
	expect_rc 0
	expect_lines 5 "$T/out"
}

# A nested -k goes to jsonl-merge as it is, in the first check as at the
# end; the check names a nested field that would join.
t_nested_key_field() {
	quick_mock
	mkitems 3
	sed 's/^{"sku":\("[^"]*"\)/{"product":{"sku":\1}/' items.jsonl >nested.jsonl
	pipeline -d run req.jsonl nested.jsonl
	expect_rc 2
	expect_eq "$(head -n 1 "$T/err")" "oai-pipeline: nested.jsonl: 3 of 3 items match no custom_id of req.jsonl, and 3 custom_ids match no item; did you mean -k product.sku?"
	[ ! -e run ] || fail "a run directory was made"
	pipeline -k product.sku -d run req.jsonl nested.jsonl
	expect_rc 0
	expect_lines 3 "$T/out"
	expect_grep '^\{"product":\{"sku":"S003"\},"name":"Widget 3","llm":"' "$T/out"
}

# -j goes to jsonl-merge: the mock's answers are text, not JSON, so every
# item keeps its answer in an invalid_json error, and the job exits 3.
# Without items there is nothing to put answers onto: a usage error
# before anything is done.
t_json_answers_passed_to_merge() {
	quick_mock
	mkitems 2
	pipeline -j -d run req.jsonl
	expect_rc 2
	expect_grep '^oai-pipeline: -j: the answers go onto items; no items file given$' "$T/err"
	[ ! -e run ] || fail "a run directory was made"
	pipeline -j -k sku -d run req.jsonl items.jsonl
	expect_rc 3
	expect_lines 2 "$T/out"
	expect_grep '^\{"sku":"S002","name":"Widget 2","llm_error":\{"code":"invalid_json","message":"the answer is not JSON: [^"]*","answer":"mock answer to: [^"]*"\}\}$' "$T/out"
	expect_grep '^oai-pipeline: 2 items: 0 answered, 0 failed, 0 missing, 2 answers not JSON$' "$T/err"
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
	[ ! -e run/parts.tsv ] || fail "a split record"
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
	expect_eq "$(cat "$T/err")" "oai-pipeline: no API key: set OPENAI_API_KEY (or OPENAI_API_KEY_FILE, or the provider's own variable)"
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
	expect_grep '^oai-pipeline: oai-upload: temporary failure; run the same command again to carry on$' "$T/err"
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
	bid=$(cut -f 1 run/batches)
	# Forget that the batch ended and was settled, and cut the record
	# of its creation short: the part is fed again, and oai-batch finds
	# its batch on the server.
	: >run/done
	: >run/ended
	cp req.jsonl run/parts/p0001.jsonl
	printf 'batch_cut_sh' >run/batches
	pipeline -d run req.jsonl
	expect_rc 0
	expect_grep "^oai-pipeline: $T/run/batches: dropping a partial last line left by an interrupted run$" "$T/err"
	expect_eq "$(cut -f 1 run/batches)" "$bid" "the batch recorded again"
	expect_same "$T/out" first.jsonl
	one_batch_per_file run/batches
	expect_eq "$(wc -l <server.batches)" 1 "batches on the server"
}

t_timeout_75_then_carry_on() {
	# -t long enough for the batch to be created first (oai-batch loads
	# a tokenizer for -Q auto: slow under ASan on a busy machine).
	mock_start -t 0.05,6,0.05
	mkreq 10 >req.jsonl
	pipeline -t 2 -d run req.jsonl
	expect_rc 75
	expect_grep '^oai-wait: batch_[0-9a-f]+: still (validating|in_progress) after' "$T/err"
	expect_grep '^oai-pipeline: batches still running after 2 s \(-t\); run the same command again to carry on$' "$T/err"
	expect_empty "$T/out"
	expect_empty run/done
	pipeline -d run req.jsonl
	expect_rc 0
	expect_lines 10 "$T/out"
	one_batch_per_file run/batches
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
	expect_eq "$(cat "$T/err")" "oai-pipeline: $T/run: another oai-pipeline is working in this run directory"
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
		[ -s run/batches ] && break
		sleep 0.05
	done
	[ -s run/batches ] || fail "no batch created"
	sleep 0.3
	kill -"$1" "$pid"
	rc=0
	wait "$pid" || rc=$?
	expect_eq "$rc" "$2" "exit status"
	expect_grep "^oai-pipeline: stopped by SIG$1; the batches sent are still running and billed: run the same command again to carry on, or with -C \(oai-pipeline -C\) to cancel them; oai-cancel cancels one batch$" err1
	# Its tools are gone too.
	! grep -q -s -z -x -F "BATCHPIPE_RUN=$T/run" /proc/[0-9]*/environ || fail "a tool still runs"
	expect_empty run/done
	whole_files run
	pipeline -d run req.jsonl
	expect_rc 0
	expect_lines 30 "$T/out"
	one_batch_per_file run/batches
}

t_sigterm_stops_cleanly_then_resumes() {
	stop_then_resume TERM 143
}

t_sigint_stops_cleanly_then_resumes() {
	stop_then_resume INT 130
}

# state_of DIR: how far the run in DIR got, in a few words.
state_of() {
	local f
	[ -d "$1" ] || { printf 'nothing'; return; }
	[ -f "$1/parts.tsv" ] && printf 'parts=%s ' "$(wc -l <"$1/parts.tsv")"
	for f in uploaded batches ended "done"; do
		[ -f "$1/$f" ] && printf '%s=%s ' "$f" "$(wc -l <"$1/$f")"
	done
	[ -f "$1/results.jsonl" ] && printf 'results'
	return 0
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
		# Tools left running after the driver's death are stopped by
		# the next run, which carries on at once.
		pipeline -l 10 -d "run$trial" "req$trial.jsonl"
		expect_rc 0 || { cat "$T/err"; tail -n 20 crash.log; return 1; }
		ids "$T/out" >got.ids
		ids "req$trial.jsonl" | sort >want.ids
		expect_same got.ids want.ids
		whole_files "run$trial"
		dirs+=("run$trial/batches")
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
	(cd run && BATCHPIPE_LIMITS=$T/limits.tsv jsonl-tokens -s -T 1 parts/p0001.jsonl parts/p0002.jsonl parts/p0003.jsonl) >want
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
	BATCHPIPE_TIER=' 3' pipeline -n -d run req.jsonl
	expect_rc 2
	expect_eq "$(cat "$T/err")" "oai-pipeline: BATCHPIPE_TIER= 3: not a usage tier (1 to 5)"
	# Leading zeros are read as the tools read them: 03 is 3, 020 is 20.
	BATCHPIPE_TIER=03 BATCHPIPE_LIMITS=$T/limits.tsv pipeline -n -l 020 -d run req.jsonl
	expect_rc 0
	expect_grep '^queue: gpt-4o-mini at usage tier 3 holds 150 enqueued tokens: 2 files hold more and can never run; split with -l 13 or fewer requests a file$' "$T/out"
	# The real run uses the same split.
	quick_mock
	cp run/parts.tsv split.before
	pipeline -l 20 -d run req.jsonl
	expect_rc 0
	expect_same run/parts.tsv split.before
	expect_lines 50 "$T/out"
}

t_budget_holds_back_and_carries_on() {
	quick_mock
	printf 'gpt-4o-mini\t10000\t-\t20000\n' >prices.tsv
	BATCHPIPE_PRICES=$T/prices.tsv
	export BATCHPIPE_PRICES
	mkreq50 60 >req.jsonl
	pipeline -n -l 20 -d run req.jsonl
	w1=$(sed -n 2p "$T/out" | cut -f 5) w2=$(sed -n 3p "$T/out" | cut -f 5)
	w3=$(sed -n 4p "$T/out" | cut -f 5)
	# Room for the first part's worst case, not for the second's too,
	# not even once the first has settled at its real cost.
	pipeline -B "$(usd_sum "$w1" 0.01)" -l 20 -d run req.jsonl
	expect_rc 3
	expect_lines 1 run/batches
	expect_eq "$(cat run/held)" "p0002.jsonl
p0003.jsonl"
	expect_eq "$(grep -c '	held	not sent: its batch would take the job past the budget' run/failed.txt)" 40 "held requests"
	expect_grep '^held 40$' run/summary
	expect_grep '^oai-pipeline: 40 requests were not sent: .*-B .*; run the same command with a larger -B to carry on$' "$T/err"
	# The same cap again: nothing more is sent.
	pipeline -B "$(usd_sum "$w1" 0.01)" -l 20 -d run req.jsonl
	expect_rc 3
	expect_lines 1 run/batches
	# The first part counts at its real cost, under its worst case: a
	# cap just short of that cost and one more part holds both back...
	real=$(cut -f 2 run/cost)
	awk -v r="$real" -v w="$w1" 'BEGIN { exit !(r < w - 0.01) }' || fail "real cost $real not under worst $w1"
	pipeline -B "$(usd_sum "$real" "$w2" -0.005)" -l 20 -d run req.jsonl
	expect_rc 3
	expect_lines 2 run/held
	expect_lines 1 run/batches
	# ... and a cap that the worst cases of all three parts exceed lets
	# the rest go.
	pipeline -B "$(usd_sum "$w1" "$w2" "$w3" -0.01)" -l 20 -d run req.jsonl
	expect_rc 0
	expect_lines 60 "$T/out"
	[ ! -e run/held ] || fail "parts still held"
	expect_eq "$(wc -l <run/batches)" 3 "batches"
	one_batch_per_file run/batches
}

t_budget_needs_known_prices() {
	quick_mock
	printf 'gpt-4\t1\t-\t2\n' >prices.tsv
	mkreq50 5 >req.jsonl
	BATCHPIPE_PRICES=$T/prices.tsv pipeline -B 5 -d run req.jsonl
	expect_rc 1
	expect_grep '^oai-pipeline: -B: the worst case of p0001.jsonl is unknown' "$T/err"
	[ ! -s run/batches ] || fail "a batch was created"
	pipeline -B 1,5 -d run req.jsonl
	expect_rc 2
	expect_grep '^oai-pipeline: -B 1,5: not an amount of dollars$' "$T/err"
}

# Operands whose names start with '-' are names, never options: the
# driver passes every operand after "--" to every tool (once, `-dfoo` was
# split by jsonl-split as `-d foo`, and the round recorded done with 0
# requests; `-p.jsonl` broke mkdir; `-b1.jsonl` was "-b: not a size").
t_operands_starting_with_dash() {
	quick_mock -F fail-requests=0.2
	mkreq 20 >-dfoo
	pipeline -c -d run -- -dfoo
	expect_rc 0
	expect_lines 20 "$T/out"
	ids "$T/out" >got.ids
	ids ./-dfoo | sort >want.ids
	expect_same got.ids want.ids
	expect_grep '^oai-pipeline: 20 requests: 20 succeeded, 0 failed; ' "$T/err"
	# The default run directory, named after the requests file.
	mkreq 3 p- >-p.jsonl
	pipeline -- -p.jsonl
	expect_rc 0
	expect_lines 3 "$T/out"
	[ -f ./-p.run/results.jsonl ] || fail "no -p.run/results.jsonl"
	# Items too.
	mkitems 4
	mv -- req.jsonl -b1.jsonl
	mv -- items.jsonl -k.jsonl
	pipeline -k sku -d run2 -- -b1.jsonl -k.jsonl
	expect_rc 0
	expect_lines 4 "$T/out"
	expect_grep '^\{"sku":"S004","name":"Widget 4","llm":' "$T/out"
	one_batch_per_file run/batches run2/batches ./-p.run/batches
}

# A result file id from the server that a tool could read as an option
# ("-d..": once `oai-fetch -d run/out file-X -d..`, a download outside the
# run directory) stops the job; nothing is written outside the run
# directory, and the id is named.
t_odd_result_file_id_stops_the_job() {
	quick_mock -F odd-file-id=-d..
	mkreq 3 >req.jsonl
	mkdir top
	(cd top && mkdir in && cp ../req.jsonl in/ && cd in &&
		oai-pipeline -i 0.05 -d run req.jsonl >../out 2>../err) && rc=0 || rc=$?
	expect_eq "$rc" 1 "exit status"
	expect_grep '^oai-wait: GET /v1/batches/batch_[^:]*: not a file id: -d\.\.file-[A-Za-z0-9]*$' top/err
	expect_eq "$(find top -name '*.jsonl' ! -path 'top/in/run/*' | sort | tr '\n' ' ')" "top/in/req.jsonl " "files outside the run directory"
}

# Ids may hold blanks and characters a shell or a URL gives a meaning to
# ('=', ':', '*', '?', '#', a space, as base64-style ids do): the job
# runs through, every such id escaped in the URLs and one argument each.
t_result_file_ids_with_blanks_and_globs() {
	quick_mock -F fail-requests=0.3 -F 'odd-file-id=x y=*?#:'
	mkreq 10 >req.jsonl
	pipeline -c -d run req.jsonl
	expect_rc 0
	expect_lines 10 "$T/out"
	expect_grep '^oai-pipeline: 10 requests: 10 succeeded, 0 failed; ' "$T/err"
	expect_grep '	x y=\*\?#:file-' run/ended
	expect_grep '^x y=\*\?#:file-' run/removed
	mock_curl GET /files >files.json
	expect_no_grep '"id":"' files.json
}

# Two drivers at once on the same requests, each in its own run
# directory, on a slow server: each part is uploaded once and gets one
# batch, which both drivers use; both jobs end with every result.
t_two_drivers_same_requests() {
	local p1 p2
	mock_start -q -t 0.05,0.2,0.05 -F slow=100
	mkreq 60 >req.jsonl
	oai-pipeline -i 0.05 -l 10 -d run1 -- req.jsonl >out1 2>err1 &
	p1=$!
	oai-pipeline -i 0.05 -l 10 -d run2 -- req.jsonl >out2 2>err2 &
	p2=$!
	wait "$p1" || fail "the first driver failed: $(tail -n 5 err1)"
	wait "$p2" || fail "the second driver failed: $(tail -n 5 err2)"
	net_files_on_server >server.files
	expect_eq "$(cut -f 2 server.files | grep -cE '^p[0-9]+\.[0-9a-f]{32}\.jsonl$')" 6 "parts uploaded"
	batches_of_server >server.batches
	expect_eq "$(wc -l <server.batches)" 6 "batches on the server"
	expect_eq "$(cut -f 2 server.batches | sort -u | wc -l)" 6 "files with a batch"
	expect_eq "$(cut -f 1 run1/batches | sort | tr '\n' ' ')" "$(cut -f 1 run2/batches | sort | tr '\n' ' ')" "batches of the two runs"
	expect_lines 60 out1
	expect_same out2 out1
}

# A server that echoes the key back (oai-mock -F echo-key) in a failed
# batch's error message and in the messages of failed results.  The key
# shows nowhere the tools show or record messages: not on stderr, not in
# any file of the run directory but the result files, which are the
# server's data kept as they came (results.jsonl, settled/*.jsonl, and
# so stdout); its masked form does show, so there was something to mask.
t_key_echoed_by_the_server_is_never_shown() {
	local canary=sk-canary-7f3e9d1c5b2a4e6f8091 f
	quick_mock -k "$canary" -F echo-key -F fail-batch=1 -F fail-requests=0.2
	mkreq 40 >req.jsonl
	pipeline -r 1 -l 20 -d run req.jsonl
	expect_rc 3
	expect_lines 40 "$T/out"
	expect_no_grep "$canary" "$T/err"
	expect_grep ': failed: invalid_request: The batch was refused \(a fault oai-mock was told to inject\)\. \(key \[redacted\]\)$' "$T/err"
	expect_grep '	retry	server_error: The server had an error while processing this request\. \(key \[redacted\]\)$' run/failed.txt
	expect_grep '	retry	server_error: The server had an error while processing this request\. \(key \[redacted\]\)$' run/settled/*.failed
	grep -rlF -e "$canary" run | sort >with.key || true
	while IFS= read -r f; do
		case $f in
		run/results.jsonl | run/settled/*.jsonl | run/out/*.jsonl) ;;
		*) fail "$f holds the key" ;;
		esac
	done <with.key
	# The server did echo it into the results, kept as data.
	expect_grep "$canary" run/results.jsonl
	expect_grep 'key \[redacted\]' run/failed.txt
}

# A batch that fails before it runs has no result file: its requests are
# settled as without a result and go again (once, jsonl-triage was called
# with no results file and the driver stopped on its usage error).
t_batch_failed_before_running_goes_again() {
	quick_mock -F fail-batch=1
	mkreq 20 >req.jsonl
	pipeline -d run req.jsonl
	expect_rc 0
	expect_lines 20 "$T/out"
	expect_grep '^p0001\.jsonl	batch_[0-9a-f]+	failed	0	20	0	-$' run/done
	[ -n "$(tried 2)" ] || fail "the requests were not tried again"
	expect_grep '^oai-pipeline: 20 requests: 20 succeeded, 0 failed; 2 batches \(20 requests submitted again\)$' "$T/err"
}

# -r 1 is one more round: the requests that failed once (the mock fails
# each only the first time) are sent again and all succeed; -r 0 gives
# them up at once, as failures (exit 3).
t_one_retry_round_with_r_1() {
	quick_mock -F fail-requests=0.3
	mkreq 20 >req.jsonl
	pipeline -r 1 -d run req.jsonl
	expect_rc 0
	[ -n "$(tried 2)" ] || fail "nothing was tried again"
	[ -z "$(tried 3)" ] || fail "a third try"
	expect_grep '^oai-pipeline: 20 requests: 20 succeeded, 0 failed; ' "$T/err"
	mkreq 20 other- >req2.jsonl
	pipeline -r 0 -d run2 req2.jsonl
	expect_rc 3
	[ -z "$(awk -F '\t' '$4 == 2' run2/parts.tsv)" ] || fail "-r 0 tried again"
	[ -s run2/failed.txt ] || fail "-r 0: nothing failed"
}

# A job run again in a new run directory after its output file was
# deleted: the batch is reused (paid for), its results are gone, and the
# driver says so and how to pay again; it pays again only once the input
# file is deleted as it said, and says that it does.
t_deleted_output_is_said_and_recovered() {
	quick_mock
	mkreq 4 >req.jsonl
	pipeline -d run1 req.jsonl
	expect_rc 0
	b=$(cut -f1 run1/batches) in=$(cut -f1 run1/uploaded)
	out=$(cut -f4 run1/ended)
	oai-rm "$out" >/dev/null
	# Bounded: a driver that pays again unasked goes round and round
	# (the same file, the same batch, the same missing results).
	run timeout 120 oai-pipeline -i 0.05 -d run2 req.jsonl
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-fetch: GET /v1/files/$out: HTTP 404: No such File object: $out
oai-fetch: $out: the output file of $b is gone from the server (expired or deleted?); the requests it ran were paid for
oai-pipeline: p0001.jsonl: the results of $b are gone from the server (expired or deleted?), and its requests were paid for; to pay for them again in a new batch, delete its input file (oai-rm -- $in) and run the same command again"
	expect_eq "$(batches_of_server | wc -l)" 1 "batches on the server"
	oai-rm -- "$in" >/dev/null
	pipeline -d run2 req.jsonl
	expect_rc 0
	expect_lines 4 "$T/out"
	expect_grep "^oai-pipeline: p0001.jsonl: the results of $b and its input file are gone from the server: its requests go again in a new batch \(paid again\)$" "$T/err"
	expect_eq "$(batches_of_server | wc -l)" 2 "batches on the server"
	# Finished: a further run pays nothing more.
	pipeline -d run2 req.jsonl
	expect_rc 0
	expect_eq "$(batches_of_server | wc -l)" 2 "batches on the server"
}

# "-" is standard input: the requests (or the items) are copied into the
# run directory, which must be named; a re-run with the same input carries
# on and pays nothing more, other input is refused, and the copy itself
# can be given instead.
t_dash_reads_standard_input() {
	quick_mock
	mkitems 3
	mkdir tmp
	export TMPDIR=$T/tmp
	run sh -c 'cat req.jsonl | oai-pipeline -i 0.05 -d run -'
	expect_rc 0
	expect_lines 3 "$T/out"
	expect_same run/requests.jsonl req.jsonl
	expect_eq "$(find tmp -mindepth 1 | wc -l)" 0 "files left in TMPDIR"
	run sh -c 'cat req.jsonl | oai-pipeline -i 0.05 -d run -'
	expect_rc 0
	expect_lines 3 "$T/out"
	pipeline -d run run/requests.jsonl
	expect_rc 0
	expect_lines 3 "$T/out"
	expect_eq "$(batches_of_server | wc -l)" 1 "batches on the server"
	mkreq 2 | sed 's/item/other/' >other.jsonl
	run sh -c 'oai-pipeline -i 0.05 -d run - <other.jsonl'
	expect_rc 1
	expect_grep "^oai-pipeline: -: not the requests file this run directory was started with \(see $T/run/job\); use another -d$" "$T/err"
	run sh -c 'oai-pipeline - <req.jsonl'
	expect_rc 2
	expect_grep '^oai-pipeline: -: reading standard input needs -d run-dir ' "$T/err"
	run sh -c 'oai-pipeline -d run - - <req.jsonl'
	expect_rc 2
	# The items from standard input.
	run sh -c 'cat items.jsonl | oai-pipeline -i 0.05 -k sku -d run2 req.jsonl -'
	expect_rc 0
	expect_lines 3 "$T/out"
	expect_grep '^\{"sku":"S001","name":"Widget 1",' "$T/out"
	expect_same run2/items.jsonl items.jsonl
	expect_eq "$(batches_of_server | wc -l)" 1 "batches on the server"
	expect_eq "$(find tmp -mindepth 1 | wc -l)" 0 "files left in TMPDIR"
}

# The summary's words are true: requests that never got a result are said
# to be without one (not "failed" here and "missing" there), in the items'
# line too; without items there is no line of "items".
t_summary_words() {
	quick_mock -F fail-batch=1
	mkitems 4
	pipeline -r 0 -k sku -d run req.jsonl items.jsonl
	expect_rc 3
	expect_grep '^oai-pipeline: 4 requests: 0 succeeded, 0 failed, 4 without a result; 1 batch \(0 requests submitted again\)$' "$T/err"
	expect_grep '^oai-pipeline: 4 items: 0 answered, 0 failed, 4 without a result$' "$T/err"
	expect_grep "^oai-pipeline: 4 requests did not succeed: custom_id, status and reason in $T/run/failed.txt;" "$T/err"
	expect_no_grep 'missing' "$T/err"
	pipeline -r 0 -d run2 req.jsonl
	expect_rc 0
	expect_grep '^oai-pipeline: 4 requests: 4 succeeded, 0 failed; 1 batch ' "$T/err"
	expect_no_grep 'items' "$T/err"
}

# A finished job run again shows its results again and says so, naming
# the options given that can no longer change it (-k still joins).
t_finished_job_says_which_options_no_longer_apply() {
	quick_mock
	mkitems 3
	pipeline -k sku -d run req.jsonl items.jsonl
	expect_rc 0
	expect_no_grep 'is finished' "$T/err"
	pipeline -r 5 -l 1 -c -k sku -d run req.jsonl items.jsonl
	expect_rc 0
	expect_lines 3 "$T/out"
	expect_eq "$(head -n 2 "$T/err")" "oai-pipeline: the job in $T/run is finished: nothing more is submitted; its results again
oai-pipeline: options that no longer apply to it: -i 0.05, -r 5, -l 1, -c"
	run oai-pipeline -k sku -d run req.jsonl items.jsonl
	expect_rc 0
	expect_grep "^oai-pipeline: the job in $T/run is finished: " "$T/err"
	expect_no_grep 'no longer apply' "$T/err"
	expect_eq "$(batches_of_server | wc -l)" 1 "batches on the server"
}

# -L: the same job answered live by oai-run, with the same records,
# retries, sort and merge; no file is uploaded and no batch created.
t_live_job() {
	MOCK_LOG=$T/mock.log quick_mock -F http500=3@/v1/chat -F http400=2@/v1/chat
	mkitems 40
	BATCHPIPE_MAX_TRIES=1 pipeline -L -k sku -l 15 -d run req.jsonl items.jsonl
	expect_rc 3
	expect_lines 40 "$T/out"
	expect_eq "$(grep -c '"llm":"' "$T/out")" 38 "answered"
	expect_eq "$(grep -c '"llm_error":' "$T/out")" 2 "failed"
	expect_grep '^oai-pipeline: 40 requests: 38 succeeded, 2 failed; answered live \(3 requests sent again\)$' "$T/err"
	expect_grep 'cost: .* at the list price \(live calls\)$' "$T/err"
	expect_eq "$(net_count_files)" 0 "files uploaded"
	expect_eq "$(mock_curl GET /batches | grep -c '"id":"batch_')" 0 "batches"
	expect_grep '^mode live$' run/job
	expect_eq "$(cut -f 2,3 run/done | sort -u)" "live	completed"
	whole_files run
	expect_eq "$(grep -c 'POST /v1/chat/completions' "$T/mock.log")" 43 "calls"
	# Done: shown again, nothing sent.
	pipeline -L -k sku -d run req.jsonl items.jsonl
	expect_rc 3
	expect_lines 40 "$T/out"
	expect_eq "$(grep -c 'POST /v1/chat/completions' "$T/mock.log")" 43 "calls after"
	# A job runs one way to the end.
	pipeline -k sku -d run req.jsonl items.jsonl
	expect_rc 2
	expect_grep 'this job is answered live: carry it on with -L$' "$T/err"
}

# -L after a crash: the part being answered carries on from oai-run's
# own record; nothing is sent twice.
t_live_resumes_after_a_kill() {
	MOCK_LOG=$T/mock.log quick_mock -L 200
	mkreq 60 >req.jsonl
	oai-pipeline -L -q -l 30 -d run req.jsonl >/dev/null 2>err &
	pid=$!
	# Killed once some answers are on record.
	for _ in $(seq 1 100); do
		[ -s run/out/p0001.jsonl.live.jsonl ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	pipeline -L -d run req.jsonl
	expect_rc 0
	expect_lines 60 "$T/out"
	expect_eq "$(ids "$T/out" | sort -u | wc -l)" 60 "ids"
	expect_eq "$(grep -c 'POST /v1/chat/completions' "$T/mock.log")" 60 "calls"
}

t_live_dry_run_at_the_list_price() {
	mkreq 10 >req.jsonl
	pipeline -L -n -d run req.jsonl
	expect_rc 0
	expect_grep '^worst-case cost: \$[0-9.]* at the list price$' "$T/out"
	expect_no_grep '^queue:' "$T/out"
	pipeline -L -B 5 -d run2 req.jsonl
	expect_rc 2
	expect_grep 'a budget is kept for batches only, not with -L' "$T/err"
}

# -C: the job stopped mid-run has its live batches cancelled and recorded;
# the next run settles them with their partial results and sends again
# only what they did not run: every request answered once, none paid twice.
t_cancel_then_resume() {
	local pid paid
	mock_start -t 0.1,8,0.2
	mkreq 60 >req.jsonl
	oai-pipeline -i 0.05 -l 20 -d run req.jsonl >out1 2>err1 &
	pid=$!
	for _ in $(seq 1 100); do
		[ "$(wc -l <run/batches 2>/dev/null)" -ge 3 ] && break
		sleep 0.05
	done
	sleep 1
	kill -TERM "$pid"
	wait "$pid" || :
	pipeline -C -d run req.jsonl
	expect_rc 0
	expect_lines 3 run/cancelled
	# One may have ended before the driver recorded it: reported as it is.
	grep -q "	cancelled$" run/cancelled || fail "no batch cancelled"
	expect_grep 'requests had finished' "$T/err"
	pipeline -C -d run req.jsonl
	expect_rc 0
	expect_grep 'no batch of this job is running' "$T/err"
	pipeline -d run req.jsonl
	expect_rc 0
	expect_lines 60 "$T/out"
	expect_eq "$(grep -o '"custom_id":"[^"]*"' "$T/out" | sort -u | wc -l)" 60 "items answered"
	# What the server ran, over every batch: each request once.
	paid=0
	for b in $(batches_of_server | cut -f 1); do
		paid=$((paid + $(bw_get "$b" completed) + $(bw_get "$b" failed)))
	done
	expect_eq "$paid" 60 "requests run by the server"
	expect_eq "$(batches_of_server | grep -c cancelled)" "$(grep -c "	cancelled$" run/cancelled)" "batches cancelled"
}

t_cancel_live_job_has_no_batches() {
	mock_start -t 0,0,0
	mkreq 3 >req.jsonl
	pipeline -L -d run req.jsonl
	expect_rc 0
	pipeline -C -L -d run req.jsonl
	expect_rc 2
	expect_grep 'C: a live job \(-L\) has no batches to cancel' "$T/err"
}

# -x reaches both tools: the parts uploaded expire (oai-upload -x) and so
# do the batches' results (oai-batch -X).
t_expiry_reaches_upload_and_batch() {
	quick_mock
	mkitems 3
	run oai-pipeline -q -d run -k sku -x 7200 req.jsonl items.jsonl
	expect_rc 0
	in=$(cut -f1 run/uploaded | head -n 1)
	mock_curl GET "/files/$in" -o obj
	expect_eq "$(bw_member expires_at <obj)" "$(($(bw_member created_at <obj) + 7200))" "the input's expires_at"
	b=$(cut -f1 run/batches | head -n 1)
	out=$(bw_get "$b" output_file_id)
	mock_curl GET "/files/$out" -o obj
	expect_eq "$(bw_member expires_at <obj)" "$(($(bw_member created_at <obj) + 7200))" "the output's expires_at"
}

# -w reaches oai-batch: the batches carry the window.
t_window_reaches_batch() {
	quick_mock -D groq
	mkitems 3
	BATCHPIPE_PROVIDER=groq run oai-pipeline -q -d run -k sku -w 48h req.jsonl items.jsonl
	expect_rc 0
	b=$(cut -f1 run/batches | head -n 1)
	expect_eq "$(bw_get "$b" completion_window)" 48h
}
