# shellcheck shell=bash
# Helpers for tests that talk to tests/hostile-server (sourced by
# tests/lib.sh).
#
# hostile_start [hostile-server options]: starts the server with the
# options (the answer it gives every request), in the background (stopped
# when the test ends), waits for its URL line (at most 10 s) and exports
# OPENAI_BASE_URL and HOSTILE_URL (the URL, ending in /v1).  The test sets
# OPENAI_API_KEY itself: the server checks no key.
hostile_start() {
	local url
	: >"$T/hostile.url"
	background python3 "$TOP/tests/hostile-server" "$@" >"$T/hostile.url"
	HOSTILE_PID=$!
	url=$(net_server_url hostile-server "$HOSTILE_PID" "$T/hostile.url") || return 1
	HOSTILE_URL=$url OPENAI_BASE_URL=$url
	export HOSTILE_URL OPENAI_BASE_URL HOSTILE_PID
}
