# shellcheck shell=bash
# shellcheck disable=SC2034 # rc is read by expect_rc (tests/lib.sh)
# jsonl-split: request lines to batch input files.
# The cases of the shape input → stdout, stderr and status are data, in
# tests/data/jsonl-split/ (run by tests/test-cases.sh; see tests/README);
# the tests here need more: pipes, FIFOs, large inputs, other tools.

tab=$(printf '\t')

# req ID [URL [MODEL]]: one request line.
req() {
	printf '{"custom_id":"%s","method":"POST","url":"%s","body":{"model":"%s","messages":[]}}\n' \
		"$1" "${2:-/v1/chat/completions}" "${3:-gpt-4o-mini}"
}

# reqs [FIRST] LAST: request lines with ids FIRST (default 1) to LAST, fast.
reqs() {
	seq "$@" | sed 's|.*|{"custom_id":"&","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}|'
}

# split_fails MESSAGE ARGS...: jsonl-split -d d ARGS exits 1 with exactly
# MESSAGE on stderr, prints nothing and leaves no file at all in d/.
split_fails() {
	local msg=$1
	shift
	run jsonl-split -d d "$@"
	expect_rc 1
	printf '%s\n' "$msg" >want.err
	expect_same "$T/err" want.err
	expect_empty "$T/out"
	[ ! -e d ] || [ -z "$(ls -A d)" ] || { ls -A d; fail "files left in d/"; }
}

# good N: N valid lines, enough for several files with -l 2.
good() {
	for i in $(seq 1 "$1"); do req "g$i"; done
}

t_defaults_dir_and_prefix() {
	{ req a; req b; } | jsonl-split >paths
	expect_eq "$(cat paths)" "./batch-0001.jsonl${tab}2$tab-"
	expect_lines 2 batch-0001.jsonl
}

t_empty_input() {
	run jsonl-split -d d </dev/null
	expect_rc 0
	expect_empty "$T/out"
	expect_empty "$T/err"
	[ ! -e d ] || fail "d/ was created"
}

t_exactly_50000_lines() {
	reqs 50000 >r.jsonl
	run jsonl-split -d d r.jsonl
	expect_rc 0
	expect_eq "$(cat "$T/out")" "d/batch-0001.jsonl${tab}50000$tab-"
	expect_same d/batch-0001.jsonl r.jsonl
}

t_50001_lines() {
	reqs 50001 >r.jsonl
	run jsonl-split -d d r.jsonl
	expect_rc 0
	printf '%s\t%s\t-\n' d/batch-0001.jsonl 50000 d/batch-0002.jsonl 1 >want
	expect_same "$T/out" want
	expect_lines 50000 d/batch-0001.jsonl
	expect_lines 1 d/batch-0002.jsonl
	cat d/batch-0001.jsonl d/batch-0002.jsonl | cmp - r.jsonl
}

# BATCHPIPE_PROVIDER=anthropic: files of up to 100,000 requests,
# Anthropic's limit per Message Batch (common/provider.c's row).
t_anthropic_100001_lines() {
	reqs 100001 >r.jsonl
	run env BATCHPIPE_PROVIDER=anthropic jsonl-split -d d r.jsonl
	expect_rc 0
	printf '%s\t%s\t-\n' d/batch-0001.jsonl 100000 d/batch-0002.jsonl 1 >want
	expect_same "$T/out" want
	cat d/batch-0001.jsonl d/batch-0002.jsonl | cmp - r.jsonl
}

# Lines go to the files in runs straight from the reader's buffer, CR LF
# lines and an unterminated last line as copies: whatever the mix, across
# reads of the input (from a file, and in small pieces from a pipe) and
# across files, the files hold exactly the lines.
t_runs_of_lines_byte_for_byte() {
	reqs 30000 | awk 'NR % 7 == 3 || (NR > 12000 && NR < 12100) { printf "%s\r\n", $0; next } { print }' >r.jsonl
	printf '%s' "$(req last)" >>r.jsonl	# another model: a file of its own
	{ tr -d '\r' <r.jsonl; echo; } >want
	run jsonl-split -d d -l 7000 r.jsonl
	expect_rc 0
	expect_lines 6 "$T/out"
	cat d/*.jsonl >all
	expect_same all want
	expect_lines 7000 d/batch-0001.jsonl
	# shellcheck disable=SC2002 # a pipe on purpose: small reads
	cat r.jsonl | run jsonl-split -d p -l 7000 -
	expect_rc 0
	cat p/*.jsonl >all
	expect_same all want
}

t_stdin_is_named_stdin() {
	rc=0
	{ good 2; echo '{}'; } | jsonl-split -d d 2>e || rc=$?
	expect_rc 1
	expect_eq "$(cat e)" 'jsonl-split: stdin:3: no custom_id'
	[ ! -e d ] || [ -z "$(ls -A d)" ] || fail "files left in d/"
}

t_stdout_full() {
	good 3 >r.jsonl
	rc=0
	jsonl-split -d d r.jsonl >/dev/full 2>err || rc=$?
	expect_rc 1
	echo 'jsonl-split: stdout: No space left on device' >want
	expect_same err want
}

# A 50 MB line passes through whole under the default cap, and is refused
# cleanly (nothing written, memory bounded by the cap) under a smaller one.
t_50mb_line() {
	{ req a; printf '{"custom_id":"big","method":"POST","url":"/v1/embeddings","body":{"model":"m","input":"'
	  head -c 50000000 /dev/zero | tr '\0' 'a'; printf '"}}\n'; req c; } >r.jsonl
	run jsonl-split -d d r.jsonl
	expect_rc 0
	expect_lines 3 "$T/out"
	cat d/*.jsonl | cmp - r.jsonl
	rm -r d
	split_fails 'jsonl-split: r.jsonl:2: line longer than 9999999 bytes' -b 10M r.jsonl
}

t_usage_errors() {
	local usage='usage: jsonl-split [-hV] [-d dir] [-p prefix] [-l max-lines]
                   [-b max-bytes] [-t max-tokens] [file]'
	run jsonl-split a b
	expect_eq "$(head -n 1 "$T/err")" "jsonl-split: b: one input file at most"
	sed -i 1d "$T/err"
	expect_rc 2
	expect_eq "$(cat "$T/err")" "$usage"
	run jsonl-split -x
	expect_rc 2
	expect_grep '^usage: jsonl-split ' "$T/err"
	run jsonl-split -l 0
	expect_rc 2
	expect_eq "$(cat "$T/err")" 'jsonl-split: -l: not a positive number: 0'
	run jsonl-split -b 12X
	expect_rc 2
	expect_eq "$(cat "$T/err")" 'jsonl-split: -b: not a positive size: 12X'
	run jsonl-split -b -5
	expect_rc 2
	run jsonl-split -p a/b
	expect_rc 2
	expect_eq "$(cat "$T/err")" "jsonl-split: -p: a prefix cannot contain '/': a/b"
	# A path is the first field of an output line.
	run jsonl-split -d "a${tab}b"
	expect_rc 2
	expect_eq "$(cat "$T/err")" 'jsonl-split: -d: a directory name cannot contain a TAB or a newline'
	run jsonl-split -p 'a
b'
	expect_rc 2
	expect_eq "$(cat "$T/err")" 'jsonl-split: -p: a prefix cannot contain a TAB or a newline'
	run jsonl-split -h
	expect_rc 0
	expect_eq "$(sed '/^$/,$d' "$T/out")" "$usage"
	run jsonl-split -V
	expect_rc 0
	expect_eq "$(cat "$T/out")" 'jsonl-split batchpipe 0.1.0'
}

t_missing_input() {
	run jsonl-split -d d nosuch.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" 'jsonl-split: nosuch.jsonl: No such file or directory'
	[ ! -e d ] || fail "d/ was created"
}

t_prompt_to_split_pipeline() {
	seq 1 120 | sed 's/.*/{"sku":"s&","title":"Item &"}/' >items.jsonl
	jsonl-prompt -m gpt-4o-mini -t 'Describe {title}' -i sku items.jsonl |
		jsonl-split -d d -l 50 >paths
	printf '%s\t%s\t-\n' d/batch-0001.jsonl 50 d/batch-0002.jsonl 50 d/batch-0003.jsonl 20 >want
	expect_same paths want
	expect_lines 20 d/batch-0003.jsonl
	expect_eq "$(head -1 d/batch-0001.jsonl)" '{"custom_id":"s1","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Describe Item 1"}]}}'
}

# Killed half-way, jsonl-split leaves no file behind, temporary or not.
t_killed_midway_leaves_nothing() {
	mkfifo fifo
	jsonl-split -d d <fifo >paths 2>err &
	pid=$!
	exec 3>fifo
	good 3 >&3
	for _ in $(seq 100); do
		[ -n "$(ls -A d 2>/dev/null)" ] && break
		sleep 0.1
	done
	[ -n "$(ls -A d)" ] || fail "no temporary file appeared"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	exec 3>&-
	expect_rc 143
	expect_eq "$(ls -A d)" ""
	expect_empty paths
}

# A run killed with SIGKILL cannot remove its temporaries; a later run
# with the same directory and prefix does, and nothing else: not another
# prefix's, not a name of another shape, not the temporaries of a run that
# is still writing.
# A split into fewer files than an earlier one in the same directory is
# refused, whole: the earlier split's extra files would otherwise sit
# beside the new ones, and `oai-upload d/*.jsonl` would pay for their
# requests twice.  The earlier files are left as they were.
t_earlier_longer_split_refused() {
	reqs 300 >x.jsonl
	run jsonl-split -d d -l 50 x.jsonl
	expect_rc 0
	expect_lines 6 "$T/out"
	(cd d && cat batch-*.jsonl) >before
	run jsonl-split -d d -l 100 x.jsonl
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "jsonl-split: d: batch-0004.jsonl and 2 more files are from an earlier split, which this one (3 files) does not replace; remove them or use another -d or -p: nothing was written"
	expect_eq "$(cd d && printf '%s ' *)" "batch-0001.jsonl batch-0002.jsonl batch-0003.jsonl batch-0004.jsonl batch-0005.jsonl batch-0006.jsonl " "files in d"
	(cd d && cat batch-*.jsonl) >after
	expect_same after before
	run jsonl-split -d d -l 60 x.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" "jsonl-split: d: batch-0006.jsonl is from an earlier split, which this one (5 files) does not replace; remove it or use another -d or -p: nothing was written"
	# The same split again, a longer one, or another prefix: fine.
	run jsonl-split -d d -l 50 x.jsonl
	expect_rc 0
	run jsonl-split -d d -l 25 x.jsonl
	expect_rc 0
	expect_lines 12 "$T/out"
	run jsonl-split -d d -p other- -l 100 x.jsonl
	expect_rc 0
	: >empty
	run jsonl-split -d d -p other- empty
	expect_rc 1
}

t_stale_temporaries_removed() {
	mkfifo fifo
	jsonl-split -d d <fifo >paths 2>err &
	pid=$!
	exec 3>fifo
	good 3 >&3
	for _ in $(seq 100); do
		[ -n "$(ls -A d 2>/dev/null)" ] && break
		sleep 0.1
	done
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null || true
	exec 3>&-
	[ -n "$(find d -name '.batch-0001.jsonl.tmp.??????')" ] || fail "no temporary left: $(ls -A d)"
	: >d/.job-0001.jsonl.tmp.abcdef
	: >d/.batch-0001.jsonl.tmp.abcdefg
	: >d/.batch-001.jsonl.tmp.abcdef
	: >d/.batch-x0001.jsonl.tmp.abcdef
	: >d/.batch-00001.jsonl.tmp.abcdef
	: >d/batch-0001.jsonl.tmp.abcdef
	: >d/.batch-12345.jsonl.tmp.abcdef
	find d -mindepth 1 ! -name '.batch-0001.jsonl.tmp.??????' ! -name '.batch-12345.*' -printf '%P\n' | sort >want.left
	good 2 >r.jsonl
	run jsonl-split -d d r.jsonl
	expect_rc 0
	expect_empty "$T/err"
	{ cat want.left; echo batch-0001.jsonl; } | sort >want.sorted
	find d -mindepth 1 -printf '%P\n' | sort >left
	expect_same left want.sorted
	# A run still writing keeps its temporaries while another run ends.
	rm -r d
	jsonl-split -d d <fifo >paths 2>err &
	pid=$!
	exec 3>fifo
	good 3 >&3
	for _ in $(seq 100); do
		[ -n "$(ls -A d 2>/dev/null)" ] && break
		sleep 0.1
	done
	live=$(ls -A d)
	run jsonl-split -d d r.jsonl
	expect_rc 0
	[ -e "d/$live" ] || fail "the live run's temporary d/$live was removed"
	exec 3>&-
	rc=0
	wait "$pid" || rc=$?
	expect_rc 0
	expect_eq "$(cut -f 1-2 paths)" "d/batch-0001.jsonl${tab}3"
	expect_eq "$(ls -A d)" batch-0001.jsonl
}

# prompts N: N chat requests for gpt-4o-mini of 8 to about 120 input
# tokens, lengths mixed, ids p1 to pN.
prompts() {
	seq 1 "$1" | awk '{ s = "Item " $1 ":"; for (i = 0; i < ($1 * 7) % 37; i++) s = s " word" i; printf "{\"id\":\"p%d\",\"t\":\"%s\"}\n", $1, s }' |
		jsonl-prompt -m gpt-4o-mini -t '{t}' -i id
}

# check_token_split CAP OUT INPUT: the split in OUT of INPUT under -t CAP
# is right: each line's requests and tokens are what jsonl-tokens -s says
# of its file, every file holds at most CAP tokens, and no file was cut
# early (its tokens plus the next file's first request's are over CAP);
# the files hold exactly the input's lines, in order.
check_token_split() {
	local cap=$1 out=$2 input=$3 f n tok next first
	cut -f 1 "$out" >paths.only
	# shellcheck disable=SC2046 # the paths have no blanks
	jsonl-tokens -s $(cat paths.only) | grep -v '^total' | cut -f 1-3 >want.cols
	expect_same "$out" want.cols
	while IFS="$tab" read -r f n tok; do
		[ "$tok" -le "$cap" ] || fail "$f holds $tok tokens, over $cap"
		[ "$(wc -l <"$f")" -eq "$n" ] || fail "$f: not $n lines"
	done <"$out"
	# Greedy: the next file's first request did not fit the file before.
	tail -n +2 paths.only >next.paths
	head -n -1 "$out" | cut -f 3 >prev.tokens
	paste prev.tokens next.paths | while IFS="$tab" read -r tok next; do
		first=$(head -n 1 "$next" | jsonl-tokens | cut -f 2)
		[ $((tok + first)) -gt "$cap" ] || fail "$next was started early: $tok + $first <= $cap"
	done
	xargs cat <paths.only >all
	expect_same all "$input"
}

t_token_cap_cuts_files() {
	prompts 300 >r.jsonl
	total=$(jsonl-tokens -s r.jsonl | awk -F "$tab" '$1 == "total" { print $3 }')
	[ "$total" -gt 5000 ] || fail "only $total tokens"
	run jsonl-split -d d -t 1000 r.jsonl
	expect_rc 0
	expect_empty "$T/err"
	[ "$(wc -l <"$T/out")" -ge $((total / 1000 + 1)) ] || fail "too few files"
	cp "$T/out" split.out
	check_token_split 1000 split.out r.jsonl
	expect_eq "$(awk -F "$tab" '{ s += $3 } END { print s }' split.out)" "$total" "tokens in all"
	# A cap that holds everything: one file.
	rm -r d
	run jsonl-split -d d -t "$total" r.jsonl
	expect_rc 0
	expect_eq "$(cat "$T/out")" "d/batch-0001.jsonl${tab}300$tab$total"
	# One token less: two.
	rm -r d
	run jsonl-split -d d -t $((total - 1)) r.jsonl
	expect_rc 0
	expect_lines 2 "$T/out"
	cp "$T/out" split.out
	check_token_split $((total - 1)) split.out r.jsonl
}

# path TAB requests TAB tokens: "-" without -t; a new url or model starts
# a file and its count, with -t as without.
t_columns() {
	{
		req 1 /v1/chat/completions gpt-4o-mini
		req 2 /v1/chat/completions gpt-4o-mini
		req 3 /v1/chat/completions gpt-4
		printf '{"custom_id":"4","method":"POST","url":"/v1/embeddings","body":{"model":"text-embedding-3-small","input":["a b","c"]}}\n'
	} >r.jsonl
	run jsonl-split -d d r.jsonl
	expect_rc 0
	printf '%s\t%s\t-\n' d/batch-0001.jsonl 2 d/batch-0002.jsonl 1 d/batch-0003.jsonl 1 >want
	expect_same "$T/out" want
	rm -r d
	run jsonl-split -d d -t 1M r.jsonl
	expect_rc 0
	printf '%s\t%s\t%s\n' d/batch-0001.jsonl 2 6 d/batch-0002.jsonl 1 3 d/batch-0003.jsonl 1 3 >want
	expect_same "$T/out" want
	# shellcheck disable=SC2046
	jsonl-tokens -s $(cut -f 1 want) | grep -v '^total' | cut -f 1-3 >tokens.cols
	expect_same want tokens.cols
	# The first field alone is what oai-upload and the driver take.
	expect_eq "$(cut -f 1 "$T/out" | tr '\n' ' ')" 'd/batch-0001.jsonl d/batch-0002.jsonl d/batch-0003.jsonl '
}

# A request that alone holds more than -t tokens can never fit: an error
# at its line, after files that did fit, and nothing is left.
t_request_over_token_cap() {
	prompts 40 >r.jsonl
	big=$(jsonl-tokens r.jsonl | sort -t "$tab" -k 2,2n | tail -n 1)
	id=${big%%"$tab"*}
	n=$(echo "$big" | cut -f 2)
	line=$(grep -n "\"custom_id\":\"$id\"" r.jsonl | cut -d: -f 1)
	[ "$line" -gt 5 ] || fail "the largest request is on line $line"
	split_fails "jsonl-split: r.jsonl:$line: $n input tokens, more than -t $((n - 1)): the request can never fit" -t $((n - 1)) r.jsonl
	run jsonl-split -d d -t "$n" r.jsonl
	expect_rc 0
	cp "$T/out" split.out
	check_token_split "$n" split.out r.jsonl
}

# -l, -b and -t by the one rule for numbers (common/numarg.c): digits
# only, so a blank or a '+' in front is refused as a blank after always
# was; leading zeros are fine.
t_counts_by_the_number_rule() {
	req a >r.jsonl
	for o in l b t; do
		what=number
		[ "$o" = b ] && what=size
		for v in ' 5' '+5' '5 '; do
			run jsonl-split -d d -$o "$v" r.jsonl
			expect_rc 2
			expect_eq "$(cat "$T/err")" "jsonl-split: -$o: not a positive $what: $v"
		done
	done
	run jsonl-split -d d -l 05 -b 0200 r.jsonl
	expect_rc 0
	expect_eq "$(cut -f 2 "$T/out")" 1
}
