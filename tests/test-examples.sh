# shellcheck shell=bash
# Every EXAMPLES block of every man page and every code block of the
# README, pasted into a shell in a fresh directory, one page a test,
# against oai-mock.  tests/examples.awk turns a page into a script and says
# how a block is marked when it cannot run here (a real key, a real id).

# examples_fixture: the files the examples name, in the current directory:
# items under every field name the pages use, their requests, a system
# prompt, batches of those requests already run, their results downloaded
# into out/ (work/out is left to the examples that make it).
examples_fixture() {
	local i
	for i in $(seq 1 20); do
		printf '{"uuid":"u%02d","id":"i%02d","ticket_id":"t%02d","name":"Widget %d","description":"a small widget, number %d","text":"text %d","title":"Title %d","doc":{"title":"Doc %d"},"subject":"Order %d","product":{"name":"Widget","sku":"s%02d"},"body":"It arrived broken."}\n' \
			"$i" "$i" "$i" "$i" "$i" "$i" "$i" "$i" "$i" "$i"
	done >items.jsonl
	cp items.jsonl docs.jsonl
	cp items.jsonl tickets.jsonl
	echo 'You classify support tickets. Answer with one word.' >system.txt
	jsonl-prompt -m gpt-4o-mini -t '{name}: {description}' -i uuid \
		items.jsonl >requests.jsonl
	cp requests.jsonl big-requests.jsonl
	jsonl-split -d work/in requests.jsonl | oai-upload | oai-batch >batches
	cp batches batch-ids
	mkdir -p work
	cp batches work/batches
	oai-wait -i 1 <batches >work/results
	oai-fetch -d out <work/results
	cp requests.jsonl part.jsonl
	# The README runs from a source tree.
	ln -s "$TOP/share" share
	ln -s "$BIN" bin
	ln -s "$TOP/scripts" scripts
}

# examples_page PAGE DIR: runs PAGE's examples (a path under the top
# directory) in DIR/ex, against an oai-mock of its own, and leaves in DIR
# the progress on fd 3 (progress), the output (out, err) and the exit
# status (rc).  Paths under /tmp move into DIR, so that runs in parallel
# do not share them; whatever an example leaves running is stopped.
examples_page() {
	local page=$1 dir=$2 mock pid rc=0
	mkdir -p "$dir/ex" "$dir/tmp" "$dir/mock" "$dir/state"
	export XDG_STATE_HOME="$dir/state"
	export ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$dir/san"
	export UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$dir/san"
	"$BIN/oai-mock" -p 0 -d "$dir/mock" >"$dir/mock.url" 2>"$dir/mock.log" &
	mock=$!
	OPENAI_BASE_URL=$(net_server_url oai-mock "$mock" "$dir/mock.url") || rc=1
	export OPENAI_BASE_URL OPENAI_API_KEY=sk-test-mock
	cd "$dir/ex" || rc=1
	if [ "$rc" -eq 0 ]; then
		( set -e; examples_fixture ) >"$dir/fixture.log" 2>&1 || rc=1
	fi
	if [ "$rc" -eq 0 ]; then
		awk -f "$TOP/tests/examples.awk" "$TOP/$page" |
			sed "s#/tmp/#$dir/tmp/#g" >"$dir/examples.sh"
		timeout 600 bash "$dir/examples.sh" 3>"$dir/progress" \
			>"$dir/out" 2>"$dir/err" </dev/null &
		pid=$!
		wait "$pid" || rc=$?
		kill -- -"$pid" 2>/dev/null
	fi
	kill "$mock" 2>/dev/null
	wait "$mock"
	echo "$rc" >"$dir/rc"
}

# examples_check PAGE DIR: waits for examples_page to end, then fails
# naming the block that failed.
examples_check() {
	local page=$1 dir=$2 rc i
	for i in $(seq 1 1400); do
		[ -s "$dir/rc" ] && break
		sleep 0.5
	done
	[ -s "$dir/rc" ] || fail "$page: its examples did not end in 700 s"
	rc=$(cat "$dir/rc")
	cat "$dir"/san.* >"$T.san.examples" 2>/dev/null || rm -f "$T.san.examples"
	if [ -s "$dir/fixture.log" ] && [ ! -s "$dir/progress" ]; then
		cat "$dir/fixture.log"
		fail "$page: the fixture failed"
	fi
	if [ "$rc" -ne 0 ] || [ "$(tail -n 1 "$dir/progress")" != end ]; then
		echo "--- $page: progress"
		cat "$dir/progress"
		echo "--- stderr"
		tail -n 30 "$dir/err"
		fail "$page: the block at line $(awk '$1 == "example" { l = $3 } END { print l }' "$dir/progress") failed (exit $rc)"
	fi
	# A skipped block must say why.
	if grep -E '^skip [0-9]+ [0-9]+ *$' "$dir/progress"; then
		fail "$page: a block is skipped without a reason"
	fi
}

# The pages run all at once, as soon as the file is read: they spend
# most of their time waiting for batches, which would add up one after
# the other.  Each test then waits for its page.
examples_dir=$(mktemp -d "$WORK/examples.XXXXXX")
for page in "$TOP"/man/*.[1-9] "$TOP"/README.md; do
	name=$(basename "$page" | tr '.-' '__')
	[[ t_examples_$name =~ ${BATCHPIPE_TESTS:-.} ]] || continue
	examples_page "${page#"$TOP"/}" "$examples_dir/$name" >/dev/null 2>&1 </dev/null &
	eval "t_examples_$name() { examples_check ${page#"$TOP"/} $examples_dir/$name; }"
done

# How many blocks run and how many are marked, said once a run.
for page in "$TOP"/man/*.[1-9] "$TOP"/README.md; do
	awk -f "$TOP/tests/examples.awk" "$page"
done | awk '/^echo .example / { n++ } /^echo .skip / { s++ }
	END { printf "examples: %d blocks of the man pages and the README run, %d marked not to run\n", n, s }'

# Every man page reads in an 80-column terminal: no line that groff cannot
# break (a long literal runs off the screen).
t_man_pages_fit_80_columns() {
	local page
	for page in "$TOP"/man/*.[1-9]; do
		groff -Tutf8 -mdoc -rLL=78n "$page" 2>>"$T/warnings" >/dev/null
	done
	expect_empty "$T/warnings"
}
