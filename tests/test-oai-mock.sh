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

# ---- options ----

t_usage() {
	run oai-mock -h
	expect_rc 0
	expect_grep '^usage: oai-mock \[-hqV\]' "$T/out"
	run oai-mock -x
	expect_rc 2
	expect_grep '^usage: oai-mock' "$T/err"
	run oai-mock -t 1,2
	expect_rc 2
	expect_grep '^oai-mock: -t 1,2: expected three durations' "$T/err"
	run oai-mock -F nosuch
	expect_rc 2
	expect_grep '^oai-mock: -F nosuch: unknown fault$' "$T/err"
	run oai-mock -F http429=x
	expect_rc 2
	expect_grep '^oai-mock: -F http429=x: bad value$' "$T/err"
	run oai-mock -F retry-after=date:soon
	expect_rc 2
	expect_grep '^oai-mock: -F retry-after=date:soon: bad value$' "$T/err"
	run oai-mock -F extra-result=0
	expect_rc 2
	expect_grep '^oai-mock: -F extra-result=0: bad value$' "$T/err"
	run oai-mock -F fail-batch=0
	expect_rc 2
	expect_grep '^oai-mock: -F fail-batch=0: bad value$' "$T/err"
	run oai-mock -F echo-key
	expect_rc 2
	expect_grep '^oai-mock: -F echo-key: no key to echo: give -k, or the text as echo-key=TEXT$' "$T/err"
	run oai-mock -F echo-key@/v1/batches
	expect_rc 2
	expect_grep '^oai-mock: -F echo-key@/v1/batches: echo-key takes no path prefix$' "$T/err"
	run oai-mock -F 'http500@files'
	expect_rc 2
	expect_grep 'the path prefix must start with /' "$T/err"
	run oai-mock -a nowhere
	expect_rc 2
	expect_grep '^oai-mock: -a nowhere: not a numeric' "$T/err"
	run oai-mock extra
	expect_rc 2
}

t_sigterm_removes_private_dir() {
	mkdir tmp
	TMPDIR=$T/tmp oai-mock -p 0 -q >url &
	pid=$!
	for _ in $(seq 1 100); do [ -s url ] && break; sleep 0.05; done
	[ -s url ] || fail "no url"
	expect_eq "$(find tmp -mindepth 1 -maxdepth 1 | wc -l)" 1 "private dirs"
	kill -TERM "$pid"
	wait "$pid" || fail "exit status $? after SIGTERM"
	expect_eq "$(find tmp -mindepth 1 | wc -l)" 0 "left in TMPDIR"
}

t_storage_dir_keeps_files() {
	mock_start -q
	printf 'hello\n' >f.txt
	upload f.txt user_data
	expect_same "$T/mock/$fid" f.txt
}

# ---- auth ----

t_auth_missing_key_401() {
	mock_start -q
	code=$(curl -sS -o body -w '%{http_code}' "$MOCK_URL/files")
	expect_eq "$code" 401
	expect_grep '^\{"error":\{"message":"You didn.t provide an API key\..*","type":"invalid_request_error","param":null,"code":null\}\}$' body
}

t_auth_wrong_key_401() {
	mock_start -q -k sk-right-key-123
	code=$(curl -sS -o body -w '%{http_code}' -H 'Authorization: Bearer sk-wrong-key-456' "$MOCK_URL/files")
	expect_eq "$code" 401
	expect_grep '"message":"Incorrect API key provided: sk-\*\*\*-456\..*"code":"invalid_api_key"' body
	expect_no_grep 'wrong-key' body
	code=$(curl -sS -o body -w '%{http_code}' -H 'Authorization: Bearer sk-right-key-123' "$MOCK_URL/files")
	expect_eq "$code" 200
	expect_eq "$OPENAI_API_KEY" sk-right-key-123
}

# ---- files ----

t_file_upload_get_delete() {
	mock_start -q
	printf '{"a":1}\n' >in.jsonl
	upload in.jsonl
	expect_grep '^\{"object":"file","id":"file-[A-Za-z0-9]{22}","purpose":"batch","filename":"in.jsonl","bytes":8,"created_at":[0-9]+,"expires_at":null,"status":"processed","status_details":null\}$' "$T/up.json"
	mock_curl GET "/files/$fid" >got.json
	expect_same got.json "$T/up.json"
	mock_curl DELETE "/files/$fid" >del.json
	expect_eq "$(cat del.json)" "{\"id\":\"$fid\",\"object\":\"file\",\"deleted\":true}"
	code=$(mock_curl GET "/files/$fid" -o body -w '%{http_code}')
	expect_eq "$code" 404
	expect_eq "$(cat body)" "{\"error\":{\"message\":\"No such File object: $fid\",\"type\":\"invalid_request_error\",\"param\":\"id\",\"code\":null}}"
	code=$(mock_curl DELETE "/files/$fid" -o body -w '%{http_code}')
	expect_eq "$code" 404
	[ ! -e "$T/mock/$fid" ] || fail "file body left on disk"
}

t_file_content_exact() {
	mock_start -q
	head -c 300000 /dev/urandom >blob
	upload blob user_data
	mock_curl GET "/files/$fid/content" -D headers -o got
	expect_same got blob
	expect_grep '^Content-Type: application/octet-stream' headers
	expect_grep '^Content-Length: 300000' headers
	code=$(mock_curl GET /files/file-nope/content -o body -w '%{http_code}')
	expect_eq "$code" 404
}

t_file_list_purpose_and_pages() {
	mock_start -q
	echo 1 >a; echo 2 >b; echo 3 >c
	upload a; f1=$fid
	upload b user_data; f2=$fid
	upload c; f3=$fid
	mock_curl GET /files >all.json
	expect_grep "^\\{\"object\":\"list\",\"data\":\\[\\{\"object\":\"file\",\"id\":\"$f3\".*\"id\":\"$f2\".*\"id\":\"$f1\".*\\],\"first_id\":\"$f3\",\"last_id\":\"$f1\",\"has_more\":false\\}$" all.json
	mock_curl GET '/files?purpose=batch' >batch.json
	expect_no_grep "$f2" batch.json
	expect_grep "\"first_id\":\"$f3\",\"last_id\":\"$f1\"" batch.json
	mock_curl GET '/files?limit=1' >p1.json
	expect_grep "\"first_id\":\"$f3\",\"last_id\":\"$f3\",\"has_more\":true" p1.json
	mock_curl GET "/files?limit=1&after=$f3" >p2.json
	expect_grep "\"first_id\":\"$f2\",\"last_id\":\"$f2\",\"has_more\":true" p2.json
	mock_curl GET "/files?limit=5&after=$f2" >p3.json
	expect_grep "\"first_id\":\"$f1\",\"last_id\":\"$f1\",\"has_more\":false" p3.json
	mock_curl GET '/files?order=asc&limit=1' >asc.json
	expect_grep "\"first_id\":\"$f1\"" asc.json
	code=$(mock_curl GET '/files?limit=0' -o body -w '%{http_code}')
	expect_eq "$code" 400
	expect_grep '"param":"limit"' body
	mock_curl GET '/files?purpose=vision' >none.json
	expect_eq "$(cat none.json)" '{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}'
}

t_file_upload_errors() {
	mock_start -q
	echo x >f
	code=$(mock_curl POST /files -F file=@f -o body -w '%{http_code}')
	expect_eq "$code" 400
	expect_grep "\"message\":\"Missing required parameter: 'purpose'\\.\".*\"param\":\"purpose\"" body
	code=$(mock_curl POST /files -F purpose=batch -o body -w '%{http_code}')
	expect_eq "$code" 400
	expect_grep '"param":"file"' body
	code=$(mock_curl POST /files -F purpose=nonsense -F file=@f -o body -w '%{http_code}')
	expect_eq "$code" 400
	expect_grep "'nonsense' is not one of" body
	code=$(mock_curl POST /files -d purpose=batch -o body -w '%{http_code}')
	expect_eq "$code" 400
	expect_grep 'multipart/form-data' body
	mock_curl GET /files >list.json
	expect_grep '"data":\[\]' list.json
	expect_eq "$(find "$T/mock" -type f | wc -l)" 0 "files left in the storage dir"
}

t_upload_streams_to_disk() {
	mock_start -q
	truncate -s 64M big
	hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$MOCK_PID/status"; }
	before=$(hwm)
	upload big user_data
	after=$(hwm)
	expect_grep '"bytes":67108864' "$T/up.json"
	[ $((after - before)) -lt 16384 ] || fail "peak memory grew by $((after - before)) kB for a 64 MB upload"
}

t_concurrent_uploads() {
	mock_start -q
	pids=()
	for i in $(seq 1 12); do
		echo "$i" >"f$i"
		mock_curl POST /files -F purpose=batch -F "file=@f$i" >"up$i.json" &
		pids+=($!)
	done
	wait "${pids[@]}"
	cat up*.json | grep -o '"id":"file-[A-Za-z0-9]*"' | sort -u >ids
	expect_lines 12 ids
	mock_curl GET /files >list.json
	expect_eq "$(grep -o '"object":"file"' list.json | wc -l)" 12 "files listed"
}

t_unknown_url_404() {
	mock_start -q
	code=$(mock_curl GET /nothing -o body -w '%{http_code}')
	expect_eq "$code" 404
	expect_eq "$(cat body)" '{"error":{"message":"Invalid URL (GET /v1/nothing)","type":"invalid_request_error","param":null,"code":null}}'
	code=$(mock_curl PUT /files -o body -w '%{http_code}')
	expect_eq "$code" 404
}

# ---- batches ----

t_batch_object_fields() {
	mock_start -q -t 5,1,1
	chat_input 1 >in.jsonl
	upload in.jsonl
	mock_curl POST /batches -d "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":{\"job\":\"nightly\"}}" >b.json
	expect_grep "^\\{\"id\":\"batch_[0-9a-f]{32}\",\"object\":\"batch\",\"endpoint\":\"/v1/chat/completions\",\"model\":null,\"errors\":null,\"input_file_id\":\"$fid\",\"completion_window\":\"24h\",\"status\":\"validating\",\"output_file_id\":null,\"error_file_id\":null,\"created_at\":[0-9]+,\"in_progress_at\":null,\"expires_at\":[0-9]+,\"finalizing_at\":null,\"completed_at\":null,\"failed_at\":null,\"expired_at\":null,\"cancelling_at\":null,\"cancelled_at\":null,\"request_counts\":\\{\"total\":0,\"completed\":0,\"failed\":0\\},\"usage\":\\{\"input_tokens\":0,\"input_tokens_details\":\\{\"cached_tokens\":0\\},\"output_tokens\":0,\"output_tokens_details\":\\{\"reasoning_tokens\":0\\},\"total_tokens\":0\\},\"metadata\":\\{\"job\":\"nightly\"\\}\\}$" b.json
	created=$(jget created_at b.json) expires=$(jget expires_at b.json)
	expect_eq $((expires - created)) 86400 "expires_at - created_at"
	bid=$(jget id b.json)
	mock_curl GET "/batches/$bid" >got.json
	expect_same got.json b.json
}

t_batch_lifecycle_timestamps() {
	mock_start -q -t 0.3,0.6,0.3
	chat_input 30 >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" in_progress
	expect_grep '"in_progress_at":[0-9]+,' "$T/b.json"
	expect_grep '"model":"gpt-4o-mini"' "$T/b.json"
	expect_grep '"finalizing_at":null,"completed_at":null' "$T/b.json"
	wait_status "$bid" finalizing
	expect_grep '"request_counts":\{"total":30,"completed":30,"failed":0\}' "$T/b.json"
	expect_grep '"finalizing_at":[0-9]+,"completed_at":null' "$T/b.json"
	expect_grep '"output_file_id":null' "$T/b.json"
	wait_status "$bid" completed
	expect_grep '"completed_at":[0-9]+,"failed_at":null,"expired_at":null,"cancelling_at":null,"cancelled_at":null' "$T/b.json"
	expect_grep '"output_file_id":"file-' "$T/b.json"
	expect_grep '"usage":\{"input_tokens":[1-9][0-9]*,.*"output_tokens":[1-9]' "$T/b.json"
}

t_batch_counts_grow() {
	mock_start -q -t 0.05,1.5,0.05
	chat_input 40 >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" in_progress
	sleep 0.5
	mock_curl GET "/batches/$bid" >mid.json
	done=$(grep -o '"completed":[0-9]*' mid.json | cut -d: -f2)
	{ [ "$done" -gt 0 ] && [ "$done" -lt 40 ]; } || fail "completed $done midway, expected between 0 and 40"
	expect_grep '"total":40' mid.json
	wait_status "$bid" completed
}

t_batch_output_shuffled_and_stable() {
	mock_start -q -t 0,0,0
	chat_input 20 >in.jsonl
	upload in.jsonl
	create_batch "$fid"; b1=$bid
	create_batch "$fid"; b2=$bid
	wait_status "$b1" completed
	content "$(jget output_file_id "$T/b.json")"; mv "$T/content" out1
	wait_status "$b2" completed
	content "$(jget output_file_id "$T/b.json")"; mv "$T/content" out2
	grep -o '"custom_id":"r[0-9]*"' out1 >ids1
	grep -o '"custom_id":"r[0-9]*"' out2 >ids2
	expect_same ids1 ids2
	grep -o '"custom_id":"r[0-9]*"' in.jsonl >ids_in
	cmp -s ids1 ids_in && fail "output is in input order"
	sort ids1 >s1; sort ids_in >s2
	expect_same s1 s2
	# The answers agree too, ids and times aside.
	sed -e 's/"id":"[^"]*"//g' -e 's/"request_id":"[^"]*"//g' -e 's/"created":[0-9]*//' out1 >a1
	sed -e 's/"id":"[^"]*"//g' -e 's/"request_id":"[^"]*"//g' -e 's/"created":[0-9]*//' out2 >a2
	expect_same a1 a2
	grep -o '"id":"batch_req_[0-9a-f]*"' out1 out2 | cut -d: -f2- | sort | uniq -d >dups
	expect_empty dups
}

t_batch_result_files_are_files() {
	mock_start -q -t 0,0,0
	{ chat_line ok hello; printf '{"custom_id":"bad","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini"}}\n'; } >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" completed
	expect_grep '"request_counts":\{"total":2,"completed":1,"failed":1\}' "$T/b.json"
	out=$(jget output_file_id "$T/b.json") errf=$(jget error_file_id "$T/b.json")
	mock_curl GET "/files/$out" >o.json
	expect_grep "\"purpose\":\"batch_output\",\"filename\":\"${bid}_output.jsonl\"" o.json
	mock_curl GET "/files/$errf" >e.json
	expect_grep "\"purpose\":\"batch_output\",\"filename\":\"${bid}_error.jsonl\"" e.json
	content "$errf"
	expect_lines 1 "$T/content"
	expect_grep "^\\{\"id\":\"batch_req_[0-9a-f]+\",\"custom_id\":\"bad\",\"response\":\\{\"status_code\":400,\"request_id\":\"req_[0-9a-f]+\",\"body\":\\{\"error\":\\{\"message\":\"Missing required parameter: 'messages'\\.\",\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":\"missing_required_parameter\"\\}\\}\\},\"error\":null\\}$" "$T/content"
	mock_curl GET '/files?purpose=batch_output' >list.json
	expect_grep "\"first_id\":\"$errf\",\"last_id\":\"$out\"" list.json
	mock_curl DELETE "/files/$out" >del.json
	expect_grep '"deleted":true' del.json
}

t_batch_all_failed_has_no_output_file() {
	mock_start -q -t 0,0,0
	printf '{"custom_id":"x","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[]}}\n' >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" completed
	expect_grep '"output_file_id":null,"error_file_id":"file-' "$T/b.json"
	expect_grep '"completed":0,"failed":1' "$T/b.json"
}

t_batch_list_newest_first() {
	mock_start -q -t 5,1,1
	chat_input 1 >in.jsonl
	upload in.jsonl
	create_batch "$fid"; b1=$bid
	create_batch "$fid"; b2=$bid
	create_batch "$fid"; b3=$bid
	mock_curl GET /batches >all.json
	expect_grep "^\\{\"object\":\"list\",\"data\":\\[\\{\"id\":\"$b3\".*\\{\"id\":\"$b2\".*\\{\"id\":\"$b1\".*\\],\"first_id\":\"$b3\",\"last_id\":\"$b1\",\"has_more\":false\\}$" all.json
	mock_curl GET '/batches?limit=2' >p1.json
	expect_grep "\"first_id\":\"$b3\",\"last_id\":\"$b2\",\"has_more\":true" p1.json
	mock_curl GET "/batches?limit=2&after=$b2" >p2.json
	expect_grep "\"first_id\":\"$b1\",\"last_id\":\"$b1\",\"has_more\":false" p2.json
	code=$(mock_curl GET '/batches?limit=101' -o body -w '%{http_code}')
	expect_eq "$code" 400
}

t_batch_create_errors() {
	mock_start -q
	chat_input 1 >in.jsonl
	upload in.jsonl
	post() { mock_curl POST /batches -d "$1" -o body -w '%{http_code}'; }
	expect_eq "$(post '{"endpoint":"/v1/chat/completions","completion_window":"24h"}')" 400
	expect_grep "\"message\":\"Missing required parameter: 'input_file_id'\\.\".*\"param\":\"input_file_id\",\"code\":\"missing_required_parameter\"" body
	expect_eq "$(post "{\"input_file_id\":\"$fid\",\"completion_window\":\"24h\"}")" 400
	expect_grep '"param":"endpoint"' body
	expect_eq "$(post "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/nope\",\"completion_window\":\"24h\"}")" 400
	expect_grep "Invalid value for 'endpoint'" body
	expect_eq "$(post "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"1h\"}")" 400
	expect_grep '"param":"completion_window","code":"invalid_value"' body
	expect_eq "$(post "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":{\"k\":1}}")" 400
	expect_grep '"param":"metadata"' body
	expect_eq "$(post '{"input_file_id":"file-nope","endpoint":"/v1/chat/completions","completion_window":"24h"}')" 404
	expect_eq "$(cat body)" '{"error":{"message":"No such File object: file-nope","type":"invalid_request_error","param":"input_file_id","code":null}}'
	expect_eq "$(post '{not json')" 400
	expect_grep 'We could not parse the JSON body' body
	code=$(mock_curl GET /batches/batch_nope -o body -w '%{http_code}')
	expect_eq "$code" 404
	expect_grep "No batch found with id 'batch_nope'" body
	mock_curl GET /batches >list.json
	expect_grep '"data":\[\]' list.json
}

t_cancel_in_progress() {
	mock_start -q -t 0.05,2,0.2
	chat_input 40 >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" in_progress
	sleep 0.5
	mock_curl POST "/batches/$bid/cancel" >c.json
	expect_eq "$(jget status c.json)" cancelling
	expect_grep '"cancelling_at":[0-9]+,"cancelled_at":null' c.json
	wait_status "$bid" cancelled
	expect_grep '"cancelling_at":[0-9]+,"cancelled_at":[0-9]+' "$T/b.json"
	n=$(grep -o '"completed":[0-9]*' "$T/b.json" | cut -d: -f2)
	{ [ "$n" -gt 0 ] && [ "$n" -lt 40 ]; } || fail "completed $n"
	content "$(jget output_file_id "$T/b.json")"
	expect_lines "$n" "$T/content"
	content "$(jget error_file_id "$T/b.json")"
	expect_lines $((40 - n)) "$T/content"
	expect_grep '^\{"id":"batch_req_[0-9a-f]+","custom_id":"r[0-9]+","response":null,"error":\{"code":"batch_cancelled","message":"[^"]+"\}\}$' "$T/content"
	mock_curl POST "/batches/$bid/cancel" >again.json
	expect_eq "$(jget status again.json)" cancelled
}

t_cancel_validating() {
	mock_start -q -t 1,1,0.05
	chat_input 2 >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	mock_curl POST "/batches/$bid/cancel" >c.json
	expect_eq "$(jget status c.json)" cancelling
	wait_status "$bid" cancelled
	expect_grep '"output_file_id":null,"error_file_id":null' "$T/b.json"
	expect_grep '"in_progress_at":null' "$T/b.json"
}

t_cancel_completed_refused() {
	mock_start -q -t 0,0,0
	chat_input 1 >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" completed
	code=$(mock_curl POST "/batches/$bid/cancel" -o body -w '%{http_code}')
	expect_eq "$code" 409
	expect_eq "$(cat body)" "{\"error\":{\"message\":\"Cannot cancel a batch with status 'completed'.\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}"
	code=$(mock_curl POST /batches/batch_nope/cancel -o body -w '%{http_code}')
	expect_eq "$code" 404
}

# ---- validation: the batch goes to failed with errors.data[] ----

# expect_failed FILE CODE LINE PARAM: the batch of FILE fails with that
# one error (LINE and PARAM may be null).
expect_failed() {
	upload "$1"
	create_batch "$fid"
	wait_status "$bid" failed
	expect_grep '"failed_at":[0-9]+' "$T/b.json"
	expect_grep '"output_file_id":null,"error_file_id":null' "$T/b.json"
	expect_grep '"request_counts":\{"total":0,"completed":0,"failed":0\}' "$T/b.json"
	local param=$4
	[ "$param" = null ] || param="\"$param\""
	expect_grep "\"errors\":\\{\"object\":\"list\",\"data\":\\[\\{\"code\":\"$2\",\"line\":$3,\"message\":\"[^\"]+\",\"param\":$param\\}\\]\\}" "$T/b.json"
}

t_invalid_json_line() {
	mock_start -q -t 0,0,0
	{ chat_line a x; echo '{"custom_id":"b",'; chat_line c y; } >in.jsonl
	expect_failed in.jsonl invalid_json_line 2 null
	expect_grep '"message":"This line is not parseable as valid JSON\."' "$T/b.json"
	{ chat_line a x; echo '[1,2]'; } >arr.jsonl
	expect_failed arr.jsonl invalid_json_line 2 null
	{ chat_line a x; echo; } >blank.jsonl
	expect_failed blank.jsonl invalid_json_line 2 null
	printf '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","x":NaN}}\n' >nan.jsonl
	expect_failed nan.jsonl invalid_json_line 1 null
}

t_duplicate_custom_id() {
	mock_start -q -t 0,0,0
	{ chat_line a x; chat_line b y; chat_line a z; } >in.jsonl
	expect_failed in.jsonl duplicate_custom_id 3 custom_id
}

t_mismatched_endpoint() {
	mock_start -q -t 0,0,0
	{ chat_line a x; printf '{"custom_id":"b","method":"POST","url":"/v1/embeddings","body":{"model":"gpt-4o-mini","input":"x"}}\n'; } >in.jsonl
	expect_failed in.jsonl mismatched_endpoint 2 url
}

t_mismatched_model() {
	mock_start -q -t 0,0,0
	{ chat_line a x; printf '{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o","messages":[]}}\n'; } >in.jsonl
	expect_failed in.jsonl mismatched_model 2 body.model
}

t_missing_and_invalid_fields() {
	mock_start -q -t 0,0,0
	printf '{"method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}\n' >nocid.jsonl
	expect_failed nocid.jsonl missing_required_parameter 1 custom_id
	printf '{"custom_id":7,"method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}\n' >numcid.jsonl
	expect_failed numcid.jsonl invalid_value 1 custom_id
	printf '{"custom_id":"a","method":"GET","url":"/v1/chat/completions","body":{"model":"m"}}\n' >get.jsonl
	expect_failed get.jsonl invalid_value 1 method
	printf '{"custom_id":"a","method":"POST","body":{"model":"m"}}\n' >nourl.jsonl
	expect_failed nourl.jsonl missing_required_parameter 1 url
	printf '{"custom_id":"a","method":"POST","url":"/v1/chat/completions"}\n' >nobody.jsonl
	expect_failed nobody.jsonl missing_required_parameter 1 body
	printf '{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"messages":[]}}\n' >nomodel.jsonl
	expect_failed nomodel.jsonl missing_required_parameter 1 body.model
}

t_several_errors_reported() {
	mock_start -q -t 0,0,0
	{ chat_line a x; echo nope; chat_line a y; } >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" failed
	expect_grep '"data":\[\{"code":"invalid_json_line","line":2,[^]]*\{"code":"duplicate_custom_id","line":3,' "$T/b.json"
}

t_empty_file() {
	mock_start -q -t 0,0,0
	: >empty.jsonl
	expect_failed empty.jsonl empty_file null input_file_id
}

t_wrong_purpose() {
	mock_start -q -t 0,0,0
	chat_input 1 >in.jsonl
	upload in.jsonl user_data
	create_batch "$fid"
	wait_status "$bid" failed
	expect_grep '"code":"invalid_file_purpose","line":null,"message":"The input file must be uploaded with purpose .batch.\.","param":"input_file_id"' "$T/b.json"
}

t_too_many_requests() {
	mock_start -q -t 0,0,0
	awk 'BEGIN { for (i = 1; i <= 50001; i++) printf "{\"custom_id\":\"%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\"}}\n", i }' >in.jsonl
	expect_failed in.jsonl too_many_requests 50001 null
	head -n 50000 in.jsonl >ok.jsonl
	upload ok.jsonl
	create_batch "$fid"
	wait_status "$bid" completed
	expect_grep '"request_counts":\{"total":50000,"completed":0,"failed":50000\}' "$T/b.json"
}

t_file_too_large() {
	mock_start -q -t 0,0,0
	truncate -s 200000001 big.jsonl
	expect_failed big.jsonl file_too_large null input_file_id
	rm -f big.jsonl "$T/mock/$fid"
}

t_token_limit() {
	mock_start -q -t 0,5,0 -F token-limit=100
	chat_input 5 >small.jsonl
	upload small.jsonl
	small=$fid
	create_batch "$small"; b1=$bid
	wait_status "$b1" in_progress
	chat_input 30 >big.jsonl
	upload big.jsonl
	create_batch "$fid"
	wait_status "$bid" failed
	expect_grep '"errors":\{"object":"list","data":\[\{"code":"token_limit_exceeded","line":null,"message":"Enqueued token limit reached for gpt-4o-mini in organization org-mock\. Limit: 100 enqueued tokens\.[^"]*","param":null\}\]\}' "$T/b.json"
	# What fits beside the first batch still runs: 50 + 50 tokens.
	create_batch "$small"
	wait_status "$bid" in_progress
}

# ---- answers ----

t_live_chat_answer() {
	mock_start -q
	mock_curl POST /chat/completions -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello world"}]}' >a.json
	expect_grep '^\{"id":"chatcmpl-[0-9a-f]{24}","object":"chat.completion","created":[0-9]+,"model":"gpt-4o-mini","choices":\[\{"index":0,"message":\{"role":"assistant","content":"mock answer to: hello world","refusal":null,"annotations":\[\]\},"logprobs":null,"finish_reason":"stop"\}\],"usage":\{"prompt_tokens":9,"completion_tokens":7,"total_tokens":16,' a.json
	# The last user message counts; parts are joined; 64 bytes at most.
	mock_curl POST /chat/completions -d '{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"first"},{"role":"assistant","content":"ok"},{"role":"user","content":[{"type":"text","text":"part one"},{"type":"text","text":"part two"}]}]}' >b.json
	expect_grep '"content":"mock answer to: part one part two"' b.json
	long=$(printf 'x%.0s' $(seq 1 100))
	mock_curl POST /chat/completions -d "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"é$long\"}]}" >c.json
	expect_grep "\"content\":\"mock answer to: é$(printf 'x%.0s' $(seq 1 62))\"" c.json
}

t_live_chat_max_tokens() {
	mock_start -q
	mock_curl POST /chat/completions -d '{"model":"m","messages":[{"role":"user","content":"hello world"}],"max_tokens":2}' >a.json
	expect_grep '"content":"mock ans".*"finish_reason":"length".*"completion_tokens":2,' a.json
	mock_curl POST /chat/completions -d '{"model":"m","messages":[{"role":"user","content":"hello world"}],"max_tokens":50,"max_completion_tokens":3}' >b.json
	expect_grep '"content":"mock answer ",.*"completion_tokens":3,' b.json
	code=$(mock_curl POST /chat/completions -d '{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0}' -o body -w '%{http_code}')
	expect_eq "$code" 400
	expect_grep '"param":"max_tokens","code":"integer_below_min_value"' body
}

# A request for JSON gets a JSON object in its text; a capped one is cut
# and no longer JSON, as a model's.
t_live_chat_json_answer() {
	mock_start -q
	mock_curl POST /chat/completions -d '{"model":"m","messages":[{"role":"user","content":"say \"hi\""}],"response_format":{"type":"json_object"}}' >a.json
	expect_grep '"content":"\{\\"answer\\":\\"mock answer to: say \\\\\\"hi\\\\\\"\\"\}","refusal"' a.json
	mock_curl POST /chat/completions -d '{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{}}}}' >b.json
	expect_grep '"content":"\{\\"answer\\":\\"mock answer to: x\\"\}"' b.json
	mock_curl POST /chat/completions -d '{"model":"m","messages":[{"role":"user","content":"hello world"}],"max_tokens":2,"response_format":{"type":"json_object"}}' >c.json
	expect_grep '"content":"\{\\"answer\\":\\"mock ans","refusal".*"finish_reason":"length"' c.json
	mock_curl POST /chat/completions -d '{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"text"}}' >d.json
	expect_grep '"content":"mock answer to: x"' d.json
}

t_live_chat_errors() {
	mock_start -q
	code=$(mock_curl POST /chat/completions -d '{"model":"m"}' -o body -w '%{http_code}')
	expect_eq "$code" 400
	expect_grep '"param":"messages","code":"missing_required_parameter"' body
	code=$(mock_curl POST /chat/completions -d '{"messages":[{"role":"user","content":"x"}]}' -o body -w '%{http_code}')
	expect_eq "$code" 400
	expect_grep 'you must provide a model parameter' body
	code=$(mock_curl POST /chat/completions -d '{"model":' -o body -w '%{http_code}')
	expect_eq "$code" 400
	code=$(curl -sS -o body -w '%{http_code}' "$MOCK_URL/chat/completions" -d '{}')
	expect_eq "$code" 401
}

t_live_latency() {
	mock_start -q -L 300
	t=$(mock_curl POST /chat/completions -d '{"model":"m","messages":[{"role":"user","content":"x"}]}' -o body -w '%{time_total}')
	awk -v t="$t" 'BEGIN { exit !(t >= 0.3) }' || fail "answered in $t s, expected at least 0.3"
	expect_grep '"content":"mock answer to: x"' body
}

t_embeddings_answer() {
	mock_start -q
	mock_curl POST /embeddings -d '{"model":"text-embedding-3-small","input":"hello"}' >a.json
	mock_curl POST /embeddings -d '{"model":"text-embedding-3-small","input":"hello"}' >b.json
	expect_same a.json b.json
	expect_grep '^\{"object":"list","data":\[\{"object":"embedding","index":0,"embedding":\[(-?[01]\.[0-9]{6},){7}-?[01]\.[0-9]{6}\]\}\],"model":"text-embedding-3-small","usage":\{"prompt_tokens":1,"total_tokens":1\}\}$' a.json
	# A unit vector.
	grep -o '"embedding":\[[^]]*\]' a.json | sed 's/^"embedding"://' | tr -d '[]' | tr ',' '\n' |
		awk '{ s += $1 * $1 } END { exit !(s > 0.9999 && s < 1.0001) }' || fail "not a unit vector"
	mock_curl POST /embeddings -d '{"model":"e","input":["hello","world"],"dimensions":3}' >c.json
	expect_grep '"index":0,"embedding":\[[^],]*,[^],]*,[^],]*\]\},\{"object":"embedding","index":1,' c.json
	mock_curl POST /embeddings -d '{"model":"e","input":"world"}' >d.json
	cmp -s a.json d.json && fail "different inputs, same vector"
	code=$(mock_curl POST /embeddings -d '{"model":"e"}' -o body -w '%{http_code}')
	expect_eq "$code" 400
	expect_grep '"param":"input"' body
}

t_responses_answer() {
	mock_start -q
	mock_curl POST /responses -d '{"model":"gpt-4o-mini","input":"tell me"}' >a.json
	expect_grep '^\{"id":"resp_[0-9a-f]{24}","object":"response","created_at":[0-9]+,"status":"completed","error":null,"incomplete_details":null,"model":"gpt-4o-mini","output":\[\{"id":"msg_[0-9a-f]{24}","type":"message","status":"completed","role":"assistant","content":\[\{"type":"output_text","text":"mock answer to: tell me","annotations":\[\]\}\]\}\],"usage":\{"input_tokens":9,"input_tokens_details":\{"cached_tokens":0\},"output_tokens":6,"output_tokens_details":\{"reasoning_tokens":0\},"total_tokens":15\}\}$' a.json
	mock_curl POST /responses -d '{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}],"max_output_tokens":1}' >b.json
	expect_grep '"status":"incomplete","error":null,"incomplete_details":\{"reason":"max_output_tokens"\}.*"text":"mock"' b.json
}

t_batch_answers_match_live() {
	mock_start -q -t 0,0,0
	chat_line q1 'what is 2+2' ',"max_tokens":5' >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" completed
	content "$(jget output_file_id "$T/b.json")"
	mock_curl POST /chat/completions -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"what is 2+2"}],"max_tokens":5}' >live.json
	grep -o '"choices":.*"usage":{[^}]*}' live.json >want
	grep -o '"choices":.*"usage":{[^}]*}' "$T/content" >got
	expect_same got want
}

t_embeddings_and_responses_batches() {
	mock_start -q -t 0,0,0
	printf '{"custom_id":"e1","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":"abc"}}\n' >emb.jsonl
	upload emb.jsonl
	create_batch "$fid" /v1/embeddings
	wait_status "$bid" completed
	content "$(jget output_file_id "$T/b.json")"
	expect_grep '"custom_id":"e1","response":\{"status_code":200,"request_id":"req_[0-9a-f]+","body":\{"object":"list","data":\[\{"object":"embedding"' "$T/content"
	printf '{"custom_id":"p1","method":"POST","url":"/v1/responses","body":{"model":"gpt-4o-mini","input":"abc"}}\n' >resp.jsonl
	upload resp.jsonl
	create_batch "$fid" /v1/responses
	wait_status "$bid" completed
	content "$(jget output_file_id "$T/b.json")"
	expect_grep '"custom_id":"p1",.*"text":"mock answer to: abc"' "$T/content"
}

# ---- faults ----

# code PATH: the HTTP status of GET PATH.
code() {
	mock_curl GET "$1" -o "$T/body" -D "$T/headers" -w '%{http_code}'
}

t_fault_http429_first_n() {
	mock_start -q -F http429=2
	expect_eq "$(code /files)" 429
	expect_eq "$(cat "$T/body")" '{"error":{"message":"Rate limit reached for requests. Please try again in 1s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}'
	expect_grep '^Retry-After: 1' "$T/headers"
	expect_grep '^retry-after-ms: 100' "$T/headers"
	expect_eq "$(code /batches)" 429
	expect_eq "$(code /files)" 200
	expect_eq "$(code /files)" 200
}

t_fault_retry_after() {
	mock_start -q -F http429=1 -F retry-after=2.5
	expect_eq "$(code /files)" 429
	expect_grep '^Retry-After: 3' "$T/headers"
	expect_grep '^retry-after-ms: 2500' "$T/headers"
}

t_fault_retry_after_date() {
	mock_start -q -F http429=1 -F retry-after=date:2
	before=$(date +%s)
	expect_eq "$(code /files)" 429
	after=$(date +%s)
	expect_no_grep '^retry-after-ms:' "$T/headers"
	date=$(sed -n 's/^Retry-After: \(.*\)\r$/\1/p' "$T/headers")
	case $date in
	[A-Z][a-z][a-z],\ [0-9][0-9]\ [A-Z][a-z][a-z]\ [0-9][0-9][0-9][0-9]\ [0-9][0-9]:[0-9][0-9]:[0-9][0-9]\ GMT) ;;
	*) fail "Retry-After is not an HTTP date: '$date'" ;;
	esac
	when=$(date -d "$date" +%s)
	{ [ "$when" -ge $((before + 2)) ] && [ "$when" -le $((after + 2)) ]; } ||
		fail "Retry-After $date is not 2 s after the answer"
	expect_eq "$(code /files)" 200
}

t_fault_redirect() {
	mock_start -q -F redirect=1@/v1/files
	expect_eq "$(code /batches)" 200
	expect_eq "$(code /files?purpose=batch)" 307
	expect_grep "^Location: ${MOCK_URL%/v1}/moved/v1/files"$'\r'"\$" "$T/headers"
	expect_grep '^Content-Type: text/html' "$T/headers"
	expect_grep '<title>307 Temporary Redirect</title>' "$T/body"
	expect_eq "$(code /files)" 200
	# Where it points is no API path: a client that follows gets a 404.
	moved=$(curl -sS -o /dev/null -w '%{http_code}' \
		-H "Authorization: Bearer $OPENAI_API_KEY" "${MOCK_URL%/v1}/moved/v1/files")
	expect_eq "$moved" 404
}

t_fault_http500_path_prefix() {
	mock_start -q -F http500=1@/v1/batches
	expect_eq "$(code /files)" 200
	expect_eq "$(code /batches)" 500
	expect_grep '"type":"server_error"' "$T/body"
	expect_eq "$(code /batches)" 200
}

t_fault_http4xx() {
	mock_start -q -F http400=1 -F http408=1 -F http409=1
	expect_eq "$(code /files)" 400
	expect_grep '"type":"invalid_request_error"' "$T/body"
	expect_eq "$(code /files)" 408
	expect_eq "$(cat "$T/body")" '{"error":{"message":"Request timed out.","type":"timeout","param":null,"code":null}}'
	expect_eq "$(code /files)" 409
	expect_grep '"code":"conflict"' "$T/body"
	expect_eq "$(code /files)" 200
}

t_fault_http502_html() {
	mock_start -q -F http502=1
	expect_eq "$(code /files)" 502
	expect_grep '^Content-Type: text/html' "$T/headers"
	expect_grep '<title>502 Bad Gateway</title>' "$T/body"
	expect_eq "$(code /files)" 200
}

t_fault_http503_share() {
	mock_start -q -F http503=50%
	got=
	for _ in 1 2 3 4 5 6; do got="$got $(code /files)"; done
	expect_eq "$got" " 200 503 200 503 200 503"
	expect_grep 'overloaded' "$T/body"
}

t_fault_every_call() {
	mock_start -q -F http500@/v1/files/
	expect_eq "$(code /files/file-x)" 500
	expect_eq "$(code /files/file-y)" 500
	expect_eq "$(code /files)" 200
}

t_fault_close() {
	mock_start -q -F close=1
	rc=0
	mock_curl GET /files -o body 2>err || rc=$?
	expect_eq "$rc" 52 "curl exit status (empty reply)"
	expect_eq "$(code /files)" 200
}

t_fault_cut_download() {
	mock_start -q -F cut=1
	head -c 100000 /dev/urandom >blob
	upload blob user_data
	rc=0
	mock_curl GET "/files/$fid/content" -D headers -o got 2>err || rc=$?
	expect_eq "$rc" 18 "curl exit status (partial file)"
	expect_grep '^Content-Length: 100000' headers
	size=$(wc -c <got)
	[ "$size" -lt 100000 ] || fail "got all $size bytes"
	cmp -s got <(head -c "$size" blob) || fail "the part received differs"
	mock_curl GET "/files/$fid/content" -o again
	expect_same again blob
}

t_fault_slow() {
	mock_start -q -F slow=400@/v1/files
	t=$(mock_curl GET /files -o body -w '%{time_total}')
	awk -v t="$t" 'BEGIN { exit !(t >= 0.4) }' || fail "answered in $t s, expected at least 0.4"
	expect_grep '"object":"list"' body
	# Only its own call waits: another connection is served meanwhile.
	mock_curl GET /files -o /dev/null &
	slow=$!
	t=$(mock_curl GET /batches -o /dev/null -w '%{time_total}')
	wait "$slow"
	awk -v t="$t" 'BEGIN { exit !(t < 0.4) }' || fail "unaffected call took $t s"
}

t_fault_lose_create() {
	mock_start -q -F lose-create=1 -t 0,0,0
	chat_input 2 >in.jsonl
	upload in.jsonl
	rc=0
	mock_curl POST /batches -d "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}" -o body 2>err || rc=$?
	expect_eq "$rc" 52 "curl exit status"
	mock_curl GET /batches >list.json
	expect_eq "$(grep -o '"object":"batch"' list.json | wc -l)" 1 "batches that exist"
	expect_grep "\"input_file_id\":\"$fid\"" list.json
	create_batch "$fid"
	expect_eq "$(jget status "$T/create.json")" validating
}

t_fault_lose_upload() {
	mock_start -q -F lose-upload
	chat_input 2 >in.jsonl
	rc=0
	mock_curl POST /files -F purpose=batch -F file=@in.jsonl -o body 2>err || rc=$?
	expect_eq "$rc" 52 "curl exit status"
	# The file is stored all the same, whole; other calls are answered.
	mock_curl GET /files >list.json
	expect_eq "$(grep -o '"object":"file"' list.json | wc -l)" 1 "files that exist"
	expect_grep '"filename":"in.jsonl"' list.json
	content "$(jget id list.json)"
	expect_same "$T/content" in.jsonl
	create_batch "$(jget id list.json)"
}

t_fault_fail_requests_then_retry() {
	mock_start -q -t 0,0,0 -F fail-requests=0.5
	chat_input 20 >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" completed
	failed=$(grep -o '"failed":[0-9]*' "$T/b.json" | cut -d: -f2)
	{ [ "$failed" -gt 2 ] && [ "$failed" -lt 18 ]; } || fail "$failed of 20 failed"
	content "$(jget error_file_id "$T/b.json")"
	expect_lines "$failed" "$T/content"
	expect_grep '^\{"id":"batch_req_[0-9a-f]+","custom_id":"r[0-9]+","response":null,"error":\{"code":"server_error","message":"[^"]+"\}\}$' "$T/content"
	grep -o '"custom_id":"[^"]*"' "$T/content" | sort >failed1
	# The same ids, submitted again, succeed.
	create_batch "$fid"
	wait_status "$bid" completed
	expect_grep '"request_counts":\{"total":20,"completed":20,"failed":0\}' "$T/b.json"
	expect_grep '"error_file_id":null' "$T/b.json"
	# And a fresh server fails the very same ones: by custom_id.
	kill "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null || true
	rm -rf "$T/mock"
	mock_start -q -t 0,0,0 -F fail-requests=0.5
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" completed
	content "$(jget error_file_id "$T/b.json")"
	grep -o '"custom_id":"[^"]*"' "$T/content" | sort >failed2
	expect_same failed2 failed1
}

t_fault_fail_status() {
	mock_start -q -t 0,0,0 -F fail-requests=100% -F fail-status=500
	chat_input 3 >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" completed
	expect_grep '"request_counts":\{"total":3,"completed":0,"failed":3\}' "$T/b.json"
	expect_grep '"error_file_id":null' "$T/b.json"
	content "$(jget output_file_id "$T/b.json")"
	expect_lines 3 "$T/content"
	expect_grep '^\{"id":"batch_req_[0-9a-f]+","custom_id":"r1","response":\{"status_code":500,"request_id":"req_[0-9a-f]+","body":\{"error":\{"message":"[^"]+","type":"server_error","param":null,"code":null\}\}\},"error":null\}$' "$T/content"
}

t_fault_extra_result() {
	mock_start -q -t 0,0,0 -F extra-result=1 -F fail-requests=100% -F fail-status=500
	chat_input 3 >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" completed
	# The counts are the requests'; the output has one line more.
	expect_grep '"request_counts":\{"total":3,"completed":0,"failed":3\}' "$T/b.json"
	content "$(jget output_file_id "$T/b.json")"
	expect_lines 4 "$T/content"
	expect_eq "$(grep -c '"custom_id":"mock-unsent-1","response":{"status_code":200,' "$T/content")" 1
	expect_grep '^\{"id":"batch_req_[0-9a-f]+","custom_id":"mock-unsent-1","response":\{"status_code":200,"request_id":"req_[0-9a-f]+","body":\{"object":"chat.completion",.*\},"error":null\}$' "$T/content"
	# =1: the next batch has none.
	create_batch "$fid"
	wait_status "$bid" completed
	content "$(jget output_file_id "$T/b.json")"
	expect_lines 3 "$T/content"
	expect_no_grep 'mock-unsent' "$T/content"
}

t_fault_expire() {
	mock_start -q -t 0,0.2,0 -F expire=0.5
	chat_input 20 >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" expired
	expect_grep '"request_counts":\{"total":20,"completed":10,"failed":0\}' "$T/b.json"
	expect_grep '"completed_at":null,"failed_at":null,"expired_at":[0-9]+' "$T/b.json"
	content "$(jget output_file_id "$T/b.json")"
	expect_lines 10 "$T/content"
	content "$(jget error_file_id "$T/b.json")"
	expect_lines 10 "$T/content"
	expect_grep '^\{"id":"batch_req_[0-9a-f]+","custom_id":"r[0-9]+","response":null,"error":\{"code":"batch_expired","message":"This request could not be executed before the completion window expired\."\}\}$' "$T/content"
}

t_fault_expire_first_batch_only() {
	mock_start -q -t 0,0,0 -F expire=0:1
	chat_input 4 >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" expired
	expect_grep '"output_file_id":null,"error_file_id":"file-' "$T/b.json"
	create_batch "$fid"
	wait_status "$bid" completed
}

t_fault_cancel_midway() {
	mock_start -q -t 0,0.2,0.1 -F cancel=25%
	chat_input 20 >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" cancelling
	wait_status "$bid" cancelled
	expect_grep '"request_counts":\{"total":20,"completed":5,"failed":0\}' "$T/b.json"
	content "$(jget error_file_id "$T/b.json")"
	expect_lines 15 "$T/content"
	expect_grep '"error":\{"code":"batch_cancelled"' "$T/content"
}

# ---- more ----

t_request_log_and_port_taken() {
	oai-mock -p 0 -F close=1 >url 2>log &
	pid=$!
	echo "$pid" >>"$T.pids"
	for _ in $(seq 1 100); do [ -s url ] && break; sleep 0.05; done
	MOCK_URL=$(cat url) OPENAI_API_KEY=k
	mock_curl GET /files -o /dev/null 2>/dev/null || true
	mock_curl GET /files -o /dev/null
	curl -s "$MOCK_URL/files" -o /dev/null
	port=${MOCK_URL##*:}
	port=${port%/v1}
	run oai-mock -p "$port"
	expect_rc 1
	expect_grep "^oai-mock: cannot listen on 127\\.0\\.0\\.1 port $port\$" "$T/err"
	kill "$pid"
	wait "$pid" || fail "exit status $?"
	printf 'oai-mock: GET /v1/files 0 (fault close)\noai-mock: GET /v1/files 200\noai-mock: GET /v1/files 401\n' >want
	expect_same log want
}

t_ipv6_loopback() {
	# Only where the machine has an IPv6 loopback.
	[ -e /proc/net/if_inet6 ] && grep -q '^0*1 ' /proc/net/if_inet6 || return 0
	mock_start -q -a ::1
	case $MOCK_URL in "http://[::1]:"[0-9]*/v1) ;; *) fail "url $MOCK_URL" ;; esac
	mock_curl GET /files -g >list.json
	expect_grep '"object":"list"' list.json
}

t_input_deleted_before_validation() {
	mock_start -q -t 0.5,0,0
	chat_input 1 >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	mock_curl DELETE "/files/$fid" >/dev/null
	wait_status "$bid" failed
	expect_grep '"code":"file_not_found","line":null,"message":"[^"]+","param":"input_file_id"' "$T/b.json"
}

t_input_deleted_while_in_progress() {
	mock_start -q -t 0,0.5,0
	chat_input 20 >in.jsonl
	upload in.jsonl
	create_batch "$fid"
	wait_status "$bid" in_progress
	mock_curl DELETE "/files/$fid" >/dev/null
	wait_status "$bid" completed
	expect_grep '"total":20,"completed":20' "$T/b.json"
}

t_polling_during_work() {
	# Many clients poll while batches are answered: every answer is whole.
	mock_start -q -t 0,1,0
	chat_input 3000 >in.jsonl
	upload in.jsonl
	create_batch "$fid"; b1=$bid
	create_batch "$fid"; b2=$bid
	pids=()
	for i in 1 2 3 4; do
		( for _ in $(seq 1 15); do mock_curl GET /batches; echo; done ) >"poll$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
	wait_status "$b1" completed
	wait_status "$b2" completed
	grep -v '^{"object":"list","data":\[.*\],"first_id":"batch_[0-9a-f]*","last_id":"batch_[0-9a-f]*","has_more":false}$' poll* >bad || true
	expect_empty bad
	content "$(jget output_file_id "$T/b.json")"
	expect_lines 3000 "$T/content"
}

# The prompt tokens of every answer of a batch are what jsonl-tokens
# predicted for its request: chat in both encodings, embeddings and
# Responses, in several languages.
t_usage_agrees_with_jsonl_tokens() {
	mock_start -q -t 0,0.2,0
	{
		printf '{"custom_id":"c1","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Classify the ticket."},{"role":"user","content":"Mon colis est arrivé cassé 😞, je veux un remboursement!"}]}}\n'
		printf '{"custom_id":"c2","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","name":"ana","content":[{"type":"text","text":"配送が遅すぎます。"},{"type":"text","text":"  twice\\n\\n"}]}],"max_tokens":50}}\n'
	} >chat.jsonl
	printf '{"custom_id":"c3","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4","messages":[{"role":"user","content":"It'"'"'s 12345 dollars"}]}}\n' >chat4.jsonl
	printf '{"custom_id":"e1","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":["Привет, мир","hello"]}}\n' >emb.jsonl
	printf '{"custom_id":"r1","method":"POST","url":"/v1/responses","body":{"model":"gpt-4o-mini","instructions":"Be brief.","input":"Résume ce texte."}}\n' >resp.jsonl
	for f in chat chat4 emb resp; do
		jsonl-tokens "$f.jsonl" | cut -f 1,2 >>want
		fid=$(oai-upload -q "$f.jsonl" | cut -f 1)
		url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$f.jsonl" | head -n 1)
		oai-batch -q -e "$url" "$fid" | oai-wait -q -i 0.1 | oai-fetch -q >>results
	done
	sed -E 's/.*"custom_id":"([^"]*)".*"(prompt_tokens|input_tokens)":([0-9]+).*/\1\t\3/' results |
		sort >got
	sort want >want.sorted
	expect_same got want.sorted
	expect_eq "$(wc -l <got)" 5 "answers"
}

# -O N: N completed batches of days ago, newest first in the list, paged.
t_old_batches() {
	run oai-mock -O x
	expect_rc 2
	expect_eq "$(head -n 1 "$T/err")" "oai-mock: -O x: not a number of batches (0 to 1000000)"
	mock_start -O 150
	mock_curl GET '/batches?limit=100' >p1.json
	expect_eq "$(grep -o '"status":"completed"' p1.json | wc -l)" 100 "first page"
	expect_grep '"has_more":true' p1.json
	last=$(grep -o '"last_id":"[^"]*"' p1.json | cut -d'"' -f4)
	mock_curl GET "/batches?limit=100&after=$last" >p2.json
	expect_eq "$(grep -o '"status":"completed"' p2.json | wc -l)" 50 "second page"
	expect_grep '"has_more":false' p2.json
	# Newest first, the newest three days old.
	t1=$(bw_member created_at <p1.json)
	t2=$(bw_member created_at <p2.json)
	[ "$t1" -gt "$t2" ] || fail "not newest first: $t1, then $t2"
	now=$(date +%s)
	[ $((now - t1)) -ge $((3 * 24 * 3600)) ] || fail "the newest is not three days old: $t1"
}

# unlisted: every Nth batch of the store, the history's included, is
# left out of listings and still answered by id; without N, all are.
t_unlisted_fault() {
	for bad in unlisted=0 unlisted=1.5 unlisted=x; do
		run oai-mock -F "$bad"
		expect_rc 2
		expect_grep "^oai-mock: -F $bad: bad value\$" "$T/err"
	done
	mock_start -q -O 10 -F unlisted=4
	mock_curl GET '/batches?limit=100' >all.json
	expect_eq "$(grep -o '"status":"completed"' all.json | wc -l)" 8 "listed"
	mock_curl GET '/batches?limit=3' >p1.json
	last=$(grep -o '"last_id":"[^"]*"' p1.json | cut -d'"' -f4)
	mock_curl GET "/batches?limit=100&after=$last" >p2.json
	expect_eq "$(grep -o '"status":"completed"' p2.json | wc -l)" 5 "after the first 3"
	kill "$MOCK_PID"
	wait "$MOCK_PID" 2>/dev/null || true
	mock_start -q -F unlisted
	printf '{"custom_id":"1","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[]}}\n' >a.jsonl
	b=$(bw_create "$(bw_upload a.jsonl)")
	expect_grep '"data":\[\]' <(mock_curl GET /batches)
	expect_eq "$(bw_get "$b" id)" "$b"
}

# The cursor faults: listings that never end, their cursors in a cycle of
# N or ever new; an empty listing still ends.
t_cursor_faults() {
	for bad in cursor-cycle=0 cursor-cycle=1.5 cursor-endless=2; do
		run oai-mock -F "$bad"
		expect_rc 2
		expect_grep "^oai-mock: -F $bad: bad value\$" "$T/err"
	done
	mock_start -q -F cursor-cycle=3@/v1/files -F cursor-endless@/v1/batches
	expect_eq "$(mock_curl GET /files | bw_member has_more)" false "empty"
	printf '{}\n' >a.jsonl
	f=$(bw_upload a.jsonl)
	b=$(bw_create "$f")
	page() { mock_curl GET "$1" | grep -oE '"(last_id|has_more)":[^,}]*' | tr '\n' ' '; }
	expect_eq "$(page /files)" '"last_id":"cursor_0" "has_more":true '
	expect_eq "$(page '/files?after=cursor_0')" '"last_id":"cursor_1" "has_more":true '
	expect_eq "$(page '/files?after=cursor_2')" '"last_id":"cursor_0" "has_more":true '
	expect_grep "\"id\":\"$f\"" <(mock_curl GET '/files?after=cursor_2')
	expect_eq "$(page '/batches?after=cursor_41')" '"last_id":"cursor_42" "has_more":true '
	expect_grep "\"id\":\"$b\"" <(mock_curl GET '/batches?after=cursor_41')
}

# Every number the mock reads, in an option or in a -F spec, follows
# numarg's rule: digits, no blank, no '+', no exponent, no hex.
t_numbers_by_one_rule() {
	local c o v
	for c in '-O| 5' '-O|+5' '-p|+0' '-L|1e3' '-t|0.3,+1,0.3' \
	    '-t|0x1,1,1' '-F|slow=1e3' '-F|cut= 1' '-F|expire=0.5:+1'; do
		o=${c%%|*} v=${c#*|}
		run timeout 10 oai-mock -p 0 -q "$o" "$v"
		expect_rc 2
		expect_eq "$(head -n 1 "$T/err" | sed 's/:[^:]*$//')" "oai-mock: $o $v"
	done
}

# live N MAX-TOKENS: a chat request asking "hi" (8 tokens) with that cap;
# its status out, the headers in $T/headers, the body in $T/body.
live() {
	mock_curl POST /chat/completions -o "$T/body" -D "$T/headers" \
		-w '%{http_code}' -d "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":$1}"
}

# hdr NAME: the value of a header of the latest answer.
hdr() {
	grep -i "^$1: " "$T/headers" | tr -d '\r' | sed 's/^[^:]*: //'
}

# Without a limit: generous, always full.
t_live_ratelimit_headers_free() {
	mock_start -q
	expect_eq "$(live 30)" 200
	expect_eq "$(hdr x-ratelimit-limit-requests) $(hdr x-ratelimit-remaining-requests) $(hdr x-ratelimit-reset-requests)" "10000 10000 0s"
	expect_eq "$(hdr x-ratelimit-limit-tokens) $(hdr x-ratelimit-remaining-tokens) $(hdr x-ratelimit-reset-tokens)" "30000000 30000000 0s"
	mock_curl POST /embeddings -D "$T/headers" -o "$T/body" -d '{"model":"text-embedding-3-small","input":"x"}'
	expect_eq "$(hdr x-ratelimit-remaining-requests)" 10000
}

# rpm=6: a bucket of 1 request (at least one), refilled in 10 s;
# tpm=6000: of 100 tokens refilled at 100 a second.  The first request
# (8 + 30 tokens) leaves exactly 0 and 62; the second must wait.
t_fault_rpm() {
	mock_start -q -F rpm=6 -F tpm=6000
	expect_eq "$(live 30)" 200
	expect_eq "$(hdr x-ratelimit-limit-requests) $(hdr x-ratelimit-remaining-requests) $(hdr x-ratelimit-reset-requests)" "6 0 10s"
	expect_eq "$(hdr x-ratelimit-limit-tokens) $(hdr x-ratelimit-remaining-tokens) $(hdr x-ratelimit-reset-tokens)" "6000 62 380ms"
	expect_eq "$(live 30)" 429
	expect_grep '^\{"error":\{"message":"Rate limit reached in organization org-mock on requests per min \(RPM\): Limit 6, Remaining 0\. Please try again in [0-9]+ms\. Visit https://platform\.openai\.com/account/rate-limits to learn more\.","type":"requests","param":null,"code":"rate_limit_exceeded"\}\}$' "$T/body"
	ms=$(hdr retry-after-ms)
	if [ "$ms" -le 8000 ] || [ "$ms" -gt 10000 ]; then fail "retry-after-ms $ms"; fi
	expect_eq "$(hdr retry-after)" 10
}

# tpm=600: a bucket of 10 tokens; a request dearer than that (8 + 100)
# takes the whole bucket, and the next waits until it is full again.
t_fault_tpm() {
	mock_start -q -F tpm=600
	expect_eq "$(live 100)" 200
	expect_eq "$(hdr x-ratelimit-remaining-tokens) $(hdr x-ratelimit-reset-tokens)" "0 1s"
	expect_eq "$(live 100)" 429
	expect_grep '"type":"tokens","param":null,"code":"rate_limit_exceeded"' "$T/body"
	ms=$(hdr retry-after-ms)
	if [ "$ms" -le 500 ] || [ "$ms" -gt 1000 ]; then fail "retry-after-ms $ms"; fi
	for bad in rpm tpm=0 rpm=x tpm=-1; do
		run oai-mock -p 0 -F "$bad"
		expect_rc 2
	done
}

t_completion_window_by_dialect() {
	mock_start -q
	chat_input 1 >in.jsonl
	upload in.jsonl
	post() { mock_curl POST /batches -d "{\"input_file_id\":\"$fid\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"$1\"}" -o body -w '%{http_code}'; }
	# openai: 24h only, as OpenAI.
	expect_eq "$(post 48h)" 400
	expect_grep "expected '24h'\\.\",\"type\":\"invalid_request_error\",\"param\":\"completion_window\"" body
	kill "$MOCK_PID"
	wait "$MOCK_PID" 2>/dev/null
	# groq: 24h to 7d, echoed.
	mock_start -q -D groq
	upload in.jsonl
	expect_eq "$(post 48h)" 200
	expect_grep '"completion_window":"48h"' body
	expect_eq "$(post 7d)" 200
	expect_eq "$(post 8d)" 400
	expect_eq "$(post 12h)" 400
	kill "$MOCK_PID"
	wait "$MOCK_PID" 2>/dev/null
	# compatible: any Nh or Nd.
	mock_start -q -D compatible
	upload in.jsonl
	expect_eq "$(post 1h)" 200
	expect_eq "$(post 30d)" 200
	expect_eq "$(post 0h)" 400
	expect_eq "$(post 24)" 400
}

t_no_bytes_fault_leaves_the_size_out() {
	mock_start -q -F no-bytes
	chat_input 1 >in.jsonl
	upload in.jsonl
	expect_no_grep '"bytes"' "$T/up.json"
	mock_curl GET "/files/$fid" >f.json
	expect_no_grep '"bytes"' f.json
	expect_grep "\"id\":\"$fid\"" f.json
	run "$BIN/oai-mock" -F no-bytes=1
	expect_rc 2
	run "$BIN/oai-mock" -F no-bytes@/v1/files
	expect_rc 2
}
