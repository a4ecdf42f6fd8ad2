# shellcheck shell=bash
# oai-fetch: downloads checked against the file's size, whole or not at
# all, on stdout, in a directory or in one file.

# net_put NAME...: uploads the files with plain curl; their ids, one a
# line, in ids.
net_put() {
	local f
	: >ids
	for f in "$@"; do
		mock_curl POST /files -F purpose=batch -F "file=@$f" >up.json
		sed 's/.*"id":"\([^"]*\)".*/\1/' up.json >>ids
		echo >>ids
	done
}

t_usage_and_version() {
	run oai-fetch -h
	expect_rc 0
	expect_eq "$(sed '/^$/,$d' "$T/out")" "usage: oai-fetch [-hqVv] [-d dir | -o file] [file-id ...]"
	run oai-fetch -d a -o b
	expect_eq "$(head -n 1 "$T/err")" "oai-fetch: -d and -o cannot be used together"
	sed -i 1d "$T/err"
	expect_rc 2
	expect_eq "$(cat "$T/err")" "usage: oai-fetch [-hqVv] [-d dir | -o file] [file-id ...]"
	run oai-fetch -V
	expect_eq "$(cat "$T/out")" "oai-fetch batchpipe 0.1.0"
}

t_stdout_concatenated_in_input_order() {
	mock_start
	net_lines 3 a.jsonl
	net_lines 200 b.jsonl
	net_put a.jsonl b.jsonl
	run oai-fetch "$(sed -n 2p ids)" "$(sed -n 1p ids)"
	expect_rc 0
	expect_empty "$T/err"
	cat b.jsonl a.jsonl >want
	expect_same "$T/out" want
}

t_ids_from_stdin_first_field() {
	mock_start
	net_lines 3 a.jsonl
	net_lines 4 b.jsonl
	net_put a.jsonl b.jsonl
	{
		printf '%s\toutput\tbatch_x\tcompleted\n' "$(sed -n 1p ids)"
		echo
		printf '%s\terror\tbatch_x\tcompleted\n' "$(sed -n 2p ids)"
	} >list
	run oai-fetch <list
	expect_rc 0
	cat a.jsonl b.jsonl >want
	expect_same "$T/out" want
	# A lone "-" is standard input too, as for any filter.
	run sh -c 'oai-fetch - <list'
	expect_rc 0
	expect_same "$T/out" want
}

t_directory_one_file_per_id() {
	mock_start
	net_lines 3 a.jsonl
	net_lines 4 b.jsonl
	net_put a.jsonl b.jsonl
	mkdir dl
	run oai-fetch -d dl <ids
	expect_rc 0
	expect_empty "$T/out"
	expect_same "dl/$(sed -n 1p ids).jsonl" a.jsonl
	expect_same "dl/$(sed -n 2p ids).jsonl" b.jsonl
	expect_eq "$(find dl -type f | wc -l | tr -d ' ')" 2 "files in dl"
}

# -d makes its directory, parents too, as jsonl-split -d does; a file in
# its way is an error before anything is fetched.
t_directory_is_made() {
	mock_start
	net_lines 3 a.jsonl
	net_put a.jsonl
	run oai-fetch -d work/out <ids
	expect_rc 0
	expect_same "work/out/$(sed -n 1p ids).jsonl" a.jsonl
	: >plain
	run oai-fetch -d plain/out <ids
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-fetch: plain: Not a directory"
}

t_one_output_file() {
	mock_start
	net_lines 3 a.jsonl
	net_lines 4 b.jsonl
	net_put a.jsonl b.jsonl
	run oai-fetch -o all.jsonl <ids
	expect_rc 0
	cat a.jsonl b.jsonl >want
	expect_same all.jsonl want
	expect_eq "$(find . -maxdepth 1 -name '.all*' | wc -l | tr -d ' ')" 0 "temporary files"
}

# -o onto what is not a regular file writes through it, as the shell's >
# would: a rename would replace the FIFO or the link (or a device such as
# /dev/null, which is why this is tried on a FIFO and a link only).
t_one_output_file_not_regular() {
	mock_start
	net_lines 3 a.jsonl
	net_put a.jsonl
	fifo_reader fifo got
	run oai-fetch -o fifo <ids
	exec 4>&-
	wait "$FIFO_READER"
	expect_rc 0
	[ -p fifo ] || fail "the FIFO was replaced"
	expect_same got a.jsonl
	echo old >target
	ln -s target link
	run oai-fetch -o link <ids
	expect_rc 0
	[ -L link ] || fail "the link was replaced"
	expect_same target a.jsonl
}

t_cut_download_is_retried_from_the_start() {
	mock_start -F cut=2
	net_fast
	net_lines 500 a.jsonl
	net_put a.jsonl
	run oai-fetch "$(cat ids)"
	expect_rc 0
	expect_empty "$T/err"
	expect_same "$T/out" a.jsonl
	mkdir dl
	run oai-fetch -d dl "$(cat ids)"
	expect_rc 0
	expect_same "dl/$(cat ids).jsonl" a.jsonl
}

t_cut_every_time_leaves_nothing() {
	mock_start -F cut
	net_fast 3
	net_lines 500 a.jsonl
	net_put a.jsonl
	id=$(cat ids)
	run oai-fetch -v "$id"
	expect_rc 75
	expect_empty "$T/out"
	expect_eq "$(grep -c "^> GET /v1/files/$id/content" "$T/err")" 3 "downloads"
	expect_grep "^oai-fetch: GET /v1/files/$id/content: transfer closed with [0-9]+ bytes remaining to read \\(gave up after 3 tries\\)\$" "$T/err"
	mkdir dl
	run oai-fetch -d dl "$id"
	expect_rc 75
	expect_eq "$(ls -A dl)" "" "files in dl"
	run oai-fetch -o one.jsonl "$id"
	expect_rc 75
	expect_eq "$(find . -maxdepth 1 -name '*one*' | wc -l | tr -d ' ')" 0 "files named like one.jsonl"
}

t_unknown_id_is_reported_others_fetched() {
	mock_start
	net_lines 3 a.jsonl
	net_put a.jsonl
	run oai-fetch file-nosuch "$(cat ids)" 'bad/id'
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-fetch: GET /v1/files/file-nosuch: HTTP 404: No such File object: file-nosuch
oai-fetch: argument 3: bad/id: not a file id"
	expect_same "$T/out" a.jsonl
}

t_one_output_file_all_or_nothing() {
	mock_start
	net_lines 3 a.jsonl
	net_put a.jsonl
	run oai-fetch -o all.jsonl "$(cat ids)" file-nosuch
	expect_rc 1
	[ ! -e all.jsonl ] || fail "all.jsonl exists after a failed fetch"
	expect_eq "$(find . -maxdepth 1 -name '.all*' | wc -l | tr -d ' ')" 0 "temporary files"
}

t_retries_429_5xx_closed_slow() {
	mock_start -F http429=2@/v1/files/ -F http502=1@/v1/files/ -F http503=1@/v1/files/ -F close=2@/v1/files/ -F slow=100@/v1/files/
	net_fast
	net_lines 50 a.jsonl
	net_put a.jsonl
	run oai-fetch "$(cat ids)"
	expect_rc 0
	expect_empty "$T/err"
	expect_same "$T/out" a.jsonl
}

t_stdout_full() {
	mock_start
	net_lines 3 a.jsonl
	net_put a.jsonl
	rc=0
	oai-fetch "$(cat ids)" >/dev/full 2>"$T/err" || rc=$?
	expect_eq "$rc" 1 "exit status"
	expect_eq "$(cat "$T/err")" "oai-fetch: stdout: No space left on device"
}

t_progress_on_a_terminal_only() {
	mock_start
	net_lines 2000 a.jsonl
	net_put a.jsonl
	id=$(cat ids)
	# script(1) gives the tool a terminal for stdout and stderr.
	script -qfec "oai-fetch -o got.jsonl $id" /dev/null >tty.out
	expect_same got.jsonl a.jsonl
	expect_grep "$id: [0-9.]+ MB of 0\\.3 MB \\([0-9]+%\\)" tty.out
	script -qfec "oai-fetch -q -o got2.jsonl $id" /dev/null >tty.out
	expect_empty tty.out
	expect_same got2.jsonl a.jsonl
}

t_no_temporary_file_left_behind() {
	mock_start -F cut=1
	net_fast
	net_lines 300 a.jsonl
	net_put a.jsonl
	mkdir tmp dl
	TMPDIR=$T/tmp run oai-fetch "$(cat ids)"
	expect_rc 0
	expect_same "$T/out" a.jsonl
	TMPDIR=$T/tmp run oai-fetch -d dl "$(cat ids)" file-nosuch
	expect_rc 1
	expect_eq "$(ls -A tmp)" "" "files in TMPDIR"
	expect_eq "$(ls -A dl)" "$(cat ids).jsonl" "files in dl"
}

# ".", ".." and ids that getopt or a path could misread are refused before
# any request: "-d.." as an operand once sent the download beside the
# directory asked for, ".." asked GET /v1/files/content.
t_dot_and_dash_ids_refused() {
	MOCK_LOG=$T/mock.log mock_start
	mkdir dl
	run oai-fetch -d dl -- .. . -d.. .x 'a/b'
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-fetch: argument 1: ..: not a file id
oai-fetch: argument 2: .: not a file id
oai-fetch: argument 3: -d..: not a file id
oai-fetch: argument 4: .x: not a file id
oai-fetch: argument 5: a/b: not a file id"
	expect_eq "$(ls -A dl)" "" "files in dl"
	kill "$MOCK_PID"
	wait "$MOCK_PID" 2>/dev/null || true
	expect_eq "$(grep -c '^oai-mock: ' "$T/mock.log")" 0 "requests"
}

# A NUL byte in an id line is refused, not taken as the id before it.
t_nul_in_an_id_line() {
	mock_start
	net_lines 2 a.jsonl
	net_put a.jsonl
	printf '%s\0x\n' "$(cat ids)" >list
	run sh -c 'oai-fetch <list'
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-fetch: stdin:1: $(cat ids)\\x00x: not a file id"
}

# An id with characters a URL gives a meaning to ('?', '#', ' ') is sent
# escaped: the server is asked for that id, not for another path.
t_odd_id_escaped() {
	MOCK_LOG=$T/mock.log mock_start
	run oai-fetch 'file-a?x=1#y z'
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-fetch: GET /v1/files/file-a%3Fx%3D1%23y%20z: HTTP 404: No such File object: file-a?x=1#y z"
	kill "$MOCK_PID"
	wait "$MOCK_PID" 2>/dev/null || true
	expect_eq "$(grep '^oai-mock: ' "$T/mock.log")" 'oai-mock: GET /v1/files/file-a?x=1#y z 404'
}

# The README's pipe run again after its output file was deleted: the
# batch is reused (its requests were paid for), and oai-fetch says whose
# results are gone and the command that pays for them again; that command
# works, and a re-run of the pipe then reuses its batch.
t_deleted_output_says_how_to_recover() {
	mock_start -t 0.05,0.05,0.05
	net_lines 3 a.jsonl
	oai-upload a.jsonl | oai-batch -q | oai-wait -q -i 0.05 >waited
	fid=$(cut -f1 waited) b=$(cut -f3 waited)
	in=$(oai-upload -q a.jsonl | cut -f1)
	oai-rm "$fid" >/dev/null
	run sh -c 'oai-upload -q a.jsonl | oai-batch -q | oai-wait -q -i 0.05 | oai-fetch'
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-fetch: GET /v1/files/$fid: HTTP 404: No such File object: $fid
oai-fetch: $fid: the output file of $b is gone from the server (expired or deleted?); the requests it ran were paid for
oai-fetch: $fid: to pay for them again, start a new batch of its input file: oai-batch -f $in | oai-wait | oai-fetch"
	run sh -c "oai-batch -f -q $in | oai-wait -q -i 0.05 | oai-fetch"
	expect_rc 0
	expect_lines 3 "$T/out"
	run sh -c 'oai-upload -q a.jsonl | oai-batch -q | oai-wait -q -i 0.05 | oai-fetch'
	expect_rc 0
	expect_lines 3 "$T/out"
	# Its input file gone too: upload again, then a batch of the new file.
	fid=$(oai-upload -q a.jsonl | oai-batch -q | oai-wait -q | cut -f1)
	oai-rm "$fid" "$in" >/dev/null
	run sh -c "echo '$fid	output	$b	completed' | oai-fetch -"
	expect_rc 1
	expect_grep "^oai-fetch: $fid: its input file $in is gone from the server too: to pay for them again, upload the requests again \(oai-upload\) and start a batch of the new file$" "$T/err"
}

t_file_without_size_is_fetched_and_said_once() {
	mock_start -F no-bytes
	net_lines 3 a.jsonl
	net_lines 200 b.jsonl
	net_put a.jsonl b.jsonl
	run oai-fetch "$(sed -n 1p ids)" "$(sed -n 2p ids)"
	expect_rc 0
	expect_lines 1 "$T/err"
	expect_grep '^oai-fetch: GET /v1/files/file-[A-Za-z0-9]+: the server states no size \("bytes"\): downloads are checked against their Content-Length only$' "$T/err"
	cat a.jsonl b.jsonl >want
	expect_same "$T/out" want
	run oai-fetch -o all.jsonl "$(sed -n 2p ids)" "$(sed -n 1p ids)"
	expect_rc 0
	cat b.jsonl a.jsonl >want
	expect_same all.jsonl want
}
