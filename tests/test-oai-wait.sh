# shellcheck shell=bash
# oai-wait: polls batches until they end, prints every result file, and
# tells completed (0), ended badly (4), timeout (75) and errors (1) apart.

net_fast

# bw_job N [mock options]: starts the mock with a quick lifecycle, uploads
# N requests and starts a batch on them: $f is the file, $b the batch.
bw_job() {
	local n=$1
	shift
	mock_start -t 0.05,0.2,0.05 "$@"
	net_lines "$n" in.jsonl
	f=$(bw_upload in.jsonl)
	b=$(bw_create "$f")
}

t_usage_and_version() {
	run oai-wait -h
	expect_rc 0
	expect_eq "$(sed '/^$/,$d' "$T/out")" "usage: oai-wait [-bhqVv] [-i interval] [-r rate] [-t timeout]
                [batch-id ...]"
	run oai-wait -x
	expect_rc 2
	expect_eq "$(cat "$T/err")" "oai-wait: invalid option -- 'x'
usage: oai-wait [-bhqVv] [-i interval] [-r rate] [-t timeout]
                [batch-id ...]"
	run oai-wait -V
	expect_rc 0
	expect_eq "$(cat "$T/out")" "oai-wait batchpipe 0.1.0"
	# Seconds are read by numarg_seconds: no blank, sign or exponent.
	for bad in 0 -1 abc 1x nan inf ' 5' +5 '5 ' 1e3 0x10; do
		run oai-wait -i "$bad" batch_x
		expect_rc 2
		expect_grep "^oai-wait: -i $bad: not a number of seconds\$" "$T/err"
	done
	run oai-wait -t 0 batch_x
	expect_rc 2
}

t_completed_batch() {
	bw_job 3
	run oai-wait -i 0.05 "$b"
	expect_rc 0
	out=$(bw_get "$b" output_file_id)
	expect_eq "$(bw_get "$b" error_file_id)" null
	expect_eq "$(cat "$T/out")" "$out	output	$b	completed"
	# One line per status change (those the polls saw), the last with the
	# final counts.
	if grep -Ev "^oai-wait: $b: (validating|in_progress|finalizing|completed), [0-3] completed, 0 failed of [03], [0-9]+s\$" "$T/err"; then
		fail "unexpected lines on stderr"
	fi
	expect_eq "$(cut -d, -f1 "$T/err" | uniq | wc -l)" "$(wc -l <"$T/err")" "lines without a change"
	expect_eq "$(tail -n 1 "$T/err" | sed 's/, [0-9]*s$//')" "oai-wait: $b: completed, 3 completed, 0 failed of 3"
	# A lone "-" reads the ids from standard input.
	echo "$b" >ids
	run sh -c 'oai-wait -q - <ids'
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$out	output	$b	completed"
}

t_quiet() {
	bw_job 2
	run oai-wait -q -i 0.05 "$b"
	expect_rc 0
	expect_empty "$T/err"
	expect_lines 1 "$T/out"
}

t_ids_from_stdin_once_each() {
	bw_job 2
	b2=$(bw_create "$f")
	printf '%s\t%s\n\n%s\n%s\tagain\n' "$b" "$f" "$b2" "$b" >ids
	run oai-wait -q -i 0.05 <ids
	expect_rc 0
	printf '%s\toutput\t%s\tcompleted\n%s\toutput\t%s\tcompleted\n' \
		"$(bw_get "$b" output_file_id)" "$b" \
		"$(bw_get "$b2" output_file_id)" "$b2" | sort >want
	# In the order they end, which the test cannot know.
	sort "$T/out" >got
	expect_same got want
	# Once they have ended, in input order.
	printf '%s\n%s\n' "$b2" "$b" >ids
	run oai-wait -q <ids
	expect_rc 0
	expect_eq "$(cut -f3 "$T/out" | tr '\n' ' ')" "$b2 $b "
}

t_the_whole_pipe() {
	mock_start -t 0.05,0.2,0.05
	net_lines 3 a.jsonl
	net_lines 2 b.jsonl
	oai-upload a.jsonl b.jsonl | oai-batch | oai-wait -i 0.05 | oai-fetch >results.jsonl 2>err ||
		{ cat err; fail "the pipe failed"; }
	expect_lines 5 results.jsonl
	for id in a.jsonl-1 a.jsonl-2 a.jsonl-3 b.jsonl-1 b.jsonl-2; do
		expect_grep "\"custom_id\":\"$id\"" results.jsonl
	done
}

# A batch's lines leave as soon as it ends, while another still runs.
t_results_are_passed_on_at_once() {
	mock_start -t 1,0.05,0.05
	net_lines 1 a.jsonl
	fa=$(bw_upload a.jsonl)
	ba=$(bw_create "$fa")
	bw_wait_for "$ba" completed
	bb=$(bw_create "$fa")
	{ oai-wait -q -i 0.05 "$ba" "$bb"; net_ms >t_end; } |
		{ IFS= read -r line; net_ms >t_first; echo "$line" >first; cat >rest; }
	expect_eq "$(cat first)" "$(bw_get "$ba" output_file_id)	output	$ba	completed"
	expect_lines 1 rest
	[ $(($(cat t_end) - $(cat t_first))) -gt 500 ] ||
		fail "the first batch's line came $(($(cat t_end) - $(cat t_first))) ms before the end"
}

t_poll_bursts_are_retried() {
	bw_job 2 -F 'http429=2@/v1/batches/' -F 'http503=2@/v1/batches/' -F 'http500=2@/v1/batches/'
	run oai-wait -i 0.05 -q "$b"
	expect_rc 0
	expect_empty "$T/err"
	expect_eq "$(cat "$T/out")" "$(bw_get "$b" output_file_id)	output	$b	completed"
}

# The retries of one poll run out: reported, and polled again later.
t_poll_failure_is_not_fatal() {
	net_fast 2
	bw_job 2 -F 'http503=3@/v1/batches/'
	run oai-wait -i 0.05 -q "$b"
	expect_rc 0
	expect_grep "^oai-wait: GET /v1/batches/$b: HTTP 503: .* \\(polling again in 0\\.[0-9]+s\\)\$" "$T/err"
	expect_lines 1 "$T/err"
	expect_eq "$(cat "$T/out")" "$(bw_get "$b" output_file_id)	output	$b	completed"
}

t_expired_batch_prints_partial_results() {
	bw_job 4 -F expire=0.5
	run oai-wait -i 0.05 "$b"
	expect_rc 4
	out=$(bw_get "$b" output_file_id)
	err=$(bw_get "$b" error_file_id)
	printf '%s\toutput\t%s\texpired\n%s\terror\t%s\texpired\n' "$out" "$b" "$err" "$b" >want
	expect_same "$T/out" want
	expect_grep "^oai-wait: $b: expired, 2 completed, [0-9]+ failed of 4, [0-9]+s\$" "$T/err"
	mock_curl GET "/files/$out/content" | grep -c '"status_code":200' >n
	expect_eq "$(cat n)" 2 "results in the output file"
	# -q still says how it ended.
	run oai-wait -q -i 0.05 "$b"
	expect_rc 4
	expect_same "$T/out" want
	expect_grep "^oai-wait: $b: expired, " "$T/err"
}

t_cancelled_batch() {
	bw_job 4 -F cancel=0.5
	run oai-wait -i 0.05 "$b"
	expect_rc 4
	out=$(bw_get "$b" output_file_id)
	err=$(bw_get "$b" error_file_id)
	printf '%s\toutput\t%s\tcancelled\n%s\terror\t%s\tcancelled\n' "$out" "$b" "$err" "$b" >want
	expect_same "$T/out" want
	expect_grep "^oai-wait: $b: cancelled, 2 completed, " "$T/err"
	# -q: only how it ended.
	run oai-wait -q -i 0.05 "$b"
	expect_rc 4
	expect_same "$T/out" want
	expect_eq "$(sed 's/, [0-9]*s$//' "$T/err")" "oai-wait: $b: cancelled, 2 completed, 0 failed of 4"
}

t_failed_validation() {
	mock_start -t 0.05,0.2,0.05
	net_lines 3 in.jsonl
	sed -i '2s/.*/{"custom_id": broken/' in.jsonl
	f=$(bw_upload in.jsonl)
	b=$(bw_create "$f")
	run oai-wait -i 0.05 "$b"
	expect_rc 4
	expect_empty "$T/out"
	expect_grep "^oai-wait: $b: failed, 0 completed, 0 failed of 0, [0-9]+s\$" "$T/err"
	expect_grep "^oai-wait: $b: line 2: invalid_json_line: " "$T/err"
}

t_token_limit() {
	bw_job 2 -F token-limit=1
	run oai-wait -i 0.05 -q "$b"
	expect_rc 4
	expect_empty "$T/out"
	expect_eq "$(sed 's/, [0-9]*s$//' "$T/err")" "oai-wait: $b: failed, 0 completed, 0 failed of 0
oai-wait: $b: failed: token_limit_exceeded: Enqueued token limit reached for gpt-4o-mini in organization org-mock. Limit: 1 enqueued tokens. Please try submitting fewer tasks or wait until other batches have completed."
}

# -b: one line a batch, whatever files it has or lacks.
t_by_batch_completed() {
	bw_job 3
	run oai-wait -b -q -i 0.05 "$b"
	expect_rc 0
	expect_empty "$T/err"
	expect_eq "$(cat "$T/out")" "$b	completed	$f	$(bw_get "$b" output_file_id)	-	-"
}

# A batch that failed validation has no file at all: the line says so, and
# names the input file and the code to act on.
t_by_batch_token_limit() {
	bw_job 2 -F token-limit=1
	run oai-wait -b -q -i 0.05 "$b"
	expect_rc 4
	expect_eq "$(cat "$T/out")" "$b	failed	$f	-	-	token_limit_exceeded"
	expect_grep "^oai-wait: $b: failed: token_limit_exceeded: Enqueued token limit reached" "$T/err"
}

t_by_batch_expired_and_cancelled() {
	bw_job 4 -F expire=0.5
	run oai-wait -b -q -i 0.05 "$b"
	expect_rc 4
	expect_eq "$(cat "$T/out")" "$b	expired	$f	$(bw_get "$b" output_file_id)	$(bw_get "$b" error_file_id)	-"
	kill "$MOCK_PID"
	bw_job 4 -F cancel=0.5
	run oai-wait -b -q -i 0.05 "$b"
	expect_rc 4
	expect_eq "$(cat "$T/out")" "$b	cancelled	$f	$(bw_get "$b" output_file_id)	$(bw_get "$b" error_file_id)	-"
}

# -b in a pipe: the lines come as the batches end, in the order they end,
# and a failed batch among them is a line like any other.
t_by_batch_streams() {
	bw_job 2
	bad=$(printf 'oops\n' >bad.jsonl && bw_upload bad.jsonl)
	bb=$(bw_create "$bad")
	rc=0
	printf '%s\n%s\n' "$b" "$bb" | oai-wait -b -q -i 0.05 >out 2>err || rc=$?
	expect_eq "$rc" 4 "exit status"
	sort out >got
	printf '%s\tcompleted\t%s\t%s\t-\t-\n%s\tfailed\t%s\t-\t-\tinvalid_json_line\n' \
		"$b" "$f" "$(bw_get "$b" output_file_id)" "$bb" "$bad" | sort >want
	expect_same got want
}

t_completed_and_failed_is_4() {
	bw_job 2
	bad=$(printf 'oops\n' >bad.jsonl && bw_upload bad.jsonl)
	bb=$(bw_create "$bad")
	run oai-wait -q -i 0.05 "$b" "$bb"
	expect_rc 4
	expect_eq "$(cat "$T/out")" "$(bw_get "$b" output_file_id)	output	$b	completed"
	expect_grep "^oai-wait: $bb: line 1: invalid_json_line: " "$T/err"
}

t_timeout_is_75() {
	mock_start -t 0.05,30,0.05
	net_lines 2 in.jsonl
	f=$(bw_upload in.jsonl)
	b=$(bw_create "$f")
	start=$(net_ms)
	run oai-wait -i 0.05 -t 0.5 "$b"
	expect_rc 75
	elapsed=$(($(net_ms) - start))
	if [ "$elapsed" -lt 500 ] || [ "$elapsed" -ge 10000 ]; then
		fail "-t 0.5 took $elapsed ms"
	fi
	expect_empty "$T/out"
	expect_eq "$(tail -n 1 "$T/err")" "oai-wait: $b: still in_progress after 0.5s"
}

t_bad_ids_are_errors() {
	bw_job 2
	run oai-wait -q -i 0.05 batch_nosuchbatch 'bad/id' "$b"
	expect_rc 1
	expect_grep '^oai-wait: GET /v1/batches/batch_nosuchbatch: HTTP 404: ' "$T/err"
	expect_grep '^oai-wait: argument 2: not a batch id: bad/id$' "$T/err"
	expect_lines 2 "$T/err"
	expect_eq "$(cat "$T/out")" "$(bw_get "$b" output_file_id)	output	$b	completed"
}

t_stdout_full() {
	bw_job 1
	run sh -c 'oai-wait -q -i 0.05 "$1" >/dev/full' sh "$b"
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-wait: stdout: No space left on device"
}

t_missing_key() {
	mock_start
	unset OPENAI_API_KEY
	run oai-wait batch_abc
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-wait: no API key: set OPENAI_API_KEY, or OPENAI_API_KEY_FILE to a file holding it"
}

# The interval backs off: a batch that takes 2 s, polled from -i 0.05,
# is asked about far fewer than 2 / 0.05 = 40 times.
t_polls_back_off() {
	mock_start -t 2,0.05,0.05
	net_lines 1 in.jsonl
	f=$(bw_upload in.jsonl)
	b=$(bw_create "$f")
	run oai-wait -v -q -i 0.05 "$b"
	expect_rc 0
	n=$(grep -c "^> GET /v1/batches/$b " "$T/err")
	if [ "$n" -lt 4 ] || [ "$n" -gt 15 ]; then
		fail "$n polls"
	fi
}

# A short phase after a long one is seen to end soon after it does: the
# wait starts over at each change of status, and grows to no more than
# half the time spent in the status.  With the wait grown in an 8 s
# in_progress, a 2 s finalizing used to be seen to end 7 s late.
t_short_phases_are_seen_to_end_soon() {
	mock_start -t 0.05,8,2
	net_lines 100 in.jsonl
	f=$(bw_upload in.jsonl)
	start=$(net_ms)
	b=$(bw_create "$f")
	run oai-wait -q -i 0.3 "$b"
	end=$(net_ms)
	expect_rc 0
	expect_lines 1 "$T/out"
	# The batch ends 10 s after it was created; 14 s leaves room for a
	# loaded machine.
	if [ $((end - start)) -gt 14000 ]; then
		fail "seen to end $((end - start)) ms after it was created"
	fi
}

# pty ROWS COLS [ptyterm options] -- command: runs the command on a
# terminal of that size (tests/ptyterm), its screen and scrollback left
# in tty/.
pty() {
	local rows=$1 cols=$2
	shift 2
	local opts=()
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	rm -rf tty
	mkdir tty
	python3 "$TOP/tests/ptyterm" "${opts[@]}" "$rows" "$cols" tty "$@"
}

# On a terminal: a live table, redrawn in place, and no status-change
# lines.
t_live_lines_on_a_tty() {
	bw_job 2
	b2=$(bw_create "$f")
	pty 24 100 -- sh -c "oai-wait -i 0.05 $b $b2 >out.txt" || fail "exit $?"
	expect_eq "$(cut -f3 out.txt | sort | tr '\n' ' ')" "$(printf '%s\n' "$b" "$b2" | sort | tr '\n' ' ')"
	# The last drawing holds both batches, completed, and the total.
	sed '/^$/d; s/, [0-9]*s$//; s/, [0-9]* tokens$//' tty/screen >last
	printf '%s: completed, 2 completed, 0 failed of 2\n%s: completed, 2 completed, 0 failed of 2\n2/2 batches ended, 0 failed, 100%% of 4 requests\n' "$b" "$b2" >want
	expect_same last want
	expect_empty tty/scrollback
	expect_grep $'\x1b\\[3A' tty/raw
	expect_no_grep '^oai-wait: ' tty/screen
	# Nothing is drawn before the server has answered.
	expect_no_grep ': -, 0 completed' tty/raw
}

# The lines of results written to the terminal stay on it: the table is
# cleared before one is written, and drawn again below it.
t_live_table_keeps_output_lines() {
	bw_job 2
	b2=$(bw_create "$f")
	b3=$(bw_create "$f")
	pty 24 120 -- oai-wait -i 0.05 "$b" "$b2" "$b3" || fail "exit $?"
	for x in "$b" "$b2" "$b3"; do
		o=$(bw_get "$x" output_file_id)
		expect_eq "$(grep -c "^$o  *output  *$x  *completed\$" tty/screen)" 1 "the line of $x"
	done
	# Then the table, once, its total last.
	sed '/^$/d' tty/screen | sed -n '4,$p' | cut -d: -f1 | sort >rows
	printf '%s\n' "$b" "$b2" "$b3" "3/3 batches ended, 0 failed, 100% of 6 requests, " | sed 's/, $//' | sort >want
	sed 's/^3\/3 batches ended.*/3\/3 batches ended, 0 failed, 100% of 6 requests/' rows | sort >got
	expect_same got want
	expect_empty tty/scrollback
}

# More batches than rows: the table keeps to the screen (the batches
# still running first, then a line that counts the rest, then the total
# line), cuts its lines to the width, and never scrolls.
t_live_table_fits_the_screen() {
	mock_start -t 0.2,1.5,0.2
	net_lines 2 in.jsonl
	f=$(bw_upload in.jsonl)
	for _ in $(seq 1 50); do
		bw_create "$f"
	done >ids
	pty 20 70 -- sh -c "oai-wait -i 0.1 $(tr '\n' ' ' <ids) >out.txt" || fail "exit $?"
	expect_lines 50 out.txt
	expect_empty tty/scrollback
	expect_eq "$(cat tty/wraps)" 0 "lines that wrapped"
	sed '/^$/d' tty/screen >screen
	expect_lines 19 screen
	expect_eq "$(sed -n 18p screen)" "... 33 more: 0 running, 0 failed, 33 completed"
	expect_grep '^50/50 batches ended, 0 failed, 100% of 100 requests' screen
	expect_eq "$(awk 'length > 69' screen)" ""
	expect_eq "$(sort screen | uniq -d)" ""
	expect_no_grep ': -, 0 completed' tty/raw
}

# A terminal made narrower: the table is drawn again to the new width,
# and what it drew before is all erased.
t_live_table_redrawn_after_resize() {
	mock_start -t 0.2,6,0.2
	net_lines 100 in.jsonl
	f=$(bw_upload in.jsonl)
	b=$(bw_create "$f")
	b2=$(bw_create "$f")
	b3=$(bw_create "$f")
	pty 24 100 -r 1:45 -- sh -c "oai-wait -i 0.1 $b $b2 $b3 >out.txt" || fail "exit $?"
	expect_lines 3 out.txt
	cat tty/scrollback tty/screen | sed '/^$/d' >all
	expect_lines 4 all
	expect_eq "$(awk 'length > 44' all)" ""
	expect_eq "$(cut -c1-20 all | sort | tr '\n' ' ')" "$(printf '%s\n' "$b" "$b2" "$b3" "3/3 batches ended, 0" | cut -c1-20 | sort | tr '\n' ' ')"
	# It was resized while the batches ran.
	tr -d '\r' <tty/raw >raw
	expect_grep ' 0 failed of 100, [1-9]s$' raw
}

# Ids on stdin are waited for while they still arrive: the first batch's
# line leaves before the second id has come.
t_polls_while_ids_still_arrive() {
	mock_start -t 0.05,0.1,0.05
	net_lines 1 a.jsonl
	f=$(bw_upload a.jsonl)
	ba=$(bw_create "$f")
	bb=$(bw_create "$f")
	bw_wait_for "$ba" completed
	bw_wait_for "$bb" completed
	{ echo "$ba"; sleep 1.5; echo "$bb"; } |
		{ oai-wait -q -i 0.05; net_ms >t_end; } |
		{ IFS= read -r line; net_ms >t_first; echo "$line" >first; cat >rest; }
	expect_eq "$(cut -f3 first)" "$ba"
	expect_eq "$(cut -f3 rest)" "$bb"
	if [ $(($(cat t_end) - $(cat t_first))) -lt 1000 ]; then
		fail "the first line came only $(($(cat t_end) - $(cat t_first))) ms before the end"
	fi
}

t_timeout_while_reading_ids() {
	start=$(net_ms)
	mock_start
	run oai-wait -t 0.3 < <(sleep 3)
	expect_rc 75
	expect_empty "$T/out"
	expect_empty "$T/err"
	if [ $(($(net_ms) - start)) -ge 2500 ]; then
		fail "-t 0.3 did not stop the wait for input"
	fi
}

# A result file id from the server that the next tool could misread
# ("-d.." as an option of oai-fetch, "." or "..", a '/', a control
# character) or that a NUL byte would cut short is refused, never printed.
t_odd_file_id_from_server_refused() {
	for odd in -d.. .. . .x a%2Fb 'file-%1B[31m' 'file-a%00b'; do
		bw_job 1 -F "odd-file-id=$odd"
		run oai-wait -q -i 0.05 "$b"
		expect_rc 1
		expect_empty "$T/out"
		case $odd in
		*%00*) expect_eq "$(cat "$T/err")" "oai-wait: GET /v1/batches/$b: the answer is not a usable batch object" ;;
		# The mock shows the text before the file's own id.
		*) expect_eq "$(sed 's/file-[A-Za-z0-9]*$//' "$T/err")" "oai-wait: GET /v1/batches/$b: not a file id: $(printf '%s' "$odd" | sed 's,%2F,/,; s,%1B,\\x1b,')" ;;
		esac
		kill "$MOCK_PID"
		wait "$MOCK_PID" 2>/dev/null || true
	done
}

# Operands and id lines are checked alike; a NUL byte in an id line is
# refused, not taken as the id before it.
t_odd_and_nul_batch_ids_refused() {
	bw_job 1
	run oai-wait -q -i 0.05 -- . .. -x
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" 'oai-wait: argument 1: not a batch id: .
oai-wait: argument 2: not a batch id: ..
oai-wait: argument 3: not a batch id: -x'
	printf '%s\0x\n' "$b" >list
	run sh -c 'oai-wait -q -i 0.05 <list'
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-wait: stdin:1: not a batch id: $b\\x00x"
}

# With -b, whose reader waits for a line per batch, a batch that can no
# longer be followed stops oai-wait at once (it used to wait for more ids,
# and its reader for that batch's line, for ever).
t_by_batch_stops_at_a_refused_file_id() {
	bw_job 1 -F odd-file-id=-d..
	run timeout 15 oai-wait -b -q -i 0.05 < <(echo "$b"; exec sleep 20)
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(sed 's/file-[A-Za-z0-9]*$//' "$T/err")" "oai-wait: GET /v1/batches/$b: not a file id: -d.."
}

# bw_many N FILE-ID: N chat batches of FILE-ID, made by one curl over one
# connection (one curl a batch is slow on a loaded machine); their ids,
# in the order made, go to the file ids.
bw_many() {
	local i
	for i in $(seq 1 "$1"); do
		[ "$i" -gt 1 ] && echo next
		printf 'url = "%s/batches"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\n' "$MOCK_URL" "$OPENAI_API_KEY"
		printf 'data = "{\\"input_file_id\\":\\"%s\\",\\"endpoint\\":\\"/v1/chat/completions\\",\\"completion_window\\":\\"24h\\"}"\n' "$2"
	done >curl.cfg
	curl -sS -K curl.cfg | grep -oE '"id":"batch_[^"]*"' | cut -d'"' -f4 >ids
	expect_lines "$1" ids
}

# The polls of all batches together keep to -r a second: 16 ended
# batches, which the listing leaves out, take one page and 16 polls, 0.25
# s apart at -r 4, not one burst.  Each id is polled once, repeats
# included once.
t_polls_are_paced_in_total() {
	MOCK_LOG=$T/mock.log mock_start -t 0.01,0.01,0.01 -F unlisted
	net_lines 1 in.jsonl
	bw_many 16 "$(bw_upload in.jsonl)"
	bw_wait_for "$(tail -n 1 ids)" completed
	: >"$T/mock.log"
	cat ids ids >twice
	t0=$(net_ms)
	run oai-wait -q -b -r 4 <twice
	t1=$(net_ms)
	expect_rc 0
	expect_lines 16 "$T/out"
	cut -f1 "$T/out" >got
	expect_same got ids
	net_log_wait 17 '^oai-mock: GET /v1/batches[/ ]' "$T/mock.log"
	expect_eq "$(grep -c '^oai-mock: GET /v1/batches/' "$T/mock.log")" 16 "polls"
	expect_eq "$(grep -c '^oai-mock: GET /v1/batches ' "$T/mock.log")" 1 "pages"
	[ $((t1 - t0)) -ge 3950 ] || fail "17 requests at 4 a second took $((t1 - t0)) ms"
	for bad in 0 -1 abc 1001 nan; do
		run oai-wait -r "$bad" batch_x
		expect_rc 2
		expect_grep "^oai-wait: -r $bad: not a number of polls a second \(above 0, at most 1000\)\$" "$T/err"
	done
}

# mock_counts: "pages polls": the listing pages and the single GETs of a
# batch in the server's log.
mock_counts() {
	echo "$(grep -c '^oai-mock: GET /v1/batches ' "$T/mock.log") $(grep -c '^oai-mock: GET /v1/batches/' "$T/mock.log")"
}

# 250 batches under way are polled through the listing, 100 a page: far
# fewer requests than one GET per batch a round, and every batch is
# reported once, with -b in input order for those that end together.
t_many_batches_polled_by_listing() {
	MOCK_LOG=$T/mock.log mock_start -t 0.5,1.5,0.5
	net_lines 1 in.jsonl
	f=$(bw_upload in.jsonl)
	bw_many 250 "$f"
	: >"$T/mock.log"
	run oai-wait -b -q -i 0.2 -t 60 <ids
	expect_rc 0
	expect_empty "$T/err"
	expect_lines 250 "$T/out"
	cut -f1 "$T/out" | sort >got
	sort ids >want
	expect_same got want
	expect_eq "$(cut -f2 "$T/out" | sort -u)" completed
	net_log_wait 3 '^oai-mock: GET /v1/batches ' "$T/mock.log"
	read -r pages polls < <(mock_counts)
	# The batches end in about 2.5 s, polled from every 0.2 s: one GET
	# per batch a round would be 250 a round; a walk takes 3 pages.
	[ "$polls" -lt 25 ] || fail "$polls GETs of single batches"
	if [ "$pages" -lt 3 ] || [ "$pages" -ge 125 ]; then
		fail "$pages listing pages"
	fi
}

# A batch the listing misses is still followed, by its own GET; a walk
# whose oldest batch is known stops a little before that batch's
# creation, not at the end of the organization's long history (-O); and
# the first walk, before that is known, gives up after 10 times the pages
# the waiting batches fill, with a trace that says so.
t_unlisted_batches_and_old_history() {
	MOCK_LOG=$T/mock.log mock_start -t 1,3,1 -O 3000 -F unlisted=50
	net_lines 1 in.jsonl
	f=$(bw_upload in.jsonl)
	bw_many 150 "$f"
	: >"$T/mock.log"
	# The history's 3000 batches are 0 to 2999: 50 of the 150 is the
	# store's 3050th, and so on.
	sed -n '50p; 100p; 150p' ids >hidden
	run oai-wait -b -v -i 0.2 -t 30 <ids
	expect_rc 0
	expect_lines 150 "$T/out"
	cut -f1 "$T/out" | sort >got
	sort ids >want
	expect_same got want
	expect_grep '^\* listing: 3 batches not found in 20 pages, 10 times what 150 batches fill: polling them one by one$' "$T/err"
	# Then a walk that ends at the oldest batch's time, 2 pages (150
	# batches and the history's newest), and finds the hidden ones out;
	# the next walks end when all they look for are found.
	expect_grep '^\* listing: 2 pages; 3 batches not in it, polled by themselves$' "$T/err"
	if grep -E '^\* listing: [0-9]+ pages;' "$T/err" | grep -vE '^\* listing: [12] pages;'; then
		fail "a walk went deeper"
	fi
	while read -r b; do
		expect_grep "^oai-mock: GET /v1/batches/$b " "$T/mock.log"
	done <hidden
	# Only the hidden ones, and those the first walk did not reach,
	# are polled alone; the rest through the listing.
	grep -oE '^oai-mock: GET /v1/batches/batch_[0-9a-f]+' "$T/mock.log" | cut -d/ -f4 | sort -u >alone
	[ "$(wc -l <alone)" -le 3 ] || fail "$(wc -l <alone) batches polled alone"
}

# -t in the middle of a walk: the batches it saw end are still printed.
# 250 ended batches at a request every 2 s: pages at 0 and 2 s, cut at
# 3 s, before the third.
t_timeout_in_a_walk_prints_what_it_saw() {
	mock_start -q -t 0.01,0.01,0.01
	net_lines 1 in.jsonl
	bw_many 250 "$(bw_upload in.jsonl)"
	bw_wait_for "$(tail -n 1 ids)" completed
	bw_wait_for "$(head -n 1 ids)" completed
	run oai-wait -b -q -r 0.5 -t 3 <ids
	expect_rc 75
	expect_lines 200 "$T/out"
	expect_eq "$(cut -f2 "$T/out" | sort -u)" completed
	expect_eq "$(grep -c ': still unknown after 3s$' "$T/err")" 50 "batches not reached"
}
