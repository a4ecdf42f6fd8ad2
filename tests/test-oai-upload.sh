# shellcheck shell=bash
# oai-upload: streamed multipart uploads, output in input order, and no
# second upload of what the server already has.

t_usage_and_version() {
	run oai-upload -h
	expect_rc 0
	expect_eq "$(sed '/^$/,$d' "$T/out")" "usage: oai-upload [-hqVv] [-x seconds] [file ...]"
	run oai-upload -y
	expect_rc 2
	expect_eq "$(cat "$T/err")" "oai-upload: invalid option -- 'y'
usage: oai-upload [-hqVv] [-x seconds] [file ...]"
	run oai-upload -V
	expect_rc 0
	expect_eq "$(cat "$T/out")" "oai-upload batchpipe 0.1.0"
}

t_uploads_in_input_order() {
	mock_start
	net_lines 3 a.jsonl
	net_lines 5 b.jsonl
	net_lines 1 c.jsonl
	run oai-upload a.jsonl b.jsonl c.jsonl
	expect_rc 0
	expect_empty "$T/err"
	expect_lines 3 "$T/out"
	cut -f2 "$T/out" >paths
	printf 'a.jsonl\nb.jsonl\nc.jsonl\n' >want
	expect_same paths want
	expect_grep '^file-[A-Za-z0-9]+	a\.jsonl$' "$T/out"
	# What the server holds is the files, byte for byte.
	while IFS="$(printf '\t')" read -r id path; do
		mock_curl GET "/files/$id/content" -o got
		expect_same got "$path"
	done <"$T/out"
	expect_eq "$(net_count_files)" 3 "files on the server"
}

t_paths_from_stdin_first_field() {
	mock_start
	net_lines 2 a.jsonl
	net_lines 2 b.jsonl
	printf 'a.jsonl\tthe first part\n\nb.jsonl\n' >list
	run oai-upload <list
	expect_rc 0
	expect_lines 2 "$T/out"
	expect_grep '^file-[^	]+	a\.jsonl$' "$T/out"
	expect_grep '^file-[^	]+	b\.jsonl$' "$T/out"
}

t_uploaded_name_carries_content_hash() {
	mock_start
	net_lines 4 part-0001.jsonl
	run oai-upload part-0001.jsonl
	expect_rc 0
	hash=$(sha256sum part-0001.jsonl | cut -c1-32)
	id=$(cut -f1 "$T/out")
	expect_eq "$(net_files_on_server)" "$id	part-0001.$hash.jsonl	$(wc -c <part-0001.jsonl)"
}

t_rerun_uploads_nothing_new() {
	mock_start
	net_lines 3 a.jsonl
	net_lines 3 b.jsonl
	run oai-upload a.jsonl b.jsonl
	expect_rc 0
	cp "$T/out" first
	run oai-upload -v a.jsonl b.jsonl
	expect_rc 0
	expect_same "$T/out" first
	expect_grep '^\* a\.jsonl: the server has it already: file-' "$T/err"
	expect_no_grep '^> POST ' "$T/err"
	expect_eq "$(net_count_files)" 2 "files on the server"
}

t_same_name_other_content_is_uploaded() {
	mock_start
	mkdir x y
	net_lines 3 x/part.jsonl
	net_lines 4 y/part.jsonl
	run oai-upload x/part.jsonl
	expect_rc 0
	idx=$(cut -f1 "$T/out")
	run oai-upload y/part.jsonl x/part.jsonl
	expect_rc 0
	idy=$(sed -n 1p "$T/out" | cut -f1)
	[ "$idy" != "$idx" ] || fail "a different file was taken for y/part.jsonl"
	expect_eq "$(sed -n 2p "$T/out")" "$idx	x/part.jsonl"
	expect_eq "$(net_count_files)" 2 "files on the server"
	# The same file changed: a new upload, the old one not reused.
	echo '{"custom_id":"extra","method":"POST","url":"/v1/chat/completions","body":{}}' >>x/part.jsonl
	run oai-upload x/part.jsonl
	expect_rc 0
	[ "$(cut -f1 "$T/out")" != "$idx" ] || fail "a changed file was not uploaded again"
	expect_eq "$(net_count_files)" 3 "files on the server"
}

t_file_already_on_server_is_reused() {
	# As after an upload whose answer was lost: the file arrived.
	mock_start
	net_lines 3 p.jsonl
	hash=$(sha256sum p.jsonl | cut -c1-32)
	cp p.jsonl "p.$hash.jsonl"
	mock_curl POST /files -F purpose=batch -F "file=@p.$hash.jsonl" >up.json
	id=$(sed 's/.*"id":"\([^"]*\)".*/\1/' up.json)
	run oai-upload p.jsonl
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$id	p.jsonl"
	expect_eq "$(net_count_files)" 1 "files on the server"
}

t_unreadable_file_others_still_uploaded() {
	mock_start
	net_lines 2 good.jsonl
	mkdir adir
	run oai-upload missing.jsonl good.jsonl adir
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-upload: missing.jsonl: No such file or directory
oai-upload: adir: not a regular file"
	expect_grep '^file-[^	]+	good\.jsonl$' "$T/out"
	expect_lines 1 "$T/out"
}

t_retries_429_5xx_and_closed_connections() {
	mock_start -F http429=2 -F http500=1 -F http502=1 -F http503=1 -F close=2
	net_fast
	net_lines 5 a.jsonl
	net_lines 5 b.jsonl
	run oai-upload a.jsonl b.jsonl
	expect_rc 0
	expect_empty "$T/err"
	expect_lines 2 "$T/out"
	expect_eq "$(net_count_files)" 2 "files on the server"
}

t_lost_upload_answers_are_not_blindly_repeated() {
	# Every second call to /v1/files fails with a 500: each listing works,
	# each upload's answer is lost.  The file is looked for again after
	# every lost answer, and after the tries run out the exit is 75.
	mock_start -F http500=50%@/v1/files
	net_fast 3
	net_lines 2 a.jsonl
	run oai-upload -v a.jsonl
	expect_rc 75
	expect_empty "$T/out"
	expect_eq "$(grep -c '^> GET /v1/files?purpose=batch' "$T/err")" 3 "listings"
	expect_eq "$(grep -c '^> POST /v1/files' "$T/err")" 3 "uploads"
	expect_grep '^oai-upload: POST /v1/files: a\.jsonl: HTTP 500: The server had an error while processing your request\. Sorry about that! \(gave up after 3 tries\)$' "$T/err"
}

t_server_down_exits_75() {
	mock_start -F http503
	net_fast 2
	net_lines 2 a.jsonl
	run oai-upload a.jsonl
	expect_rc 75
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-upload: GET /v1/files: HTTP 503: The engine is currently overloaded, please try again later. (gave up after 2 tries)"
}

t_stdout_full() {
	mock_start
	net_lines 2 a.jsonl
	rc=0
	oai-upload a.jsonl >/dev/full 2>"$T/err" || rc=$?
	expect_eq "$rc" 1 "exit status"
	expect_eq "$(cat "$T/err")" "oai-upload: stdout: No space left on device"
}

t_slow_server() {
	mock_start -F slow=300
	net_lines 2 a.jsonl
	run oai-upload a.jsonl
	expect_rc 0
	expect_lines 1 "$T/out"
}

t_progress_on_a_terminal_only() {
	mock_start
	net_lines 2000 a.jsonl
	net_lines 2000 b.jsonl
	# script(1) gives the tool a terminal for stdout and stderr.
	script -qfec "oai-upload a.jsonl >ids" /dev/null >tty.out
	expect_grep 'a\.jsonl: [0-9.]+ MB of 0\.3 MB \([0-9]+%\)' tty.out
	expect_grep '^file-[^	]+	a\.jsonl$' ids
	script -qfec "oai-upload -q b.jsonl >ids" /dev/null >tty.out
	expect_empty tty.out
	expect_grep '^file-[^	]+	b\.jsonl$' ids
}

t_listing_refused_stops_everything() {
	mock_start -k sk-right-key-0001
	export OPENAI_API_KEY=sk-wrong-key-0002
	net_lines 2 a.jsonl
	net_lines 2 b.jsonl
	run oai-upload a.jsonl b.jsonl
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-upload: GET /v1/files: HTTP 401: Incorrect API key provided: sk-***0002. You can find your API key at https://platform.openai.com/account/api-keys."
}

t_path_that_cannot_be_a_record() {
	mock_start
	net_lines 2 "$(printf 'a\tb')"
	run oai-upload "$(printf 'a\tb')"
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-upload: argument 1: a path with a TAB or newline cannot be printed as a record"
}

t_lost_upload_answer_reuses_the_stored_file() {
	# The server stores the first upload but drops its answer: oai-upload
	# lists again, finds the file and prints its id, uploading nothing
	# twice.
	MOCK_LOG=$T/mock.log mock_start -F lose-upload=1
	net_fast
	net_lines 3 a.jsonl
	run oai-upload -v a.jsonl
	expect_rc 0
	net_log_wait 1 '^oai-mock: POST /v1/files ' "$T/mock.log"
	expect_grep '^oai-mock: POST /v1/files 0 \(fault lose-upload\)$' "$T/mock.log"
	expect_eq "$(grep -c '^oai-mock: POST /v1/files ' "$T/mock.log")" 1 "uploads"
	hash=$(sha256sum a.jsonl | cut -c1-32)
	expect_eq "$(net_count_files)" 1 "files on the server"
	id=$(net_files_on_server | cut -f1)
	expect_eq "$(net_files_on_server)" "$id	a.$hash.jsonl	$(wc -c <a.jsonl)"
	expect_eq "$(cat "$T/out")" "$id	a.jsonl"
	expect_grep '^\* a\.jsonl: the server has it already: '"$id"'$' "$T/err"
	expect_no_grep '^oai-upload: ' "$T/err"
}

# Listing files whose cursors alternate stops at the first one seen
# before: nothing is uploaded, since what the server has is unknown.
t_listing_that_cycles_stops() {
	MOCK_LOG=$T/mock.log mock_start -F cursor-cycle@/v1/files
	net_lines 2 a.jsonl
	net_lines 2 b.jsonl
	run timeout 20 oai-upload a.jsonl
	expect_rc 0
	run timeout 20 oai-upload b.jsonl
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-upload: GET /v1/files: page 3 hands on a cursor an earlier page gave: the listing cycles"
	expect_eq "$(grep -c '^oai-mock: POST /v1/files ' "$T/mock.log")" 1 "uploads"
}

# Ever-new cursors: the walk stops after BATCHPIPE_MAX_PAGES pages.
t_listing_without_end_is_capped() {
	MOCK_LOG=$T/mock.log mock_start -F cursor-endless@/v1/files
	net_lines 2 a.jsonl
	net_lines 2 b.jsonl
	run timeout 20 oai-upload a.jsonl
	expect_rc 0
	BATCHPIPE_MAX_PAGES=4 run timeout 20 oai-upload b.jsonl
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-upload: GET /v1/files: more than 4 pages (BATCHPIPE_MAX_PAGES): the listing does not end"
	expect_eq "$(grep -c '^oai-mock: POST /v1/files ' "$T/mock.log")" 1 "uploads"
}

# A FIFO among the paths is refused at once, not waited on for a writer;
# the other files are still uploaded.
t_fifo_is_refused_without_blocking() {
	mock_start
	net_lines 2 a.jsonl
	mkfifo fifo
	run timeout 10 oai-upload fifo a.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-upload: fifo: not a regular file"
	expect_grep '^file-[^	]+	a\.jsonl$' "$T/out"
	expect_lines 1 "$T/out"
}

# Two processes uploading the same new file at once, on a slow server: the
# second waits for the first (it says so) and reuses its upload.
t_two_at_once_upload_once() {
	mock_start -q -F slow=300
	net_lines 20 a.jsonl
	oai-upload a.jsonl >out1 2>err1 &
	p1=$!
	oai-upload a.jsonl >out2 2>err2 &
	p2=$!
	wait "$p1" || fail "the first oai-upload failed: $(cat err1)"
	wait "$p2" || fail "the second oai-upload failed: $(cat err2)"
	expect_eq "$(net_count_files)" 1 "files on the server"
	expect_lines 1 out1
	expect_same out2 out1
	cat err1 err2 >err
	expect_grep '^oai-upload: a\.jsonl: another process is making the same upload: waiting for it$' err
	# -q: the wait is not said.
	net_lines 21 b.jsonl
	oai-upload -q b.jsonl >out3 2>err3 &
	p3=$!
	oai-upload -q b.jsonl >out4 2>err4 &
	wait "$p3" && wait $!
	expect_same out4 out3
	expect_empty err3
	expect_empty err4
	expect_eq "$(net_count_files)" 2 "files on the server"
}

# With no state directory to keep the lock in, that is said once and the
# upload goes on.
t_no_state_dir_goes_on() {
	mock_start
	net_lines 2 a.jsonl
	net_lines 3 b.jsonl
	: >notadir
	XDG_STATE_HOME=$T/notadir/state run oai-upload a.jsonl b.jsonl
	expect_rc 0
	expect_lines 2 "$T/out"
	expect_eq "$(grep -c 'going on without the lock' "$T/err")" 1 "warnings"
	expect_grep "^oai-upload: $T/notadir/state: Not a directory: going on without the lock that keeps two processes from making the same upload or batch at once$" "$T/err"
	env -u XDG_STATE_HOME HOME=relative oai-upload a.jsonl >out2 2>err2
	expect_grep '^oai-upload: XDG_STATE_HOME: neither it nor HOME is an absolute path: going on' err2
	expect_eq "$(net_count_files)" 2 "files on the server"
}

# A run that listed the server's files before another process uploaded
# one of its later files lists them again when it comes to that file (the
# lock says an upload was made under it since), and reuses it.
t_later_file_uploaded_meanwhile() {
	mock_start -q
	net_lines 2 a.jsonl
	net_lines 3 b.jsonl
	mkfifo paths
	oai-upload <paths >out1 2>err1 &
	p1=$!
	exec 3>paths
	echo a.jsonl >&3
	for _ in $(seq 1 200); do
		[ -s out1 ] && break
		sleep 0.05
	done
	run oai-upload b.jsonl
	expect_rc 0
	echo b.jsonl >&3
	exec 3>&-
	wait "$p1" || fail "the first oai-upload failed: $(cat err1)"
	expect_eq "$(net_count_files)" 2 "files on the server"
	expect_eq "$(sed -n 2p out1)" "$(cat "$T/out")" "b.jsonl's line"
}

# A file on the server under the very name oai-upload would give, but
# shorter (an upload cut short by another client): not the file, so it
# is uploaded again and the short one is never taken for it.
t_same_name_other_size_is_not_reused() {
	mock_start
	net_lines 3 p.jsonl
	hash=$(sha256sum p.jsonl | cut -c1-32)
	head -n 2 p.jsonl >"p.$hash.jsonl"
	mock_curl POST /files -F purpose=batch -F "file=@p.$hash.jsonl" >up.json
	short=$(sed 's/.*"id":"\([^"]*\)".*/\1/' up.json)
	run oai-upload p.jsonl
	expect_rc 0
	id=$(cut -f1 "$T/out")
	[ "$id" != "$short" ] || fail "the short file $short was taken for p.jsonl"
	expect_eq "$(cat "$T/out")" "$id	p.jsonl"
	expect_eq "$(net_count_files)" 2 "files on the server"
	expect_eq "$(net_files_on_server | grep "^$id	")" "$id	p.$hash.jsonl	$(wc -c <p.jsonl)"
}

# "-" is the file on standard input: copied first, uploaded under
# stdin.<hash>.jsonl, printed as "-", and found again by a re-run; no
# operand at all still means paths from stdin.
t_dash_uploads_standard_input() {
	mock_start
	net_lines 3 r.jsonl
	run sh -c 'cat r.jsonl | oai-upload -'
	expect_rc 0
	expect_empty "$T/err"
	expect_grep '^file-[^	]+	-$' "$T/out"
	id=$(cut -f1 "$T/out")
	hash=$(sha256sum r.jsonl | cut -c1-32)
	expect_eq "$(net_files_on_server)" "$id	stdin.$hash.jsonl	$(wc -c <r.jsonl)"
	mock_curl GET "/files/$id/content" -o got
	expect_same got r.jsonl
	# A file on stdin, read from where it stands, and reused.
	run sh -c 'oai-upload - <r.jsonl'
	expect_rc 0
	expect_eq "$(cut -f1 "$T/out")" "$id"
	expect_eq "$(net_count_files)" 1 "files on the server"
	run sh -c 'oai-upload - - <r.jsonl'
	expect_rc 1
	expect_grep '^oai-upload: argument 2: standard input can be uploaded only once$' "$T/err"
	# Nothing of the copy is left in TMPDIR.
	mkdir tmp
	run env TMPDIR="$T/tmp" sh -c 'cat r.jsonl | oai-upload -'
	expect_rc 0
	expect_eq "$(find tmp -mindepth 1 | wc -l)" 0 "files left in TMPDIR"
}

# An empty file, or one whose first line is no request, is refused before
# anything is sent; the other files are still uploaded.
t_refuses_what_is_not_requests() {
	mock_start
	net_lines 2 good.jsonl
	: >empty.jsonl
	printf '{"name":"a review","text":"fine"}\n' >items.jsonl
	printf 'hello\n' >text.jsonl
	run oai-upload empty.jsonl items.jsonl good.jsonl text.jsonl
	expect_rc 1
	expect_lines 1 "$T/out"
	expect_grep '^file-[^	]+	good\.jsonl$' "$T/out"
	expect_eq "$(cat "$T/err")" "oai-upload: empty.jsonl: an empty file: no requests to upload; not uploaded
oai-upload: items.jsonl: line 1 is not a batch request: no custom_id; not uploaded
oai-upload: text.jsonl: line 1 is not a batch request: $(printf 'hello\n' | jsonl-split -d d 2>&1 | sed 's/.*:1: //'); not uploaded"
	run sh -c ': | oai-upload -'
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-upload: stdin: an empty file: no requests to upload; not uploaded"
	expect_eq "$(net_count_files)" 1 "files on the server"
}

t_expiry_sent_and_bounded() {
	mock_start
	net_lines 2 a.jsonl
	for bad in 3599 2592001 1h ''; do
		run oai-upload -x "$bad" a.jsonl
		expect_rc 2
	done
	expect_eq "$(net_count_files)" 0 "files on the server"
	run oai-upload -x 3600 a.jsonl
	expect_rc 0
	id=$(cut -f1 "$T/out")
	mock_curl GET "/files/$id" -o obj
	created=$(bw_member created_at <obj)
	expect_eq "$(bw_member expires_at <obj)" "$((created + 3600))" "expires_at"
	# Another expiry is another upload, never the file of 3600 s.
	run oai-upload a.jsonl
	expect_rc 0
	expect_eq "$(net_count_files)" 2 "files on the server"
	run oai-upload -x 3600 a.jsonl
	expect_rc 0
	expect_eq "$(cut -f1 "$T/out")" "$id" "the same expiry reuses the file"
}

t_expired_file_answers_404() {
	mock_start
	net_lines 2 a.jsonl
	id=$(mock_curl POST /files -F purpose=batch -F 'expires_after[anchor]=created_at' \
	    -F 'expires_after[seconds]=1' -F file=@a.jsonl | bw_member id)
	sleep 2
	run oai-fetch "$id"
	expect_rc 1
	expect_grep 'HTTP 404' "$T/err"
	expect_eq "$(net_count_files)" 0 "files listed"
}

t_answer_without_size_is_taken_and_said_once() {
	mock_start -F no-bytes
	net_lines 2 a.jsonl
	net_lines 3 b.jsonl
	run oai-upload a.jsonl b.jsonl
	expect_rc 0
	expect_lines 2 "$T/out"
	expect_eq "$(cat "$T/err")" "oai-upload: POST /v1/files: the answers state no size (\"bytes\"): the sizes stored are not verified"
	while IFS="$(printf '\t')" read -r id path; do
		mock_curl GET "/files/$id/content" -o got
		expect_same got "$path"
	done <"$T/out"
}
