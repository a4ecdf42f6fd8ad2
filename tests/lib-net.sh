# shellcheck shell=bash
# Helpers for the tests of the HTTP layer and of oai-upload, oai-fetch and
# oai-rm (sourced by tests/lib.sh).  Names start with net_.

# net_fast: retries that wait milliseconds, not seconds, so the fault tests
# run fast; the number of tries stays the default unless given.
net_fast() {
	export BATCHPIPE_RETRY_BASE_MS=5 BATCHPIPE_RETRY_MAX_MS=50
	export BATCHPIPE_MAX_TRIES=${1:-8}
}

# net_lines N NAME: writes N small request lines to file NAME.
net_lines() {
	local i
	for i in $(seq 1 "$1"); do
		printf '{"custom_id":"%s-%d","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"q%d"}]}}\n' \
			"$2" "$i" "$i"
	done >"$2"
}

# net_files_on_server: the server's files, one "id<TAB>filename<TAB>bytes"
# line each, sorted by filename (needs mock_start).
net_files_on_server() {
	local rec id name bytes
	mock_curl GET '/files?limit=10000' | tr '{' '\n' | grep '"id":"file-' |
		while IFS= read -r rec; do
			id=$(printf '%s' "$rec" | sed 's/.*"id":"\([^"]*\)".*/\1/')
			name=$(printf '%s' "$rec" | sed 's/.*"filename":"\([^"]*\)".*/\1/')
			bytes=$(printf '%s' "$rec" | sed 's/.*"bytes":\([0-9]*\).*/\1/')
			printf '%s\t%s\t%s\n' "$id" "$name" "$bytes"
		done | sort -t "$(printf '\t')" -k2
}

# net_count_files: how many files the server holds.
net_count_files() {
	net_files_on_server | wc -l | tr -d ' '
}

# net_ms: milliseconds since the epoch.
net_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# net_log_wait N ERE FILE: waits (5 s at most) until FILE, a server log,
# has N lines matching ERE: the server logs a call when it is done with
# it, which can be a moment after the client has its answer.
net_log_wait() {
	local i
	for i in $(seq 1 100); do
		[ "$(grep -cE "$2" "$3")" -ge "$1" ] && return 0
		sleep 0.05
	done
	: "$i"
}

# net_server_url NAME PID FILE: waits (10 s at most) for the base URL that
# server NAME (process PID) prints as the first line of FILE, and prints
# it; fails the test when the server exits first or prints nothing.
net_server_url() {
	local url='' i
	for i in $(seq 1 200); do
		IFS= read -r url <"$3" || true
		[ -n "$url" ] && break
		kill -0 "$2" 2>/dev/null ||
			{ fail "$1 exited before printing its URL"; return 1; }
		sleep 0.05
	done
	[ -n "$url" ] || { fail "$1 printed no URL within 10 s"; return 1; }
	printf '%s\n' "$url"
	: "$i"
}
