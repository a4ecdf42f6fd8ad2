# shellcheck shell=bash
# The official Anthropic SDK (npm @anthropic-ai/sdk, pinned below), used
# unchanged, against oai-mock -D anthropic: create, retrieve, list,
# results, cancel and delete of Message Batches (tests/anthropic-sdk.js).
# The SDK is installed for this test only, once, into build/npm/ of the
# checkout; node and npm come from scripts/deps check.

ANTHROPIC_SDK_VERSION=1.17.0

# sdk_dir: installs the pinned SDK (once; two runs at a time wait for
# each other) and prints the directory that holds its node_modules.
sdk_dir() {
	local dir="$TOP/build/npm/anthropic-sdk-$ANTHROPIC_SDK_VERSION"
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		sh "$TOP/scripts/deps" check >&2 ||
			{ fail "node and npm are needed: scripts/deps check"; return 1; }
	fi
	mkdir -p "$dir"
	(
		flock 9
		[ -e "$dir/node_modules/@anthropic-ai/sdk/package.json" ] ||
			npm install --silent --no-audit --no-fund --no-save \
				--prefix "$dir" "@anthropic-ai/sdk@$ANTHROPIC_SDK_VERSION" >&2
	) 9>"$dir.lock" || { fail "npm install @anthropic-ai/sdk@$ANTHROPIC_SDK_VERSION failed"; return 1; }
	[ "$(node -p "require('$dir/node_modules/@anthropic-ai/sdk/package.json').version")" = "$ANTHROPIC_SDK_VERSION" ] ||
		{ fail "$dir does not hold @anthropic-ai/sdk $ANTHROPIC_SDK_VERSION"; return 1; }
	printf '%s\n' "$dir"
}

# sdk_run [oai-mock options]: tests/anthropic-sdk.js against a fresh
# oai-mock -D anthropic with those options; its output in $T/out.  A batch
# validates for 2 s (-t): the script's cancel, sent right after its
# create, lands before any request is answered, however loaded the
# machine.
sdk_run() {
	local npmdir
	npmdir=$(sdk_dir)
	MOCK_LOG=$T/mock.log mock_start -D anthropic -k sk-ant-mock -t 2,0.3,0.05 "$@"
	NPMDIR=$npmdir ANTHROPIC_BASE_URL=${MOCK_URL%/v1} \
		ANTHROPIC_API_KEY=sk-ant-mock run timeout 120 node "$TOP/tests/anthropic-sdk.js"
	cat "$T/out"
	expect_rc 0
	expect_no_grep '^not ok' "$T/out"
	expect_lines 14 "$T/out"
}

t_sdk_message_batches() {
	sdk_run
	expect_grep '^ok results: a succeeded message$' "$T/out"
	expect_grep '^ok cancel: canceled results$' "$T/out"
	expect_grep '^ok list: newest first, one a page, every page$' "$T/out"
}

# The SDK retries Anthropic's 429 and 529 by itself: the first create is
# refused twice and still made once.
t_sdk_retries_rate_limit_and_overload() {
	sdk_run -F 'http429=1@/v1/messages/batches' -F 'http503=1@/v1/messages/batches'
	expect_grep '^oai-mock: POST /v1/messages/batches 429 \(fault http429\)$' "$T/mock.log"
	expect_grep '^oai-mock: POST /v1/messages/batches 529 \(fault http503\)$' "$T/mock.log"
	expect_eq "$(grep -c '^oai-mock: POST /v1/messages/batches 200$' "$T/mock.log")" 2 \
		"batches created"
}
