# shellcheck shell=bash
# shellcheck disable=SC2016 # regexes with a literal $ of a cost
# The providers (common/provider.c, common/config.c): BATCHPIPE_PROVIDER,
# the provider read off the base URL's host, the base URL's query on
# every call, each provider's own key variable; and Azure OpenAI end to
# end against oai-mock -D azure.

# What a user's shell may hold must not choose for the tests.
unset BATCHPIPE_PROVIDER AZURE_OPENAI_API_KEY AZURE_OPENAI_AD_TOKEN \
	OPENAI_API_VERSION GROQ_API_KEY ANTHROPIC_API_KEY

AZ_VERSION=2024-10-21

# logged_mock [oai-mock options]: mock_start with the request log in
# $T/mock.log and batches that end within a second.
logged_mock() {
	MOCK_LOG=$T/mock.log mock_start -t 0.05,0.2,0.05 "$@"
}

# no_call_logged: the mock logged no call before now.  A marker call is
# made and waited for in the log (a call is logged once answered), then
# it must be the log's only line.
no_call_logged() {
	curl -sS -o /dev/null "${MOCK_URL%/v1}/marker"
	for _ in $(seq 1 100); do
		grep -q marker "$T/mock.log" && break
		sleep 0.05
	done
	expect_eq "$(grep -c '^oai-mock: [A-Z]* /' "$T/mock.log")" 1 "calls logged (the marker only)"
}

# az_mock [oai-mock options]: oai-mock -D azure with key azkey, and the
# environment of an Azure user of the classic base URL: AZ_ROOT is the
# resource's URL (what https://RESOURCE.openai.azure.com is).
az_mock() {
	logged_mock -D azure -k azkey "$@"
	AZ_ROOT=${MOCK_URL%/v1}
	export BATCHPIPE_PROVIDER=azure AZURE_OPENAI_API_KEY=azkey
	export OPENAI_BASE_URL="$AZ_ROOT/openai?api-version=$AZ_VERSION"
	unset OPENAI_API_KEY
}

# az_curl METHOD PATH [curl args]: a call to the Azure mock, PATH after
# the resource's URL.
az_curl() {
	local method=$1 path=$2
	shift 2
	curl -sS -X "$method" -H "api-key: azkey" "$AZ_ROOT$path" "$@"
}

# mkreq N [model]: N chat requests r1..rN.
mkreq() {
	awk -v n="$1" -v m="${2:-gpt-4o-mini}" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"custom_id\":\"r%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"item %d\"}],\"max_tokens\":5}}\n", i, m, i }'
}

# one_batch_per_input: no input file on the Azure mock has two batches.
one_batch_per_input() {
	az_curl GET "/openai/v1/batches?limit=100" |
		grep -o '"input_file_id":"[^"]*"' | sort | uniq -d >dup.files
	expect_empty dup.files
}

# --- the core ---

t_unknown_provider_exits_2_before_any_call() {
	logged_mock
	mkreq 2 >req.jsonl
	for tool in "oai-upload req.jsonl" "oai-batch file-x" "oai-wait batch_x" \
	    "oai-fetch batch_x" "oai-ls" "oai-rm file-x" "oai-cancel batch_x" \
	    "oai-run req.jsonl"; do
		# shellcheck disable=SC2086 # the tool and its operand
		BATCHPIPE_PROVIDER=nosuch run $tool
		expect_rc 2
		expect_grep 'BATCHPIPE_PROVIDER: nosuch: unknown provider \(known: openai, azure' "$T/err"
	done
	no_call_logged
}

t_azure_without_base_url_exits_2() {
	logged_mock
	unset OPENAI_BASE_URL
	BATCHPIPE_PROVIDER=azure AZURE_OPENAI_API_KEY=k run oai-ls
	expect_rc 2
	expect_grep 'BATCHPIPE_PROVIDER=azure has no default base URL: set OPENAI_BASE_URL' "$T/err"
}

# Every call of every tool carries the base URL's query, after the
# call's own parameters where it has some.
t_base_url_query_on_every_call() {
	logged_mock
	mkreq 3 >req.jsonl
	export OPENAI_BASE_URL="$MOCK_URL?tag=q1"
	{
		oai-upload -v req.jsonl | oai-batch -v | oai-wait -v -i 0.05 |
			oai-fetch -v >res.jsonl
		oai-ls -v >/dev/null
		oai-ls -v -f >/dev/null
	} 2>trace
	expect_lines 3 res.jsonl
	grep '^> [A-Z]* /' trace >calls
	[ "$(wc -l <calls)" -ge 6 ] || { cat trace; fail "too few calls traced"; }
	expect_no_grep 'HTTP/' <(grep -v '[?&]tag=q1 HTTP/' calls)
	expect_grep '^> GET /v1/batches\?limit=100&tag=q1 HTTP/' calls
}

t_azure_inferred_from_host_said_under_v() {
	# The host cannot be reached from here: a proxy that refuses
	# connections ends the call at once, after the provider is said.
	export OPENAI_BASE_URL=https://res.openai.azure.com/openai/v1
	export https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9
	OPENAI_API_KEY=k BATCHPIPE_MAX_TRIES=1 run oai-ls -v
	expect_grep '^oai-ls: provider azure \(read off the base URL.s host; set BATCHPIPE_PROVIDER to choose another\)$' "$T/err"
	# ... and without -v, not a word of it.
	OPENAI_API_KEY=k BATCHPIPE_MAX_TRIES=1 run oai-ls
	expect_no_grep 'provider azure' "$T/err"
	# Inferred Azure is Azure: its classic URL needs an api-version.
	OPENAI_BASE_URL=https://res.openai.azure.com/openai OPENAI_API_KEY=k run oai-ls
	expect_rc 2
	expect_grep "Azure's classic base URL needs an api-version" "$T/err"
	# A named provider wins over the host, and says nothing of it.
	BATCHPIPE_PROVIDER=openai OPENAI_API_KEY=k BATCHPIPE_MAX_TRIES=1 run oai-ls -v
	expect_no_grep 'provider ' "$T/err"
}

t_own_key_variable_wins() {
	logged_mock -k right
	BATCHPIPE_PROVIDER=groq GROQ_API_KEY=right OPENAI_API_KEY=wrong run oai-ls
	expect_rc 0
	BATCHPIPE_PROVIDER=groq GROQ_API_KEY=wrong OPENAI_API_KEY=right run oai-ls
	expect_rc 1
	expect_grep 'HTTP 401' "$T/err"
	# Without its own variable, OPENAI_API_KEY serves.
	BATCHPIPE_PROVIDER=groq OPENAI_API_KEY=right run oai-ls
	expect_rc 0
}

# --- Azure OpenAI ---

t_azure_key_in_api_key_header() {
	az_mock
	OPENAI_API_KEY=wrong run oai-ls -v
	expect_rc 0
	expect_grep '^> api-key: ' "$T/err"
	expect_no_grep '^> Authorization' "$T/err"
	expect_no_grep 'azkey' "$T/err"
	# OPENAI_API_KEY serves when AZURE_OPENAI_API_KEY is not set.
	unset AZURE_OPENAI_API_KEY
	OPENAI_API_KEY=azkey run oai-ls
	expect_rc 0
}

t_azure_entra_token_as_bearer() {
	az_mock
	# Both credentials of Azure: which one was meant?  Nothing is sent.
	AZURE_OPENAI_AD_TOKEN=azkey run oai-ls
	expect_rc 2
	expect_grep 'AZURE_OPENAI_API_KEY and AZURE_OPENAI_AD_TOKEN are both set' "$T/err"
	no_call_logged
	unset AZURE_OPENAI_API_KEY
	AZURE_OPENAI_AD_TOKEN=azkey OPENAI_API_KEY=wrong run oai-ls -v
	expect_rc 0
	expect_grep '^> Authorization: Bearer ' "$T/err"
	expect_no_grep '^> api-key' "$T/err"
}

t_azure_classic_without_api_version_exits_2() {
	az_mock
	mkreq 1 >req.jsonl
	export OPENAI_BASE_URL="$AZ_ROOT/openai/"
	run oai-upload req.jsonl
	expect_rc 2
	expect_grep "^oai-upload: OPENAI_BASE_URL: .*/openai: Azure's classic base URL needs an api-version: add \?api-version=2024-10-21 \(or set OPENAI_API_VERSION\), or use .*/openai/v1$" "$T/err"
	# A query without api-version is no better.
	OPENAI_BASE_URL="$AZ_ROOT/openai?foo=1" run oai-ls
	expect_rc 2
	no_call_logged
	# OPENAI_API_VERSION supplies it, after the URL's own query.
	OPENAI_BASE_URL="$AZ_ROOT/openai?foo=1" OPENAI_API_VERSION=$AZ_VERSION run oai-ls -v
	expect_rc 0
	expect_grep "^> GET /openai/batches\?limit=100&foo=1&api-version=$AZ_VERSION HTTP/" "$T/err"
	# The v1 base URL needs none.
	OPENAI_BASE_URL="$AZ_ROOT/openai/v1" run oai-ls -v
	expect_rc 0
	expect_grep '^> GET /openai/v1/batches\?limit=100 HTTP/' "$T/err"
}

# oai-mock -D azure answers as Azure does: the key in api-key (or an
# Entra ID token as Bearer), both URL forms, and a classic call without
# api-version not found.
t_azure_mock_paths_and_keys() {
	az_mock
	code() { curl -sS -o /dev/null -w '%{http_code}' "$@"; }
	expect_eq "$(code -H 'api-key: azkey' "$AZ_ROOT/openai/v1/files")" 200 "v1 path"
	expect_eq "$(code -H 'api-key: azkey' "$AZ_ROOT/openai/files?api-version=$AZ_VERSION")" 200 "classic path"
	expect_eq "$(code -H 'api-key: azkey' "$AZ_ROOT/openai/files")" 404 "classic without api-version"
	expect_eq "$(code -H 'api-key: azkey' "$AZ_ROOT/v1/files")" 404 "OpenAI's path"
	expect_eq "$(code -H 'Authorization: Bearer azkey' "$AZ_ROOT/openai/v1/files")" 200 "Entra ID token"
	expect_eq "$(code -H 'api-key: other' "$AZ_ROOT/openai/v1/files")" 401 "wrong key"
	expect_eq "$(code "$AZ_ROOT/openai/v1/files")" 401 "no key"
	curl -sS -H 'api-key: other' "$AZ_ROOT/openai/v1/files" >denied.json
	expect_grep '"message":"Access denied due to invalid subscription key' denied.json
}

# The README's pipe, against Azure's classic URL, with faults: every
# request answered once, one batch for the input, its cost priced, and
# every call with the api-version (a classic call without it is a 404).
t_azure_readme_pipe_with_faults() {
	az_mock -F http500=2@/v1/files -F lose-create=1 -F http429=1@/v1/batches/
	export BATCHPIPE_RETRY_BASE_MS=20 BATCHPIPE_RETRY_MAX_MS=100
	awk 'BEGIN { for (i = 1; i <= 12; i++)
		printf "{\"uuid\":\"u%02d\",\"name\":\"n%d\",\"description\":\"d%d\"}\n", i, i, i }' >items.jsonl
	echo 'Classify the ticket.' >system.txt
	# shellcheck disable=SC2094 # items.jsonl is read twice, written never
	jsonl-prompt -m gpt-4o-mini -s system.txt -t '{name}: {description}' -i uuid <items.jsonl |
	jsonl-split -d work/in | oai-upload | oai-batch | oai-wait -i 0.05 | oai-fetch |
	jsonl-sortid | jsonl-merge -k uuid items.jsonl - >items_out.jsonl 2>merge.err
	expect_lines 12 items_out.jsonl
	expect_eq "$(grep -o '"uuid":"u[0-9]*"' items_out.jsonl | sort -u | wc -l)" 12 "items answered once each"
	one_batch_per_input
	expect_eq "$(az_curl GET "/openai/v1/batches?limit=100" | grep -o '"id":"batch_' | wc -l)" 1 "batches"
	expect_grep '^jsonl-merge: cost: \$[0-9.]+ ' merge.err
	expect_no_grep 'unknown|unpriced' merge.err
	expect_grep '^oai-mock: POST /v1/batches [0-9]+ \(fault lose-create\)' "$T/mock.log"
	expect_no_grep ' /-/' "$T/mock.log"
}

t_azure_pipeline_with_faults() {
	az_mock -F http500=2@/v1/files -F lose-create=1 -F close=1@/v1/batches/ -F cut=1@/v1/files/
	export BATCHPIPE_RETRY_BASE_MS=20 BATCHPIPE_RETRY_MAX_MS=100
	mkreq 30 >req.jsonl
	run oai-pipeline -i 0.05 -l 10 -d run req.jsonl
	expect_rc 0
	expect_lines 30 "$T/out"
	expect_eq "$(grep -o '"custom_id":"r[0-9]*"' "$T/out" | sort -u | wc -l)" 30 "requests answered once each"
	one_batch_per_input
	expect_eq "$(az_curl GET "/openai/v1/batches?limit=100" | grep -o '"id":"batch_' | wc -l)" 3 "batches"
	expect_grep '^oai-pipeline: 30 requests: 30 succeeded, 0 failed; 3 batches' "$T/err"
	expect_grep '^oai-pipeline: cost: \$0\.0*[1-9][0-9]* at the batch discount \(50%\)$' "$T/err"
	expect_no_grep ' /-/' "$T/mock.log"
}

# A deployment named otherwise than its model goes through as it is;
# its cost is unknown, and said so, unless a price table of one's own
# (BATCHPIPE_PRICES) has a row for its name.
t_azure_deployment_name_unpriced() {
	az_mock
	export OPENAI_BASE_URL="$AZ_ROOT/openai/v1"
	mkreq 2 my-deployment >req.jsonl
	run oai-pipeline -i 0.05 -d run req.jsonl
	expect_rc 0
	expect_lines 2 "$T/out"
	expect_eq "$(grep -c '"model":"my-deployment"' "$T/out")" 2 "the deployment name, unchanged"
	expect_grep '^oai-pipeline: cost: .* unknown for 20 prompt and 10 completion tokens of models not in .*: my-deployment$' "$T/err"
	{ cat "$TOP/share/prices.tsv"; printf 'my-deployment\t0.15\t0.075\t0.6\n'; } >prices.tsv
	BATCHPIPE_PRICES=$T/prices.tsv run oai-pipeline -i 0.05 -d run2 req.jsonl
	expect_rc 0
	expect_grep '^oai-pipeline: cost: \$0\.0*[1-9][0-9]* at the batch discount \(50%\)$' "$T/err"
}

# Azure does not expire a 24-hour job on the client's clock, and neither
# do the tools: only the server's own status ends a batch.  Nothing that
# waits reads expires_at or counts a day.
t_no_client_side_expiry() {
	local src
	for src in "$TOP"/tools/oai-wait/*.c "$TOP"/tools/oai-fetch/*.c "$TOP"/scripts/oai-pipeline; do
		! grep -n 'expires_at\|86400' "$src" | grep -v 'fmin(ceil' ||
			fail "$src reads a batch's expiry or counts a day"
	done
}

# A compatible server that honours Idempotency-Key answers the retried
# create with the batch the lost one made, even where its listing does
# not show that batch (so the listing cannot reconcile the loss).
t_compatible_idempotency_key_one_batch() {
	logged_mock -D compatible -F lose-create=1 -F unlisted
	export BATCHPIPE_PROVIDER=compatible BATCHPIPE_RETRY_BASE_MS=20 \
		BATCHPIPE_RETRY_MAX_MS=100
	mkreq 3 >req.jsonl
	oai-upload req.jsonl >up.tsv 2>up.err || fail "upload: $(cat up.err)"
	run oai-batch -v <up.tsv
	expect_rc 0
	expect_eq "$(grep -c '^> POST .*/batches ' "$T/err")" 2 "creates sent"
	grep -o '^> Idempotency-Key: [0-9a-f]*' "$T/err" | sort -u >keys
	expect_lines 1 keys
	expect_grep '^> Idempotency-Key: [0-9a-f]{64}$' keys
	# The mock made one batch: the second create got the first's.
	expect_grep "^oai-mock: POST /v1/batches 200 \\(replayed $(cut -f1 "$T/out")\\)\$" "$T/mock.log"
	# Under the openai dialect no key is sent.
	unset BATCHPIPE_PROVIDER
	logged_mock
	oai-upload req.jsonl >up.tsv 2>up.err || fail "upload: $(cat up.err)"
	run oai-batch -v <up.tsv
	expect_rc 0
	expect_no_grep '^> Idempotency-Key' "$T/err"
}
