# shellcheck shell=bash
# oai-cancel: cancels batches of every status, waits (bounded) or not, and
# reports an ended batch without failing.

net_fast

# bc_job N TIMES [mock options]: starts the mock with lifecycle TIMES,
# uploads N requests and starts a batch on them: $b is the batch.
bc_job() {
	local n=$1 times=$2 f
	shift 2
	mock_start -t "$times" "$@"
	net_lines "$n" in.jsonl
	f=$(bw_upload in.jsonl)
	b=$(bw_create "$f")
}

t_usage_and_version() {
	run oai-cancel -h
	expect_rc 0
	expect_eq "$(sed '/^$/,$d' "$T/out")" "usage: oai-cancel [-hnqVv] [-t timeout] [batch-id ...]"
	run oai-cancel -t 0 batch_x
	expect_rc 2
	run oai-cancel ../x
	expect_rc 2
	expect_grep "argument 1: \.\./x: not a batch id" "$T/err"
}

t_validating() {
	bc_job 4 5,5,0.05
	run oai-cancel "$b"
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$b	cancelled"
	expect_no_grep "had finished" "$T/err"
}

# The requests answered before the cancel are results: the note says so,
# and oai-fetch gets them.
t_in_progress_keeps_partial_results() {
	bc_job 40 0.05,4,0.5
	bw_wait_for "$b" in_progress
	sleep 1
	run oai-cancel "$b"
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$b	cancelled"
	ran=$(bw_get "$b" completed)
	if [ "$ran" -le 0 ] || [ "$ran" -ge 40 ]; then fail "completed $ran of 40"; fi
	expect_grep "^oai-cancel: $b: $ran of 40 requests had finished \\(0 failed\\); their results can still be fetched with oai-wait and oai-fetch\$" "$T/err"
	oai-wait "$b" 2>/dev/null | oai-fetch >res.jsonl
	expect_eq "$(grep -vc batch_cancelled res.jsonl)" "$ran" "results fetched"
	expect_eq "$(grep -c batch_cancelled res.jsonl)" "$((40 - ran))" "requests not run"
}

t_finalizing() {
	bc_job 4 0.05,0.05,3
	bw_wait_for "$b" finalizing
	run oai-cancel -t 10 "$b"
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$b	cancelled"
	expect_grep "4 of 4 requests had finished" "$T/err"
}

t_ended_batches_are_reported_not_errors() {
	local c e
	mock_start -t 0.02,0.05,0.02 -F expire=0.5:1
	net_lines 4 in.jsonl
	e=$(bw_create "$(bw_upload in.jsonl)")
	c=$(bw_create "$(bw_upload in.jsonl)")
	bw_wait_for "$e" expired
	bw_wait_for "$c" completed
	run oai-cancel "$c" "$e"
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$c	completed
$e	expired"
	expect_grep "^oai-cancel: $c: already completed, nothing to cancel\$" "$T/err"
	expect_grep "^oai-cancel: $e: already expired, nothing to cancel\$" "$T/err"
	run oai-cancel -q "$c"
	expect_rc 0
	expect_empty "$T/err"
}

t_failed_batch() {
	bc_job 4 0.02,0.05,0.02 -F fail-batch
	bw_wait_for "$b" failed
	run oai-cancel "$b"
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$b	failed"
}

t_cancelled_twice() {
	bc_job 4 5,5,0.05
	run oai-cancel "$b"
	expect_rc 0
	run oai-cancel "$b"
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$b	cancelled"
}

t_nowait() {
	bc_job 4 5,5,5
	run oai-cancel -n "$b"
	expect_rc 0
	expect_eq "$(cat "$T/out")" "$b	cancelling"
	expect_eq "$(bw_get "$b" status)" cancelling
}

t_stdin_first_field_and_unknown_id() {
	local c
	bc_job 4 5,5,0.05
	c=$(bw_create "$(bw_upload in.jsonl)")
	printf '%s\tx\n\nbatch_nope\n%s\tfile-y\n' "$b" "$c" >ids
	run oai-cancel <ids
	expect_rc 1
	expect_eq "$(cat "$T/out")" "$b	cancelled
$c	cancelled"
	expect_eq "$(cat "$T/err")" "oai-cancel: batch_nope: no such batch"
}

# The wait is bounded: a batch still cancelling at the timeout is printed
# as it is, exit 75, and the batches after it are still cancelled.
t_wait_is_bounded() {
	local c t0 t1
	bc_job 4 0.05,0.05,30
	c=$(bw_create "$(bw_upload in.jsonl)")
	bw_wait_for "$b" finalizing
	t0=$(net_ms)
	run oai-cancel -t 0.5 "$b" "$c"
	t1=$(net_ms)
	expect_rc 75
	expect_grep "^$b	cancelling\$" "$T/out"
	expect_grep "^oai-cancel: $b: still cancelling after the timeout\$" "$T/err"
	expect_eq "$(bw_get "$c" status)" cancelling "second batch"
	[ $((t1 - t0)) -lt 5000 ] || fail "took $((t1 - t0)) ms"
}
