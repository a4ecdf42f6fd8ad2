# shellcheck shell=bash
# make deb: the package builds from these sources, installs into a clean
# tree with dpkg, and its tools run from there: oai-mock serves, oai-upload
# talks to it, jsonl-tokens reads the tokenizer data from the package's
# /usr/share/batchpipe, and every tool has its man page and completion.
#
# The package is installed with dpkg --root=DIR into an empty tree with
# its own dpkg database, rather than unpacked with dpkg-deb -x: dpkg reads
# the control file, unpacks, configures and records the package as apt
# would, so a malformed control file or md5sums fails here.
# --force-depends: the libraries it needs are the host's, outside DIR;
# --force-not-root lets the test run as any user.  The tools run from DIR
# with the host's libraries (no chroot, which would need a whole Debian in
# DIR and root).

# Without dpkg-deb (not a Debian system) there is no package to test: say
# so on the harness's output, not only in the passing test's log.
if ! command -v dpkg-deb >/dev/null 2>&1; then
	echo "SKIP $LABEL test-deb: dpkg-deb is absent, the Debian package is not tested"
fi

# deb_install: builds the .deb into $T/build and installs it into $T/root;
# sets DEB and ROOT.
deb_install() {
	make -s -C "$TOP" --no-print-directory deb DEBDIR="$T/build" >"$T/build.log" 2>&1 ||
		{ tail -n 30 "$T/build.log"; fail "make deb failed"; }
	DEB=$(tail -n 1 "$T/build.log")
	ROOT=$T/root
	mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates" "$ROOT/var/log"
	: >"$ROOT/var/lib/dpkg/status"
	dpkg --root="$ROOT" --log="$ROOT/var/log/dpkg.log" --force-depends \
		--force-not-root -i "$DEB" >"$T/dpkg.log" 2>&1 ||
		{ cat "$T/dpkg.log"; fail "dpkg -i failed"; }
}

t_package_installs_and_runs() {
	command -v dpkg-deb >/dev/null 2>&1 || return 0
	deb_install
	local bin=$ROOT/usr/bin share=$ROOT/usr/share/batchpipe t

	expect_grep '^Status: install ok installed$' <(dpkg --root="$ROOT" -s batchpipe)
	# Depends from the tools' NEEDED entries, not from a list.
	dpkg-deb -f "$DEB" Depends >depends
	for p in libc6 libcurl4 libjson-c5 libmicrohttpd12; do
		expect_grep "(^|, )$p( |,|$)" depends
	done

	# Every tool has a man page, gzipped, and a completion.
	for t in "$bin"/*; do
		t=${t##*/}
		gzip -t "$ROOT/usr/share/man/man1/$t.1.gz" || fail "no man page for $t"
		[ -L "$ROOT/usr/share/bash-completion/completions/$t" ] ||
			fail "no completion for $t"
	done
	gzip -t "$ROOT/usr/share/man/man7/batchpipe.7.gz"
	[ -x "$bin/oai-mock" ] && [ -x "$bin/oai-upload" ] && [ -x "$bin/jsonl-tokens" ]
	expect_grep '^Files: share/o200k_base.tiktoken' "$ROOT/usr/share/doc/batchpipe/copyright"

	# The installed oai-mock serves the installed oai-upload.
	mkdir mock
	: >mock.url
	background "$bin/oai-mock" -p 0 -q -d mock >mock.url
	OPENAI_BASE_URL=$(net_server_url oai-mock "$!" mock.url)
	OPENAI_API_KEY=sk-test-mock
	export OPENAI_BASE_URL OPENAI_API_KEY
	net_lines 2 req.jsonl
	run "$bin/oai-upload" req.jsonl
	expect_rc 0
	expect_grep '^file-[A-Za-z0-9]+	req\.jsonl$' "$T/out"
	run "$bin/oai-upload" -V
	expect_eq "$(cat "$T/out")" "oai-upload batchpipe $(sed -n 's/^VERSION *= *//p' "$TOP/Makefile")"

	# jsonl-tokens finds its tokenizer in the package's share/ directory:
	# with that file gone it cannot count.  (The compiled-in path is
	# /usr/share/batchpipe; the tree's copy is found beside the binary.)
	unset BATCHPIPE_SHARE BATCHPIPE_PRICES BATCHPIPE_MODELS BATCHPIPE_LIMITS
	grep -q /usr/share/batchpipe "$bin/jsonl-tokens" || fail "not built with PREFIX=/usr"
	run "$bin/jsonl-tokens" "$DATA/tokens/requests.jsonl"
	expect_rc 0
	expect_empty "$T/err"
	expect_grep '^chat-1	21	' "$T/out"
	expect_grep "^chat-cl100k	24	" "$T/out"
	if [ ! -e /usr/share/batchpipe ]; then
		mv "$share/o200k_base.tiktoken" "$T/away"
		run "$bin/jsonl-tokens" "$DATA/tokens/requests.jsonl"
		expect_rc 1
		expect_grep 'o200k_base.tiktoken: not found' "$T/err"
	fi
}
