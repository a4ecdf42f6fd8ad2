# shellcheck shell=bash
# oai-ls: lists batches and files, bounded; shows batches in full.

# ls_create FILE-ID ENDPOINT [METADATA-JSON]: a batch made with curl;
# prints its id.
ls_create() {
	mock_curl POST /batches -H 'Content-Type: application/json' \
		-d "{\"input_file_id\":\"$1\",\"endpoint\":\"$2\",\"completion_window\":\"24h\",\"metadata\":${3:-null}}" |
		bw_member id
}

t_usage() {
	run oai-ls -h
	expect_rc 0
	expect_eq "$(sed -n 1p "$T/out")" "usage: oai-ls [-fhjVv] [-e endpoint] [-m key=value] [-S status] [-s since]"
	run oai-ls -z
	expect_rc 2
	run oai-ls -s yesterday
	expect_rc 2
	expect_grep '^oai-ls: -s yesterday: not a date' "$T/err"
	run oai-ls -s 2026-13-01
	expect_rc 2
	run oai-ls -m novalue
	expect_rc 2
	expect_grep '^oai-ls: -m novalue: not key=value$' "$T/err"
	run oai-ls -f -e /v1/embeddings
	expect_rc 2
	run oai-ls -S completed batch_x
	expect_rc 2
	expect_empty "$T/out"
}

# Newest first, one TSV line of 12 fields each; -f lists the files.
t_lists_batches_and_files() {
	mock_start -O 3
	net_lines 2 a.jsonl
	f=$(bw_upload a.jsonl)
	b=$(ls_create "$f" /v1/chat/completions)
	run oai-ls
	expect_rc 0
	expect_empty "$T/err"
	expect_eq "$(wc -l <"$T/out")" 4
	expect_eq "$(head -n 1 "$T/out" | cut -f1,3,10,11,12)" "$b	/v1/chat/completions	$f	-	-"
	expect_eq "$(awk -F '\t' '{ print NF }' "$T/out" | sort -u)" 12
	expect_eq "$(sed -n 2p "$T/out" | cut -f2,4,5,6,7)" "completed	gpt-4o-mini	1	1	0"
	expect_grep '^batch_[0-9a-f]*	completed	.*	20[0-9-]*T[0-9:]*Z	20[0-9-]*T[0-9:]*Z	file-' "$T/out"
	run oai-ls -f
	expect_rc 0
	# The batch's output file may be there too, once it has run.
	expect_eq "$(grep "^$f	" "$T/out" | cut -f1,2,3,5,6)" "$f	batch	$(wc -c <a.jsonl)	a.jsonl	processed"
	expect_grep '^file-[A-Za-z0-9]*	[a-z_]*	[0-9]*	20[0-9-]*T[0-9:]*Z	' "$T/out"
	run oai-ls -j
	expect_eq "$(wc -l <"$T/out")" 4
	expect_grep "^{\"id\":\"$b\",\"object\":\"batch\"" "$T/out"
}

t_filters() {
	mock_start -O 3
	net_lines 2 a.jsonl
	f=$(bw_upload a.jsonl)
	b1=$(ls_create "$f" /v1/chat/completions '{"job":"one"}')
	b2=$(ls_create "$f" /v1/embeddings '{"job":"two","batchpipe_model":"m-2"}')
	run oai-ls -m job=two
	expect_rc 0
	expect_eq "$(cut -f1,4 "$T/out")" "$b2	m-2"
	run oai-ls -m job=one -m job=two
	expect_empty "$T/out"
	run oai-ls -e /v1/chat/completions -s 1h
	expect_eq "$(cut -f1 "$T/out")" "$b1"
	run oai-ls -S completed
	expect_eq "$(cut -f2 "$T/out" | sort -u)" completed
	expect_eq "$(cut -f10 "$T/out" | grep -vc "^$f$")" 3
	run oai-ls -S cancelled
	expect_rc 0
	expect_empty "$T/out"
	run oai-ls -s 2000-01-01
	expect_eq "$(wc -l <"$T/out")" 5
	run oai-ls -s "$(date -u -d '1 day ago' +%Y-%m-%dT%H:%MZ)"
	expect_eq "$(cut -f1 "$T/out" | sort | tr '\n' ' ')" "$(printf '%s\n' "$b1" "$b2" | sort | tr '\n' ' ')"
}

# The walk stops at the first batch older than -s: one page of 100 is
# asked for, not the 50 pages of 5000 old batches; without -s the page
# cap bounds it.
t_bounded() {
	MOCK_LOG=$T/mock.log mock_start -O 5000
	run oai-ls -s 1h
	expect_rc 0
	expect_empty "$T/out"
	expect_eq "$(grep -c 'GET /v1/batches' "$T/mock.log")" 1
	BATCHPIPE_MAX_PAGES=3 run oai-ls
	expect_rc 1
	expect_eq "$(wc -l <"$T/out")" 300
	expect_eq "$(grep -c 'GET /v1/batches' "$T/mock.log")" 4
}

# Ids as operands or on stdin ("-"): each batch in full, a failed one with
# every error.
t_ids_in_full() {
	mock_start -F fail-batch
	net_lines 2 a.jsonl
	f=$(bw_upload a.jsonl)
	b=$(ls_create "$f" /v1/chat/completions)
	bw_wait_for "$b" failed
	run oai-ls "$b"
	expect_rc 0
	expect_grep "^{\"id\":\"$b\",.*\"status\":\"failed\"" "$T/out"
	expect_grep '"errors":{"object":"list","data":\[{"code":"invalid_request"' "$T/out"
	printf '%s\tfrom oai-batch\n\n' "$b" | run oai-ls -
	expect_rc 0
	expect_eq "$(wc -l <"$T/out")" 1
	expect_grep "^{\"id\":\"$b\"" "$T/out"
	run oai-ls batch_nosuch "$b"
	expect_rc 1
	expect_grep 'HTTP 404' "$T/err"
	expect_eq "$(wc -l <"$T/out")" 1
}

# On a terminal the columns are aligned; in a pipe, plain TSV.
t_aligned_on_a_tty() {
	mock_start -O 2
	run oai-ls
	expect_grep '	' "$T/out"
	mkdir tty
	python3 "$TOP/tests/ptyterm" 24 250 tty oai-ls || fail "exit $?"
	expect_no_grep '	' tty/screen
	expect_eq "$(grep -c '^batch_[0-9a-f]*  completed  /v1/chat/completions  gpt-4o-mini  1  1  0  ' tty/screen)" 2
}
