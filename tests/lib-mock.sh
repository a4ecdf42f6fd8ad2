# shellcheck shell=bash
# Helpers for tests that talk to oai-mock (sourced by tests/lib.sh).
#
# mock_start [oai-mock options]: starts "$BIN/oai-mock" -p 0 -d "$T/mock"
# with the options, in the background (stopped when the test ends), waits
# for its URL line (at most 10 s) and exports OPENAI_BASE_URL, MOCK_URL
# (the same URL, ending in /v1) and OPENAI_API_KEY (the -k key if one is
# given, else sk-test-mock).  The server's log goes to the test's stderr,
# or to the file $MOCK_LOG when that is set.
mock_start() {
	local key=sk-test-mock prev='' a url
	for a in "$@"; do
		[ "$prev" = -k ] && key=$a
		prev=$a
	done
	mkdir -p "$T/mock"
	: >"$T/mock.url"
	if [ -n "${MOCK_LOG:-}" ]; then
		background "$BIN/oai-mock" -p 0 -d "$T/mock" "$@" >"$T/mock.url" 2>"$MOCK_LOG"
	else
		background "$BIN/oai-mock" -p 0 -d "$T/mock" "$@" >"$T/mock.url"
	fi
	MOCK_PID=$!
	url=$(net_server_url oai-mock "$MOCK_PID" "$T/mock.url") || return 1
	MOCK_URL=$url OPENAI_BASE_URL=$url OPENAI_API_KEY=$key
	export MOCK_URL OPENAI_BASE_URL OPENAI_API_KEY MOCK_PID
}

# mock_curl METHOD PATH [curl args]: calls the server with the key, e.g.
# `mock_curl GET /batches`; the body goes to stdout.  Fails only when the
# connection fails (an HTTP error status is a body like any other).
mock_curl() {
	local method=$1 path=$2
	shift 2
	curl -sS -X "$method" -H "Authorization: Bearer $OPENAI_API_KEY" \
		"$MOCK_URL$path" "$@"
}
