# shellcheck shell=bash
# jsonl-triage: success, retry and final failure decided by common/result,
# against the rules the driver's awk applied (and the driver itself).

# req ID...: a request line for each id.
req() {
	local id
	for id do
		printf '{"custom_id":"%s","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"%s"}]}}\n' "$id" "$id"
	done
}

# ok ID: a successful result.
ok() {
	printf '{"id":"batch_req_%s","custom_id":"%s","response":{"status_code":200,"request_id":"q","body":{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"fine"}}]}},"error":null}\n' "$1" "$1"
}

# http ID STATUS CODE MESSAGE: a result with that status and an error
# body (no code member when CODE is empty).
http() {
	local code=''
	[ -n "$3" ] && code="\"code\":\"$3\","
	printf '{"id":"batch_req_%s","custom_id":"%s","response":{"status_code":%s,"request_id":"q","body":{"error":{%s"message":"%s","type":"invalid_request_error"}}},"error":null}\n' "$1" "$1" "$2" "$code" "$4"
}

# err ID CODE MESSAGE: an error-file line.
err() {
	printf '{"id":"batch_req_%s","custom_id":"%s","response":null,"error":{"code":"%s","message":"%s"}}\n' "$1" "$1" "$2" "$3"
}

# triage ARGS: jsonl-triage with -f failed.txt -c counts.
triage() {
	run jsonl-triage -f failed.txt -c counts "$@"
}

# retried: the ids of the lines on stdout, one line.
retried() {
	sed 's/^{"custom_id":"\([^"]*\)".*/\1/' "$T/out" | tr '\n' ' '
}

t_usage_and_version() {
	run jsonl-triage -h
	expect_rc 0
	expect_eq "$(sed '/^$/,$d' "$T/out" | tr -s ' \n' ' ' | sed 's/ $//')" "usage: jsonl-triage [-FhqV] [-c counts-file] [-f failed-file] [-m text] [-o results-file] [-r retry-file] [-u failed-requests-file] [-x unknown-file] requests-file results-file ..."
	# The man page's synopsis says the same (where mandoc is installed).
	if command -v mandoc >/dev/null; then
		expect_eq "usage: $(mandoc -Tascii "$TOP/man/jsonl-triage.1" | col -b |
			sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \t\n' ' ' |
			sed 's/^ //; s/ $//')" "$(sed '/^$/,$d' "$T/out" | tr -s ' \n' ' ' | sed 's/ $//')" "the man page's synopsis"
	fi
	run jsonl-triage -V
	expect_rc 0
	expect_eq "$(cat "$T/out")" "jsonl-triage batchpipe 0.1.0"
	run jsonl-triage req.jsonl
	expect_rc 2
	expect_grep '^usage: jsonl-triage ' "$T/err"
	run jsonl-triage -y a b
	expect_rc 2
	run jsonl-triage - -
	expect_rc 2
	expect_grep '^jsonl-triage: only one input can be stdin$' "$T/err"
	for o in -r -f -c -o -u; do
		run jsonl-triage "$o" '' a b
		expect_rc 2
		expect_grep '^jsonl-triage: empty file name$' "$T/err"
	done
	run jsonl-triage nonexistent.jsonl nonexistent2.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" "jsonl-triage: nonexistent2.jsonl: No such file or directory"
}

t_success_not_retried() {
	req a b >req.jsonl
	{ ok a; ok b; } >res.jsonl
	run jsonl-triage req.jsonl res.jsonl
	expect_rc 0
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "requests 2
succeeded 2
retry 0
failed 0"
	# 200 with an error is no success; a status that is not the integer
	# 200 is none either.
	printf '%s\n' '{"custom_id":"a","response":{"status_code":200,"body":{}},"error":{"code":"server_error","message":"x"}}' \
		'{"custom_id":"b","response":{"status_code":"200","body":{}},"error":null}' >res2.jsonl
	triage req.jsonl res2.jsonl
	expect_rc 0
	expect_eq "$(retried)" "a "
	expect_eq "$(cat failed.txt)" 'a	retry	HTTP 200: server_error: x
b	final	HTTP "200": no error code'
}

t_http_400_final_with_reason() {
	req a b c >req.jsonl
	{
		http a 400 invalid_request "Invalid 'messages': empty array."
		http b 404 '' 'no such model'
		printf '%s\n' '{"custom_id":"c","response":{"status_code":401,"body":{"error":{"code":"","type":"auth","message":"tab\there\r\nand\n\n\tthere"}}},"error":null}'
	} >res.jsonl
	triage req.jsonl res.jsonl
	expect_rc 0
	expect_empty "$T/out"
	expect_eq "$(cat failed.txt)" "a	final	HTTP 400: invalid_request: Invalid 'messages': empty array.
b	final	HTTP 404: invalid_request_error: no such model
c	final	HTTP 401: auth: tab here and there"
	expect_eq "$(cat counts)" "requests 3
succeeded 0
retry 0
failed 3"
	expect_empty "$T/err"
}

t_408_429_5xx_retried() {
	req s408 s429 s500 s503 s599 s600 s499 >req.jsonl
	for s in 408 429 500 503 599 600 499; do http "s$s" "$s" '' "status $s"; done >res.jsonl
	triage req.jsonl res.jsonl
	expect_rc 0
	expect_eq "$(retried)" "s408 s429 s500 s503 s599 "
	expect_eq "$(cut -f 1,2 failed.txt | tr '\t\n' ': ')" "s408:retry s429:retry s500:retry s503:retry s599:retry s600:final s499:final "
	expect_grep '^s429	retry	HTTP 429: invalid_request_error: status 429$' failed.txt
	expect_grep '^retry 5$' counts
	expect_grep '^failed 2$' counts
}

t_error_codes() {
	local c
	set -- batch_expired batch_cancelled server_error internal_error rate_limit_exceeded timeout service_unavailable connection_error
	for c do req "$c"; done >req.jsonl
	req invalid_request content_filter Server_Error >>req.jsonl
	{
		for c do err "$c" "$c" "m $c"; done
		err invalid_request invalid_request 'no'
		err content_filter content_filter 'no'
		err Server_Error Server_Error 'case matters'
	} >res.jsonl
	triage req.jsonl res.jsonl
	expect_rc 0
	expect_eq "$(retried)" "$* "
	expect_eq "$(grep -c '	retry	' failed.txt)" 8 "retried"
	expect_grep '^batch_expired	retry	batch_expired: m batch_expired$' failed.txt
	expect_grep '^content_filter	final	content_filter: no$' failed.txt
	expect_grep '^Server_Error	final	Server_Error: case matters$' failed.txt
	# A retryable code in the body of a status that is not retried; a code
	# in the error wins over the body's; a code that is not a string.
	req b1 b2 b3 >req2.jsonl
	{
		http b1 400 rate_limit_exceeded 'slow'
		printf '%s\n' '{"custom_id":"b2","response":{"status_code":400,"body":{"error":{"code":"server_error","message":"body"}}},"error":{"code":"invalid_request","message":"top"}}'
		printf '%s\n' '{"custom_id":"b3","response":null,"error":{"code":503,"message":null}}'
	} >res2.jsonl
	triage req2.jsonl res2.jsonl
	expect_eq "$(cat failed.txt)" "b1	retry	HTTP 400: rate_limit_exceeded: slow
b2	final	HTTP 400: invalid_request: top
b3	final	503"
}

t_no_result_and_no_status_nor_code_retried() {
	req a b c d >req.jsonl
	{
		printf '%s\n' '{"custom_id":"b","response":null,"error":null}'
		printf '%s\n' '{"custom_id":"c","error":{"message":"only a message"}}'
		printf '%s\n' '{"custom_id":"d","response":{"status_code":null},"error":null}'
	} >res.jsonl
	triage req.jsonl res.jsonl
	expect_rc 0
	expect_eq "$(retried)" "a b c "
	expect_eq "$(cat failed.txt)" "a	retry	no result
b	retry	no error code
c	retry	no error code: only a message
d	final	HTTP null: no error code"
	# No results file with lines at all: everything again.
	: >empty.jsonl
	run jsonl-triage req.jsonl empty.jsonl
	expect_rc 0
	expect_same "$T/out" req.jsonl
}

t_repeated_keys_count_by_the_last() {
	req a b c >req.jsonl
	printf '%s\n' \
		'{"custom_id":"x","response":{"status_code":200},"error":{"code":"server_error"},"error":null,"custom_id":"a"}' \
		'{"custom_id":"b","response":{"status_code":200,"status_code":500},"response":{"status_code":400,"body":{"error":{"code":"one"},"error":{"code":"two"}}},"error":null}' \
		'{"custom_id":"c","response":{"status_code":200,"body":{}},"error":null,"error":{"code":"timeout","code":"bad"}}' >res.jsonl
	triage req.jsonl res.jsonl
	expect_rc 0
	expect_eq "$(cat failed.txt)" "b	final	HTTP 400: two
c	final	HTTP 200: bad"
	expect_grep '^succeeded 1$' counts
}

t_success_and_failure_for_one_id() {
	req a b c d >req.jsonl
	# a: success then failure; b: failure then success, in two files; c:
	# a retryable failure then a final one (the last counts); d: final
	# then retryable.
	{ ok a; err b server_error x; http c 500 '' first; http d 400 bad second; } >r1.jsonl
	{ err a server_error y; ok b; http c 400 bad last; err d batch_expired last; } >r2.jsonl
	triage req.jsonl r1.jsonl r2.jsonl
	expect_rc 0
	expect_eq "$(retried)" "d "
	expect_eq "$(cat failed.txt)" "c	final	HTTP 400: bad: last
d	retry	batch_expired: last"
	expect_eq "$(cat counts)" "requests 4
succeeded 2
retry 1
failed 1"
	# The same id twice in one file, and the files the other way round.
	triage req.jsonl r2.jsonl r1.jsonl
	expect_eq "$(cat failed.txt)" "c	retry	HTTP 500: invalid_request_error: first
d	final	HTTP 400: bad: second"
	cat r1.jsonl r2.jsonl >both.jsonl
	triage req.jsonl both.jsonl
	expect_eq "$(retried)" "d "
}

t_counts_and_outputs() {
	req a b c d e >req.jsonl
	{ ok a; ok b; err c server_error x; http d 400 bad no; } >res.jsonl
	run jsonl-triage -q -r retry.jsonl -f failed.txt req.jsonl res.jsonl
	expect_rc 0
	expect_empty "$T/out"
	expect_empty "$T/err"
	expect_eq "$(sed 's/^{"custom_id":"\([^"]*\)".*/\1/' retry.jsonl | tr '\n' ' ')" "c e "
	expect_lines 3 failed.txt
	run jsonl-triage -c counts req.jsonl res.jsonl
	expect_empty "$T/err"
	expect_eq "$(cat counts)" "requests 5
succeeded 2
retry 2
failed 1"
	# Requests from stdin, results from a pipe; the lines go out as they
	# came in (a last line without its newline gets one).
	req a b c d e | head -c -1 >req.nonl
	jsonl-triage -q req.nonl - < <(cat res.jsonl) >out2
	expect_same out2 retry.jsonl
	jsonl-triage -q - res.jsonl <req.jsonl >out3
	expect_same out3 retry.jsonl
	# A result whose id matches no request is reported, and ignored.
	ok zz >>res.jsonl
	run jsonl-triage -q req.jsonl res.jsonl
	expect_rc 0
	expect_eq "$(cat "$T/err")" "jsonl-triage: 1 result matches no request (the first: custom_id zz)"
}

t_ids_as_written() {
	printf '%s\n' '{"custom_id":"caf\u00e9","method":"POST","url":"/v1/x","body":{}}' \
		'{"custom_id":"say \"hi\"","method":"POST","url":"/v1/x","body":{}}' >req.jsonl
	printf '%s\n' '{"custom_id":"café","response":null,"error":{"code":"server_error","message":"x"}}' \
		'{"custom_id":"say \u0022hi\u0022","response":{"status_code":200},"error":null}' >res.jsonl
	triage req.jsonl res.jsonl
	expect_rc 0
	expect_eq "$(cat failed.txt)" 'caf\u00e9	retry	server_error: x'
	expect_grep '^succeeded 1$' counts
}

t_bad_lines() {
	req a b >req.jsonl
	{ ok a; echo '{"custom_id":"b","response":'; } >res.jsonl
	run jsonl-triage req.jsonl res.jsonl
	expect_rc 1
	expect_grep '^jsonl-triage: res.jsonl:2: ' "$T/err"
	expect_empty "$T/out"
	{ ok a; echo '{"response":null}'; } >res.jsonl
	run jsonl-triage req.jsonl res.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" "jsonl-triage: res.jsonl:2: no custom_id"
	{ ok a; echo; } >res.jsonl
	run jsonl-triage req.jsonl res.jsonl
	expect_eq "$(cat "$T/err")" "jsonl-triage: res.jsonl:2: blank line"
	ok a >res.jsonl
	{ req a; echo '[1]'; } >bad.jsonl
	run jsonl-triage bad.jsonl res.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" "jsonl-triage: bad.jsonl:2: a JSON array, not an object"
	{ req a b; echo '{"custom_id":7}'; } >bad.jsonl
	run jsonl-triage bad.jsonl res.jsonl
	expect_eq "$(cat "$T/err")" "jsonl-triage: bad.jsonl:3: custom_id is a number, not a string"
	req a b c b >dup.jsonl
	run jsonl-triage dup.jsonl res.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" "jsonl-triage: dup.jsonl:4: duplicate custom_id b (first at line 2)"
}

t_atomic_output_on_failure() {
	req a b c >req.jsonl
	err a server_error x >res.jsonl
	echo old >retry.jsonl
	echo old >failed.txt
	echo old >counts
	{ req a b c; echo 'not json'; } >bad.jsonl
	run jsonl-triage -r retry.jsonl -f failed.txt -c counts bad.jsonl res.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" "jsonl-triage: bad.jsonl:4: unexpected character"
	expect_eq "$(cat retry.jsonl failed.txt counts | tr '\n' ' ')" "old old old " "files left as they were"
	expect_eq "$(find . -name '.*tmp*' | wc -l)" 0 "temporaries"
	run jsonl-triage -r new-retry.jsonl -f new-failed.txt -o settled.jsonl -u lost.jsonl bad.jsonl res.jsonl
	expect_rc 1
	[ ! -e new-retry.jsonl ] || fail "new-retry.jsonl was left"
	[ ! -e new-failed.txt ] || fail "new-failed.txt was left"
	[ ! -e settled.jsonl ] || fail "settled.jsonl was left"
	[ ! -e lost.jsonl ] || fail "lost.jsonl was left"
	expect_eq "$(find . -name '.*tmp*' | wc -l)" 0 "temporaries"
	# A directory that cannot be written: nothing read, exit 1.
	run jsonl-triage -r /nonexistent/dir/retry.jsonl req.jsonl res.jsonl
	expect_rc 1
	expect_grep '^jsonl-triage: .*/nonexistent/dir/.*: No such file or directory$' "$T/err"
	run jsonl-triage -r retry.jsonl -f failed.txt -c counts req.jsonl res.jsonl
	expect_rc 0
	expect_eq "$(wc -l <retry.jsonl)" 3 "retry lines"
}

t_write_errors() {
	local i
	for i in $(seq 1 3000); do req "r$i"; done >req.jsonl
	: >res.jsonl
	# stdout on a full disk; -V too.
	rc=0
	jsonl-triage -q req.jsonl res.jsonl >/dev/full 2>"$T/err" || rc=$?
	expect_rc 1
	expect_eq "$(cat "$T/err")" "jsonl-triage: stdout: No space left on device"
	rc=0
	jsonl-triage -V >/dev/full 2>"$T/err" || rc=$?
	expect_rc 1
	expect_eq "$(cat "$T/err")" "jsonl-triage: stdout: No space left on device"
	# A reader that stops early is not an error.
	set +e
	timeout 20 jsonl-triage -q req.jsonl res.jsonl 2>"$T/err" | head -n 1 >first
	rc=${PIPESTATUS[0]}
	set -e
	[ "$rc" -ne 124 ] || fail "jsonl-triage did not end after head exited"
	expect_empty "$T/err"
	expect_lines 1 first
	# A -r file past the file size limit: no file, no temporary.
	rc=0
	(trap '' XFSZ; ulimit -f 100; jsonl-triage -q -r retry.jsonl -f failed.txt req.jsonl res.jsonl) 2>"$T/err" || rc=$?
	expect_rc 1
	expect_eq "$(cat "$T/err")" "jsonl-triage: retry.jsonl: File too large"
	[ ! -e retry.jsonl ] || fail "retry.jsonl was left"
	[ ! -e failed.txt ] || fail "failed.txt was left"
	expect_eq "$(find . -name '.*tmp*' | wc -l)" 0 "temporaries"
}

# settled_fixture: req.jsonl and two result files r1.jsonl, r2.jsonl:
# a fails then succeeds (in the other file); b succeeds then fails; c
# fails for good twice (the last failure is the settled one); d fails in a
# way worth another try; e has no result.
settled_fixture() {
	req a b c d e >req.jsonl
	{ err a server_error first; ok b; http c 400 bad 'c first'; } >r1.jsonl
	{ ok a; err b server_error after; http c 404 '' 'c last'; err d server_error 'd only'; } >r2.jsonl
}

t_results_settled() {
	settled_fixture
	run jsonl-triage -q -o settled.jsonl -u lost.jsonl req.jsonl r1.jsonl r2.jsonl
	expect_rc 0
	{ ok a; ok b; http c 404 '' 'c last'; } >want
	expect_same settled.jsonl want
	req c >want
	expect_same lost.jsonl want
	req d e >want
	expect_same "$T/out" want
	# -o alone, results from a pipe (spooled) and from a file.
	run jsonl-triage -q -o settled2.jsonl req.jsonl - r2.jsonl < <(cat r1.jsonl)
	expect_rc 0
	expect_same settled2.jsonl settled.jsonl
	# Copied byte for byte, whatever the spacing, with a newline added
	# to a last line without one and "\r\n" made "\n".
	req x y >req2.jsonl
	printf '%s\r\n%s' '{ "custom_id" : "x" , "response":{"status_code":200},"error":null }' \
		'{"custom_id":"y","error":{"code":"invalid_request","message":"no\ttab"}}' >res2.jsonl
	run jsonl-triage -o settled3.jsonl req2.jsonl res2.jsonl
	expect_rc 0
	printf '%s\n' '{ "custom_id" : "x" , "response":{"status_code":200},"error":null }' \
		'{"custom_id":"y","error":{"code":"invalid_request","message":"no\ttab"}}' >want
	expect_same settled3.jsonl want
	# Nothing settled: an empty file, which is there.
	run jsonl-triage -q -o settled4.jsonl req.jsonl /dev/null
	expect_rc 0
	[ -e settled4.jsonl ] || fail "settled4.jsonl is missing"
	expect_empty settled4.jsonl
	# A result that matches no request is not settled.
	ok zz >>r2.jsonl
	run jsonl-triage -q -o settled5.jsonl req.jsonl r1.jsonl r2.jsonl
	expect_same settled5.jsonl settled.jsonl
}

# Results for ids that no request has (a server that answers a request
# never sent) are never settled, nor counted as a request's: reported,
# counted as unknown, and kept apart with -x; the exit status stays 0.
t_unknown_results_kept_apart() {
	req a b c >req.jsonl
	{ ok a; ok ghost; err b server_error x; err ghost2 server_error y; ok ghost; ok c; } >res.jsonl
	triage -o settled.jsonl -x unknown.jsonl req.jsonl res.jsonl
	expect_rc 0
	expect_eq "$(cat "$T/err")" "jsonl-triage: 2 results match no request (the first: custom_id ghost)"
	{ ok a; ok c; } >want
	expect_same settled.jsonl want
	{ ok ghost; err ghost2 server_error y; } >want
	expect_same unknown.jsonl want
	expect_eq "$(cat counts)" "requests 3
succeeded 2
retry 1
failed 0
unknown 2"
	expect_eq "$(retried)" "b "
	# None: no unknown line, an empty -x file.
	triage -x unknown.jsonl req.jsonl req.jsonl
	expect_eq "$(tail -n 1 counts)" "failed 0"
	[ -e unknown.jsonl ] || fail "unknown.jsonl is missing"
	expect_empty unknown.jsonl
	# Without -c the counts on stderr say it too.
	run jsonl-triage req.jsonl res.jsonl
	expect_eq "$(tail -n 1 "$T/err")" "unknown 2"
	run jsonl-triage -x '' req.jsonl res.jsonl
	expect_rc 2
}

t_last_try() {
	settled_fixture
	run jsonl-triage -F -r retry.jsonl -o settled.jsonl -u lost.jsonl -f failed.txt -c counts req.jsonl r1.jsonl r2.jsonl
	expect_rc 0
	expect_empty "$T/out"
	expect_empty "$T/err"
	[ -e retry.jsonl ] || fail "retry.jsonl is missing"
	expect_empty retry.jsonl
	{ ok a; ok b; http c 404 '' 'c last'; err d server_error 'd only'; } >want
	expect_same settled.jsonl want
	req c d e >want
	expect_same lost.jsonl want
	# -f still says what another try could have mended.
	expect_eq "$(cat failed.txt)" "c	final	HTTP 404: invalid_request_error: c last
d	retry	server_error: d only
e	retry	no result"
	expect_eq "$(cat counts)" "requests 5
succeeded 2
retry 0
failed 3"
	# On stdout and stderr alike.
	run jsonl-triage -F req.jsonl r1.jsonl r2.jsonl
	expect_rc 0
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "requests 5
succeeded 2
retry 0
failed 3"
	# The same without -F: d and e are for another try.
	run jsonl-triage -c counts req.jsonl r1.jsonl r2.jsonl
	expect_eq "$(cat counts)" "requests 5
succeeded 2
retry 2
failed 1"
}

t_failed_requests_in_request_order() {
	# Results in another order than the requests; final and retryable
	# failures mixed.
	req r1 f1 s1 f2 r2 f3 n1 >req.jsonl
	{
		http f3 400 bad three
		err r2 batch_expired x
		ok s1
		err f2 invalid_request two
		http r1 503 '' busy
		http f1 422 '' one
	} >res.jsonl
	run jsonl-triage -u lost.jsonl req.jsonl res.jsonl
	expect_rc 0
	req f1 f2 f3 >want
	expect_same lost.jsonl want
	req r1 r2 n1 >want
	expect_same "$T/out" want
	run jsonl-triage -F -u lost.jsonl req.jsonl res.jsonl
	expect_rc 0
	expect_empty "$T/out"
	req r1 f1 f2 r2 f3 n1 >want
	expect_same lost.jsonl want
	# Nothing failed for good: an empty file.
	run jsonl-triage -q -u lost2.jsonl req.jsonl /dev/null
	expect_rc 0
	[ -e lost2.jsonl ] || fail "lost2.jsonl is missing"
	expect_empty lost2.jsonl
}

t_no_result_text() {
	req q8 q9 >req.jsonl
	err q8 server_error x >res.jsonl
	run jsonl-triage -q -m 'batch batch_abc expired' -f failed.txt req.jsonl res.jsonl
	expect_rc 0
	expect_eq "$(cat failed.txt)" "q8	retry	server_error: x
q9	retry	no result (batch batch_abc expired)"
	# Tabs and line breaks become spaces (a run of them one space): one
	# record, three fields.
	run jsonl-triage -q -m "$(printf 'batch\tbatch_abc\r\n\nexpired\t')" -f failed.txt req.jsonl res.jsonl
	expect_rc 0
	expect_eq "$(sed -n 2p failed.txt)" "q9	retry	no result (batch batch_abc expired )"
	expect_lines 2 failed.txt
	# An empty text adds nothing; -F keeps the text.
	run jsonl-triage -q -m '' -f failed.txt req.jsonl res.jsonl
	expect_eq "$(sed -n 2p failed.txt)" "q9	retry	no result"
	run jsonl-triage -q -F -m 'batch batch_abc cancelled' -f failed.txt req.jsonl res.jsonl
	expect_eq "$(sed -n 2p failed.txt)" "q9	retry	no result (batch batch_abc cancelled)"
}

# The other control characters of -m's text become spaces too, as in the
# reasons results give: the record can drive no terminal.
t_no_result_text_control_characters() {
	req q9 >req.jsonl
	run jsonl-triage -q -m "$(printf 'x\033[31my\001z\177')" -f failed.txt req.jsonl /dev/null
	expect_rc 0
	expect_eq "$(cat failed.txt)" "q9	retry	no result (x [31my z )"
}

t_reason_control_characters_become_spaces() {
	# A server's escape sequence or bell must not reach the terminal of
	# whoever reads the reasons; line breaks still fold to one space.
	req a >req.jsonl
	err a server_error 'x\u001b]0;t\u0007y\u001b[2J\r\nz\u007f' >res.jsonl
	triage -F req.jsonl res.jsonl
	expect_rc 0
	expect_eq "$(cat failed.txt)" "$(printf 'a\tretry\tserver_error: x ]0;t y [2J z ')"
}
