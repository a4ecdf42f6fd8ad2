# shellcheck shell=bash
# shellcheck disable=SC2034 # rc is read by expect_rc (tests/lib.sh)
# jsonl-prompt: items to Batch API requests.  Golden files are in
# The cases of the shape input → stdout, stderr and status are data, in
# tests/data/jsonl-prompt/ (run by tests/test-cases.sh; see tests/README);
# the tests here need more: pipes, FIFOs, large inputs, other tools.
# tests/data/prompt (checked by hand and with Python's json module).

P=$DATA/prompt

# prompt_fails N MESSAGE ARGS...: jsonl-prompt ARGS exits N, prints exactly
# MESSAGE on stderr and nothing on stdout.
prompt_fails() {
	local want_rc=$1 msg=$2
	shift 2
	run jsonl-prompt "$@"
	expect_rc "$want_rc"
	printf '%s\n' "$msg" >want.err
	expect_same "$T/err" want.err
	expect_empty "$T/out"
}

# prompt_stops N MESSAGE ARGS... FILE: jsonl-prompt ARGS FILE stops at a bad
# item on line N of FILE: exit 1, exactly MESSAGE on stderr, and on stdout
# the requests of a good run on the first N-1 items without their last two
# bytes, the "}\n" held back until the whole input is good (nothing at all
# when N is 1): no reader can take that for a whole job.
prompt_stops() {
	local n=$1 msg=$2 file=${*: -1}
	shift 2
	head -n "$((n - 1))" "$file" >first.jsonl
	jsonl-prompt "${@:1:$#-1}" first.jsonl >first.out
	[ "$n" -eq 1 ] || expect_eq "$(tail -c 2 first.out | od -An -c | tr -d ' ')" '}\n' "end of a request"
	head -c -2 first.out >want.out
	run jsonl-prompt "$@"
	expect_rc 1
	printf '%s\n' "$msg" >want.err
	expect_same "$T/err" want.err
	expect_same "$T/out" want.out
}

t_chat_golden() {
	run jsonl-prompt -m gpt-4o-mini -s "$P/system.txt" -t 'Name: {name}; {{literal}}; h={dims.h.cm}; dims={dims}; tags={tags}; price={price}
{description}' -i uuid -T 200 -b '{"temperature": 0, "response_format": {"type": "text"}}' "$P/items.jsonl"
	expect_rc 0
	expect_same "$T/out" "$P/chat.jsonl"
	expect_empty "$T/err"
}

t_responses_golden() {
	run jsonl-prompt -m gpt-4.1-mini -e /v1/responses -s "$P/system.txt" -t '{name}' -T 50 "$P/items.jsonl"
	expect_rc 0
	expect_same "$T/out" "$P/responses.jsonl"
}

# Raw UTF-8, control characters and quotes in the template and the system
# prompt are escaped; raw UTF-8 stays raw.
t_escaping_of_options() {
	echo '{"x":1}' >i.jsonl
	printf 'sys "q"\ttab\\ caf\303\251\n\n' >sys.txt
	run jsonl-prompt -m 'm"1' -s sys.txt -t "$(printf 'say "{x}"\\\tnow\n\303\251')" i.jsonl
	expect_rc 0
	expect_eq "$(cat "$T/out")" '{"custom_id":"1","method":"POST","url":"/v1/chat/completions","body":{"model":"m\"1","messages":[{"role":"system","content":"sys \"q\"\ttab\\ café\n"},{"role":"user","content":"say \"1\"\\\tnow\né"}]}}'
}

t_body_merge_compacts_json() {
	echo '{"x":1}' >i.jsonl
	run jsonl-prompt -m m -t '{x}' -b '{
	"temperature" : 0.5 ,
	"stop": [ "a b", "\n" ],
	"metadata": {}
}' i.jsonl
	expect_rc 0
	expect_eq "$(cat "$T/out")" '{"custom_id":"1","method":"POST","url":"/v1/chat/completions","body":{"model":"m","messages":[{"role":"user","content":"1"}],"temperature":0.5,"stop":["a b","\n"],"metadata":{}}}'
}

# -b may not set what the other options set, nor a key twice, and must be
# strict JSON: usage errors before anything is read.
t_body_errors() {
	prompt_fails 2 'jsonl-prompt: -b: "model" is already set by the other options' -m m -b '{"model":"x"}' /nonexistent
	prompt_fails 2 'jsonl-prompt: -b: "max_tokens" is already set by the other options' -m m -T 5 -b '{"max_tokens":9}'
	prompt_fails 2 'jsonl-prompt: -b: "max_completion_tokens" is already set by the other options' -m m -T 5 -b '{"max_completion_tokens":9}'
	prompt_fails 2 'jsonl-prompt: -b: "instructions" is already set by the other options' -m m -e /v1/responses -s "$P/system.txt" -b '{"instructions":"x"}'
	prompt_fails 2 'jsonl-prompt: -b: "seed" is given twice' -m m -b '{"seed":1,"seed":2}'
	prompt_fails 2 'jsonl-prompt: -b: unexpected character at byte 17' -m m -b '{"temperature": NaN}'
	prompt_fails 2 'jsonl-prompt: -b: an array, not an object' -m m -b '[1]'
	# Without -T, max_tokens is the user's to set.
	echo '{}' >i.jsonl
	run jsonl-prompt -m m -t x -b '{"max_tokens":9}' i.jsonl
	expect_rc 0
	expect_grep '"content":"x"}\],"max_tokens":9}}$' "$T/out"
}

t_usage_errors() {
	local usage='usage: jsonl-prompt [-hSV] [-m model] [-e endpoint] [-s system-file]
                    [-t template | -f template-file] [-i id-field]
                    [-T max-tokens] [-b body-json] [-o file] [file]'
	prompt_fails 2 "jsonl-prompt: -m model is required
$usage"
	prompt_fails 2 "jsonl-prompt: b: one input file at most
$usage" -m m a b
	run jsonl-prompt -x
	expect_rc 2
	expect_grep '^usage: jsonl-prompt ' "$T/err"
	prompt_fails 2 'jsonl-prompt: -e: unsupported endpoint /v1/x (use /v1/chat/completions, /v1/embeddings, /v1/responses, /v1/completions or /v1/moderations)' -m m -e /v1/x
	prompt_fails 2 'jsonl-prompt: -T: not a positive integer: 0' -m m -T 0
	prompt_fails 2 'jsonl-prompt: -m: empty model name' -m ""
	prompt_fails 2 'jsonl-prompt: -s and -T do not apply to /v1/embeddings' -m m -e /v1/embeddings -T 5
	run jsonl-prompt -h
	expect_rc 0
	printf '%s\n' "$usage" >want
	sed '/^$/,$d' "$T/out" >got
	expect_same got want
	run jsonl-prompt -V
	expect_rc 0
	expect_eq "$(cat "$T/out")" "jsonl-prompt batchpipe 0.1.0"
}

t_crlf_accepted() {
	printf '{"a":1}\r\n{"a":2}\r\n' >crlf.jsonl
	printf '{"a":1}\n{"a":2}\n' >lf.jsonl
	jsonl-prompt -m m crlf.jsonl >crlf.out
	jsonl-prompt -m m lf.jsonl >lf.out
	expect_same crlf.out lf.out
}

t_stdout_full() {
	rc=0
	jsonl-prompt -m m "$P/items.jsonl" >/dev/full 2>err || rc=$?
	expect_rc 1
	echo 'jsonl-prompt: stdout: No space left on device' >want
	expect_same err want
}

# A 50 MB item goes through whole (the line cap is 64 MiB).
t_50mb_line() {
	{ printf '{"id":"big","text":"'; head -c 50000000 /dev/zero | tr '\0' 'a'; printf '"}\n'; } >big.jsonl
	jsonl-prompt -m m -e /v1/embeddings -i id -t '<{text}>' big.jsonl >out.jsonl
	expect_eq "$(wc -c <out.jsonl)" $((50000000 + 93))
	expect_eq "$(head -c 82 out.jsonl)" '{"custom_id":"big","method":"POST","url":"/v1/embeddings","body":{"model":"m","inp'
	expect_eq "$(tail -c 10 out.jsonl)" 'aaaaa>"}}'
}


# Requests are written as they are made, but the "}\n" that ends the last
# one is held back until the whole input is good: whenever jsonl-prompt
# stops early, what the next tool got ends inside a request.

# big_items N FILE: N items (made the same way every time) whose requests
# without -t take about 400 bytes each, with quotes, backslashes and
# UTF-8 to escape: 20,000 of them make 8 MB of requests, many chunks.
big_items() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"id\":\"item-%05d\",\"name\":\"Item \\\"%d\\\"\",\"price\":%d.%02d,\"tags\":[\"caf\303\251\",\"a\\\\b\",%d],\"text\":\"Line %d of a long description, long enough to make each request about four hundred bytes long: %s.\"}\n", i, i, i % 97, i % 100, i % 7, i, substr("abcdefghijklmnopqrstuvwxyz0123456789", 1 + i % 30) }' >"$2"
}

# no_files DIR: DIR is absent or empty.
no_files() {
	[ ! -e "$1" ] || [ -z "$(ls -A "$1")" ] || { ls -la "$1"; fail "files left in $1"; }
}

t_bad_item_stops_inside_a_request() {
	printf '%s\n' '{"id":1}' '{"id":2}' '{"id":3' '{"id":4}' '{"id":5}' >i.jsonl
	prompt_stops 3 'jsonl-prompt: i.jsonl:3: unexpected end of line (truncated JSON?)' -m m -i id i.jsonl
	printf '%s\n' '{"id":1}' '{"id":2}' '{"id":1}' '{"id":4}' '{"id":5}' >i.jsonl
	run jsonl-prompt -m m -i id - <i.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" 'jsonl-prompt: stdin:3: duplicate id "1"'
	head -n 2 i.jsonl | jsonl-prompt -m m -i id | head -c -2 >want.out
	expect_same "$T/out" want.out
	# A bad first item: nothing at all.
	printf '%s\n' '{"id":1' '{"id":2}' >i.jsonl
	prompt_fails 1 'jsonl-prompt: i.jsonl:1: unexpected end of line (truncated JSON?)' -m m -i id i.jsonl
}

# In a pipe, jsonl-split sees an incomplete last line and writes no file,
# even without `set -o pipefail`; after a bad first item it sees nothing.
t_bad_item_in_a_pipe_to_split() {
	printf '%s\n' '{"id":1}' '{"id":2}' '{"id":3' '{"id":4}' '{"id":5}' >i.jsonl
	set +e
	jsonl-prompt -m m -i id i.jsonl 2>prompt.err | jsonl-split -d parts >split.out 2>split.err
	st=${PIPESTATUS[*]}
	set -e
	expect_eq "$st" "1 1" "exit statuses"
	expect_eq "$(cat prompt.err)" 'jsonl-prompt: i.jsonl:3: unexpected end of line (truncated JSON?)'
	expect_eq "$(cat split.err)" 'jsonl-split: stdin:2: incomplete last line (the writer stopped early?): unexpected end of line (truncated JSON?)'
	expect_empty split.out
	no_files parts
	printf '%s\n' '{"id":1' '{"id":2}' >i.jsonl
	set +e
	jsonl-prompt -m m -i id i.jsonl 2>prompt.err | jsonl-split -d parts >split.out 2>split.err
	st=${PIPESTATUS[*]}
	set -e
	expect_eq "$st" "1 0" "exit statuses"
	expect_empty split.out
	expect_empty split.err
	no_files parts
}

# A bad item after many chunks were written: the same, and no temporary
# file anywhere ($TMPDIR is not used).
t_big_input_bad_last_line() {
	big_items 20000 i.jsonl
	echo '{"id":"last","text":"\x"}' >>i.jsonl
	TMPDIR=/nonexistent prompt_stops 20001 'jsonl-prompt: i.jsonl:20001: bad escape in string' -m m -i id i.jsonl
	set +e
	jsonl-prompt -m m -i id i.jsonl 2>prompt.err | jsonl-split -d parts >split.out 2>split.err
	st=${PIPESTATUS[*]}
	set -e
	expect_eq "$st" "1 1" "exit statuses"
	expect_same prompt.err want.err
	expect_eq "$(cat split.err)" 'jsonl-split: stdin:20000: incomplete last line (the writer stopped early?): unexpected end of line (truncated JSON?)'
	expect_empty split.out
	no_files parts
}

# Killed with SIGKILL in the middle of its output (it cannot finish: the
# pipe is not read past its first 64 KiB until it is dead), jsonl-prompt
# leaves a prefix of its output that ends inside a request, and
# jsonl-split takes nothing from it.
t_killed_midway_leaves_no_job() {
	big_items 20000 i.jsonl
	jsonl-prompt -m m -i id i.jsonl >full.out
	mkfifo fifo
	jsonl-prompt -m m -i id i.jsonl >fifo &
	pid=$!
	exec 3<fifo
	dd bs=4096 count=16 iflag=fullblock <&3 >got 2>/dev/null
	kill -KILL "$pid"
	rc=0
	wait "$pid" || rc=$?
	expect_rc 137
	cat <&3 >>got
	exec 3<&-
	size=$(wc -c <got)
	[ "$size" -ge 65536 ] || fail "got $size bytes"
	[ "$size" -lt "$(wc -c <full.out)" ] || fail "got all $size bytes"
	head -c "$size" full.out | cmp -s - got || fail "not a prefix of the whole output"
	[ "$(tail -c 1 got | od -An -c | tr -d ' ')" != '\n' ] || fail "ends with a newline"
	run jsonl-split -d parts got
	expect_rc 1
	expect_grep '^jsonl-split: got:[0-9]+: incomplete last line \(the writer stopped early\?\): unexpected end of line \(truncated JSON\?\)$' "$T/err"
	expect_lines 1 "$T/err"
	expect_empty "$T/out"
	no_files parts
}

# A good big input comes out as it always did: the SHA-256 is that of the
# output of jsonl-prompt before streaming.  The same bytes whether stdout
# is a file, a pipe (written in pieces of PIPE_BUF bytes, or, when it is
# empty, in larger writes and splices of up to its size) or a file opened
# for appending, and the same as the parts made one by one.
t_big_input_same_output() {
	big_items 20000 i.jsonl
	TMPDIR=/nonexistent run jsonl-prompt -m gpt-4o-mini -i id -T 100 i.jsonl
	expect_rc 0
	expect_empty "$T/err"
	expect_lines 20000 "$T/out"
	expect_eq "$(wc -c <"$T/out")" 8225799 "output bytes"
	expect_eq "$(sha256sum <"$T/out")" "72c88a7493ff2c6ebc4a401dedd437144e4069fd2dd5b5e2594b02a85759c021  -"
	jsonl-prompt -m gpt-4o-mini -i id -T 100 i.jsonl | cat >piped.out
	expect_same piped.out "$T/out"
	# A reader that starts late: the pipe fills up, and writes into a
	# full pipe mix with splices into an empty one.
	jsonl-prompt -m gpt-4o-mini -i id -T 100 i.jsonl |
		{ sleep 0.3; cat; } >late.out
	expect_same late.out "$T/out"
	echo -n >appended.out
	jsonl-prompt -m gpt-4o-mini -i id -T 100 i.jsonl >>appended.out
	expect_same appended.out "$T/out"
	split -l 5000 i.jsonl part.
	for p in part.*; do
		jsonl-prompt -m gpt-4o-mini -i id -T 100 "$p"
	done >parts.out
	expect_same parts.out "$T/out"
}

# -S skips an item that lacks a field (or has it null) and has no default,
# reports it, and writes every other request, whole: exit 3.  The first
# ten are listed, then a count; a skipped item's id still counts for
# duplicates.
t_skip_unfilled_items() {
	printf '%s\n' '{"id":"a","x":1}' '{"id":"b"}' '{"id":"c","x":null,"y":2}' '{"id":"d","x":"","y":null}' '{"id":"e","x":4}' >i.jsonl
	run jsonl-prompt -m m -e /v1/embeddings -S -i id -t '{x}{y:-}' i.jsonl
	expect_rc 3
	cat >want.err <<'W'
jsonl-prompt: i.jsonl:2: item "b" skipped: field "x" is missing
jsonl-prompt: i.jsonl:3: item "c" skipped: field "x" is null
jsonl-prompt: 2 of 5 items skipped: a field of the template missing or null
W
	expect_same "$T/err" want.err
	cut -d, -f1 "$T/out" >ids
	printf '%s\n' '{"custom_id":"a"' '{"custom_id":"d"' '{"custom_id":"e"' >want
	expect_same ids want
	# Whole: jsonl-split takes it.
	jsonl-split -d parts "$T/out" >paths
	expect_eq "$(cut -f1 paths | xargs cat | wc -l)" 3
	# Without -i the custom_id stays the line number.
	run jsonl-prompt -m m -S -t '{x}' i.jsonl
	expect_rc 3
	expect_eq "$(cut -d, -f1 "$T/out" | tr '\n' ' ')" '{"custom_id":"1" {"custom_id":"4" {"custom_id":"5" '
	expect_grep '^jsonl-prompt: i.jsonl:2: item skipped: field "x" is missing$' "$T/err"
	# Many: ten listed, then the count.
	seq 1 25 | awk '{ print ($1 % 2) ? "{\"n\":" $1 "}" : "{\"m\":1}" }' >i.jsonl
	run jsonl-prompt -m m -S -t '{n}' i.jsonl
	expect_rc 3
	expect_lines 13 "$T/out"
	expect_lines 11 "$T/err"
	expect_eq "$(sed -n 10p "$T/err")" 'jsonl-prompt: i.jsonl:20: item skipped: field "n" is missing'
	expect_eq "$(tail -n 1 "$T/err")" 'jsonl-prompt: 12 of 25 items skipped: a field of the template missing or null (the first 10 are listed)'
	# A skipped item's id is still an id.
	printf '%s\n' '{"id":"a"}' '{"id":"a","x":1}' >i.jsonl
	prompt_fails 1 'jsonl-prompt: i.jsonl:1: item "a" skipped: field "x" is missing
jsonl-prompt: i.jsonl:2: duplicate id "a"' -m m -S -i id -t '{x}' i.jsonl
	# Nothing skipped: exit 0, nothing said.
	printf '%s\n' '{"x":1}' >i.jsonl
	run jsonl-prompt -m m -S -t '{x}' i.jsonl
	expect_rc 0
	expect_empty "$T/err"
}

# no_temporaries: no temporary file (.NAME.tmp.XXXXXX) is left here.
no_temporaries() {
	local f
	for f in .*.tmp.*; do
		if [ -e "$f" ]; then fail "temporary file $f left"; fi
	done
}

# -o writes the same bytes as stdout would get, to a temporary file renamed
# at the end: after a bad item there is no file (an older one is left as
# it was), nor a temporary.
t_output_file() {
	big_items 2000 i.jsonl
	jsonl-prompt -m m -i id -t '{name}' i.jsonl >want.out
	run jsonl-prompt -m m -i id -t '{name}' -o out.jsonl i.jsonl
	expect_rc 0
	expect_empty "$T/out"
	expect_empty "$T/err"
	expect_same out.jsonl want.out
	run jsonl-prompt -m m -i id -t '{name}' -o - i.jsonl
	expect_same "$T/out" want.out
	echo '{"id":"bad"' >>i.jsonl
	echo old >old.jsonl
	run jsonl-prompt -m m -i id -t '{name}' -o new.jsonl i.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" 'jsonl-prompt: i.jsonl:2001: unexpected end of line (truncated JSON?)'
	[ ! -e new.jsonl ] || fail "new.jsonl written"
	run jsonl-prompt -m m -i id -t '{name}' -o old.jsonl i.jsonl
	expect_rc 1
	expect_eq "$(cat old.jsonl)" old
	no_temporaries
	# Items skipped: the file is written, exit 3.
	printf '%s\n' '{"x":1}' '{"y":1}' >s.jsonl
	run jsonl-prompt -m m -S -t '{x}' -o s.out s.jsonl
	expect_rc 3
	expect_lines 1 s.out
	# A directory: an error, nothing left.
	mkdir d
	run jsonl-prompt -m m -t '{x}' -o d s.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" 'jsonl-prompt: d: Is a directory'
	if [ ! -d d ] || [ -n "$(ls -A d)" ]; then fail "d changed"; fi
	no_temporaries
}

# -o on what is not a regular file (a FIFO, a symbolic link) writes
# through it, as the shell's > does: a rename would replace the FIFO, or a
# device such as /dev/stdout, with a file.
t_output_file_not_regular() {
	printf '%s\n' '{"x":1}' >i.jsonl
	fifo_reader fifo got
	run jsonl-prompt -m m -t '{x}' -o fifo i.jsonl
	exec 4>&-
	wait "$FIFO_READER"
	expect_rc 0
	[ -p fifo ] || fail "fifo replaced"
	expect_lines 1 got
	echo old >target
	ln -s target link
	run jsonl-prompt -m m -t '{x}' -o link i.jsonl
	expect_rc 0
	[ -L link ] || fail "link replaced"
	expect_lines 1 target
	expect_grep '"content":"1"' target
}

# Stopped by a signal midway, -o leaves neither the file nor a temporary.
t_output_file_killed_midway() {
	big_items 2000 i.jsonl
	mkfifo in
	jsonl-prompt -m m -i id -o out.jsonl in 2>err &
	pid=$!
	exec 3<>in
	head -n 1000 i.jsonl >first.jsonl
	background cat first.jsonl >&3
	# Wait until the temporary exists: the tool is in the middle.
	for _ in $(seq 1 100); do
		compgen -G '.out.jsonl.tmp.*' >/dev/null && break
		sleep 0.1
	done
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 3>&-
	expect_rc 143
	[ ! -e out.jsonl ] || fail "out.jsonl written"
	no_temporaries
}

# The man page says what the user sees, not how (that is in
# docs/ARCHITECTURE.md), and formats without a warning at 80 columns.
t_man_page_says_what_not_how() {
	expect_no_grep 'vmsplice|PIPE_BUF|FIONREAD|F_SETPIPE_SZ|256 KiB' "$TOP/man/jsonl-prompt.1"
	if command -v man >/dev/null; then
		MANWIDTH=80 man --warnings -l -Tutf8 "$TOP/man/jsonl-prompt.1" 2>man.err >/dev/null
		expect_empty man.err
	fi
	if command -v mandoc >/dev/null; then
		mandoc -Tlint -W warning "$TOP/man/jsonl-prompt.1" >lint.out 2>&1
		expect_empty lint.out
	fi
}
