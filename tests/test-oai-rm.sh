# shellcheck shell=bash
# oai-rm: deletes remote files; an id already gone is not an error.

# net_put1 FILE: uploads FILE with plain curl; its id on stdout.
net_put1() {
	mock_curl POST /files -F purpose=batch -F "file=@$1" >up.json
	sed 's/.*"id":"\([^"]*\)".*/\1/' up.json
}

t_usage_and_version() {
	run oai-rm -h
	expect_rc 0
	expect_eq "$(sed '/^$/,$d' "$T/out")" "usage: oai-rm [-fhqVv] [file-id ...]"
	run oai-rm -z
	expect_rc 2
	expect_eq "$(cat "$T/err")" "oai-rm: invalid option -- 'z'
usage: oai-rm [-fhqVv] [file-id ...]"
	run oai-rm -V
	expect_eq "$(cat "$T/out")" "oai-rm batchpipe 0.1.0"
}

t_deletes_and_prints_ids() {
	mock_start
	net_lines 2 a.jsonl
	net_lines 3 b.jsonl
	net_lines 4 c.jsonl
	a=$(net_put1 a.jsonl) b=$(net_put1 b.jsonl) c=$(net_put1 c.jsonl)
	run oai-rm "$a" "$c"
	expect_rc 0
	expect_empty "$T/err"
	expect_eq "$(cat "$T/out")" "$a
$c"
	expect_eq "$(net_files_on_server | cut -f1)" "$b" "files left"
}

t_ids_from_stdin_first_field() {
	mock_start
	net_lines 2 a.jsonl
	net_lines 3 b.jsonl
	a=$(net_put1 a.jsonl) b=$(net_put1 b.jsonl)
	printf '%s\ta.jsonl\n\n%s\tb.jsonl\n' "$a" "$b" >list
	run oai-rm <list
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$a
$b"
	expect_eq "$(net_count_files)" 0 "files left"
}

# An id the server does not know is an error, not a deletion: a typo must
# not look like success.  The others are still deleted.
t_unknown_id_is_an_error() {
	mock_start
	net_lines 2 a.jsonl
	net_lines 2 b.jsonl
	a=$(net_put1 a.jsonl)
	b=$(net_put1 b.jsonl)
	run oai-rm file-typo "$a" hello
	expect_rc 1
	expect_eq "$(cat "$T/out")" "$a"
	expect_eq "$(cat "$T/err")" "oai-rm: file-typo: not found (already deleted?)
oai-rm: hello: not found (already deleted?)"
	run oai-rm "$a" "$b"
	expect_rc 1
	expect_eq "$(cat "$T/out")" "$b"
	expect_eq "$(net_count_files)" 0 "files left"
}

# -f: already gone is what was asked for, so a re-run of a clean-up
# prints the same ids and exits 0.
t_force_already_gone_is_not_an_error() {
	mock_start
	net_lines 2 a.jsonl
	a=$(net_put1 a.jsonl)
	run oai-rm "$a"
	expect_rc 0
	run oai-rm -f -v "$a" file-neverwas
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$a
file-neverwas"
	expect_grep "^\\* $a: already gone\$" "$T/err"
	run oai-rm -f "$a"
	expect_rc 0
	expect_empty "$T/err"
}

# An argument that cannot be a file id (a batch's id is the common slip)
# is a usage error, found before anything is deleted.  On standard input
# it is skipped with a message, and the others are deleted.
t_malformed_id() {
	mock_start
	net_lines 2 a.jsonl
	a=$(net_put1 a.jsonl)
	run oai-rm "$a" 'file-a/../b' batch_4079abc
	expect_rc 2
	expect_eq "$(cat "$T/err")" "oai-rm: argument 2: file-a/../b: not a file id
oai-rm: argument 3: batch_4079abc: a batch id, not a file id"
	expect_empty "$T/out"
	expect_eq "$(net_count_files)" 1 "files left"
	printf '%s\nbatch_4079abc\n' "$a" >ids
	run sh -c 'oai-rm <ids'
	expect_rc 1
	expect_eq "$(cat "$T/out")" "$a"
	expect_eq "$(cat "$T/err")" "oai-rm: stdin:2: batch_4079abc: a batch id, not a file id"
}

t_wrong_key_is_permanent() {
	mock_start -k sk-right-key-0001
	export OPENAI_API_KEY=sk-wrong-key-0002
	net_fast
	run oai-rm file-a file-b
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-rm: DELETE /v1/files/file-a: HTTP 401: Incorrect API key provided: sk-***0002. You can find your API key at https://platform.openai.com/account/api-keys.
oai-rm: DELETE /v1/files/file-b: HTTP 401: Incorrect API key provided: sk-***0002. You can find your API key at https://platform.openai.com/account/api-keys."
}

t_retries_then_deletes() {
	mock_start -F http500=1@/v1/files/ -F http429=1@/v1/files/ -F close=1@/v1/files/
	net_fast
	net_lines 2 a.jsonl
	a=$(net_put1 a.jsonl)
	run oai-rm "$a"
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$a"
	expect_eq "$(net_count_files)" 0 "files left"
}

t_retries_exhausted_exit_75() {
	mock_start -F http502
	net_fast 3
	run oai-rm file-a file-b
	expect_rc 75
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-rm: DELETE /v1/files/file-a: HTTP 502 (gave up after 3 tries)"
}

t_stdout_full() {
	mock_start
	rc=0
	oai-rm -f file-x >/dev/full 2>"$T/err" || rc=$?
	expect_eq "$rc" 1 "exit status"
	expect_eq "$(cat "$T/err")" "oai-rm: stdout: No space left on device"
}

# Ids may hold '=', ':', spaces and the like (base64-style ids do): each
# goes into the URL escaped, as one path segment, never as a query or a
# fragment; and ids that could be taken for an option or a path (".",
# "..", a leading '-' or '.', a '/', a control character, a NUL) are
# refused before any request is sent.
t_odd_ids_escaped_or_refused() {
	MOCK_LOG=$T/mock.log mock_start
	run oai-rm -- . .. -d.. .hidden "$(printf 'file-\033[31m')"
	expect_rc 2
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" 'oai-rm: argument 1: .: not a file id
oai-rm: argument 2: ..: not a file id
oai-rm: argument 3: -d..: not a file id
oai-rm: argument 4: .hidden: not a file id
oai-rm: argument 5: file-\x1b[31m: not a file id'
	run oai-rm -f -- 'file a?b=c#d%2F' 'x:y='
	expect_rc 0
	expect_eq "$(cat "$T/out")" "file a?b=c#d%2F
x:y="
	kill "$MOCK_PID"
	wait "$MOCK_PID" 2>/dev/null || true
	expect_eq "$(grep '^oai-mock: ' "$T/mock.log")" 'oai-mock: DELETE /v1/files/file a?b=c#d%2F 404
oai-mock: DELETE /v1/files/x:y= 404'
}

# A NUL byte in an id line is refused, not taken as the id before it.
t_nul_in_an_id_line() {
	mock_start
	net_lines 1 a.jsonl
	f=$(bw_upload a.jsonl)
	printf '%s\0x\tpath\n' "$f" >ids
	run sh -c 'oai-rm <ids'
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-rm: stdin:1: $f\\x00x: not a file id"
	expect_eq "$(mock_curl GET "/files/$f" | bw_member id)" "$f"
}
