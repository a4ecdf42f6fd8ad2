# shellcheck shell=bash
# Fault injection beyond the network: writes that fail (a full stdout, an
# output directory that cannot be written, a disk that fills up midway),
# allocations that fail, SIGPIPE, and SIGINT/SIGTERM during transfers.
# Helpers in tests/lib-faults.sh; the shims in tests/shim/.  The tests
# that need an LD_PRELOAD shim only run on the plain build (ASan replaces
# malloc and must come first: they pass without checking under LABEL=asan);
# the tmpfs ones only as root where mount(8) works (else they check
# nothing and say so on stderr).

# dev_full TOOL ARGS...: TOOL with stdout on /dev/full exits 1 and says so.
dev_full() {
	local tool=$1
	rc=0
	"$@" >/dev/full 2>"$T/err" || rc=$?
	expect_rc 1
	expect_eq "$(cat "$T/err")" "$tool: stdout: No space left on device" "$tool's message"
}

t_dev_full_jsonl_prompt() { fault_data; dev_full jsonl-prompt -m m items.jsonl; }
t_dev_full_jsonl_split() { fault_data; dev_full jsonl-split -d parts req.jsonl; }
t_dev_full_jsonl_sortid() { fault_data; dev_full jsonl-sortid res.jsonl; }
t_dev_full_jsonl_tokens() { fault_data; dev_full jsonl-tokens req.jsonl; dev_full jsonl-tokens -s req.jsonl; }
t_dev_full_jsonl_merge() {
	fault_data
	rc=0
	jsonl-merge -k uuid items.jsonl res.jsonl >/dev/full 2>"$T/err" || rc=$?
	expect_rc 1
	expect_grep '^jsonl-merge: stdout: No space left on device$' "$T/err"
}

# The oai- tools print an id a line and flush each (the next tool in the
# pipe starts at once), so some of them find the error in that flush and
# report it then, with its reason; the rest only see it at exit.
net_dev_full() {
	local tool=$1
	rc=0
	"$@" >/dev/full 2>"$T/err" || rc=$?
	expect_rc 1
	expect_grep "^$tool: stdout: (No space left on device|write error)\$" "$T/err"
}

t_dev_full_oai_tools() {
	mock_start -q -t 0,0,0
	fault_data
	net_dev_full oai-upload req.jsonl
	f=$(oai-upload req.jsonl | cut -f1)
	net_dev_full oai-batch "$f"
	b=$(oai-batch -q "$f" | cut -f1)
	net_dev_full oai-wait -q "$b"
	net_dev_full oai-fetch "$f"
	net_dev_full oai-rm "$f"
}

# -V writes to stdout like any output: a failure is an error there too.
t_dev_full_version_every_tool() {
	local t
	for t in jsonl-prompt jsonl-split jsonl-sortid jsonl-merge jsonl-tokens \
	    oai-upload oai-batch oai-wait oai-fetch oai-rm oai-mock; do
		dev_full "$t" -V
	done
}

t_dev_full_oai_mock_warns() {
	rc=0
	timeout 1 oai-mock -p 0 -q >/dev/full 2>"$T/err" || rc=$?
	expect_grep '^oai-mock: stdout: No space left on device$' "$T/err"
}

t_outdir_not_writable() {
	fault_data
	if ! fault_ro_dir ro; then
		echo "skipped: no read-only directory possible here" >&2
		return 0
	fi
	run jsonl-split -d ro/parts req.jsonl
	expect_rc 1
	expect_grep '^jsonl-split: ro/parts: (Permission denied|Read-only file system)$' "$T/err"
	expect_empty "$T/out"
	mock_start -q
	f=$(oai-upload req.jsonl | cut -f1)
	run oai-fetch -d ro "$f"
	expect_rc 1
	expect_grep '^oai-fetch: ro/.*: (Permission denied|Read-only file system)$' "$T/err"
	run oai-fetch -o ro/all.jsonl "$f"
	expect_rc 1
	expect_grep '^oai-fetch: ro/all.jsonl: (Permission denied|Read-only file system)$' "$T/err"
	expect_eq "$(find ro -type f | wc -l)" 0 "files in ro"
}

# The disk fills up after 100 KiB of a file (a file size limit: every
# write past it fails with EFBIG, whoever makes it, stdio included).  No file may
# appear under a final name unless it is complete, and no temporary may
# stay.
t_split_file_size_limit_midway() {
	fault_many_requests 3000 req.jsonl	# about 450 KB
	jsonl-split -d want -l 1000 req.jsonl >want.paths
	rc=0
	(trap '' XFSZ; ulimit -f 100; exec jsonl-split -d parts -l 1000 req.jsonl) >"$T/out" 2>"$T/err" || rc=$?
	expect_rc 1
	expect_grep '^jsonl-split: parts/batch-[0-9]+\.jsonl: File too large$' "$T/err"
	for f in parts/*.jsonl; do
		[ -e "$f" ] || continue
		expect_same "$f" "want/${f#parts/}"
	done
	fault_no_temporaries parts
}

# The same on a real filesystem that fills up (ENOSPC), when one can be
# mounted.
t_split_disk_full_tmpfs() {
	if ! fault_mount_tmpfs small 128k; then
		echo "skipped: cannot mount a tmpfs here" >&2
		return 0
	fi
	fault_many_requests 3000 req.jsonl
	jsonl-split -d want -l 500 req.jsonl >want.paths
	run jsonl-split -d small/parts -l 500 req.jsonl
	expect_rc 1
	expect_grep '^jsonl-split: small/parts/batch-[0-9]+\.jsonl: No space left on device$' "$T/err"
	for f in small/parts/*.jsonl; do
		[ -e "$f" ] || continue
		expect_same "$f" "want/${f#small/parts/}"
	done
	fault_no_temporaries small/parts
	umount small
}

# The driver: the disk fills up (100 KiB file size limit) while it
# downloads the results; the run stops with the reason; run again with
# room, it resumes and finishes, with no second batch on the server and
# the same output as a run that never failed.
t_pipeline_resumes_after_disk_full() {
	mock_start -q -t 0.05,0.2,0.05
	awk 'BEGIN { for (i = 1; i <= 200; i++) printf "{\"sku\":\"S%03d\",\"name\":\"Widget %d\"}\n", i, i }' >items.jsonl
	jsonl-prompt -m gpt-4o-mini -i sku -t 'Describe {name}' items.jsonl >req.jsonl
	rc=0
	(trap '' XFSZ; ulimit -f 64; exec oai-pipeline -q -i 0.05 -k sku -d run req.jsonl items.jsonl) >"$T/out" 2>"$T/err" || rc=$?
	expect_rc 1
	expect_grep '^oai-fetch: GET /v1/files/file-[A-Za-z0-9]+/content: write: File too large$' "$T/err"
	expect_empty "$T/out"
	run oai-pipeline -q -i 0.05 -k sku -d run req.jsonl items.jsonl
	expect_rc 0
	expect_lines 200 "$T/out"
	expect_eq "$(grep -c '"llm":"mock answer to: Describe Widget' "$T/out")" 200 "answers"
	expect_eq "$(mock_curl GET '/batches?limit=100' | grep -o '"id":"batch_[^"]*"' | sort -u | wc -l)" 1 "batches on the server"
	run oai-pipeline -q -i 0.05 -k sku -d fresh req.jsonl items.jsonl
	expect_rc 0
	expect_same run/merged.jsonl fresh/merged.jsonl
}

# A download that fills the disk (the write shim, for the files under
# dl/ only): exit 1, the reason, nothing under dl/.
t_fetch_disk_full_midway() {
	fault_preload_ok || return 0
	fault_shim failwrite
	: "${shim:?}"
	mock_start -q
	fault_many_requests 2000 req.jsonl
	f=$(oai-upload req.jsonl | cut -f1)
	mkdir dl
	rc=0
	LD_PRELOAD=$shim FAILWRITE_BYTES=65536 FAILWRITE_PREFIX=$T/dl/ \
		oai-fetch -q -d dl "$f" >"$T/out" 2>"$T/err" || rc=$?
	expect_rc 1
	expect_grep 'No space left on device' "$T/err"
	expect_eq "$(find dl -mindepth 1 | wc -l)" 0 "files in dl"
	# Once there is room again, the same command works.
	run oai-fetch -q -d dl "$f"
	expect_rc 0
	expect_same "dl/$f.jsonl" req.jsonl
}

# every_allocation TOOL ARGS...: runs the command once to count its
# allocations, then once for every N with the Nth failing.  Each run must
# exit 0 with the normal output (an allocation that glibc can do
# without, such as a stdio buffer) or 1 with "TOOL: out of memory" (or
# the reason of the call that failed: "Cannot allocate memory", or
# "Resource temporarily unavailable" for a thread), never crash; what it wrote to stdout is whole lines of the normal output; it
# leaves no temporary file and no partial file under parts/.
every_allocation() {
	local tool=$1 n count
	fault_preload_ok || return 0
	fault_shim failalloc
	rm -rf parts
	FAILALLOC_REPORT=$T/count LD_PRELOAD=$shim "$@" >want.out 2>want.err
	count=$(cat "$T/count")
	[ "$count" -gt 0 ] || fail "no allocation counted"
	[ -d parts ] && mv parts want.parts
	for n in $(seq 1 "$count"); do
		rc=0
		FAILALLOC_N=$n LD_PRELOAD=$shim "$@" >"$T/out" 2>"$T/err" || rc=$?
		case $rc in
		0)	expect_same "$T/out" want.out ;;
		1)	expect_grep "^$tool: (.*: )?(out of memory|Cannot allocate memory|Resource temporarily unavailable)\$" "$T/err"
			head -c "$(wc -c <"$T/out")" want.out | cmp -s - "$T/out" ||
				fail "allocation $n: stdout is not a prefix of the normal output"
			[ ! -s "$T/out" ] || [ "$(tail -c 1 "$T/out" | od -An -c | tr -d ' ')" = '\n' ] ||
				fail "allocation $n: a torn line on stdout" ;;
		*)	cat "$T/err"; fail "allocation $n of $count: exit status $rc" ;;
		esac
		if [ -d parts ]; then
			fault_no_temporaries parts
			for f in parts/*; do
				[ -e "$f" ] && expect_same "$f" "want.parts/${f#parts/}"
			done
			rm -rf parts
		fi
	done
	echo "$tool: $count allocations, each failed once" >&2
}

t_alloc_jsonl_prompt() { fault_data; every_allocation jsonl-prompt -m gpt-4o-mini -i uuid -t '{name}' items.jsonl; }
t_alloc_jsonl_split() { fault_data; every_allocation jsonl-split -d parts -l 2 req.jsonl; }
t_alloc_jsonl_split_tokens() { fault_data; every_allocation jsonl-split -d parts -l 2 -t 1k req.jsonl; }
t_alloc_jsonl_sortid() { fault_data; every_allocation jsonl-sortid -r req.jsonl res.jsonl; }
t_alloc_jsonl_merge() { fault_data; every_allocation jsonl-merge -k uuid items.jsonl res.jsonl; }
t_alloc_jsonl_tokens() { fault_data; every_allocation jsonl-tokens -s req.jsonl; }

# quiet_pipe CMD...: `CMD | head -n 1` ends (within 20 s) with no message
# from CMD, and head got the first line.
quiet_pipe() {
	local st
	set +e
	# A filter that ignored EPIPE would run to the 60 s; jsonl-split
	# writes all its files first (3000 here: slow under ASan when busy).
	timeout 60 "$@" 2>"$T/err" | head -n 1 >"$T/first"
	st=${PIPESTATUS[0]}
	set -e
	[ "$st" -ne 124 ] || fail "$1 did not end after head exited"
	expect_empty "$T/err"
	expect_lines 1 "$T/first"
}

t_sigpipe_filters() {
	fault_many_requests 3000 req.jsonl
	awk '{ sub(/"method".*/, "\"response\":{\"status_code\":200,\"body\":{}},\"error\":null}"); print }' req.jsonl >res.jsonl
	sed 's/"custom_id"/"uuid"/' req.jsonl >items.jsonl
	quiet_pipe jsonl-prompt -m m items.jsonl
	quiet_pipe jsonl-sortid res.jsonl
	quiet_pipe jsonl-merge -k uuid items.jsonl res.jsonl
	quiet_pipe jsonl-split -d parts -l 1 req.jsonl
	quiet_pipe jsonl-tokens req.jsonl
}

t_sigpipe_fetch() {
	mock_start -q
	fault_many_requests 3000 req.jsonl
	f=$(oai-upload req.jsonl | cut -f1)
	quiet_pipe oai-fetch -q "$f"
}

# signal_midway SIGNAL DIR CMD...: starts CMD (with SIGNAL at its default
# action: a background job would ignore SIGINT), waits until CMD has its
# temporary file in DIR (the transfer is on), sends SIGNAL, and expects
# CMD to die of it and to leave nothing behind: the current directory as
# it was, and nothing in TMPDIR.
signal_midway() {
	local sig=$1 dir=$2 pid i before after
	shift 2
	before=$(find . \( -path ./tmp -o -path ./out -o -path ./err \) -prune -o -print | sort)
	mkdir -p tmp
	TMPDIR=$T/tmp env --default-signal="$sig" "$@" >"$T/out" 2>"$T/err" &
	pid=$!
	for i in $(seq 1 200); do
		[ -n "$(find "$dir" -maxdepth 1 -name '.*.tmp.*')" ] && break
		sleep 0.05
	done
	[ "$i" -lt 200 ] || fail "no temporary file in $dir after 10 s"
	kill -s "$sig" "$pid" || { cat "$T/err"; fail "$1 ended before the signal"; }
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -ge 128 ] || fail "$1 exited $rc, not by the signal"
	after=$(find . \( -path ./tmp -o -path ./out -o -path ./err \) -prune -o -print | sort)
	expect_eq "$after" "$before" "files after SIG$sig"
	expect_eq "$(find tmp -mindepth 1 | wc -l)" 0 "files in TMPDIR"
}

# The mock answers each request for one file (/v1/files/ID, its content)
# after 1.5 s (-F slow): the signal comes while the tool waits for the
# content, its temporary file open.
t_signals_during_download() {
	mock_start -q -F slow=1500@/v1/files/
	fault_many_requests 200 req.jsonl
	f=$(oai-upload req.jsonl | cut -f1)
	mkdir dl
	signal_midway TERM dl oai-fetch -q -d dl "$f"
	signal_midway INT . oai-fetch -q -o all.jsonl "$f"
	signal_midway HUP dl oai-fetch -q -d dl "$f"
}

# An upload writes no file of its own; the signal must not leave any
# either (in the directory or TMPDIR), and the server's answer is slow.
t_signals_during_upload() {
	mock_start -q -F slow=3000@/v1/files
	fault_many_requests 200 req.jsonl
	for sig in TERM INT; do
		before=$(find . \( -path ./tmp -o -path ./out -o -path ./err \) -prune -o -print | sort)
		mkdir -p tmp
		TMPDIR=$T/tmp env --default-signal="$sig" oai-upload -q req.jsonl >"$T/out" 2>"$T/err" &
		pid=$!
		sleep 1
		kill -s "$sig" "$pid"
		rc=0
		wait "$pid" || rc=$?
		[ "$rc" -ge 128 ] || fail "oai-upload exited $rc, not by SIG$sig"
		expect_eq "$(find . \( -path ./tmp -o -path ./out -o -path ./err \) -prune -o -print | sort)" "$before" "files after SIG$sig"
		expect_eq "$(find tmp -mindepth 1 | wc -l)" 0 "files in TMPDIR"
	done
}
