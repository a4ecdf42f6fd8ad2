# shellcheck shell=bash
# oai-batch: one batch per input file, never two: existing batches are
# reused and a create whose answer was lost is reconciled by listing.

net_fast

t_usage_and_version() {
	run oai-batch -h
	expect_rc 0
	expect_eq "$(sed '/^$/,$d' "$T/out")" "usage: oai-batch [-fhqVvx] [-e endpoint] [-i interval]
                 [-m key=value]... [-Q limit|auto] [-w window]
                 [-X seconds] [file-id ...]"
	run oai-batch -y
	expect_rc 2
	expect_eq "$(cat "$T/err")" "oai-batch: invalid option -- 'y'
usage: oai-batch [-fhqVvx] [-e endpoint] [-i interval]
                 [-m key=value]... [-Q limit|auto] [-w window]
                 [-X seconds] [file-id ...]"
	run oai-batch -V
	expect_rc 0
	expect_eq "$(cat "$T/out")" "oai-batch batchpipe 0.1.0"
}

t_bad_options_do_nothing() {
	mock_start
	net_lines 1 a.jsonl
	f=$(bw_upload a.jsonl)
	run oai-batch -m novalue "$f"
	expect_rc 2
	expect_grep '^oai-batch: -m novalue: expected key=value' "$T/err"
	run oai-batch -m =v "$f"
	expect_rc 2
	run oai-batch -e chat "$f"
	expect_rc 2
	expect_grep '^oai-batch: -e chat: an endpoint is a path' "$T/err"
	args=()
	for i in $(seq 1 17); do args+=(-m "k$i=v"); done
	run oai-batch "${args[@]}" "$f"
	expect_rc 2
	expect_grep '^oai-batch: -m k17=v: at most 16 metadata pairs$' "$T/err"
	expect_eq "$(bw_batches "$f" | wc -l)" 0 "batches"
}

t_creates_one_batch_per_file() {
	mock_start
	net_lines 2 a.jsonl
	net_lines 3 b.jsonl
	fa=$(bw_upload a.jsonl)
	fb=$(bw_upload b.jsonl)
	run oai-batch "$fa" "$fb"
	expect_rc 0
	expect_empty "$T/err"
	ba=$(bw_batches "$fa")
	bb=$(bw_batches "$fb")
	expect_eq "$(echo "$ba" | wc -l)$(echo "$bb" | wc -l)" 11 "batches per file"
	printf '%s\t%s\n%s\t%s\n' "$ba" "$fa" "$bb" "$fb" >want
	expect_same "$T/out" want
	mock_curl GET "/batches/$ba" >batch.json
	expect_eq "$(bw_member endpoint <batch.json)" /v1/chat/completions
	expect_eq "$(bw_member completion_window <batch.json)" 24h
	expect_eq "$(bw_member metadata <batch.json)" null
}

t_endpoint_and_metadata() {
	mock_start
	net_lines 1 a.jsonl
	f=$(bw_upload a.jsonl)
	run oai-batch -e /v1/embeddings -m job=nightly -m owner=ann "$f"
	expect_rc 0
	b=$(cut -f1 "$T/out")
	mock_curl GET "/batches/$b" >batch.json
	expect_eq "$(bw_member endpoint <batch.json)" /v1/embeddings
	expect_eq "$(bw_member job <batch.json)" nightly
	expect_eq "$(bw_member owner <batch.json)" ann
}

# A line naming the requests' file gives the batch their url as its
# endpoint; -e must then agree with it.
t_endpoint_from_the_file() {
	mock_start
	printf '{"custom_id":"e1","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":"x"}}\n' >e.jsonl
	printf '{"custom_id":"r1","method":"POST","url":"/v1\\/responses","body":{"model":"gpt-4o-mini","input":"x"}}\n' >r.jsonl
	oai-upload -q e.jsonl r.jsonl >up
	run oai-batch <up
	expect_rc 0
	expect_empty "$T/err"
	mock_curl GET "/batches/$(sed -n 1p "$T/out" | cut -f1)" >batch.json
	expect_eq "$(bw_member endpoint <batch.json)" /v1/embeddings
	mock_curl GET "/batches/$(sed -n 2p "$T/out" | cut -f1)" >batch.json
	expect_eq "$(bw_member endpoint <batch.json)" /v1/responses
	net_lines 1 c.jsonl
	oai-upload -q c.jsonl >up
	run oai-batch -e /v1/embeddings <up
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-batch: c.jsonl: $(cut -f1 up): its requests are for /v1/chat/completions, not /v1/embeddings (-e)"
	expect_empty "$T/out"
	expect_eq "$(bw_batches "$(cut -f1 up)")" "" "batches"
	printf '%s\tnosuch.jsonl\n' "$(cut -f1 up)" >up2
	run oai-batch <up2
	expect_rc 1
	expect_grep '^oai-batch: nosuch.jsonl: No such file or directory$' "$T/err"
	# A file oai-upload read from standard input is "-": -e, or chat.
	oai-upload -q - <e.jsonl >up3
	expect_eq "$(cut -f2 up3)" -
	run oai-batch -e /v1/embeddings <up3
	expect_rc 0
	mock_curl GET "/batches/$(cut -f1 "$T/out")" >batch.json
	expect_eq "$(bw_member endpoint <batch.json)" /v1/embeddings
}

# -x: the first file that cannot get a batch ends the run at once, even
# while more input may come (a pipe that would otherwise wait forever).
t_stop_at_the_first_refused_file() {
	mock_start
	net_lines 1 a.jsonl
	net_lines 1 b.jsonl
	oai-upload -q a.jsonl b.jsonl >up
	{ echo file-nosuch; cat up; } >in
	run oai-batch -x <in
	expect_rc 1
	expect_grep '^oai-batch: .*file-nosuch' "$T/err"
	expect_empty "$T/out"
	expect_eq "$(bw_batches "$(sed -n 1p up | cut -f1)")" "" "batches after the refused file"
	# Without -x the others go on.
	run oai-batch <in
	expect_rc 1
	expect_eq "$(wc -l <"$T/out")" 2 "batches"
	# With more input still to come: exits without waiting for it.
	mkfifo feed
	{ echo file-nosuch; sleep 30; } >feed &
	writer=$!
	run timeout 10 oai-batch -x <feed
	kill "$writer" 2>/dev/null
	expect_rc 1
}

t_ids_from_stdin_once_each() {
	mock_start
	net_lines 1 a.jsonl
	net_lines 1 b.jsonl
	fa=$(bw_upload a.jsonl)
	fb=$(bw_upload b.jsonl)
	printf '%s\ta.jsonl\n\n%s\tb.jsonl\n%s\n' "$fa" "$fb" "$fa" >ids
	run oai-batch <ids
	expect_rc 0
	expect_empty "$T/err"
	ba=$(bw_batches "$fa")
	bb=$(bw_batches "$fb")
	printf '%s\t%s\n%s\t%s\n%s\t%s\n' "$ba" "$fa" "$bb" "$fb" "$ba" "$fa" >want
	expect_same "$T/out" want
}

t_rerun_reuses_the_batch() {
	mock_start
	net_lines 2 a.jsonl
	f=$(bw_upload a.jsonl)
	run oai-batch "$f"
	expect_rc 0
	cp "$T/out" first
	b=$(cut -f1 first)
	run oai-batch "$f"
	expect_rc 0
	expect_same "$T/out" first
	expect_grep "^oai-batch: $f: reusing $b \((validating|in_progress|finalizing|completed)\)\$" "$T/err"
	bw_wait_for "$b" completed
	run oai-batch -q "$f"
	expect_rc 0
	expect_same "$T/out" first
	expect_empty "$T/err"
	expect_eq "$(bw_batches "$f")" "$b" "the batches of the file"
}

# A batch that ran, even one that expired or was cancelled, holds results
# that were paid for: a run for its file gets that batch, whose partial
# results are then fetched, never a second batch for the same requests.
# A failed one ran nothing, and the file gets a new batch.
t_batch_that_ran_is_reused_whatever_its_end() {
	mock_start -t 0.05,3,0.05 -F expire=0.5:1
	net_lines 4 a.jsonl
	net_lines 4 b.jsonl
	echo 'not a request' >c.jsonl
	fa=$(bw_upload a.jsonl)
	fb=$(bw_upload b.jsonl)
	fc=$(bw_upload c.jsonl)
	ba=$(bw_create "$fa")
	bb=$(bw_create "$fb")
	bc=$(bw_create "$fc")
	bw_wait_for "$ba" expired
	mock_curl POST "/batches/$bb/cancel" >/dev/null
	bw_wait_for "$bb" cancelled
	bw_wait_for "$bc" failed
	run oai-batch "$fa" "$fb" "$fc"
	expect_rc 0
	expect_eq "$(sed -n 1,2p "$T/out")" "$(printf '%s\t%s\n%s\t%s' "$ba" "$fa" "$bb" "$fb")"
	expect_grep "^oai-batch: $fa: reusing $ba \(expired\)\$" "$T/err"
	expect_grep "^oai-batch: $fb: reusing $bb \(cancelled\)\$" "$T/err"
	expect_eq "$(bw_batches "$fa")" "$ba" "the batches of a"
	expect_eq "$(bw_batches "$fb")" "$bb" "the batches of b"
	expect_eq "$(bw_batches "$fc" | wc -l)" 2 "the batches of c"
	expect_no_grep "^$bc	" "$T/out"
}

t_force_creates_another() {
	mock_start
	net_lines 1 a.jsonl
	f=$(bw_upload a.jsonl)
	b1=$(bw_create "$f")
	run oai-batch -f "$f" "$f"
	expect_rc 0
	expect_empty "$T/err"
	expect_lines 2 "$T/out"
	b2=$(head -n 1 "$T/out" | cut -f1)
	[ "$b2" != "$b1" ] || fail "-f reused $b1"
	expect_eq "$(tail -n 1 "$T/out")" "$b2	$f" "a file given twice"
	expect_eq "$(bw_batches "$f" | wc -l)" 2 "batches"
}

t_failed_batch_is_not_reused() {
	mock_start -t 0.05,0.2,0.05
	net_lines 2 a.jsonl
	printf 'not json\n' >>a.jsonl
	f=$(bw_upload a.jsonl)
	b1=$(bw_create "$f")
	bw_wait_for "$b1" failed
	run oai-batch "$f"
	expect_rc 0
	expect_empty "$T/err"
	b2=$(cut -f1 "$T/out")
	[ "$b2" != "$b1" ] || fail "the failed batch $b1 was reused"
	expect_eq "$(bw_batches "$f" | wc -l)" 2 "batches"
}

t_unknown_file_is_an_error_the_rest_goes_on() {
	mock_start
	net_lines 1 a.jsonl
	f=$(bw_upload a.jsonl)
	run oai-batch file-nosuchfile 'bad/id' "$f"
	expect_rc 1
	expect_grep '^oai-batch: POST /v1/batches: HTTP 404: .*file-nosuchfile' "$T/err"
	expect_grep "^oai-batch: argument 2: not a file id: bad/id\$" "$T/err"
	expect_eq "$(cat "$T/out")" "$(bw_batches "$f")	$f"
}

t_stdout_full() {
	mock_start
	net_lines 1 a.jsonl
	f=$(bw_upload a.jsonl)
	run sh -c 'oai-batch "$1" >/dev/full' sh "$f"
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-batch: stdout: No space left on device"
}

t_missing_key() {
	mock_start
	unset OPENAI_API_KEY
	run oai-batch file-abc
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-batch: no API key: set OPENAI_API_KEY, or OPENAI_API_KEY_FILE to a file holding it"
}

t_server_down_is_temporary() {
	net_fast 2
	export OPENAI_API_KEY=sk-test OPENAI_BASE_URL=http://127.0.0.1:1/v1
	run oai-batch file-abc
	expect_rc 75
	expect_empty "$T/out"
	expect_grep '^oai-batch: GET /v1/files/file-abc: ' "$T/err"
}

# The batch to reuse is on the second page of the list (newest first, 100
# a page): the pages are followed.
t_reuse_found_on_a_later_page() {
	mock_start
	net_lines 1 a.jsonl
	net_lines 1 b.jsonl
	fa=$(bw_upload a.jsonl)
	fb=$(bw_upload b.jsonl)
	ba=$(bw_create "$fa")
	for _ in $(seq 1 100); do bw_create "$fb"; done >/dev/null
	run oai-batch -v "$fa"
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$ba	$fa"
	expect_grep '^> GET /v1/batches\?limit=100&after=batch_' "$T/err"
	expect_eq "$(grep -c '^> POST' "$T/err")" 0 "creates"
}

# After a lost create, the batch that appeared is the one created, even if
# it already failed validation: no second one.
t_lost_create_of_a_batch_that_fails_at_once() {
	mock_start -t 0,0.2,0.05 -F lose-create=1
	printf 'not json\n' >bad.jsonl
	f=$(bw_upload bad.jsonl)
	run oai-batch -q "$f"
	expect_rc 0
	b=$(bw_batches "$f")
	expect_eq "$(echo "$b" | wc -l)" 1 "batches"
	expect_eq "$(cat "$T/out")" "$b	$f"
}

# bw_tokens FILE: the input tokens of request file FILE (jsonl-tokens).
bw_tokens() {
	jsonl-tokens -s "$1" | head -n 1 | cut -f3
}

t_queue_limit_usage() {
	for q in 0 -5 12x tier-0 tier-6 tier- 1.5M Auto auto1; do
		run oai-batch -Q "$q" file-abc
		expect_rc 2
		expect_eq "$(head -n 1 "$T/err")" "oai-batch: -Q $q: not a number of tokens (k, M, G), tier-1 to tier-5 or auto"
	done
	args=()
	for i in $(seq 1 15); do args+=(-m "k$i=v"); done
	run oai-batch -Q 1k "${args[@]}" file-abc
	expect_rc 2
	expect_eq "$(head -n 1 "$T/err")" "oai-batch: -Q writes 2 metadata pairs: at most 14 -m pairs with it"
	run oai-batch -i 0 file-abc
	expect_rc 2
	expect_eq "$(head -n 1 "$T/err")" "oai-batch: -i 0: not a number of seconds"
}

# -Q and -i read their numbers by numarg's rule: digits only, no blank
# and no '+'.
t_queue_and_interval_numbers_are_strict() {
	for q in ' 5' '+5' '5 ' '0x10' '-0'; do
		run oai-batch -Q "$q" file-abc
		expect_rc 2
		expect_eq "$(head -n 1 "$T/err")" "oai-batch: -Q $q: not a number of tokens (k, M, G), tier-1 to tier-5 or auto"
		run oai-batch -i "$q" file-abc
		expect_rc 2
		expect_eq "$(head -n 1 "$T/err")" "oai-batch: -i $q: not a number of seconds"
	done
}

# Six files, a queue that holds two: oai-batch -Q keeps it full and never
# past the limit, so no batch fails with token_limit_exceeded, and the
# batches are printed as they are created, for oai-wait to take at once.
t_queue_fills_and_drains() {
	mock_start -t 0.1,0.6,0.1
	for i in 1 2 3 4 5 6; do net_lines 5 "f$i.jsonl"; done
	n=$(bw_tokens f1.jsonl)
	limit=$((2 * n))
	kill "$MOCK_PID"
	mock_start -t 0.1,0.6,0.1 -F "token-limit=$limit"
	start=$(net_ms)
	oai-upload -q f?.jsonl | oai-batch -v -i 0.05 -Q "$limit" 2>batch.err |
		oai-wait -q -i 0.05 >results 2>wait.err || fail "the pipeline failed: $(tail -n 3 batch.err wait.err)"
	end=$(net_ms)
	echo "six files, two at a time: $((end - start)) ms"
	expect_eq "$(cut -f2,4 results | sort | uniq -c | tr -s ' ')" " 6 output	completed" "results"
	mock_curl GET '/batches?limit=100' >list.json
	expect_eq "$(grep -o '"status":"completed"' list.json | wc -l)" 6 "completed batches"
	expect_no_grep token_limit_exceeded list.json
	# It waited: the third file could not go before the first two.
	expect_grep "^\\* f[3-6]\\.jsonl: $((2 * n)) tokens of gpt-4o-mini enqueued, $n more would pass $limit: waiting " batch.err
	# The wait grows, but to 6 times -i at most: room is seen only at a
	# poll of the listing.
	longest=$(sed -n 's/.*would pass [0-9]*: waiting \([0-9.e-]*\)s$/\1/p' batch.err | sort -g | tail -n 1)
	awk -v w="$longest" 'BEGIN { exit !(w > 0.1 && w <= 0.3) }' ||
		fail "the longest queue wait is ${longest}s, not in (0.1, 0.3]"
}

# The same six files without -Q: the queue overflows (the check that the
# test above tests something).
t_queue_overflows_without_q() {
	mock_start -t 0.1,0.6,0.1
	for i in 1 2 3 4 5 6; do net_lines 5 "f$i.jsonl"; done
	limit=$((2 * $(bw_tokens f1.jsonl)))
	kill "$MOCK_PID"
	mock_start -t 0.1,0.6,0.1 -F "token-limit=$limit"
	oai-upload -q f?.jsonl | oai-batch -q >batches
	cut -f1 batches | while IFS= read -r b; do
		while :; do
			s=$(bw_get "$b" status)
			case $s in completed|failed) break ;; esac
			sleep 0.05
		done
	done
	mock_curl GET '/batches?limit=100' >list.json
	expect_grep token_limit_exceeded list.json
}

t_queue_writes_the_metadata() {
	mock_start
	net_lines 3 a.jsonl
	n=$(bw_tokens a.jsonl)
	oai-upload -q a.jsonl >up
	run oai-batch -Q 1M -m job=nightly <up
	expect_rc 0
	expect_empty "$T/err"
	f=$(cut -f1 up)
	b=$(bw_batches "$f")
	expect_eq "$(cat "$T/out")" "$b	$f"
	mock_curl GET "/batches/$b" >batch.json
	expect_eq "$(bw_member batchpipe_tokens <batch.json)" "$n" "tokens"
	expect_eq "$(bw_member batchpipe_model <batch.json)" gpt-4o-mini "model"
	expect_eq "$(bw_member job <batch.json)" nightly "-m"
	# Without -Q, no such metadata.
	net_lines 1 b.jsonl
	fb=$(bw_upload b.jsonl)
	run oai-batch -q "$fb"
	mock_curl GET "/batches/$(cut -f1 "$T/out")" >batch.json
	expect_eq "$(bw_member metadata <batch.json)" null
}

# A file that could never fit is refused, naming the cure; the next file
# still gets its batch.
t_queue_file_over_the_limit() {
	mock_start
	net_lines 20 big.jsonl
	net_lines 1 small.jsonl
	n=$(bw_tokens big.jsonl)
	oai-upload -q big.jsonl small.jsonl >up
	run oai-batch -Q $((n - 1)) <up
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-batch: big.jsonl: $n input tokens, more than the batch queue of gpt-4o-mini holds ($((n - 1))): it can never run; split it smaller with jsonl-split -t"
	fs=$(sed -n 2p up | cut -f1)
	expect_eq "$(cat "$T/out")" "$(bw_batches "$fs")	$fs"
	expect_eq "$(bw_batches "$(head -n 1 up | cut -f1)")" "" "batches of big.jsonl"
}

# tier-N: the model's limit from limits.tsv (BATCHPIPE_LIMITS here).
t_queue_tier_reads_the_limits_table() {
	mock_start
	net_lines 20 a.jsonl
	n=$(bw_tokens a.jsonl)
	printf 'gpt-4o-mini\t1\t%s\ngpt-4o-mini\t2\t%s\n' $((n - 1)) "$n" >limits.tsv
	export BATCHPIPE_LIMITS=$T/limits.tsv
	oai-upload -q a.jsonl >up
	run oai-batch -Q tier-1 <up
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-batch: a.jsonl: $n input tokens, more than the batch queue of gpt-4o-mini holds ($((n - 1))): it can never run; split it smaller with jsonl-split -t"
	run oai-batch -Q tier-3 <up
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-batch: a.jsonl: model gpt-4o-mini: no batch queue limit known at tier 3 (see BATCHPIPE_LIMITS)"
	run oai-batch -Q tier-2 <up
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$(bw_batches "$(cut -f1 up)")	$(cut -f1 up)"
	printf 'gpt-4o-mini\t1\n' >limits.tsv
	run oai-batch -Q tier-2 <up
	expect_rc 1
	expect_grep "^oai-batch: $T/limits.tsv:1: " "$T/err"
}

# -Q counts the file on disk: an id alone (an operand) cannot be queued.
t_queue_needs_the_path() {
	mock_start
	net_lines 1 a.jsonl
	f=$(bw_upload a.jsonl)
	run oai-batch -Q 1M "$f"
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-batch: argument 1: $f: -Q needs the file's path to count its tokens: give oai-upload's lines (file-ID TAB path)"
	expect_empty "$T/out"
	printf '%s\tnosuch.jsonl\n' "$f" >up
	run oai-batch -Q 1M <up
	expect_rc 1
	expect_grep '^oai-batch: nosuch.jsonl: No such file or directory$' "$T/err"
	expect_eq "$(bw_batches "$f")" "" "batches"
}

# A batch another run made with -Q holds its tokens until it ends; one
# made without -Q is named and not counted; a file that has a batch is
# not queued again.
t_queue_counts_the_other_batches() {
	# Long enough for oai-batch to load its vocabulary (ASan, a busy
	# machine) while the batch without metadata still runs.  The mock
	# answers a batch's requests evenly over its in_progress time, the
	# first at once: that batch has 30 requests, so it runs about 14 s
	# (with one, it ended within 0.2 s, and the test passed only when
	# oai-batch listed before that).
	mock_start -t 0.1,15,0.1
	net_lines 3 a.jsonl
	net_lines 3 b.jsonl
	n=$(bw_tokens a.jsonl)
	oai-upload -q a.jsonl b.jsonl >up
	fa=$(head -n 1 up | cut -f1)
	ba=$(mock_curl POST /batches -H 'Content-Type: application/json' \
		-d "{\"input_file_id\":\"$fa\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":{\"batchpipe_tokens\":\"$n\",\"batchpipe_model\":\"gpt-4o-mini\"}}" |
		bw_member id)
	net_lines 30 c.jsonl
	bc=$(bw_create "$(bw_upload c.jsonl)")
	run oai-batch -v -i 0.05 -Q $((2 * n - 1)) <up
	expect_rc 0
	expect_eq "$(head -n 1 "$T/out")" "$ba	$fa"
	expect_grep "^oai-batch: $fa: reusing $ba \((validating|in_progress|finalizing)\)\$" "$T/err"
	expect_grep "^\* b\.jsonl: $n tokens of gpt-4o-mini enqueued, $n more would pass $((2 * n - 1)): waiting " "$T/err"
	expect_eq "$(bw_get "$ba" status)" completed "the batch waited for"
	expect_eq "$(grep -c '^oai-batch: batch_' "$T/err")" 1 "warnings"
	expect_grep "^oai-batch: $bc \((validating|in_progress|finalizing)\): no batchpipe_tokens in its metadata: its tokens are not counted\$" "$T/err"
}

# The listing stops where batches cannot matter: 5,000 batches of days
# ago cost one page, not fifty.
t_listing_is_bounded() {
	MOCK_LOG=$T/mock.log mock_start -O 5000
	net_lines 1 a.jsonl
	net_lines 1 b.jsonl
	oai-upload -q a.jsonl >up
	run oai-batch <up
	expect_rc 0
	expect_empty "$T/err"
	# One listing back to a's creation before the create, one after it
	# for a duplicate: a page each.
	net_log_wait 2 '^oai-mock: GET /v1/batches ' "$T/mock.log"
	expect_eq "$(grep -c '^oai-mock: GET /v1/batches ' "$T/mock.log")" 2 "list requests"
	oai-upload -q b.jsonl >up
	run oai-batch -q -Q 1M <up
	expect_rc 0
	expect_empty "$T/err"
	expect_lines 1 "$T/out"
	# One listing back to b's creation, one for the queue, one for a
	# duplicate.
	net_log_wait 5 '^oai-mock: GET /v1/batches ' "$T/mock.log"
	expect_eq "$(grep -c '^oai-mock: GET /v1/batches ' "$T/mock.log")" 5 "list requests"
}

# On a terminal the wait is said: when it starts, when the queue changes,
# when there is room.  Not on a pipe (the tests above).
t_queue_wait_said_on_a_terminal() {
	command -v script >/dev/null || return 0
	mock_start -t 0.1,3,0.1
	net_lines 3 a.jsonl
	net_lines 3 b.jsonl
	n=$(bw_tokens a.jsonl)
	oai-upload -q a.jsonl b.jsonl >up
	fa=$(head -n 1 up | cut -f1)
	mock_curl POST /batches -H 'Content-Type: application/json' \
		-d "{\"input_file_id\":\"$fa\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":{\"batchpipe_tokens\":\"$n\",\"batchpipe_model\":\"gpt-4o-mini\"}}" >/dev/null
	tail -n 1 up >upb
	script -qec "oai-batch -i 0.05 -Q $((2 * n - 1)) <upb >out" /dev/null >pty.txt
	tr -d '\r' <pty.txt >said
	printf '%s\n' "oai-batch: b.jsonl: waiting for the gpt-4o-mini queue: $n of $((2 * n - 1)) tokens enqueued, $n to add" \
		'oai-batch: b.jsonl: the queue has room' >want
	expect_same said want
	expect_lines 1 out
}

# bw_limit_failures LIST: the ids of the batches in the listing LIST (a
# file) that failed with token_limit_exceeded.
bw_limit_failures() {
	sed 's/{"id":"batch_/\n&/g' "$1" | grep -F '"code":"token_limit_exceeded"' |
		sed 's/^{"id":"\([^"]*\)".*/\1/' || true
}

# -Q auto, six files, a queue that holds two: the third batch fails with
# token_limit_exceeded and teaches the limit (written with a comma, as
# OpenAI writes it: above 1,000); it is not printed, and its file gets a
# new batch, from the same upload, once there is room.  One failed batch
# in all; every file ends with exactly one good batch, the one printed.
t_queue_auto_learns_the_limit() {
	mock_start -t 0.1,1.5,0.1
	for i in 1 2 3 4 5 6; do net_lines 60 "f$i.jsonl"; done
	n=$(bw_tokens f1.jsonl)
	limit=$((2 * n))
	[ "$limit" -ge 1000 ] || fail "the limit $limit has no comma"
	kill "$MOCK_PID"
	mock_start -t 0.1,1.5,0.1 -F "token-limit=$limit"
	oai-upload -q f?.jsonl >up
	run oai-batch -Q auto -i 0.1 <up
	expect_rc 0
	mock_curl GET '/batches?limit=100' >list.json
	bad=$(bw_limit_failures list.json)
	expect_eq "$(printf '%s\n' "$bad" | grep -c .)" 1 "token_limit_exceeded batches"
	expect_grep "Limit: ${limit%???},${limit#"${limit%???}"} enqueued tokens" list.json
	expect_eq "$(cat "$T/err")" "oai-batch: gpt-4o-mini: the batch queue holds $limit enqueued tokens (learnt from $bad)"
	expect_lines 6 "$T/out"
	expect_no_grep "$bad" "$T/out"
	while IFS="$(printf '\t')" read -r f _; do
		good=$(bw_batches "$f" | grep -vxF "$bad")
		expect_eq "$(printf '%s\n' "$good" | wc -l)" 1 "good batches of $f"
		expect_eq "$(grep -c "	$f\$" "$T/out")" 1 "lines of $f"
		expect_grep "^$good	$f\$" "$T/out"
	done <up
	expect_eq "$(bw_batches "$(sed -n 3p up | cut -f1)" | grep -cxF "$bad")" 1 "the third file's failed batch"
	# A second run on new files reads the limit from the failed batch in
	# the listing: no new failure.
	for i in 1 2 3; do net_lines 60 "g$i.jsonl"; done
	oai-upload -q g?.jsonl >up2
	run oai-batch -Q auto -i 0.1 <up2
	expect_rc 0
	expect_eq "$(cat "$T/err")" "oai-batch: gpt-4o-mini: the batch queue holds $limit enqueued tokens (learnt from $bad)"
	expect_lines 3 "$T/out"
	mock_curl GET '/batches?limit=100' >list.json
	expect_eq "$(bw_limit_failures list.json)" "$bad" "token_limit_exceeded batches"
}

# A failed batch without batchpipe_model teaches the model its message
# names; a file bigger than the learnt queue is refused as with -Q N, with
# no batch made.
t_queue_auto_model_from_the_message() {
	mock_start -t 0.05,0.5,0.05 -F token-limit=100
	net_lines 20 big.jsonl
	n=$(bw_tokens big.jsonl)
	[ "$n" -gt 100 ] || fail "big.jsonl has only $n tokens"
	b=$(bw_create "$(bw_upload big.jsonl)")
	bw_wait_for "$b" failed
	net_lines 20 big2.jsonl
	net_lines 1 small.jsonl
	oai-upload -q big2.jsonl small.jsonl >up
	run oai-batch -Q auto <up
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-batch: gpt-4o-mini: the batch queue holds 100 enqueued tokens (learnt from $b)
oai-batch: big2.jsonl: $n input tokens, more than the batch queue of gpt-4o-mini holds (100): it can never run; split it smaller with jsonl-split -t"
	fs=$(sed -n 2p up | cut -f1)
	expect_eq "$(cat "$T/out")" "$(bw_batches "$fs")	$fs"
	expect_eq "$(bw_batches "$(head -n 1 up | cut -f1)")" "" "batches of big2.jsonl"
}

# A batch that passes validation, or fails it for another reason, is
# printed as without auto; the queue stays unknown, and each batch is a
# probe.
t_queue_auto_other_failure_is_printed() {
	mock_start -t 0.05,0.5,0.05
	printf 'oops\n' >bad.jsonl
	net_lines 2 a.jsonl
	oai-upload -q a.jsonl >up
	fb=$(bw_upload bad.jsonl)
	printf '%s\tbad.jsonl\n' "$fb" >>up
	cp a.jsonl bad.jsonl	# counted on disk: a request file
	run oai-batch -Q auto -i 0.05 <up
	expect_rc 0
	expect_empty "$T/err"
	expect_lines 2 "$T/out"
	bb=$(bw_batches "$fb")
	expect_eq "$(sed -n 2p "$T/out")" "$bb	$fb"
	expect_eq "$(bw_get "$bb" status)" failed
}

# Ids that getopt or a path could misread, and an id line with a NUL byte
# (once taken as the id before the NUL), are refused: no batch is made.
t_odd_and_nul_ids_refused() {
	mock_start
	net_lines 1 a.jsonl
	f=$(bw_upload a.jsonl)
	run oai-batch -- . .. -x "$(printf 'file-\tx')"
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" 'oai-batch: argument 1: not a file id: .
oai-batch: argument 2: not a file id: ..
oai-batch: argument 3: not a file id: -x
oai-batch: argument 4: not a file id: file-\x09x'
	printf '%s\0x\tpart.jsonl\n' "$f" >list
	run sh -c 'oai-batch <list'
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-batch: stdin:1: not a file id: $f\\x00x"
	expect_eq "$(bw_batches "$f")" "" "batches of $f"
}

# A server whose listing cursors alternate (A, B, A, ...): the walk stops
# at the first cursor seen before, with a message, instead of asking for
# the same pages for ever.  Nothing is created: the listing did not end.
t_listing_that_cycles_stops() {
	MOCK_LOG=$T/mock.log mock_start -F cursor-cycle=2@/v1/batches
	net_lines 1 a.jsonl
	net_lines 1 b.jsonl
	fa=$(bw_upload a.jsonl)
	fb=$(bw_upload b.jsonl)
	bw_create "$fa" >/dev/null
	run timeout 20 oai-batch "$fb"
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-batch: GET /v1/batches: page 3 hands on a cursor an earlier page gave: the listing cycles"
	net_log_wait 3 '^oai-mock: GET /v1/batches ' "$T/mock.log"
	expect_eq "$(grep -c '^oai-mock: GET /v1/batches ' "$T/mock.log")" 3 "list requests"
	expect_eq "$(bw_batches "$fb")" "" "batches of b"
}

# Ever-new cursors: the walk stops after BATCHPIPE_MAX_PAGES pages.
t_listing_without_end_is_capped() {
	MOCK_LOG=$T/mock.log mock_start -F cursor-endless@/v1/batches
	net_lines 1 a.jsonl
	net_lines 1 b.jsonl
	fa=$(bw_upload a.jsonl)
	fb=$(bw_upload b.jsonl)
	bw_create "$fa" >/dev/null
	BATCHPIPE_MAX_PAGES=7 run timeout 20 oai-batch "$fb"
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-batch: GET /v1/batches: more than 7 pages (BATCHPIPE_MAX_PAGES): the listing does not end"
	net_log_wait 7 '^oai-mock: GET /v1/batches ' "$T/mock.log"
	expect_eq "$(grep -c '^oai-mock: GET /v1/batches ' "$T/mock.log")" 7 "list requests"
	BATCHPIPE_MAX_PAGES=0 run oai-batch "$fb"
	expect_rc 2
	expect_eq "$(cat "$T/err")" "oai-batch: BATCHPIPE_MAX_PAGES: 0: expected a whole number of pages from 1 to 100000000"
}

# live_batches FILE-ID: how many of the server's batches for FILE-ID are
# validating, in progress or finalizing.
live_batches() {
	local b n=0
	for b in $(bw_batches "$1"); do
		case $(bw_get "$b" status) in
		validating | in_progress | finalizing) n=$((n + 1)) ;;
		esac
	done
	echo "$n"
}

# Two processes on one machine, the same file at once, a slow server: the
# second waits for the first's lock, lists again and reuses its batch.
t_two_at_once_one_batch() {
	mock_start -q -F slow=300 -t 30,30,30
	net_lines 2 a.jsonl
	f=$(bw_upload a.jsonl)
	oai-batch "$f" >out1 2>err1 &
	p1=$!
	oai-batch "$f" >out2 2>err2 &
	p2=$!
	wait "$p1" || fail "the first oai-batch failed: $(cat err1)"
	wait "$p2" || fail "the second oai-batch failed: $(cat err2)"
	expect_eq "$(bw_batches "$f" | wc -l)" 1 "batches of the file"
	expect_lines 1 out1
	expect_same out2 out1
	cat err1 err2 >err
	expect_grep "^oai-batch: $f: another process is making the same batch: waiting for it$" err
	expect_grep "^oai-batch: $f: reusing batch_" err
}

# A holder of the lock killed with SIGKILL leaves no lock held: the next
# run does not wait for it.
t_killed_holder_leaves_no_lock() {
	MOCK_LOG=$T/mock.log mock_start -F slow=2000 -t 30,30,30
	net_lines 2 a.jsonl
	f=$(bw_upload a.jsonl)
	oai-batch "$f" >out1 2>err1 &
	p1=$!
	# The lock is taken before the file is asked for, and held until
	# the batch is printed: killed in the listing that follows.
	net_log_wait 1 "GET /v1/files/$f" "$T/mock.log"
	grep -q "GET /v1/files/$f" "$T/mock.log" || fail "oai-batch never asked for the file"
	kill -9 "$p1"
	wait "$p1" || true
	run timeout 30 oai-batch "$f"
	expect_rc 0
	expect_no_grep 'waiting' "$T/err"
	expect_eq "$(bw_batches "$f" | wc -l)" 1 "batches of the file"
	expect_eq "$(cut -f1 "$T/out")" "$(bw_batches "$f")" "batch printed"
}

# Two machines (no lock shared) create a batch for the same file at the
# same moment: the newer one is cancelled at once, and both print the
# older one.  With -f nothing is cancelled.
t_two_machines_newer_duplicate_cancelled() {
	mock_start -q -F slow=300 -t 30,30,30
	net_lines 2 a.jsonl
	f=$(bw_upload a.jsonl)
	XDG_STATE_HOME=$T/m1 oai-batch "$f" >out1 2>err1 &
	p1=$!
	XDG_STATE_HOME=$T/m2 oai-batch "$f" >out2 2>err2 &
	p2=$!
	wait "$p1" || fail "the first oai-batch failed: $(cat err1)"
	wait "$p2" || fail "the second oai-batch failed: $(cat err2)"
	cat err1 err2 >err
	expect_eq "$(bw_batches "$f" | wc -l)" 2 "batches of the file (the race was run)"
	expect_eq "$(live_batches "$f")" 1 "live batches of the file"
	older=$(bw_batches "$f" | tail -n 1)
	newer=$(bw_batches "$f" | head -n 1)
	expect_eq "$(cut -f1 out1)" "$older" "first printed"
	expect_eq "$(cut -f1 out2)" "$older" "second printed"
	expect_grep "^oai-batch: $f: $older, made at the same time by another process, is the file's batch: cancelled the duplicate $newer \(the requests it ran already are paid for\)$" err
	run oai-batch -f "$f"
	expect_rc 0
	expect_eq "$(live_batches "$f")" 2 "live batches after -f"
}

# A run that listed the batches before another process made one for a
# later file lists them again when it comes to that file (the lock says a
# batch was made under it since), and reuses it.
t_later_file_batched_meanwhile() {
	mock_start -q -t 30,30,30
	net_lines 2 a.jsonl
	net_lines 3 b.jsonl
	fa=$(bw_upload a.jsonl)
	fb=$(bw_upload b.jsonl)
	mkfifo ids
	oai-batch <ids >out1 2>err1 &
	p1=$!
	exec 3>ids
	echo "$fa" >&3
	for _ in $(seq 1 200); do
		[ -s out1 ] && break
		sleep 0.05
	done
	run oai-batch "$fb"
	expect_rc 0
	echo "$fb" >&3
	exec 3>&-
	wait "$p1" || fail "the first oai-batch failed: $(cat err1)"
	expect_eq "$(bw_batches "$fb" | wc -l)" 1 "batches of the second file"
	expect_eq "$(sed -n 2p out1)" "$(cat "$T/out")" "the second file's line"
}

# The batch whose create lost its answer has failed by the time it is
# listed (the listing is slowed past its validation): it is still the
# one created, adopted, never created again.
t_lost_create_adopts_a_batch_already_failed() {
	mock_start -t 0,0.2,0.05 -F lose-create=1 -F slow=300@/v1/batches
	printf 'not json\n' >bad.jsonl
	f=$(bw_upload bad.jsonl)
	run oai-batch "$f"
	expect_rc 0
	b=$(bw_batches "$f")
	expect_eq "$(echo "$b" | wc -l)" 1 "batches"
	expect_eq "$(bw_get "$b" status)" failed "its status"
	expect_eq "$(cat "$T/out")" "$b	$f"
}

# A finalizing batch still holds its tokens in the queue (as the server
# counts them): the next file waits until it has completed.
t_queue_counts_a_finalizing_batch() {
	mock_start -t 0.05,0.05,6
	net_lines 3 a.jsonl
	net_lines 3 b.jsonl
	n=$(bw_tokens a.jsonl)
	oai-upload -q a.jsonl b.jsonl >up
	fa=$(head -n 1 up | cut -f1)
	ba=$(mock_curl POST /batches -H 'Content-Type: application/json' \
		-d "{\"input_file_id\":\"$fa\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":{\"batchpipe_tokens\":\"$n\",\"batchpipe_model\":\"gpt-4o-mini\"}}" |
		bw_member id)
	bw_wait_for "$ba" finalizing
	sed -n 2p up >upb
	run oai-batch -v -i 0.05 -Q $((2 * n - 1)) <upb
	expect_rc 0
	expect_grep "^\* b\.jsonl: $n tokens of gpt-4o-mini enqueued, $n more would pass $((2 * n - 1)): waiting " "$T/err"
	expect_eq "$(bw_get "$ba" status)" completed "the batch waited for"
}

# The queue is a model's: the tokens of another model's live batch do not
# hold back a file of this one.
t_queue_counts_only_the_same_model() {
	mock_start -t 0.05,20,0.05
	net_lines 3 a.jsonl
	net_lines 3 b.jsonl
	n=$(bw_tokens a.jsonl)
	oai-upload -q a.jsonl b.jsonl >up
	fa=$(head -n 1 up | cut -f1)
	ba=$(mock_curl POST /batches -H 'Content-Type: application/json' \
		-d "{\"input_file_id\":\"$fa\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":{\"batchpipe_tokens\":\"$n\",\"batchpipe_model\":\"gpt-4o\"}}" |
		bw_member id)
	bw_wait_for "$ba" in_progress
	sed -n 2p up >upb
	run oai-batch -v -i 0.05 -Q $((2 * n - 1)) <upb
	expect_rc 0
	expect_no_grep 'would pass' "$T/err"
	expect_eq "$(bw_get "$ba" status)" in_progress "the other model's batch"
	expect_lines 1 "$T/out"
}

# -Q auto takes the queue's size from the newest batch that failed with
# token_limit_exceeded, not from an older one that saw another limit: the
# file fits under the old limit, not under the new one, and is refused.
t_queue_auto_learns_from_the_newest_failure() {
	now=$(date +%s)
	limit_fail() {	# ID CREATED LIMIT
		printf '{"id":"%s","object":"batch","endpoint":"/v1/chat/completions","input_file_id":"file-%s","status":"failed","created_at":%s,"metadata":{"batchpipe_tokens":"10","batchpipe_model":"gpt-4o-mini"},"errors":{"object":"list","data":[{"code":"token_limit_exceeded","message":"Enqueued token limit reached for gpt-4o-mini in organization org-x. Limit: %s enqueued tokens. Please try again once some in_progress batches have been completed.","line":null}]}}' \
			"$1" "$1" "$2" "$3"
	}
	printf '{"object":"list","data":[%s,%s],"has_more":false}' \
		"$(limit_fail batch_new "$now" 100)" \
		"$(limit_fail batch_old $((now - 60)) 1,000,000)" >list.json
	hostile_start -b list.json
	export OPENAI_API_KEY=sk-test
	net_fast 2
	net_lines 20 big.jsonl
	n=$(bw_tokens big.jsonl)
	[ "$n" -gt 100 ] || fail "big.jsonl has only $n tokens"
	printf 'file-big\tbig.jsonl\n' >up
	run oai-batch -Q auto <up
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-batch: gpt-4o-mini: the batch queue holds 100 enqueued tokens (learnt from batch_new)
oai-batch: big.jsonl: $n input tokens, more than the batch queue of gpt-4o-mini holds (100): it can never run; split it smaller with jsonl-split -t"
}

t_output_expiry_bounded_and_sent() {
	mock_start
	net_lines 1 a.jsonl
	f=$(bw_upload a.jsonl)
	run oai-batch -X 100 "$f"
	expect_rc 2
	run oai-batch -X 2592001 "$f"
	expect_rc 2
	expect_eq "$(bw_batches "$f" | wc -l)" 0 "batches"
	run oai-batch -X 7200 "$f"
	expect_rc 0
	b=$(cut -f1 "$T/out")
	bw_wait_for "$b" completed
	out=$(bw_get "$b" output_file_id)
	mock_curl GET "/files/$out" -o obj
	created=$(bw_member created_at <obj)
	expect_eq "$(bw_member expires_at <obj)" "$((created + 7200))" "expires_at"
}

t_expired_output_file_answers_404() {
	mock_start
	net_lines 1 a.jsonl
	f=$(bw_upload a.jsonl)
	b=$(mock_curl POST /batches -H 'Content-Type: application/json' \
		-d "{\"input_file_id\":\"$f\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"output_expires_after\":{\"anchor\":\"created_at\",\"seconds\":1}}" |
		bw_member id)
	bw_wait_for "$b" completed
	out=$(bw_get "$b" output_file_id)
	sleep 2
	printf '%s\toutput\t%s\tcompleted\n' "$out" "$b" >line
	run oai-fetch <line
	expect_rc 1
	expect_grep "^oai-fetch: $out: the output file of $b is gone from the server \\(expired or deleted\\?\\)" "$T/err"
	expect_grep "^oai-fetch: $out: to pay for them again, start a new batch of its input file: oai-batch -f $f " "$T/err"
}

t_window_the_provider_refuses_is_a_usage_error() {
	mock_start
	net_lines 1 a.jsonl
	f=$(bw_upload a.jsonl)
	run oai-batch -w 48h "$f"
	expect_rc 2
	expect_grep '^oai-batch: -w 48h: openai accepts 24h$' "$T/err"
	expect_grep '^usage: oai-batch ' "$T/err"
	BATCHPIPE_PROVIDER=groq run oai-batch -w 8d "$f"
	expect_rc 2
	expect_grep '^oai-batch: -w 8d: groq accepts 24h, or any Nh or Nd from 24h to 7d$' "$T/err"
	BATCHPIPE_PROVIDER=groq run oai-batch -w 12h "$f"
	expect_rc 2
	BATCHPIPE_PROVIDER=compatible run oai-batch -w 1x "$f"
	expect_rc 2
	expect_eq "$(bw_batches "$f" | wc -l)" 0 "batches"
}

t_window_the_provider_accepts_is_sent() {
	mock_start -D groq
	net_lines 1 a.jsonl
	net_lines 2 b.jsonl
	fa=$(bw_upload a.jsonl)
	fb=$(bw_upload b.jsonl)
	BATCHPIPE_PROVIDER=groq run oai-batch -w 7d "$fa"
	expect_rc 0
	expect_empty "$T/err"
	mock_curl GET "/batches/$(cut -f1 "$T/out")" >batch.json
	expect_eq "$(bw_member completion_window <batch.json)" 7d
	# Without -w: the provider's first window.
	BATCHPIPE_PROVIDER=groq run oai-batch "$fb"
	expect_rc 0
	mock_curl GET "/batches/$(cut -f1 "$T/out")" >batch.json
	expect_eq "$(bw_member completion_window <batch.json)" 24h
}
