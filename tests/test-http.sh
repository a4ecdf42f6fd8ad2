# shellcheck shell=bash
# The HTTP layer shared by the oai- tools: configuration from the
# environment, the key kept secret, retries and their limits, timeouts.
# oai-rm and oai-fetch serve as the clients.

CANARY=sk-canary-7f3e9d1c5b2a4e6f8091

t_missing_key_names_both_variables() {
	run oai-rm -f file-x
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-rm: no API key: set OPENAI_API_KEY, or OPENAI_API_KEY_FILE to a file holding it"
	OPENAI_API_KEY='' run oai-fetch file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-fetch: no API key: set OPENAI_API_KEY, or OPENAI_API_KEY_FILE to a file holding it"
}

t_key_file() {
	mock_start -k "$CANARY"
	unset OPENAI_API_KEY
	printf '%s\n' "$CANARY" >key
	chmod 600 key
	export OPENAI_API_KEY_FILE=$T/key
	run oai-rm -f file-x
	expect_rc 0
	expect_eq "$(cat "$T/out")" "file-x"
	# OPENAI_API_KEY wins over the file.
	OPENAI_API_KEY=sk-wrong-but-first run oai-rm -f file-x
	expect_rc 1
	expect_grep '^oai-rm: DELETE /v1/files/file-x: HTTP 401: Incorrect API key provided' "$T/err"
}

t_key_file_readable_by_others_is_refused() {
	printf 'sk-abc\n' >key
	chmod 640 key
	OPENAI_API_KEY_FILE=$T/key run oai-rm -f file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-rm: OPENAI_API_KEY_FILE: $T/key: accessible by group or others (mode 640); chmod 600 it"
	chmod 604 key
	OPENAI_API_KEY_FILE=$T/key run oai-rm -f file-x
	expect_rc 1
	expect_grep 'accessible by group or others \(mode 604\)' "$T/err"
	OPENAI_API_KEY_FILE=$T/nokey run oai-rm -f file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-rm: OPENAI_API_KEY_FILE: $T/nokey: No such file or directory"
}

# A FIFO as the key file is refused at once: opening it must not wait
# for a writer that never comes.  A directory likewise.
t_key_file_fifo_is_refused_without_blocking() {
	mkfifo -m 600 key
	OPENAI_API_KEY_FILE=$T/key run timeout 10 oai-rm file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-rm: OPENAI_API_KEY_FILE: $T/key: not a regular file"
	mkdir -m 700 keydir
	OPENAI_API_KEY_FILE=$T/keydir run timeout 10 oai-rm file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-rm: OPENAI_API_KEY_FILE: $T/keydir: not a regular file"
}

t_key_with_control_character_is_refused() {
	OPENAI_API_KEY="$(printf 'sk-abc\r\nX-Evil: 1')" run oai-rm -f file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-rm: OPENAI_API_KEY: the key holds a space or a control character"
	printf 'sk-abc\001def\n' >key
	chmod 600 key
	OPENAI_API_KEY_FILE=$T/key run oai-rm -f file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-rm: OPENAI_API_KEY_FILE: the key holds a space or a control character"
	OPENAI_API_KEY=sk-a OPENAI_ORG_ID="$(printf 'org\nx')" run oai-rm -f file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-rm: OPENAI_ORG_ID: holds a space or a control character"
}

t_plain_http_only_to_loopback() {
	export OPENAI_API_KEY=$CANARY
	for url in http://example.com/v1 http://10.0.0.1:8080/v1 http://128.0.0.1/v1 "http://[::2]/v1"; do
		OPENAI_BASE_URL=$url run oai-rm -f file-x
		expect_rc 1
		expect_eq "$(cat "$T/err")" "oai-rm: OPENAI_BASE_URL: $url: plain http:// is refused except to loopback, or to the host BATCHPIPE_INSECURE_HTTP names; use https://"
	done
	OPENAI_BASE_URL=ftp://127.0.0.1/v1 run oai-rm -f file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-rm: OPENAI_BASE_URL: ftp://127.0.0.1/v1: only https:// (or http:// to loopback) is allowed"
	# Loopback is allowed: these fail only to connect (nothing listens).
	export BATCHPIPE_RETRY_BASE_MS=1 BATCHPIPE_MAX_TRIES=2
	for url in http://127.0.0.1:9/v1 http://127.1.2.3:9/v1 http://localhost:9/v1 "http://[::1]:9/v1"; do
		OPENAI_BASE_URL=$url run oai-rm -f file-x
		expect_rc 75
		expect_grep "^oai-rm: DELETE /v1/files/file-x: .*(Couldn't connect to server|Connection refused).* \\(gave up after 2 tries\\)\$" "$T/err"
	done	# A named host by opt-in only, said each time; another host is still
	# refused.  (.invalid never resolves: the connection alone fails.)
	OPENAI_BASE_URL=http://mock.invalid:9/v1 BATCHPIPE_INSECURE_HTTP=mock.invalid run oai-rm -f file-x
	expect_rc 75
	expect_eq "$(head -n 1 "$T/err")" "oai-rm: warning: plain http:// to mock.invalid (BATCHPIPE_INSECURE_HTTP): the API key and the data cross the network unencrypted"
	expect_grep "^oai-rm: DELETE /v1/files/file-x: .*resolve.* \\(gave up after 2 tries\\)\$" "$T/err"
	OPENAI_BASE_URL=http://other.invalid:9/v1 BATCHPIPE_INSECURE_HTTP=mock.invalid run oai-rm -f file-x
	expect_rc 1
	expect_grep 'plain http:// is refused except to loopback' "$T/err"
}

# An empty OPENAI_BASE_URL (a command substitution that found nothing) is
# refused: the key must not go to the real API in the mock's place.
t_empty_base_url_refused() {
	export OPENAI_API_KEY=$CANARY
	OPENAI_BASE_URL='' run oai-rm -f file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-rm: OPENAI_BASE_URL is set but empty: give the URL, or unset it for https://api.openai.com/v1"
}

# oai-mock on the wildcard address prints a URL the tools accept.
t_mock_on_every_interface_prints_a_loopback_url() {
	mock_start -a 0.0.0.0
	case $MOCK_URL in
	http://127.0.0.1:*/v1) ;;
	*) fail "oai-mock printed $MOCK_URL" ;;
	esac
	run oai-rm -f file-x
	expect_rc 0
}

t_base_url_trailing_slash_and_prefix() {
	mock_start
	OPENAI_BASE_URL=$MOCK_URL/ run oai-rm -f file-x
	expect_rc 0
	expect_eq "$(cat "$T/out")" "file-x"
	# The path in messages carries the base URL's own path.
	OPENAI_BASE_URL=${MOCK_URL%/v1}/v2 run oai-fetch file-x
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-fetch: GET /v2/files/file-x: HTTP 404: Invalid URL (GET /v2/files/file-x)"
}

t_verbose_trace_redacts_the_key() {
	mock_start -k "$CANARY"
	export OPENAI_ORG_ID=org-123 OPENAI_PROJECT_ID=proj_456
	run oai-rm -f -v file-x
	expect_rc 0
	expect_grep '^> DELETE /v1/files/file-x HTTP/1\.1$' "$T/err"
	expect_grep '^> Authorization: Bearer \[redacted\]$' "$T/err"
	expect_grep '^> OpenAI-Organization: org-123$' "$T/err"
	expect_grep '^> OpenAI-Project: proj_456$' "$T/err"
	expect_grep '^< HTTP/1\.1 404 Not Found$' "$T/err"
	expect_no_grep "$CANARY" "$T/err"
}

t_canary_key_never_written_anywhere() {
	mock_start -k "$CANARY" -F http429=1 -F http503=1 -F cut=1
	net_fast
	net_lines 20 a.jsonl
	net_lines 30 b.jsonl
	mkdir dl
	{
		oai-upload -v a.jsonl b.jsonl >up
		oai-fetch -v <up >fetched
		oai-fetch -v -d dl <up
		oai-fetch -v -o all.jsonl <up
		oai-rm -f -v <up >removed
		oai-rm -f -v <up >>removed
	} 2>log
	expect_lines 4 removed
	cat a.jsonl b.jsonl >want
	expect_same fetched want
	expect_same all.jsonl want
	expect_grep 'Bearer \[redacted\]' log
	# A wrong key is masked by the server; ours is never echoed either.
	OPENAI_API_KEY=${CANARY}x oai-rm -v file-x >>removed 2>>log || true
	if grep -rlF "$CANARY" . --exclude-dir=mock; then
		fail "the key appears in the files above"
	fi
}

t_429_honours_retry_after_ms() {
	# The base wait is a minute: only the server's retry-after-ms (100 ms
	# by default in oai-mock) can make this quick. Three backoff waits
	# would take three minutes, so the bound leaves room for a busy machine.
	mock_start -F http429=3
	export BATCHPIPE_RETRY_BASE_MS=60000
	start=$(net_ms)
	run oai-rm -f -v file-x
	expect_rc 0
	elapsed=$(($(net_ms) - start))
	[ "$elapsed" -lt 30000 ] || fail "took $elapsed ms"
	expect_eq "$(grep -c 'retrying in 100 ms' "$T/err")" 3 "waits of 100 ms"
}

t_429_retry_after_seconds() {
	mock_start -F http429=2 -F retry-after=1
	export BATCHPIPE_RETRY_BASE_MS=1
	start=$(net_ms)
	run oai-rm -f -v file-x
	expect_rc 0
	elapsed=$(($(net_ms) - start))
	[ "$elapsed" -ge 2000 ] || fail "retried after $elapsed ms, not after 2 x 1 s"
	expect_eq "$(grep -c 'retrying in 1000 ms' "$T/err")" 2 "waits of 1 s"
}

t_429_retry_after_http_date() {
	# Retry-After as an HTTP date 2 s ahead (whole seconds: 1 to 2 s
	# from the answer), no retry-after-ms; the backoff alone would wait
	# 1 ms at most.
	mock_start -F http429=1 -F retry-after=date:2
	export BATCHPIPE_RETRY_BASE_MS=1
	start=$(net_ms)
	run oai-rm -f -v file-x
	expect_rc 0
	elapsed=$(($(net_ms) - start))
	expect_eq "$(cat "$T/out")" "file-x"
	expect_grep '^< Retry-After: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT$' "$T/err"
	expect_grep 'HTTP 429: .*; retrying in (1000|2000) ms \(try 2 of 8\)$' "$T/err"
	[ "$elapsed" -ge 900 ] || fail "retried after $elapsed ms, not after the date"
	# The message above proves the wait; this bound only catches a wait
	# of the backoff cap or longer, so a loaded machine does not fail it.
	[ "$elapsed" -lt 20000 ] || fail "took $elapsed ms"
}

t_slow_server_times_out_then_gives_up() {
	# Each answer takes 8 s; with a 1 s stall limit both tries are cut
	# short, so the whole run stays far under one answer's time.
	mock_start -F slow=8000
	export BATCHPIPE_TIMEOUT=1
	net_fast 2
	start=$(net_ms)
	run oai-rm -f file-x
	expect_rc 75
	elapsed=$(($(net_ms) - start))
	[ "$elapsed" -lt 14000 ] || fail "took $elapsed ms"
	expect_grep '^oai-rm: DELETE /v1/files/file-x: Operation too slow\. .* \(gave up after 2 tries\)$' "$T/err"
}

t_slow_server_within_the_timeout() {
	mock_start -F slow=1500
	export BATCHPIPE_TIMEOUT=3
	run oai-rm -f file-x
	expect_rc 0
	expect_eq "$(cat "$T/out")" "file-x"
}

t_bad_retry_settings_are_usage_errors() {
	export OPENAI_API_KEY=sk-a
	BATCHPIPE_MAX_TRIES=0 run oai-rm -f file-x
	expect_rc 2
	expect_eq "$(cat "$T/err")" "oai-rm: BATCHPIPE_MAX_TRIES: 0: expected a whole number from 1 to 1000"
	BATCHPIPE_RETRY_BASE_MS=1s run oai-rm -f file-x
	expect_rc 2
	expect_eq "$(cat "$T/err")" "oai-rm: BATCHPIPE_RETRY_BASE_MS: 1s: expected a whole number from 0 to 3600000"
	BATCHPIPE_TIMEOUT=-1 run oai-rm -f file-x
	expect_rc 2
	expect_eq "$(cat "$T/err")" "oai-rm: BATCHPIPE_TIMEOUT: -1: expected a whole number of seconds from 1 to 86400"
	# Blanks and signs, which strtol(3) would take, are refused as well.
	BATCHPIPE_MAX_TRIES=' 3' run oai-rm -f file-x
	expect_rc 2
	expect_eq "$(cat "$T/err")" "oai-rm: BATCHPIPE_MAX_TRIES:  3: expected a whole number from 1 to 1000"
	BATCHPIPE_TIMEOUT=+5 run oai-rm -f file-x
	expect_rc 2
	expect_eq "$(cat "$T/err")" "oai-rm: BATCHPIPE_TIMEOUT: +5: expected a whole number of seconds from 1 to 86400"
}

# "-0" is 0, as strtonum(3) reads it (common/numarg.h), where 0 is in
# range.
t_minus_zero_setting_is_zero() {
	mock_start
	BATCHPIPE_RETRY_BASE_MS=-0 run oai-rm -f file-x
	expect_rc 0
	expect_eq "$(cat "$T/out")" "file-x"
	BATCHPIPE_MAX_TRIES=-0 run oai-rm -f file-x
	expect_rc 2
	expect_eq "$(cat "$T/err")" "oai-rm: BATCHPIPE_MAX_TRIES: -0: expected a whole number from 1 to 1000"
}

# redirect_message TOOL METHOD PATH: the error a redirect of PATH gives.
redirect_message() {
	printf '%s: %s %s: HTTP 307: redirected to %s/moved%s; redirects are not followed (check OPENAI_BASE_URL)' \
		"$1" "$2" "$3" "${MOCK_URL%/v1}" "$3"
}

t_redirect_is_an_error_not_followed() {
	# Every call is answered 307 to /moved/...: each tool stops with the
	# error, and nothing ever asks the server for the new place.
	MOCK_LOG=$T/mock.log mock_start -F redirect
	net_fast
	net_lines 2 a.jsonl
	run oai-upload a.jsonl
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "$(redirect_message oai-upload GET /v1/files)"
	run oai-batch file-abc
	expect_rc 1
	expect_eq "$(cat "$T/err")" "$(redirect_message oai-batch GET /v1/files/file-abc)"
	run oai-wait batch_abc
	expect_rc 1
	expect_eq "$(cat "$T/err")" "$(redirect_message oai-wait GET /v1/batches/batch_abc)"
	run oai-fetch file-abc
	expect_rc 1
	expect_eq "$(cat "$T/err")" "$(redirect_message oai-fetch GET /v1/files/file-abc)"
	run oai-rm file-abc
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "$(redirect_message oai-rm DELETE /v1/files/file-abc)"
	net_log_wait 5 ' 307 \(fault redirect\)$' "$T/mock.log"
	expect_eq "$(grep -c ' 307 (fault redirect)$' "$T/mock.log")" 5 "redirects sent"
	expect_no_grep '/moved' "$T/mock.log"
}

t_redirect_of_a_post_is_not_replayed() {
	# Only the POSTs are redirected (every second call to the prefix,
	# after the listing): an upload and a batch creation are not sent
	# again, there or here.
	MOCK_LOG=$T/mock.log mock_start -F redirect=50%@/v1/files -F redirect=50%@/v1/batches
	net_fast
	net_lines 2 a.jsonl
	run oai-upload a.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" "$(redirect_message oai-upload POST /v1/files)"
	mock_curl POST /files -F purpose=batch -F file=@a.jsonl >up.json
	id=$(sed 's/.*"id":"\([^"]*\)".*/\1/' up.json)
	# The fourth call to /v1/files is redirected: this one, so that
	# oai-batch's look at the file (the fifth) is not.
	mock_curl GET "/files/$id" >/dev/null
	run oai-batch "$id"
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "$(redirect_message oai-batch POST /v1/batches)"
	net_log_wait 3 '^oai-mock: POST ' "$T/mock.log"
	expect_eq "$(grep -c '^oai-mock: POST ' "$T/mock.log")" 3 "POSTs"
	expect_no_grep '/moved' "$T/mock.log"
	expect_eq "$(mock_curl GET /batches | grep -c '"object":"batch"')" 0 "batches"
}
