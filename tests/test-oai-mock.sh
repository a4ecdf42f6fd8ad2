# shellcheck shell=bash
# oai-mock: every endpoint, status transition, validation error and fault,
# with plain curl.

# jget NAME FILE: the first value of member NAME in FILE (a string without
# its quotes, or a number, true, false, null).
jget() {
	grep -o "\"$1\":\(\"[^\"]*\"\|[-0-9.a-z]*\)" "$2" | head -n 1 |
		sed -e "s/^\"$1\"://" -e 's/^"//' -e 's/"$//'
}

# chat_line ID TEXT [extra body members]: one batch request line.
chat_line() {
	printf '{"custom_id":"%s","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"%s"}]%s}}\n' \
		"$1" "$2" "${3:-}"
}

# chat_input N: N chat requests r1..rN asking "question i".
chat_input() {
	local i
	for i in $(seq 1 "$1"); do chat_line "r$i" "question $i"; done
}

# upload FILE [purpose]: uploads; the file id in $fid.
upload() {
	mock_curl POST /files -F "purpose=${2:-batch}" -F "file=@$1" >"$T/up.json"
	fid=$(jget id "$T/up.json")
	case $fid in file-*) ;; *) cat "$T/up.json"; fail "upload of $1 failed" ;; esac
}

# create_batch FILE-ID [endpoint]: the batch id in $bid.
create_batch() {
	mock_curl POST /batches -H 'Content-Type: application/json' \
		-d "{\"input_file_id\":\"$1\",\"endpoint\":\"${2:-/v1/chat/completions}\",\"completion_window\":\"24h\"}" \
		>"$T/create.json"
	bid=$(jget id "$T/create.json")
	case $bid in batch_*) ;; *) cat "$T/create.json"; fail "batch creation failed" ;; esac
}

# wait_status BATCH-ID STATUS: polls (at most 10 s); the batch in $T/b.json.
wait_status() {
	local i s=
	for i in $(seq 1 200); do
		mock_curl GET "/batches/$1" >"$T/b.json"
		s=$(jget status "$T/b.json")
		[ "$s" = "$2" ] && return 0
		sleep 0.05
	done
	fail "batch $1 is $s after 10 s, expected $2: $i"
}

# content FILE-ID: the file's content into $T/content.
content() {
	mock_curl GET "/files/$1/content" -o "$T/content"
}

t_url_line_and_version() {
	mock_start -q
	case $MOCK_URL in http://127.0.0.1:[0-9]*/v1) ;; *) fail "url $MOCK_URL" ;; esac
	run oai-mock -V
	expect_rc 0
	expect_eq "$(cat "$T/out")" "oai-mock batchpipe 0.1.0"
}

t_chat_batch_completes() {
	mock_start -q -t 0.05,0.2,0.05
	chat_input 3 >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	expect_eq "$(jget status "$T/create.json")" validating
	wait_status "$bid" completed
	expect_grep '"request_counts":\{"total":3,"completed":3,"failed":0\}' "$T/b.json"
	expect_grep '"error_file_id":null' "$T/b.json"
	content "$(jget output_file_id "$T/b.json")"
	expect_lines 3 "$T/content"
	grep -o '"custom_id":"r[0-9]*"' "$T/content" | sort >ids
	printf '"custom_id":"r%s"\n' 1 2 3 >want
	expect_same ids want
	expect_grep '"custom_id":"r2","response":\{"status_code":200,.*"content":"mock answer to: question 2"' "$T/content"
}
