# shellcheck shell=bash
# oai-run: request lines answered live, each result a line of the Batch
# API's output format; retries, pacing, resume with -o, signals.

# run_start [oai-mock options]: the mock with its log in $T/mock.log.
run_start() {
	MOCK_LOG=$T/mock.log mock_start "$@"
}

# calls PATH: how many calls to PATH the mock has seen.
calls() {
	grep -c "POST $1 " "$T/mock.log" || true
}

# ids FILE: the custom_ids of the lines of FILE, sorted, on one line.
ids() {
	sed 's/.*"custom_id":"\([^"]*\)".*/\1/' "$1" | sort | tr '\n' ' '
}

t_usage() {
	run oai-run -h
	expect_rc 0
	expect_grep '^usage: oai-run \[-hqVv\] \[-c concurrency\]' "$T/out"
	run oai-run -z
	expect_rc 2
	expect_grep '^usage: oai-run' "$T/err"
	for bad in 0 1001 x 5x; do
		run oai-run -c "$bad"
		expect_rc 2
		expect_grep '^oai-run: -c: ' "$T/err"
	done
}

t_answers_every_request() {
	run_start
	net_lines 50 req.jsonl
	run oai-run req.jsonl
	expect_rc 0
	expect_empty "$T/err"
	expect_lines 50 "$T/out"
	expect_eq "$(ids "$T/out")" "$(ids req.jsonl)"
	expect_eq "$(grep -c '"response":{"status_code":200,"request_id":"req_[0-9a-f]*","body":{"id":"chatcmpl-' "$T/out")" 50 "answers"
	expect_eq "$(grep -c '},"error":null}$' "$T/out")" 50 "error null"
	jsonl-sortid -r req.jsonl "$T/out" >sorted.jsonl
	expect_eq "$(calls /v1/chat/completions)" 50 "calls"
}

# The request's url names the endpoint; its /v1 is the base URL's.
t_url_under_the_base_url() {
	run_start
	printf '%s\n' '{"custom_id":"e1","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":"hi"}}' >req.jsonl
	run oai-run req.jsonl
	expect_rc 0
	expect_grep '"custom_id":"e1","response":\{"status_code":200,.*"object":"list"' "$T/out"
	expect_eq "$(calls /v1/embeddings)" 1 "calls"
	printf '%s\n' '{"custom_id":"x","method":"POST","url":"/v2/chat","body":{"model":"m"}}' >bad.jsonl
	run oai-run bad.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-run: bad.jsonl:1: url does not begin with /v1/"
}

# The legacy completions and the moderations (whose model the API
# defaults) are sent as any other request.
t_completions_and_moderations() {
	run_start
	printf '%s\n' '{"id":1,"c":3,"t":"ok"}' '{"id":2,"c":4,"t":"flag:violence"}' >items.jsonl
	jsonl-prompt -e /v1/moderations -t '{t}' -i id items.jsonl >mod.jsonl
	jsonl-prompt -m gpt-3.5-turbo-instruct -e /v1/completions -t '{t}' -i c -T 5 items.jsonl >compl.jsonl
	run oai-run mod.jsonl compl.jsonl
	expect_rc 0
	expect_lines 4 "$T/out"
	expect_grep '"custom_id":"2","response":\{"status_code":200,.*"body":\{"id":"modr-[0-9a-f]+","model":"omni-moderation-latest","results":\[\{"flagged":true,' "$T/out"
	expect_grep '"custom_id":"3","response":\{"status_code":200,.*"body":\{"id":"cmpl-[0-9a-f]+","object":"text_completion",.*"text":"mock answer to: ok"' "$T/out"
	expect_eq "$(calls /v1/moderations)" 2 "moderations"
	expect_eq "$(calls /v1/completions)" 2 "completions"
}

# A final HTTP error is the request's result, as in a batch's error file.
t_http_error_is_a_result() {
	run_start -F http400=2@/v1/chat
	net_lines 6 req.jsonl
	run oai-run -c 1 req.jsonl
	expect_rc 0
	expect_lines 6 "$T/out"
	expect_eq "$(grep -c '"status_code":400,.*"invalid_request_error"' "$T/out")" 2 "400s"
	expect_eq "$(calls /v1/chat/completions)" 6 "calls"
}

t_retried_until_answered() {
	net_fast
	run_start -F http429=3@/v1/chat -F http500=2@/v1/chat -F http502=1@/v1/chat -F close=2@/v1/chat
	net_lines 10 req.jsonl
	run oai-run req.jsonl
	expect_rc 0
	expect_eq "$(grep -c '"status_code":200' "$T/out")" 10 "answers"
	expect_eq "$(calls /v1/chat/completions)" 18 "calls"
}

t_tries_run_out() {
	net_fast 2
	run_start -F http503@/v1/chat
	net_lines 3 req.jsonl
	run oai-run req.jsonl
	expect_rc 75
	expect_eq "$(grep -c '"status_code":503' "$T/out")" 3 "503s"
	expect_grep '^oai-run: 3 of 3 requests still failed after 2 tries' "$T/err"
	expect_eq "$(calls /v1/chat/completions)" 6 "calls"
	# No server at all: the line says so, with a code worth another try.
	kill "$MOCK_PID"
	wait "$MOCK_PID" 2>/dev/null || true
	run oai-run req.jsonl
	expect_rc 75
	expect_eq "$(grep -c '"response":null,"error":{"code":"connection_error","message":"gave up after 2 tries: ' "$T/out")" 3 "no answer"
	jsonl-triage -r retry.jsonl req.jsonl "$T/out" >/dev/null || true
	expect_lines 3 retry.jsonl
}

# -o: a re-run sends only what has no success there, and the file ends
# with one line a request.
t_resume_sends_only_the_rest() {
	run_start -F http400=3@/v1/chat
	net_lines 20 req.jsonl
	run oai-run -c 1 -o res.jsonl req.jsonl
	expect_rc 0
	expect_empty "$T/out"
	expect_lines 20 res.jsonl
	expect_eq "$(grep -c '"status_code":400' res.jsonl)" 3 "400s"
	# A crash left half a line.
	printf '{"id":"batch_req_1","custom_id":"req.jsonl-20","resp' >>res.jsonl
	run oai-run -o res.jsonl req.jsonl
	expect_rc 0
	expect_lines 20 res.jsonl
	expect_eq "$(grep -c '"status_code":200' res.jsonl)" 20 "answers"
	expect_eq "$(ids res.jsonl)" "$(ids req.jsonl)"
	expect_eq "$(calls /v1/chat/completions)" 23 "calls"
	run oai-run -o res.jsonl req.jsonl
	expect_rc 0
	expect_eq "$(calls /v1/chat/completions)" 23 "calls after a complete run"
}

# Nothing is sent unless the whole input is good.
t_bad_input_sends_nothing() {
	run_start
	net_lines 3 req.jsonl
	printf '{"custom_id":"x"}\n' >>req.jsonl
	run oai-run req.jsonl
	expect_rc 1
	expect_grep '^oai-run: req.jsonl:4: no method$' "$T/err"
	net_lines 3 dup.jsonl
	head -n 1 dup.jsonl >first.jsonl
	cat first.jsonl >>dup.jsonl
	run oai-run dup.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" 'oai-run: dup.jsonl:4: custom_id "dup.jsonl-1" is there twice'
	expect_eq "$(calls /v1/chat/completions)" 0 "calls"
}

# The first signal lets the requests in flight finish and writes them:
# they are paid for.  A re-run then sends each request once in all.
t_signal_finishes_what_is_in_flight() {
	run_start -L 400
	net_lines 40 req.jsonl
	oai-run -q -c 4 -o res.jsonl req.jsonl 2>err &
	pid=$!
	sleep 1
	kill -INT "$pid"
	rc=0
	# shellcheck disable=SC2034 # read by expect_rc
	wait "$pid" || rc=$?
	expect_rc 130
	expect_grep 'finishing the requests in flight' err
	n=$(grep -c . res.jsonl)
	if [ "$n" -eq 0 ] || [ "$n" -ge 40 ]; then
		fail "$n lines after the signal"
	fi
	expect_eq "$(grep -c '"status_code":200.*}$' res.jsonl)" "$n" "whole lines"
	expect_eq "$(calls /v1/chat/completions)" "$n" "calls before the re-run"
	run oai-run -o res.jsonl req.jsonl
	expect_rc 0
	expect_lines 40 res.jsonl
	expect_eq "$(calls /v1/chat/completions)" 40 "calls in all"
}

# -R: a second's worth at once, then the rate: 30 requests at 600 a
# minute take two seconds at least.
t_requests_per_minute() {
	run_start
	net_lines 30 req.jsonl
	start=$(net_ms)
	run oai-run -R 600 -c 50 req.jsonl
	expect_rc 0
	expect_lines 30 "$T/out"
	ms=$(($(net_ms) - start))
	[ "$ms" -ge 1900 ] || fail "30 requests at -R 600 took $ms ms"
}

# A refused key stops the run: no request can succeed.
t_refused_key_stops() {
	run_start -k sk-the-right-one
	export OPENAI_API_KEY=sk-wrong
	net_lines 30 req.jsonl
	run oai-run -c 1 req.jsonl
	expect_rc 1
	expect_grep 'HTTP 401: the key is refused; nothing more is sent$' "$T/err"
	expect_empty "$T/out"
	expect_eq "$(calls /v1/chat/completions)" 1 "calls"
}

# On a terminal: done of total, the rates, the failures and the time
# left, drawn over and over on one line, erased at the end.
t_progress_on_a_terminal() {
	run_start -L 100 -F http400=1@/v1/chat
	net_lines 20 req.jsonl
	mkdir tty tty2
	python3 "$TOP/tests/ptyterm" 24 100 tty oai-run -c 2 -o res.jsonl req.jsonl
	expect_lines 20 res.jsonl
	tr '\r' '\n' <tty/raw | sed 's/\x1b\[K//g' >lines
	expect_grep '^oai-run: [0-9]+ of 20 \([0-9]+%\), [0-9.]+k? req/min, [0-9.]+k? tok/min, 1 failed, ETA [0-9]+s' lines
	expect_eq "$(grep -c . tty/screen || true)" 0 "lines left on the screen"
	# -q: nothing.
	rm res.jsonl
	python3 "$TOP/tests/ptyterm" 24 100 tty2 oai-run -q -c 2 -o res.jsonl req.jsonl
	expect_eq "$(wc -c <tty2/raw)" 0 "bytes with -q"
}

# -T: a request counts its input and its cap on output (990 here, about
# 1,000 in all): at 600,000 a minute, ten a second, a second's worth at
# once, so 30 requests take two seconds at least.
t_tokens_per_minute() {
	run_start
	for i in $(seq 1 30); do
		printf '{"custom_id":"t%d","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"q%d"}],"max_tokens":990}}\n' "$i" "$i"
	done >req.jsonl
	start=$(net_ms)
	run oai-run -T 600000 -c 50 req.jsonl
	expect_rc 0
	expect_lines 30 "$T/out"
	ms=$(($(net_ms) - start))
	[ "$ms" -ge 1900 ] || fail "30 requests of 1,000 tokens at -T 600000 took $ms ms"
}

# n429: the 429s the mock answered.
n429() {
	grep -c 'POST /v1/chat/completions 429' "$T/mock.log" || true
}

# The server's limit, known only from its headers: at rpm=600 (a bucket
# of 10, refilled at 10 a second) 60 requests take 5 s at least, and all
# are answered.  oai-run starts with one request and reads the headers
# before it widens, so few are refused: a first burst of -c 50 would meet
# 40 refusals; the headers lag by the requests in flight, so some remain.
t_server_requests_per_minute() {
	run_start -F rpm=600
	net_lines 60 req.jsonl
	start=$(net_ms)
	run oai-run -c 50 req.jsonl
	ms=$(($(net_ms) - start))
	expect_rc 0
	expect_lines 60 "$T/out"
	expect_eq "$(grep -c '"status_code":200' "$T/out")" 60 "answered"
	[ "$ms" -ge 4900 ] || fail "60 requests at rpm=600 took $ms ms"
	[ "$(n429)" -le 15 ] || fail "$(n429) answers 429"
}

# The same by tokens: 8 in and 92 out make 100 a request; tpm=60000 is a
# bucket of 1,000, ten requests a second.
t_server_tokens_per_minute() {
	run_start -F tpm=60000
	for i in $(seq 1 60); do
		printf '{"custom_id":"t%d","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":92}}\n' "$i"
	done >req.jsonl
	start=$(net_ms)
	run oai-run -c 50 req.jsonl
	ms=$(($(net_ms) - start))
	expect_rc 0
	expect_eq "$(grep -c '"status_code":200' "$T/out")" 60 "answered"
	[ "$ms" -ge 4900 ] || fail "60 requests of 100 tokens at tpm=60000 took $ms ms"
	[ "$(n429)" -le 15 ] || fail "$(n429) answers 429"
}

# A 429 narrows the window to one request in flight; every answer after
# it widens it again.  200 requests of 100 ms each would take 20 s one at
# a time; widening by one a round trip, they take about 2 s.
t_window_grows_after_429() {
	run_start -L 100 -F http429=1@/v1/chat -F retry-after=0.1
	net_lines 200 req.jsonl
	start=$(net_ms)
	run oai-run -c 50 req.jsonl
	ms=$(($(net_ms) - start))
	expect_rc 0
	expect_eq "$(grep -c '"status_code":200' "$T/out")" 200 "answered"
	expect_eq "$(n429)" 1 "429s"
	[ "$ms" -le 8000 ] || fail "200 requests after a 429 took $ms ms"
}

# -c bounds the requests in flight: the mock's log says how many live
# answers were being made when each began.
t_concurrency_is_bounded() {
	run_start -L 100
	net_lines 60 req.jsonl
	run oai-run -c 4 req.jsonl
	expect_rc 0
	expect_lines 60 "$T/out"
	max=$(sed -n 's/.* (\([0-9]*\) in flight)$/\1/p' "$T/mock.log" | sort -n | tail -n 1)
	expect_eq "$max" 4 "most requests in flight"
}

# The same requests answered in a batch (fetched with oai-fetch) and
# live: the same lines but for the ids and times each answer makes anew.
t_output_format_equals_oai_fetch() {
	run_start -t 0.05,0.2,0.05
	net_lines 5 req.jsonl
	oai-upload req.jsonl | oai-batch | oai-wait -q -i 0.1 | oai-fetch >fetched.jsonl
	run oai-run req.jsonl
	expect_rc 0
	norm() {
		sed -e 's/"batch_req_[0-9a-f]*"/"ID"/; s/"req_[0-9a-f]*"/"RID"/' \
			-e 's/"chatcmpl-[0-9a-f]*"/"CID"/; s/"created":[0-9]*/"created":0/' "$1" |
			sort
	}
	norm fetched.jsonl >want
	norm "$T/out" >got
	expect_lines 5 got
	expect_same got want
}

# kill -9 in the middle: the re-run with the same -o ends with every
# request answered exactly once in the file (a line cut short by the kill
# is taken out first).
t_resume_after_sigkill() {
	run_start -L 100
	net_lines 80 req.jsonl
	oai-run -q -c 4 -o res.jsonl req.jsonl 2>/dev/null &
	pid=$!
	for _ in $(seq 1 100); do
		[ "$(grep -c . res.jsonl 2>/dev/null)" -ge 10 ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || :
	n=$(grep -c . res.jsonl)
	[ "$n" -lt 80 ] || fail "the kill came after the end ($n lines)"
	run oai-run -o res.jsonl req.jsonl
	expect_rc 0
	expect_lines 80 res.jsonl
	expect_eq "$(ids res.jsonl)" "$(ids req.jsonl)"
	expect_eq "$(grep -c '"status_code":200' res.jsonl)" 80 "answers"
}
