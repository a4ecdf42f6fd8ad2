# shellcheck shell=bash
# Helpers for the tests of oai-batch and oai-wait (sourced by tests/lib.sh).
# Names start with bw_.  They read the mock's compact JSON with grep and
# sed, as the CI machines have no JSON tool.

# bw_member KEY: the first member KEY of the JSON on stdin, a string
# unquoted, a number, or null.
bw_member() {
	grep -oE "\"$1\":(\"[^\"]*\"|[^,}]*)" | head -n 1 |
		sed -E "s/^\"$1\"://; s/^\"(.*)\"\$/\\1/"
}

# bw_upload FILE: uploads FILE (purpose batch) with curl; prints its id.
bw_upload() {
	mock_curl POST /files -F purpose=batch -F "file=@$1" | bw_member id
}

# bw_create FILE-ID: a chat batch made with curl; prints its id.
bw_create() {
	mock_curl POST /batches -H 'Content-Type: application/json' \
		-d "{\"input_file_id\":\"$1\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}" |
		bw_member id
}

# bw_batches FILE-ID: the ids of the server's batches for FILE-ID (asked
# again while a fault of the test answers in its place).
bw_batches() {
	local list
	for _ in 1 2 3 4 5; do
		list=$(mock_curl GET '/batches?limit=100')
		case $list in '{"object":"list"'*) break ;; esac
	done
	printf '%s\n' "$list" | sed 's/{"id":"batch_/\n&/g' |
		grep -F "\"input_file_id\":\"$1\"" |
		sed 's/^{"id":"\([^"]*\)".*/\1/' || true
}

# bw_get BATCH-ID KEY: member KEY of the batch.
bw_get() {
	mock_curl GET "/batches/$1" | bw_member "$2"
}

# bw_wait_for BATCH-ID STATUS: waits (10 s at most) for the status.
bw_wait_for() {
	for _ in $(seq 1 200); do
		[ "$(bw_get "$1" status)" = "$2" ] && return 0
		sleep 0.05
	done
	fail "$1 never became $2 (is $(bw_get "$1" status))"
}
