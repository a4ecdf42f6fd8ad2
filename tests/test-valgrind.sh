# shellcheck shell=bash
# valgrind memcheck over a representative subset of the C tools, on the
# plain build (bin/): the offline filters on small inputs, and the
# network tools against oai-mock (the server itself runs natively).  Any
# memcheck error or a definite leak fails the test (exit status 99).
# Under LABEL=asan these tests check nothing: valgrind cannot run a
# sanitizer build.  Without valgrind installed (make check installs it)
# they say so on stderr and check nothing.

# vg TOOL ARGS...: runs the tool under memcheck like `run` does.
vg() {
	run valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite --show-leak-kinds=definite \
		--track-fds=no "$BIN/$1" "${@:2}"
	if [ "${rc:?}" -eq 99 ]; then
		cat "$T/err"
		fail "memcheck: errors in $1"
	fi
}

vg_ready() {
	[ "$LABEL" = asan ] && return 1
	command -v valgrind >/dev/null || { echo "valgrind not installed: skipped" >&2; return 1; }
	fault_data
}

t_valgrind_offline_filters() {
	vg_ready || return 0
	vg jsonl-prompt -m gpt-4o-mini -i uuid -t '{name}' items.jsonl
	expect_rc 0
	expect_same "$T/out" req.jsonl
	vg jsonl-split -d parts -l 2 req.jsonl
	expect_rc 0
	expect_lines 2 "$T/out"
	vg jsonl-split -d tparts -t 1k req.jsonl
	expect_rc 0
	expect_lines 1 "$T/out"
	vg jsonl-sortid -r req.jsonl res.jsonl
	expect_rc 0
	cp "$T/out" sorted.jsonl
	expect_lines 3 sorted.jsonl
	vg jsonl-merge -k uuid items.jsonl sorted.jsonl
	expect_rc 0
	expect_lines 3 "$T/out"
	vg jsonl-tokens req.jsonl
	expect_rc 0
	expect_lines 3 "$T/out"
	cp req.jsonl again.jsonl
	vg jsonl-tokens -s req.jsonl - <again.jsonl
	expect_rc 0
	expect_lines 3 "$T/out"
}

# The error paths too: a bad line, a duplicate, a missing result.
t_valgrind_offline_errors() {
	vg_ready || return 0
	printf '{"uuid":"u1"}\n{"uuid":"u1"}\n' >dup.jsonl
	vg jsonl-prompt -m m -i uuid dup.jsonl
	expect_rc 1
	printf '{"custom_id":"x"\n' >bad.jsonl
	vg jsonl-split -d parts bad.jsonl
	expect_rc 1
	vg jsonl-tokens req.jsonl bad.jsonl
	expect_rc 1
	sed 's/gpt-4o-mini/no-such-model/' req.jsonl >unknown.jsonl
	vg jsonl-tokens unknown.jsonl
	expect_rc 1
	vg jsonl-split -d parts -t 1k unknown.jsonl
	expect_rc 1
	vg jsonl-split -d parts -t 1 req.jsonl
	expect_rc 1
	head -n 2 res.jsonl >two.jsonl
	vg jsonl-sortid -r req.jsonl two.jsonl
	expect_rc 3
	vg jsonl-merge -k uuid items.jsonl two.jsonl
	expect_rc 3
}

t_valgrind_network_tools() {
	vg_ready || return 0
	mock_start -q -t 0,0,0
	vg oai-upload req.jsonl
	expect_rc 0
	f=$(cut -f1 "$T/out")
	vg oai-batch -q "$f"
	expect_rc 0
	b=$(cut -f1 "$T/out")
	vg oai-wait -q -i 1 "$b"
	expect_rc 0
	out=$(cut -f1 "$T/out" | head -n 1)
	vg oai-fetch -q "$out"
	expect_rc 0
	expect_lines 3 "$T/out"
	vg oai-fetch -q -d . "$f"
	expect_rc 0
	expect_same "$f.jsonl" req.jsonl
	vg oai-rm -q "$f" file-doesnotexist
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-rm: file-doesnotexist: not found (already deleted?)"
	vg oai-rm -f -q "$f"
	expect_rc 0
	vg oai-fetch -q file-doesnotexist
	expect_rc 1
}

# jsonl-triage: a success, a failure read back for its reason, no result;
# results from a pipe (spooled); a bad line.
t_valgrind_jsonl_triage() {
	vg_ready || return 0
	{ head -n 1 res.jsonl; printf '{"custom_id":"u2","response":{"status_code":400,"body":{"error":{"code":"bad","message":"m"}}},"error":null}\n'; } >mixed.jsonl
	vg jsonl-triage -f failed.txt -c counts req.jsonl - < <(cat mixed.jsonl)
	expect_rc 0
	expect_lines 2 failed.txt
	printf '{"custom_id":"x"\n' >bad.jsonl
	vg jsonl-triage -r retry.jsonl req.jsonl bad.jsonl
	expect_rc 1
}
