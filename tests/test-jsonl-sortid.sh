# shellcheck shell=bash
# shellcheck disable=SC2034 # rc is read by expect_rc (tests/lib.sh)
# jsonl-sortid: result lines ordered by custom_id.

# lines ID...: one short result line an id, {"custom_id":"ID","k":N}.
lines() {
	local k=0 id
	for id in "$@"; do
		k=$((k + 1))
		printf '{"custom_id":"%s","k":%d}\n' "$id" "$k"
	done
}

# ids FILE: the custom_ids of FILE's lines, space-separated.
ids() {
	sed 's/.*"custom_id":"\([^"]*\)".*/\1/' "$1" | tr '\n' ' ' | sed 's/ $//'
}

t_numeric_order() {
	lines 10 9 100 1 2 >in
	run jsonl-sortid in
	expect_rc 0
	expect_empty err
	expect_eq "$(ids out)" "1 2 9 10 100"
	# The lines are the input lines, byte for byte.
	expect_eq "$(sed -n 1p out)" '{"custom_id":"1","k":4}'
}

t_byte_order_when_one_id_is_not_a_number() {
	lines 10 9 a B 100 >in
	run jsonl-sortid in
	expect_rc 0
	expect_eq "$(ids out)" "10 100 9 B a"
}

t_byte_order_never_locale() {
	lines b B a A _ é >in
	LC_ALL=C.UTF-8 run jsonl-sortid in
	expect_rc 0
	expect_eq "$(ids out)" "A B _ a b é"
}

t_leading_zeros_compare_by_value() {
	lines 7 007 10 0 00 >in
	run jsonl-sortid in
	expect_rc 0
	# Equal values: the text in byte order breaks the tie; they are
	# different ids, not duplicates.
	expect_eq "$(ids out)" "0 00 007 7 10"
	expect_empty err
}

t_negative_ids_are_not_numbers() {
	lines -1 2 10 >in
	run jsonl-sortid in
	expect_rc 0
	expect_eq "$(ids out)" "-1 10 2"
}

t_huge_numbers_do_not_overflow() {
	lines 123456789012345678901234567890 99999999999999999999 5 18446744073709551616 18446744073709551615 >in
	run jsonl-sortid in
	expect_rc 0
	expect_eq "$(ids out)" "5 18446744073709551615 18446744073709551616 99999999999999999999 123456789012345678901234567890"
}

t_escaped_ids_compare_decoded() {
	printf '%s\n' '{"custom_id":"\u0062"}' '{"custom_id":"a"}' '{"custom_id":"c"}' >in
	run jsonl-sortid in
	expect_rc 0
	expect_eq "$(sed -n 2p out)" '{"custom_id":"\u0062"}'
}

t_duplicates_are_kept_in_input_order_and_reported() {
	lines 2 1 2 >a
	lines 1 >b
	run jsonl-sortid a b
	expect_rc 0
	expect_eq "$(cat out)" '{"custom_id":"1","k":2}
{"custom_id":"1","k":1}
{"custom_id":"2","k":1}
{"custom_id":"2","k":3}'
	expect_eq "$(cat err)" 'jsonl-sortid: b:1: duplicate custom_id 1 (first at a:2)
jsonl-sortid: a:3: duplicate custom_id 2 (first at a:1)'
}

t_requests_missing_results_are_listed_and_exit_3() {
	printf '{"custom_id":"%s","method":"POST","url":"/v1/chat/completions","body":{}}\n' 1 2 3 4 >requests
	lines 3 1 >results
	run jsonl-sortid -r requests results
	expect_rc 3
	expect_eq "$(ids out)" "1 3"
	expect_eq "$(cat err)" 'jsonl-sortid: no result for custom_id 2
jsonl-sortid: no result for custom_id 4'
}

t_requests_unknown_result_is_reported_and_exit_3() {
	printf '{"custom_id":"%s"}\n' 1 2 >requests
	lines 2 x 1 >results
	run jsonl-sortid -r requests results
	expect_rc 3
	expect_eq "$(ids out)" "1 2 x"
	expect_eq "$(cat err)" 'jsonl-sortid: results:2: custom_id x is not in the requests'
}

t_requests_duplicate_id_is_reported() {
	# Two requests with one id: one result can only answer one of them,
	# so the requests file is worth a word even when nothing is missing.
	printf '{"custom_id":"%s"}\n' a b a >requests
	lines a b >results
	run jsonl-sortid -r requests results
	expect_rc 0
	expect_eq "$(ids out)" "a b"
	expect_eq "$(cat err)" 'jsonl-sortid: requests:3: duplicate custom_id a in the requests'
}

t_requests_all_there_exit_0() {
	printf '{"custom_id":"%s"}\n' b a >requests
	lines a b >results
	run jsonl-sortid -r requests results
	expect_rc 0
	expect_empty err
}

t_bad_requests_file_is_an_error() {
	printf '{"custom_id":"a"}\n{"custom_id":5}\n' >requests
	lines a >results
	run jsonl-sortid -r requests results
	expect_rc 1
	expect_empty out
	expect_eq "$(cat err)" 'jsonl-sortid: requests:2: custom_id is a number, not a string'
}

t_count_lists_missing_and_unknown() {
	lines 4 1 3 01 >results
	run jsonl-sortid -n 3 results
	expect_rc 3
	expect_eq "$(ids out)" "01 1 3 4"
	expect_eq "$(cat err)" 'jsonl-sortid: results:1: custom_id 4 is not in 1..3
jsonl-sortid: results:4: custom_id 01 is not in 1..3
jsonl-sortid: no result for custom_id 2'
}

t_count_complete_exit_0() {
	lines 2 3 1 >results
	run jsonl-sortid -n 3 results
	expect_rc 0
	expect_empty err
}

t_many_files_and_stdin() {
	local i files=()
	for i in $(seq 1 40); do
		lines $(((i * 17) % 41)) >"f$i"
		files+=("f$i")
	done
	lines 0 >f0
	run jsonl-sortid "${files[@]}" - <f0
	expect_rc 0
	expect_eq "$(ids out)" "$(seq -s ' ' 0 40)"
}

t_stdin_pipe_is_spooled() {
	lines 3 1 2 | jsonl-sortid >out 2>err
	expect_eq "$(ids out)" "1 2 3"
	expect_empty err
	# Nothing is left behind in TMPDIR.
	mkdir tmp
	lines 3 1 2 | TMPDIR=$T/tmp jsonl-sortid >out
	expect_eq "$(ls -A tmp)" ""
}

# Standard input that is a file another command has partly read: the
# lines from where it stopped, as with any filter.
t_stdin_file_read_from_its_offset() {
	lines 3 1 2 4 >in
	{ read -r _; jsonl-sortid >out 2>err; } <in
	expect_eq "$(ids out)" "1 2 4"
	expect_empty err
	{ while read -r _; do :; done; jsonl-sortid >out 2>err; } <in
	expect_empty out
	expect_empty err
}

t_real_output_and_error_lines() {
	cat >results <<'EOF'
{"id": "batch_req_2", "custom_id": "req-2", "response": {"status_code": 200, "request_id": "r2", "body": {"object": "chat.completion"}}, "error": null}
{"id": "batch_req_1", "custom_id": "req-1", "response": null, "error": {"code": "batch_expired", "message": "expired"}}
EOF
	run jsonl-sortid results
	expect_rc 0
	expect_eq "$(sed -n 1p out)" "$(sed -n 2p results)"
	expect_eq "$(sed -n 2p out)" "$(sed -n 1p results)"
}

t_crlf_accepted_and_written_as_lf() {
	printf '{"custom_id":"2"}\r\n{"custom_id":"1"}\r\n' >in
	run jsonl-sortid in
	expect_rc 0
	printf '{"custom_id":"1"}\n{"custom_id":"2"}\n' >want
	expect_same out want
}

t_last_line_without_newline_gets_one() {
	printf '{"custom_id":"2"}\n{"custom_id":"1"}' >in
	run jsonl-sortid in
	expect_rc 0
	printf '{"custom_id":"1"}\n{"custom_id":"2"}\n' >want
	expect_same out want
}

t_empty_input() {
	: >in
	run jsonl-sortid in
	expect_rc 0
	expect_empty out
	expect_empty err
	run jsonl-sortid -r in in
	expect_rc 0
}

# bad LINE2 REASON: a good line, then LINE2: exit 1, nothing on stdout.
bad() {
	{ printf '{"custom_id":"1"}\n'; printf '%b' "$1"; } >in
	run jsonl-sortid in
	expect_rc 1
	expect_empty out
	expect_eq "$(cat err)" "jsonl-sortid: in:2: $2"
	# Through a pipe, checked as it is spooled: the same message.
	jsonl-sortid < <(cat in) >out 2>err && fail "exit status 0"
	expect_empty out
	expect_eq "$(cat err)" "jsonl-sortid: stdin:2: $2"
}

t_bad_blank_line() { bad '\n{"custom_id":"2"}\n' "blank line"; }
t_bad_truncated_last_line() { bad '{"custom_id":"2","x":[1,' "unexpected end of line (truncated JSON?)"; }
t_bad_invalid_utf8() { bad '{"custom_id":"2\xc3\x28"}\n' "invalid UTF-8 in string"; }
t_bad_nul_byte() { bad '{"custom_id":"2"}\0\n' "NUL byte"; }
t_bad_two_values() { bad '{"custom_id":"2"} {"custom_id":"3"}\n' "more than one JSON value on the line"; }
t_bad_top_level_array() { bad '[{"custom_id":"2"}]\n' "a JSON array, not an object"; }
t_bad_numeric_custom_id() { bad '{"custom_id":2}\n' "custom_id is a number, not a string"; }
t_bad_missing_custom_id() { bad '{"id":"batch_req_2"}\n' "no custom_id"; }
t_bad_empty_custom_id() { bad '{"custom_id":""}\n' "empty custom_id"; }

# stream_fails MESSAGE: what the commands after it write goes to a pipe
# that stays open: jsonl-sortid must fail with MESSAGE before the end of
# its input, as it spools it, not after copying all of it.
stream_fails() {
	local msg=$1 pid
	shift
	rm -f fifo
	mkfifo fifo
	timeout 20 jsonl-sortid <fifo >out 2>err &
	pid=$!
	exec 3>fifo
	"$@" >&3 2>/dev/null || true
	rc=0
	wait "$pid" || rc=$?
	exec 3>&-
	expect_rc 1
	expect_empty out
	expect_eq "$(cat err)" "jsonl-sortid: $msg"
}

t_stream_fails_at_its_first_bad_line() {
	stream_fails 'stdin:1: NUL byte' head -c 3000000 /dev/zero
	stream_fails 'stdin:1: unexpected character' printf 'hello\n'
	stream_fails 'stdin:3: no custom_id' printf '{"custom_id":"1"}\n{"custom_id":"2"}\n{}\n{"custom_id":"4"}\n'
	# A bad start of a line whose end has not come yet: a fault well
	# before it, or a line over the limit.
	stream_fails 'stdin:2: unexpected character' sh -c 'printf "{\"custom_id\":\"1\"}\n{\"custom_id\":x\"%020000d" 0'
	stream_fails 'stdin:1: line longer than 67108864 bytes' sh -c 'printf "{\"custom_id\":\"1\",\"x\":\""; head -c 70000000 /dev/zero | tr "\\0" a'
}

# A long good line, carried over many reads of the pipe, with a start that
# is checked on its own before its end comes.
t_stream_long_lines_are_fine() {
	{
		printf '{"custom_id":"2","x":"'
		head -c 5000000 /dev/zero | tr '\0' a
		printf '\u00e9\xc3\xa9"}\n  \t   {"custom_id":"1"}\n'
	} >in
	jsonl-sortid < <(cat in) >out 2>err || fail "exit status $?"
	expect_empty err
	expect_eq "$(ids out)" "1 2"
}

t_bad_bom() {
	printf '\xef\xbb\xbf{"custom_id":"1"}\n' >in
	run jsonl-sortid in
	expect_rc 1
	expect_empty out
	expect_eq "$(cat err)" "jsonl-sortid: in:1: UTF-8 byte order mark (not allowed in JSONL)"
}

t_bad_line_in_second_file_writes_nothing() {
	lines 1 2 >a
	printf '{"custom_id":"3"}\nnope\n' >b
	run jsonl-sortid a b
	expect_rc 1
	expect_empty out
	expect_eq "$(cat err)" "jsonl-sortid: b:2: unexpected character"
}

t_missing_file() {
	run jsonl-sortid nonexistent
	expect_rc 1
	expect_eq "$(cat err)" "jsonl-sortid: nonexistent: No such file or directory"
}

t_stdout_dev_full() {
	lines 2 1 >in
	run sh -c 'exec jsonl-sortid in >/dev/full'
	expect_rc 1
	expect_eq "$(cat err)" "jsonl-sortid: stdout: No space left on device"
}

t_usage_and_version() {
	run jsonl-sortid -x
	expect_rc 2
	expect_grep '^usage: jsonl-sortid \[-hV\] \[-r requests-file \| -n count\] \[file \.\.\.\]$' err
	run jsonl-sortid -r a -n 3
	expect_rc 2
	expect_grep '^jsonl-sortid: -r and -n cannot be used together$' err
	run jsonl-sortid -n 3x
	expect_rc 2
	expect_grep '^jsonl-sortid: -n: not a count' err
	run jsonl-sortid -h
	expect_rc 0
	expect_grep '^usage: jsonl-sortid' out
	run jsonl-sortid -V
	expect_rc 0
	expect_eq "$(cat out)" "jsonl-sortid batchpipe 0.1.0"
	run jsonl-sortid -r - -
	expect_rc 2
}

t_requests_from_stdin_with_result_files() {
	lines 2 1 >results
	printf '{"custom_id":"%s"}\n' 1 2 3 >requests
	run sh -c 'exec jsonl-sortid -r - results <requests'
	expect_rc 3
	expect_eq "$(ids out)" "1 2"
	expect_eq "$(cat err)" "jsonl-sortid: no result for custom_id 3"
}

t_sorted_runs_mixed_line_ends() {
	# Runs of adjacent lines are read together: their line ends must
	# still come out as plain newlines, whatever they were.
	printf '{"custom_id":"1"}\n{"custom_id":"2"}\r\n{"custom_id":"3"}\n{"custom_id":"4"}\n{"custom_id":"6"}' >a
	printf '{"custom_id":"5"}\n' >b
	run jsonl-sortid a b
	expect_rc 0
	printf '{"custom_id":"%s"}\n' 1 2 3 4 5 6 >want
	expect_same out want
}

t_more_files_than_the_descriptor_soft_limit() {
	local i files=()
	for i in $(seq 1 300); do
		printf '{"custom_id":"%d"}\n' $((301 - i)) >"f$i"
		files+=("f$i")
	done
	run sh -c 'ulimit -S -n 64 && exec jsonl-sortid "$@"' sh "${files[@]}"
	expect_rc 0
	expect_lines 300 out
	expect_eq "$(head -1 out)" '{"custom_id":"1"}'
	expect_empty err
}

# shuffled N: N result lines with ids 1..N in a shuffled order, of varied
# lengths (id 7's line is 15000 bytes long); some end in "\r\n".
shuffled() {
	awk -v n="$1" 'BEGIN {
		srand(7)
		for (i = 1; i <= n; i++) id[i] = i
		for (i = n; i > 1; i--) { j = int(rand() * i) + 1; t = id[i]; id[i] = id[j]; id[j] = t }
		for (k = 0; k < 30; k++) long = long sprintf("%500s", "")
		for (i = 1; i <= n; i++) {
			pad = id[i] == 7 ? long : sprintf("%*s", int(rand() * 300), "")
			printf "{\"custom_id\":\"%d\",\"pad\":\"%s\"}%s\n", id[i], pad, (i % 5 == 0 ? "\r" : "")
		}
	}'
}

t_many_shuffled_lines_long_and_crlf() {
	shuffled 3000 >all
	head -n 1000 all >a
	sed -n '1001,2000p' all >b
	tail -n 1000 all >c
	run jsonl-sortid a b c
	expect_rc 0
	expect_empty err
	expect_lines 3000 out
	expect_eq "$(ids out)" "$(seq 1 3000 | tr '\n' ' ' | sed 's/ $//')"
	# Some input lines end in "\r\n", no output line does.
	expect_eq "$(grep -c $'\r' all)" 600
	expect_eq "$(grep -c $'\r' out || true)" 0
	expect_eq "$(grep -c '^{"custom_id":"7","pad":" \{15000\}"}$' out)" 1
	tr -d '\r' <all | sort -t'"' -k4,4n >want
	expect_same out want
}

t_byte_order_many_ids_sharing_prefixes() {
	# Ids whose first 8 bytes often tie: the full ids decide, as in
	# sort(1) in the C locale.
	awk 'BEGIN {
		srand(11)
		for (i = 1; i <= 2000; i++)
			printf "{\"custom_id\":\"%s-%05d\"}\n", substr("abcdefgh", 1 + int(rand() * 3), 6) "x" int(rand() * 4), int(rand() * 100000) * 10 + i % 10
	}' | awk '!seen[$0]++' >in
	LC_ALL=C sort -t'"' -k4,4 in >want
	run jsonl-sortid in
	expect_rc 0
	expect_same out want
}

# Many lines: the index is sorted in two halves, then merged.  Ids that
# tie on their first 8 bytes, and repeated ids, fall in both halves; a
# repeated id's lines must stay in input order, as sort -s has them.
t_halves_merge_keeps_ties_in_input_order() {
	awk 'BEGIN {
		srand(7)
		for (i = 1; i <= 20000; i++)
			printf "{\"custom_id\":\"prefix00-%d\",\"k\":%d}\n", int(rand() * 3000), i
	}' >in
	LC_ALL=C sort -s -t'"' -k4,4 in >want
	run jsonl-sortid in
	expect_rc 0
	expect_same out want
	# Every repeat is counted: the first 10 named, the rest in one line.
	dups=$(($(wc -l <in) - $(cut -d'"' -f4 in | sort -u | wc -l)))
	expect_eq "$(grep -c ': duplicate custom_id ' err)" 10 "duplicates named"
	expect_eq "$(tail -n 1 err)" "jsonl-sortid: $((dups - 10)) more duplicate custom_ids"
	expect_lines 11 err
}

t_halves_merge_numeric() {
	awk 'BEGIN {
		srand(5)
		for (i = 1; i <= 20000; i++)
			printf "{\"custom_id\":\"%d\",\"k\":%d}\n", int(rand() * 1e12), i
	}' >in
	LC_ALL=C sort -s -t'"' -k4,4n in >want
	run jsonl-sortid in
	expect_rc 0
	expect_same out want
}

# About 96 MB of output: many windows.  Files a and b hold the odd and
# the even ids, so each one's lines are spread over more than 48 MB of
# output (read with pread); file c holds a run of consecutive ids (read
# through its mapping), as a batch's results do.  Some lines end in
# "\r\n".
t_windows_spread_and_dense_inputs() {
	awk 'BEGIN {
		pad = sprintf("%1900s", "")
		for (i = 1; i <= 40000; i++) {
			f = i % 2 ? "a" : "b"
			printf "{\"custom_id\":\"%d\",\"pad\":\"%s\"}%s\n", i, pad, i % 7 ? "" : "\r" > f
		}
		for (i = 50000; i > 40000; i--)
			printf "{\"custom_id\":\"%d\",\"pad\":\"%s\"}\n", i, pad > "c"
	}'
	cat a b c | tr -d '\r' | LC_ALL=C sort -t'"' -k4,4n >want
	run jsonl-sortid c a b
	expect_rc 0
	expect_empty err
	expect_same out want
}

# A wrong requests file or count makes every id a message: the first 10 of
# each kind are named, the rest counted in one line, so the summary is not
# buried.  The exit status still counts them all.
t_messages_per_id_named_ten_then_counted() {
	printf '{"custom_id":"r%s"}\n' $(seq 1 25) >requests
	lines $(seq 1 15) >results
	run jsonl-sortid -r requests results
	expect_rc 3
	expect_eq "$(grep -c 'is not in the requests$' err)" 10 "strays named"
	expect_grep '^jsonl-sortid: 5 more custom_ids are not in the requests$' err
	expect_eq "$(grep -c '^jsonl-sortid: no result for custom_id r' err)" 10 "missing named"
	expect_grep '^jsonl-sortid: no result for 15 more custom_ids$' err
	run jsonl-sortid -n 30 results
	expect_rc 3
	expect_eq "$(grep -c '^jsonl-sortid: no result for custom_id ' err)" 10 "missing named"
	expect_grep '^jsonl-sortid: no result for 5 more custom_ids$' err
}

# The man page says what the user sees (memory, TMPDIR, what stops a run);
# how the tool reads and writes is in docs/ARCHITECTURE.md.  It formats
# without a warning at 80 columns.
t_man_page_says_what_the_user_sees() {
	local page=$TOP/man/jsonl-sortid.1
	expect_no_grep 'mmap|pread|fallocate|PIPE_BUF|windows of' "$page"
	expect_grep 'TMPDIR' "$page"
	if command -v man >/dev/null; then
		MANWIDTH=80 man -l -Tutf8 "$page" >/dev/null 2>"$T/manerr"
		expect_empty "$T/manerr"
	fi
	expect_grep '^## How jsonl-sortid reads and writes' "$TOP/docs/ARCHITECTURE.md"
}

# -n by the one rule for numbers (common/numarg.c): digits only, leading
# zeros fine.
t_count_by_the_number_rule() {
	printf '{"custom_id":"1"}\n' >results
	for v in ' 1' '+1' '1 ' 0x1 4000000001; do
		run jsonl-sortid -n "$v" results
		expect_rc 2
		expect_grep '^jsonl-sortid: -n: not a count from 0 to 4000000000$' "$T/err"
	done
	run jsonl-sortid -n 01 results
	expect_rc 0
	expect_same "$T/out" results
}
