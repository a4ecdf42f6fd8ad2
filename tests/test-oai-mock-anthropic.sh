# shellcheck shell=bash
# oai-mock -D anthropic with plain curl: Anthropic's Message Batches API,
# its errors, its limits, and every fault that acts on a batch, as
# oai-mock(1) says they map (the official SDK: test-anthropic-sdk.sh).

# aget NAME FILE: the first value of member NAME in FILE (a string
# without its quotes, or a number, true, false, null).
aget() {
	grep -o "\"$1\":\(\"[^\"]*\"\|[-0-9.a-z]*\)" "$2" | head -n 1 |
		sed -e "s/^\"$1\"://" -e 's/^"//' -e 's/"$//'
}

# ant METHOD PATH [curl args]: a call with the key and the version
# headers; the body in $T/body, the status in $code.
ant() {
	local method=$1 path=$2
	shift 2
	code=$(curl -sS -X "$method" -H "x-api-key: $OPENAI_API_KEY" \
		-H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' \
		-o "$T/body" -w '%{http_code}' "${MOCK_URL%/v1}$path" "$@")
}

# areq ID TEXT [MAX-TOKENS [MODEL]]: one entry of a create's requests.
areq() {
	printf '{"custom_id":"%s","params":{"model":"%s","max_tokens":%s,"messages":[{"role":"user","content":"%s"}]}}' \
		"$1" "${4:-claude-mock-1}" "${3:-100}" "$2"
}

# acreate N: a Message Batch of N requests r1..rN asking "question i";
# its id in $bid.
acreate() {
	local i sep='' body='{"requests":['
	for i in $(seq 1 "$1"); do
		body="$body$sep$(areq "r$i" "question $i")"
		sep=,
	done
	ant POST /v1/messages/batches -d "$body]}"
	expect_eq "$code" 200 "create status"
	bid=$(aget id "$T/body")
	case $bid in msgbatch_01*) ;; *) cat "$T/body"; fail "no batch id" ;; esac
}

# await_ended ID: polls (10 s at most) until the batch has ended; the
# batch in $T/b.json.
await_ended() {
	local i
	for i in $(seq 1 200); do
		ant GET "/v1/messages/batches/$1"
		cp "$T/body" "$T/b.json"
		[ "$(aget processing_status "$T/b.json")" = ended ] && return 0
		sleep 0.05
	done
	fail "batch $1 did not end in 10 s: $(cat "$T/b.json"), $i"
}

# results ID: the batch's results, sorted, in $T/results.
results() {
	ant GET "/v1/messages/batches/$1/results"
	expect_eq "$code" 200 "results status"
	sort "$T/body" >"$T/results"
}

# expect_error STATUS TYPE MESSAGE-REGEX: the last call's answer.
expect_error() {
	expect_eq "$code" "$1" "status"
	expect_grep "^\\{\"type\":\"error\",\"error\":\\{\"type\":\"$2\",\"message\":\"$3\"\\},\"request_id\":null\\}\$" "$T/body"
}

t_anth_batch_ends_with_answers() {
	mock_start -q -D anthropic -t 0.05,0.2,0.05
	acreate 3
	expect_grep '"processing_status":"in_progress","request_counts":\{"processing":3,"succeeded":0,"errored":0,"canceled":0,"expired":0\}' "$T/body"
	expect_grep '"ended_at":null,"created_at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z",' "$T/body"
	expect_grep '"results_url":null\}$' "$T/body"
	await_ended "$bid"
	expect_grep '"request_counts":\{"processing":0,"succeeded":3,"errored":0,"canceled":0,"expired":0\}' "$T/b.json"
	expect_grep "\"results_url\":\"${MOCK_URL%/v1}/v1/messages/batches/$bid/results\"" "$T/b.json"
	results "$bid"
	expect_lines 3 "$T/results"
	expect_grep '^\{"custom_id":"r2","result":\{"type":"succeeded","message":\{"id":"msg_01[0-9a-f]{22}","type":"message","role":"assistant","model":"claude-mock-1","content":\[\{"type":"text","text":"mock answer to: question 2"\}\],"stop_reason":"end_turn","stop_sequence":null,"usage":\{"input_tokens":[1-9][0-9]*,"output_tokens":7,' "$T/results"
}

t_anth_auth_and_version() {
	mock_start -q -D anthropic -k sk-ant-right
	code=$(curl -sS -o "$T/body" -w '%{http_code}' -H 'anthropic-version: 2023-06-01' "${MOCK_URL%/v1}/v1/messages/batches")
	expect_error 401 authentication_error 'x-api-key header is required'
	code=$(curl -sS -o "$T/body" -w '%{http_code}' -H 'x-api-key: sk-ant-wrong' -H 'anthropic-version: 2023-06-01' "${MOCK_URL%/v1}/v1/messages/batches")
	expect_error 401 authentication_error 'invalid x-api-key'
	code=$(curl -sS -o "$T/body" -w '%{http_code}' -H 'x-api-key: sk-ant-right' "${MOCK_URL%/v1}/v1/messages/batches")
	expect_error 400 invalid_request_error 'anthropic-version: header is required'
	code=$(curl -sS -o "$T/body" -w '%{http_code}' -H 'x-api-key: sk-ant-right' -H 'anthropic-version: latest' "${MOCK_URL%/v1}/v1/messages/batches")
	expect_error 400 invalid_request_error 'anthropic-version: invalid version'
	code=$(curl -sS -o "$T/body" -w '%{http_code}' -H 'Authorization: Bearer sk-ant-right' -H 'anthropic-version: 2023-06-01' "${MOCK_URL%/v1}/v1/messages/batches")
	expect_eq "$code" 200 "a Bearer token"
	expect_grep '^\{"data":\[\],"has_more":false,"first_id":null,"last_id":null\}$' "$T/body"
	ant GET /v1/files
	expect_error 404 not_found_error 'Not Found \(GET /v1/files\)'
}

t_anth_create_refused() {
	local long
	long=$(printf 'x%.0s' $(seq 1 65))
	mock_start -q -D anthropic
	ant POST /v1/messages/batches -d 'not json'
	expect_error 400 invalid_request_error 'The request body is not valid JSON.'
	ant POST /v1/messages/batches -d '{}'
	expect_error 400 invalid_request_error 'requests: Field required'
	ant POST /v1/messages/batches -d '{"requests":[]}'
	expect_error 400 invalid_request_error 'requests: List should have at least 1 item after validation, not 0'
	ant POST /v1/messages/batches -d "{\"requests\":[$(areq ok q),$(areq 'a b' q)]}"
	expect_error 400 invalid_request_error "requests.1.custom_id: String should match pattern '\\^\\[a-zA-Z0-9_-\\]\\{1,64\\}\\$'"
	ant POST /v1/messages/batches -d "{\"requests\":[$(areq "$long" q)]}"
	expect_error 400 invalid_request_error "requests.0.custom_id: String should match pattern .*"
	ant POST /v1/messages/batches -d "{\"requests\":[$(areq "${long%x}" q)]}"
	expect_eq "$code" 200 "a custom_id of 64 characters"
	ant POST /v1/messages/batches -d "{\"requests\":[$(areq "" q)]}"
	expect_error 400 invalid_request_error "requests.0.custom_id: String should match pattern .*"
	ant POST /v1/messages/batches -d "{\"requests\":[$(areq a q),$(areq b q),$(areq a q)]}"
	expect_error 400 invalid_request_error "requests.2.custom_id: Duplicate custom_id 'a': each request in a batch must have a unique custom_id"
	ant POST /v1/messages/batches -d '{"requests":[{"custom_id":"a","params":{"max_tokens":5,"messages":[{"role":"user","content":"q"}]}}]}'
	expect_error 400 invalid_request_error 'requests.0.params.model: Field required'
	ant POST /v1/messages/batches -d '{"requests":[{"custom_id":"a","params":{"model":"m","messages":[{"role":"user","content":"q"}]}}]}'
	expect_error 400 invalid_request_error 'requests.0.params.max_tokens: Field required'
	ant POST /v1/messages/batches -d '{"requests":[{"custom_id":"a","params":{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"q"}]}}]}'
	expect_error 400 invalid_request_error 'requests.0.params.max_tokens: Input should be a valid integer greater than or equal to 1'
	ant POST /v1/messages/batches -d '{"requests":[{"custom_id":"a","params":{"model":"m","max_tokens":5,"messages":[]}}]}'
	expect_error 400 invalid_request_error 'requests.0.params.messages: a list of at least one message is required'
	ant POST /v1/messages/batches -d '{"requests":[{"custom_id":"a"}]}'
	expect_error 400 invalid_request_error 'requests.0.params: Field required'
	ant GET /v1/messages/batches
	expect_eq "$(grep -o '"type":"message_batch"' "$T/body" | wc -l)" 1 "batches made"
}

# Anthropic's limits: 100,000 requests, 256 MB.  Nothing runs (-t), so
# the batch of 100,000 is only created.
t_anth_limits() {
	mock_start -q -D anthropic -t 100,100,100
	{
		printf '{"requests":['
		awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "%s{\"custom_id\":\"r%d\",\"params\":{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}}", (i > 1 ? "," : ""), i }'
	} >max.json
	printf ']}' >>max.json
	ant POST /v1/messages/batches --data-binary @max.json
	expect_eq "$code" 200 "100,000 requests"
	expect_grep '"processing":100000,' "$T/body"
	sed 's/]}$/,{"custom_id":"one-more","params":{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"q"}]}}]}/' max.json >over.json
	ant POST /v1/messages/batches --data-binary @over.json
	expect_error 400 invalid_request_error 'requests: List should have at most 100000 items after validation, not 100001'
	# Streamed (-T -): curl would hold 256 MB in memory otherwise.
	ant POST /v1/messages/batches -T - < <(head -c 256000001 /dev/zero)
	expect_error 413 request_too_large 'Request exceeds the maximum allowed number of bytes.'
}

# Cancelled while validating (-t): no request was read, each is canceled.
t_anth_cancel_and_delete() {
	mock_start -q -D anthropic -t 100,100,0.05
	acreate 4
	ant GET "/v1/messages/batches/$bid/results"
	expect_error 400 invalid_request_error "Message Batch $bid has not ended: its results are not available yet."
	ant DELETE "/v1/messages/batches/$bid"
	expect_error 400 invalid_request_error "Message Batch $bid is still processing: cancel it, and delete it once it has ended."
	ant POST "/v1/messages/batches/$bid/cancel"
	expect_eq "$code" 200 "cancel"
	expect_grep '"processing_status":"canceling","request_counts":\{"processing":4,' "$T/body"
	expect_grep '"cancel_initiated_at":"[0-9-]{10}T[0-9:]{8}Z"' "$T/body"
	await_ended "$bid"
	expect_grep '"request_counts":\{"processing":0,"succeeded":0,"errored":0,"canceled":4,"expired":0\}' "$T/b.json"
	results "$bid"
	expect_lines 4 "$T/results"
	expect_eq "$(grep -c '"result":{"type":"canceled"}}$' "$T/results")" 4 "canceled lines"
	ant POST "/v1/messages/batches/$bid/cancel"
	expect_eq "$code" 200 "a second cancel"
	ant DELETE "/v1/messages/batches/$bid"
	expect_eq "$code" 200 "delete"
	expect_grep "^\\{\"id\":\"$bid\",\"type\":\"message_batch_deleted\"\\}\$" "$T/body"
	ant GET "/v1/messages/batches/$bid/results"
	expect_error 404 not_found_error "No Message Batch found with id '$bid'."
	# An ended batch that was not cancelled cannot be.
	mock_start -q -D anthropic -t 0.05,0.1,0.05
	acreate 1
	await_ended "$bid"
	ant POST "/v1/messages/batches/$bid/cancel"
	expect_error 400 invalid_request_error "Message Batch $bid has ended and can no longer be canceled."
}

t_anth_list_pages() {
	local a b c
	mock_start -q -D anthropic -t 100,100,100
	acreate 1; a=$bid
	acreate 1; b=$bid
	acreate 1; c=$bid
	ant GET '/v1/messages/batches?limit=2'
	expect_eq "$(grep -o '"id":"[^"]*"' "$T/body" | cut -d'"' -f4 | paste -sd,)" "$c,$b" "first page"
	expect_grep "\"has_more\":true,\"first_id\":\"$c\",\"last_id\":\"$b\"\\}\$" "$T/body"
	ant GET "/v1/messages/batches?limit=2&after_id=$b"
	expect_grep "^\\{\"data\":\\[\\{\"id\":\"$a\".*\\],\"has_more\":false,\"first_id\":\"$a\",\"last_id\":\"$a\"\\}\$" "$T/body"
	ant GET "/v1/messages/batches?limit=1&before_id=$a"
	expect_grep "\"has_more\":true,\"first_id\":\"$b\",\"last_id\":\"$b\"\\}\$" "$T/body"
	ant GET "/v1/messages/batches?limit=5&before_id=$b"
	expect_grep "\"has_more\":false,\"first_id\":\"$c\",\"last_id\":\"$c\"\\}\$" "$T/body"
	ant GET '/v1/messages/batches?limit=0'
	expect_error 400 invalid_request_error 'limit: Input should be an integer from 1 to 1000'
}

# fail-requests: errored results (api_error, or the type of fail-status),
# counted as errored; the ids it hit succeed in the next batch.
t_anth_fail_requests() {
	mock_start -q -D anthropic -t 0.05,0.1,0.05 -F fail-requests=50%
	acreate 10
	await_ended "$bid"
	results "$bid"
	expect_lines 10 "$T/results"
	n=$(grep -c '"result":{"type":"errored","error":{"type":"error","error":{"type":"api_error","message":"The server had an error while processing this request."},"request_id":null}}}$' "$T/results") || true
	[ "$n" -gt 0 ] || fail "no errored line"
	expect_grep "\"succeeded\":$((10 - n)),\"errored\":$n," "$T/b.json"
	acreate 10
	await_ended "$bid"
	expect_grep '"succeeded":10,"errored":0,' "$T/b.json"

	mock_start -q -D anthropic -t 0.05,0.1,0.05 -F fail-requests=100% -F fail-status=429
	acreate 2
	await_ended "$bid"
	results "$bid"
	expect_eq "$(grep -c '"type":"errored","error":{"type":"error","error":{"type":"rate_limit_error","message":"The server had an error while processing your request. Sorry about that!"},"request_id":null}}}$' "$T/results")" 2 "rate_limit_error lines"
}

# expire and cancel: the share answered first, the rest expired or
# canceled.
t_anth_expire_and_cancel_faults() {
	mock_start -q -D anthropic -t 0.05,0.1,0.05 -F expire=0.5
	acreate 4
	await_ended "$bid"
	expect_grep '"request_counts":\{"processing":0,"succeeded":2,"errored":0,"canceled":0,"expired":2\}' "$T/b.json"
	results "$bid"
	expect_eq "$(grep -c '"result":{"type":"expired"}}$' "$T/results")" 2 "expired lines"
	mock_start -q -D anthropic -t 0.05,0.1,0.05 -F cancel=0.25
	acreate 4
	await_ended "$bid"
	expect_grep '"request_counts":\{"processing":0,"succeeded":1,"errored":0,"canceled":3,"expired":0\}' "$T/b.json"
	expect_grep '"cancel_initiated_at":"[0-9-]{10}T' "$T/b.json"
	results "$bid"
	expect_eq "$(grep -c '"result":{"type":"canceled"}}$' "$T/results")" 3 "canceled lines"
}

# fail-batch and token-limit: Anthropic has no failed batch; it ends with
# every request errored, for the reason the batch was refused.
t_anth_refused_batch() {
	mock_start -q -D anthropic -t 0.05,0.1,0.05 -F fail-batch=1
	acreate 3
	await_ended "$bid"
	expect_grep '"request_counts":\{"processing":0,"succeeded":0,"errored":3,"canceled":0,"expired":0\}' "$T/b.json"
	results "$bid"
	expect_eq "$(grep -c '"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"The batch was refused (a fault oai-mock was told to inject)."}' "$T/results")" 3 "errored lines"
	acreate 1
	await_ended "$bid"
	expect_grep '"succeeded":1,' "$T/b.json"
	mock_start -q -D anthropic -t 0.05,0.1,0.05 -F token-limit=5
	acreate 2
	await_ended "$bid"
	results "$bid"
	expect_eq "$(grep -c '"message":"Enqueued token limit reached for claude-mock-1 in organization org-mock. Limit: 5 enqueued tokens.' "$T/results")" 2 "token-limit lines"
}

# The HTTP faults in Anthropic's words; lose-create makes the batch and
# drops the answer; cut drops the results half way; extra-result adds a
# result for no request.
t_anth_http_faults() {
	mock_start -q -D anthropic -t 0.05,0.1,0.05 -F 'http429=1@/v1/messages/batches' \
		-F 'http500=1@/v1/messages/batches' -F 'http503=1@/v1/messages/batches' \
		-F 'http400=1@/v1/messages/batches'
	ant GET /v1/messages/batches -D "$T/headers"
	expect_error 429 rate_limit_error 'Number of request tokens has exceeded your per-minute rate limit; please try again later.'
	expect_grep '^retry-after-ms: 100' "$T/headers"
	ant GET /v1/messages/batches
	expect_error 500 api_error 'Internal server error'
	ant GET /v1/messages/batches
	expect_error 529 overloaded_error 'Overloaded'
	ant GET /v1/messages/batches
	expect_error 400 invalid_request_error 'Bad request \(a fault oai-mock was told to inject\).'
	ant GET /v1/messages/batches
	expect_eq "$code" 200 "after the faults"
}

t_anth_lose_create_cut_extra_result() {
	mock_start -q -D anthropic -t 0.05,0.1,0.05 -F lose-create=1 \
		-F 'cut=1@/v1/messages/batches' -F extra-result=1
	rc=0
	ant POST /v1/messages/batches -d "{\"requests\":[$(areq a q)]}" || rc=$?
	expect_eq "$rc" 52 "curl's status for an empty reply"
	ant GET /v1/messages/batches
	bid=$(aget id "$T/body")
	expect_eq "$(grep -o '"type":"message_batch"' "$T/body" | wc -l)" 1 "batches made"
	await_ended "$bid"
	rc=0
	ant GET "/v1/messages/batches/$bid/results" || rc=$?
	expect_eq "$rc" 18 "curl's status for a cut transfer"
	results "$bid"
	expect_lines 2 "$T/results"
	expect_grep '^\{"custom_id":"mock-unsent-1","result":\{"type":"succeeded","message":\{"id":"msg_01mockunsent",' "$T/results"
	expect_grep '"succeeded":1,"errored":0,' "$T/b.json"
}

t_anth_live_message() {
	mock_start -q -D anthropic
	ant POST /v1/messages -d '{"model":"claude-mock-1","max_tokens":50,"system":"Be brief.","messages":[{"role":"user","content":[{"type":"text","text":"Hi there"}]}]}'
	expect_eq "$code" 200 "status"
	expect_grep '"content":\[\{"type":"text","text":"mock answer to: Hi there"\}\],"stop_reason":"end_turn",' "$T/body"
	ant POST /v1/messages -d '{"model":"claude-mock-1","messages":[{"role":"user","content":"Hi"}]}'
	expect_error 400 invalid_request_error 'max_tokens: Field required'
}

# The listing faults act on after_id, the listing's cursor; echo-key on
# the messages of errored results.
t_anth_listing_and_echo_faults() {
	local a b
	mock_start -q -D anthropic -t 100,100,100 -F unlisted=2
	acreate 1; a=$bid
	acreate 1; b=$bid
	ant GET /v1/messages/batches
	expect_eq "$(grep -o '"id":"[^"]*"' "$T/body" | cut -d'"' -f4 | paste -sd,)" "$a" "listed"
	ant GET "/v1/messages/batches/$b"
	expect_eq "$code" 200 "an unlisted batch"
	mock_start -q -D anthropic -t 100,100,100 -F cursor-endless
	acreate 1
	ant GET '/v1/messages/batches?after_id=cursor_4'
	expect_grep "^\\{\"data\":\\[\\{\"id\":\"$bid\".*\\],\"has_more\":true,\"first_id\":\"$bid\",\"last_id\":\"cursor_5\"\\}\$" "$T/body"
	mock_start -q -D anthropic -t 0.05,0.1,0.05 -F fail-requests=100% -F echo-key=sk-echoed
	acreate 1
	await_ended "$bid"
	results "$bid"
	expect_grep '"message":"The server had an error while processing this request. \(key sk-echoed\)"' "$T/results"
}
