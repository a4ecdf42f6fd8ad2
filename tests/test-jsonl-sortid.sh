# shellcheck shell=bash
# shellcheck disable=SC2034 # rc is read by expect_rc (tests/lib.sh)
# jsonl-sortid: result lines ordered by custom_id.
# The cases of the shape input → stdout, stderr and status are data, in
# tests/data/jsonl-sortid/ (run by tests/test-cases.sh; see tests/README);
# the tests here need more: pipes, FIFOs, large inputs, other tools.

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

t_stdout_dev_full() {
	lines 2 1 >in
	run sh -c 'exec jsonl-sortid in >/dev/full'
	expect_rc 1
	expect_eq "$(cat err)" "jsonl-sortid: stdout: No space left on device"
}

t_requests_from_stdin_with_result_files() {
	lines 2 1 >results
	printf '{"custom_id":"%s"}\n' 1 2 3 >requests
	run sh -c 'exec jsonl-sortid -r - results <requests'
	expect_rc 3
	expect_eq "$(ids out)" "1 2"
	expect_eq "$(cat err)" "jsonl-sortid: no result for custom_id 3"
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
