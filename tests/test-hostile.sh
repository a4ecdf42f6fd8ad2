# shellcheck shell=bash
# What a hostile server sends (tests/hostile-server): the key echoed back,
# terminal escapes, a header of a megabyte, an answer over the cap.  The
# key never shows unmasked, not even in part where a message is cut; no
# control character of the server's reaches the terminal; the messages say
# what happened.

CANARY=sk-canary-7f3e9d1c5b2a4e6f8091
ESC=$(printf '\033')

# ys N: N letters y.
ys() {
	head -c "$1" /dev/zero | tr '\0' y
}

# no_key FILE...: no piece of the key (its first 9 bytes are enough to
# see a cut one) and no escape character in the files.
no_key() {
	local f
	for f do
		expect_no_grep 'sk-canary' "$f"
		expect_no_grep "$ESC" "$f"
	done
}

t_batch_error_message_holding_the_key_is_masked() {
	# The key in the code, and twice in a message of more than 1,000
	# bytes, where the cut falls inside the second one.
	printf '{"id": "batch_x", "object": "batch", "status": "failed", "errors": {"object": "list", "data": [{"code": "bad_%s", "message": "%s is not valid: %s\\u001b[2J%s", "line": 3}]}}' \
		"$CANARY" "$(ys 965)" "$CANARY" "$CANARY" >batch.json
	hostile_start -b batch.json
	export OPENAI_API_KEY=$CANARY
	run oai-wait batch_x
	expect_rc 4
	no_key "$T/err"
	expect_grep "^oai-wait: batch_x: line 3: bad_\[redacted\]: y{965} is not valid: \[redacted\] \[2J\[redac\.\.\.$" "$T/err"
	run oai-wait -b batch_x
	expect_rc 4
	no_key "$T/out" "$T/err"
	expect_eq "$(cat "$T/out")" "$(printf 'batch_x\tfailed\t-\t-\t-\tbad_[redacted]')"
}

t_api_error_message_holding_the_key_is_masked_before_the_cut() {
	printf '{"error": {"message": "%s: %s%s", "type": "invalid_request_error"}}' \
		"$(ys 980)" "$CANARY" "$CANARY" >error.json
	hostile_start -s '400 Bad Request' -b error.json
	export OPENAI_API_KEY=$CANARY
	run oai-rm file-x
	expect_rc 1
	no_key "$T/err"
	expect_grep "^oai-rm: DELETE /v1/files/file-x: HTTP 400: y{980}: \[redacted\]\[redacte\.\.\.$" "$T/err"
}

t_redirect_to_the_key_and_an_escape_is_scrubbed() {
	hostile_start -s '307 Temporary Redirect' \
		-H "Location: http://127.0.0.1:1/v1/x?key=$CANARY&t=$ESC]0;pwned$(printf '\a')${ESC}[2J"
	export OPENAI_API_KEY=$CANARY
	run oai-rm file-x
	expect_rc 1
	no_key "$T/err"
	expect_eq "$(cat "$T/err")" "oai-rm: DELETE /v1/files/file-x: HTTP 307: redirected to http://127.0.0.1:1/v1/x?key=[redacted]&t= ]0;pwned  [2J; redirects are not followed (check OPENAI_BASE_URL)"
	# The verbose trace of the headers is scrubbed too.
	run oai-rm -v file-x
	expect_rc 1
	no_key "$T/err"
	expect_grep '^< Location: http://127\.0\.0\.1:1/v1/x\?key=\[redacted\]&t= \]0;pwned  \[2J$' "$T/err"
}

t_header_of_a_megabyte_is_too_large() {
	hostile_start -G 1048576
	export OPENAI_API_KEY=$CANARY
	run oai-rm file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-rm: DELETE /v1/files/file-x: header too large (more than 100 kB)"
}

t_many_headers_are_too_large() {
	local i args=()
	for i in $(seq 1 1100); do args+=(-H "X-Hostile-$i: $(ys 90)"); done
	hostile_start "${args[@]}"
	export OPENAI_API_KEY=$CANARY
	run oai-rm file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-rm: DELETE /v1/files/file-x: header too large (more than 100 kB)"
}

t_answer_over_the_cap_is_named() {
	hostile_start -B $((65 * 1024 * 1024))
	export OPENAI_API_KEY=$CANARY
	run oai-rm file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-rm: DELETE /v1/files/file-x: answer larger than 64 MB"
	run oai-fetch file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-fetch: GET /v1/files/file-x: answer larger than 64 MB"
}

t_a_tool_holding_the_key_leaves_no_core() {
	local i limits=''
	printf '{"id": "batch_x", "object": "batch", "status": "in_progress"}' >batch.json
	hostile_start -b batch.json
	export OPENAI_API_KEY=$CANARY
	# A soft limit to lower (unless the hard limit is 0 already).
	ulimit -S -c "$(ulimit -H -c)" 2>/dev/null || true
	background oai-wait -q -i 60 batch_x
	for i in $(seq 1 400); do
		limits=$(grep '^Max core file size' "/proc/$!/limits" 2>/dev/null) || true
		[ -n "$limits" ] && [ "$(awk '{ print $5 $6 }' <<<"$limits")" = 00 ] && break
		sleep 0.05
	done
	expect_grep '^Max core file size +0 +0 ' "/proc/$!/limits"
	# Not dumpable (Linux): its /proc files belong to root, not to us.
	[ "$(id -u)" -eq 0 ] ||
		expect_eq "$(stat -c %u "/proc/$!/status")" 0 "owner of /proc/PID/status"
	: "$i"
}

t_message_is_cut_between_characters() {
	# The cut at 1,000 bytes falls inside a two-byte character and a C1
	# control (U+009B, a CSI to some terminals) is made a space.
	printf '{"error": {"message": "\xc2\x9b%s\xc3\xa9\xc3\xa9"}}' "$(ys 998)" >error.json
	hostile_start -s 400 -b error.json
	export OPENAI_API_KEY=$CANARY
	run oai-rm file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-rm: DELETE /v1/files/file-x: HTTP 400:  $(ys 998)..."
}

# A server whose batch ids hold a '/' (which no id used in a path or a
# file name may hold): the create's answer holds a batch, so it is the
# file's batch and no other is created, though it cannot be used.  Every
# request gets the same answer here: a batch for GET /files/ID and POST
# /batches, and an empty list for GET /batches.
t_created_batch_of_an_odd_id_is_not_created_again() {
	printf '{"object":"batch","id":"batch_a/b=","status":"validating","input_file_id":"file-1","created_at":1,"data":[],"has_more":false}\n' >odd.json
	hostile_start -b odd.json -l requests.log
	export OPENAI_API_KEY=$CANARY BATCHPIPE_RETRY_BASE_MS=1
	run oai-batch file-1
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-batch: file-1: its batch batch_a/b= has an id or status unfit to use; no other batch is created for it"
	expect_eq "$(grep -c '^POST /v1/batches$' requests.log)" 1 "creates"
}

# The same batch found in the listing: nothing is created at all.
t_listed_batch_of_an_odd_id_stops_a_create() {
	printf '{"object":"list","id":"file-1","created_at":1,"data":[{"object":"batch","id":"batch_a/b=","status":"in_progress","input_file_id":"file-1","created_at":2}],"has_more":false}\n' >odd.json
	hostile_start -b odd.json -l requests.log
	export OPENAI_API_KEY=$CANARY
	run oai-batch file-1
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-batch: file-1: its batch batch_a/b= has an id or status unfit to use; no other batch is created for it"
	expect_no_grep '^POST' requests.log
}

# A NUL inside the batch id of a create's answer: the batch exists, so it
# is not created again, though no tool can use its id.
t_created_batch_of_a_nul_id_is_not_created_again() {
	printf '{"object":"batch","id":"batch_\\u0000x","status":"validating","input_file_id":"file-1","created_at":1,"data":[],"has_more":false}\n' >odd.json
	hostile_start -b odd.json -l requests.log
	export OPENAI_API_KEY=$CANARY BATCHPIPE_RETRY_BASE_MS=1
	run oai-batch file-1
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-batch: POST /v1/batches: file-1: the answer's batch has an id no tool can use; no other batch is created for it"
	expect_eq "$(grep -c '^POST /v1/batches$' requests.log)" 1 "creates"
}

# file_object BYTES: the file object of file-x, of BYTES bytes, in meta.json.
file_object() {
	printf '{"id": "file-x", "object": "file", "purpose": "batch_output", "bytes": %s}' "$1" >meta.json
}

t_download_that_drips_is_given_up_after_its_total_limit() {
	# 10 bytes a second never stalls (BATCHPIPE_TIMEOUT=1), but 1,000
	# bytes at 1 kB/s get 5 stall timeouts plus 1 s: 6 s a try, far
	# from the 100 s the drip would take.
	file_object 1000
	ys 1000 >content
	hostile_start -b meta.json -a 'GET /v1/files/file-x/content=content' -D 100
	export OPENAI_API_KEY=$CANARY BATCHPIPE_TIMEOUT=1 BATCHPIPE_MIN_RATE=1
	net_fast 2
	mkdir dest
	start=$(net_ms)
	run oai-fetch -d dest file-x
	elapsed=$(($(net_ms) - start))
	expect_rc 75
	expect_grep '^oai-fetch: GET /v1/files/file-x/content: slower than 1 kB/s on average \(BATCHPIPE_MIN_RATE\): [0-9]+ of 1000 bytes in 6 s \(gave up after 2 tries\)$' "$T/err"
	expect_eq "$(wc -l <"$T/err")" 1 "error lines"
	expect_eq "$(ls -A dest)" "" "files in dest"
	[ "$elapsed" -ge 12000 ] || fail "gave up after $elapsed ms, before two limits of 6 s"
	[ "$elapsed" -lt 90000 ] || fail "took $elapsed ms"
}

t_download_slow_but_within_its_limit_arrives() {
	# 100 bytes at 10 ms a byte: about 1 s, under the 5 s floor.
	file_object 100
	ys 100 >content
	hostile_start -b meta.json -a 'GET /v1/files/file-x/content=content' -D 10
	export OPENAI_API_KEY=$CANARY BATCHPIPE_TIMEOUT=1
	net_fast 1
	run oai-fetch file-x
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$(ys 100)"
	expect_eq "$(cat "$T/err")" ""
}

t_download_larger_than_the_disk_is_refused_before_it_starts() {
	file_object 1000000000000000000
	hostile_start -b meta.json -l requests.log
	export OPENAI_API_KEY=$CANARY
	run oai-fetch file-x
	expect_rc 1
	expect_grep '^oai-fetch: GET /v1/files/file-x/content: 1000000000000000000 bytes announced \(1000000000\.00 GB\), more than the [0-9.]+ [MG]B free on the destination.s filesystem$' "$T/err"
	expect_eq "$(cat requests.log)" "GET /v1/files/file-x" "requests"
	mkdir dest
	run oai-fetch -d dest file-x
	expect_rc 1
	expect_eq "$(ls -A dest)" "" "files in dest"
}

t_bad_min_rate_is_a_usage_error() {
	export OPENAI_API_KEY=$CANARY
	BATCHPIPE_MIN_RATE=0 run oai-fetch file-x
	expect_rc 2
	expect_eq "$(cat "$T/err")" "oai-fetch: BATCHPIPE_MIN_RATE: 0: expected a whole number of kB/s from 1 to 1000000"
}

# upload_answer ID: the answer to an upload of a.jsonl (its size right),
# with id ID written as JSON text, in upload.json.
upload_answer() {
	printf '{"id": "%s", "object": "file", "purpose": "batch", "filename": "a.jsonl", "bytes": %s, "status": "processed"}' \
		"$1" "$(wc -c <a.jsonl)" >upload.json
}

t_upload_answer_with_a_nul_in_its_id_is_refused() {
	printf '{"custom_id":"1","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}\n' >a.jsonl
	printf '{"object": "list", "data": [], "has_more": false}' >list.json
	export OPENAI_API_KEY=$CANARY
	# The same answer with a plain id is taken: the NUL is the reason.
	upload_answer 'file-x'
	hostile_start -b list.json -a 'POST /v1/files=upload.json'
	run oai-upload a.jsonl
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$(printf 'file-x\ta.jsonl')"
	kill "$HOSTILE_PID"
	upload_answer 'file-\u0000x'
	hostile_start -b list.json -a 'POST /v1/files=upload.json'
	run oai-upload a.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/out")" ""
	expect_eq "$(cat "$T/err")" "oai-upload: POST /v1/files: a.jsonl: the answer has no file id"
}

t_upload_size_stated_wrong_is_refused_left_out_is_said() {
	printf '{"custom_id":"1","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}\n' >a.jsonl
	printf '{"object": "list", "data": [], "has_more": false}' >list.json
	export OPENAI_API_KEY=$CANARY
	printf '{"id": "file-x", "object": "file", "purpose": "batch", "filename": "a.jsonl", "bytes": %s, "status": "processed"}' \
		"$(($(wc -c <a.jsonl) - 1))" >upload.json
	hostile_start -b list.json -a 'POST /v1/files=upload.json'
	run oai-upload a.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/out")" ""
	expect_grep "^oai-upload: a.jsonl: the server stored $(($(wc -c <a.jsonl) - 1)) bytes of $(wc -c <a.jsonl) " "$T/err"
	kill "$HOSTILE_PID"
	printf '{"id": "file-x", "object": "file", "purpose": "batch", "filename": "a.jsonl", "status": "processed"}' >upload.json
	hostile_start -b list.json -a 'POST /v1/files=upload.json'
	run oai-upload a.jsonl
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$(printf 'file-x\ta.jsonl')"
	expect_grep 'the answers state no size' "$T/err"
}
