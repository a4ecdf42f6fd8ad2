# shellcheck shell=bash
# shellcheck disable=SC2034 # rc is read by expect_rc (tests/lib.sh)
# The legacy completions and the moderations endpoints through the tools:
# oai-mock's answers (live and in batches) checked against the shapes of
# /work/shared/openai-openapi.yaml's CreateCompletionResponse and
# CreateModerationResponse, and a moderation job from items to results.

# The categories of CreateModerationResponse, as the schema lists them.
MOD_CATEGORIES='hate hate/threatening harassment harassment/threatening illicit illicit/violent self-harm self-harm/intent self-harm/instructions sexual sexual/minors violence violence/graphic'
# Those whose applied input types may hold "image".
MOD_IMAGE='self-harm self-harm/intent self-harm/instructions sexual violence violence/graphic'

# mod_check FILE FLAGS...: FILE holds one moderation object (or a batch
# result line whose response body is one) with a result per FLAGS, in
# order: "-" for a result not flagged, else the comma-separated
# categories flagged.  Every result has every category, booleans, numbers,
# and the applied input types; a score is 0.99 when flagged, below 0.01
# otherwise.  With MOD_TYPES set (text, image or text+image), the applied
# input types are checked against it.
mod_check() {
	local file=$1
	shift
	MOD_CATEGORIES=$MOD_CATEGORIES MOD_IMAGE=$MOD_IMAGE MOD_TYPES=${MOD_TYPES:-text} \
		python3 - "$file" "$@" <<'EOF'
import json, os, re, sys
doc = json.loads(open(sys.argv[1]).read())
if "response" in doc:
    doc = doc["response"]["body"]
want = sys.argv[2:]
cats = os.environ["MOD_CATEGORIES"].split()
image = os.environ["MOD_IMAGE"].split()
types = os.environ["MOD_TYPES"].split("+")
assert re.fullmatch(r"modr-[0-9a-f]{24}", doc["id"]), doc["id"]
assert isinstance(doc["model"], str), doc["model"]
assert len(doc["results"]) == len(want), (len(doc["results"]), want)
for r, w in zip(doc["results"], want):
    flagged = [] if w == "-" else w.split(",")
    assert r["flagged"] is bool(flagged), r["flagged"]
    assert list(r["categories"]) == cats, list(r["categories"])
    assert list(r["category_scores"]) == cats
    assert list(r["category_applied_input_types"]) == cats
    for c in cats:
        assert r["categories"][c] is (c in flagged), c
        s = r["category_scores"][c]
        assert type(s) is float and (s == 0.99 if c in flagged else 0 <= s < 0.01), (c, s)
        t = [x for x in types if x == "text" or c in image]
        assert r["category_applied_input_types"][c] == t, (c, r["category_applied_input_types"][c])
EOF
}

t_live_completion_answer() {
	mock_start -q
	mock_curl POST /completions -D h.txt -d '{"model":"gpt-3.5-turbo-instruct","prompt":"Say this is a test","max_tokens":7}' >a.json
	expect_grep '^\{"id":"cmpl-[0-9a-f]{24}","object":"text_completion","created":[0-9]+,"model":"gpt-3.5-turbo-instruct","choices":\[\{"text":"mock answer to: Say this is ","index":0,"logprobs":null,"finish_reason":"length"\}\],"usage":\{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12\},"system_fingerprint":"fp_mock"\}$' a.json
	# The rate-limit headers of every live endpoint.
	mock_curl POST /chat/completions -D hc.txt -d '{"model":"m","messages":[{"role":"user","content":"x"}]}' >/dev/null
	grep -io '^x-ratelimit-[a-z-]*' h.txt | sort >got
	grep -io '^x-ratelimit-[a-z-]*' hc.txt | sort >want
	[ "$(wc -l <want)" -eq 6 ] || fail "the chat answer has not 6 rate-limit headers"
	expect_same got want
	# Without max_tokens, the API's default of 16; a choice per prompt.
	mock_curl POST /completions -d '{"model":"m","prompt":["hi","Tell me a long story about dragons, castles and knights"]}' >b.json
	expect_grep '"choices":\[\{"text":"mock answer to: hi","index":0,"logprobs":null,"finish_reason":"stop"\},\{"text":"mock answer to: Tell me a long story about dragons, castles and ","index":1,"logprobs":null,"finish_reason":"length"\}\]' b.json
	code=$(mock_curl POST /completions -d '{"model":"m"}' -o body -w '%{http_code}')
	expect_eq "$code" 400
	expect_grep '"param":"prompt","code":"missing_required_parameter"' body
}

t_live_moderation_answer() {
	mock_start -q
	mock_curl POST /moderations -D h.txt -d '{"input":"I want to flag:violence them"}' >a.json
	mod_check a.json violence
	expect_grep '"model":"omni-moderation-latest"' a.json
	expect_grep '^x-ratelimit-remaining-requests: ' h.txt
	# A result a string, in order; the longest category named counts.
	mock_curl POST /moderations -d '{"model":"text-moderation-latest","input":["fine","flag:hate/threatening and flag:sexual","flag:hatex","nothing"]}' >b.json
	mod_check b.json - hate/threatening,sexual - -
	expect_grep '"model":"text-moderation-latest"' b.json
	# Input objects: one result, an image's url read as its text.
	mock_curl POST /moderations -d '{"input":[{"type":"text","text":"hello"},{"type":"image_url","image_url":{"url":"https://example.com/flag:self-harm.png"}}]}' >c.json
	MOD_TYPES=text+image mod_check c.json self-harm
	mock_curl POST /moderations -d '{"input":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}' >d.json
	MOD_TYPES=image mod_check d.json -
	# The same text, the same answer but its id.
	mock_curl POST /moderations -d '{"input":"I want to flag:violence them"}' >e.json
	expect_eq "$(sed 's/"modr-[^"]*"//' e.json)" "$(sed 's/"modr-[^"]*"//' a.json)"
	for bad in '{}' '{"input":[]}' '{"input":["a",1]}' '{"input":[{"type":"audio"}]}' '{"input":"a","model":7}'; do
		code=$(mock_curl POST /moderations -d "$bad" -o body -w '%{http_code}')
		expect_eq "$code" 400 "$bad"
	done
}

# upload_batch FILE ENDPOINT: FILE uploaded, a batch made of it and run
# to its end; the batch in b.json, its output file in out.jsonl.
upload_batch() {
	local fid bid i
	mock_curl POST /files -F purpose=batch -F "file=@$1" >up.json
	fid=$(grep -o '"id":"file-[^"]*"' up.json | cut -d '"' -f 4)
	mock_curl POST /batches -d "{\"input_file_id\":\"$fid\",\"endpoint\":\"$2\",\"completion_window\":\"24h\"}" >create.json
	bid=$(grep -o '"id":"batch_[^"]*"' create.json | cut -d '"' -f 4)
	[ -n "$bid" ] || { cat create.json; fail "no batch"; }
	for i in $(seq 1 200); do
		mock_curl GET "/batches/$bid" >b.json
		grep -Eq '"status":"(completed|failed)"' b.json && break
		sleep 0.05
	done
	fid=$(grep -o '"output_file_id":"file-[^"]*"' b.json | cut -d '"' -f 4)
	: >out.jsonl
	[ -z "$fid" ] || mock_curl GET "/files/$fid/content" -o out.jsonl
}

# A batch answers as the live endpoint does (but ids and times); a
# moderation line may leave out its model.
t_batches_answer_as_live() {
	mock_start -q -t 0,0,0
	printf '%s\n' '{"custom_id":"m1","method":"POST","url":"/v1/moderations","body":{"input":["ok","flag:illicit"]}}' \
		'{"custom_id":"m2","method":"POST","url":"/v1/moderations","body":{"model":"omni-moderation-latest","input":"flag:harassment/threatening"}}' >mod.jsonl
	upload_batch mod.jsonl /v1/moderations
	expect_grep '"status":"completed"' b.json
	expect_grep '"model":"omni-moderation-latest"' b.json
	expect_grep '"request_counts":\{"total":2,"completed":2,"failed":0\}' b.json
	grep '"custom_id":"m1"' out.jsonl >m1.json
	mod_check m1.json - illicit
	grep '"custom_id":"m2"' out.jsonl >m2.json
	mod_check m2.json harassment/threatening
	mock_curl POST /moderations -d '{"input":["ok","flag:illicit"]}' >live.json
	expect_eq "$(grep -o '"results":.*\]' m1.json)" "$(grep -o '"results":.*\]' live.json)"
	printf '%s\n' '{"custom_id":"c1","method":"POST","url":"/v1/completions","body":{"model":"gpt-3.5-turbo-instruct","prompt":"2+2=","max_tokens":5}}' >compl.jsonl
	upload_batch compl.jsonl /v1/completions
	expect_grep '"status":"completed"' b.json
	mock_curl POST /completions -d '{"model":"gpt-3.5-turbo-instruct","prompt":"2+2=","max_tokens":5}' >live.json
	expect_eq "$(grep -o '"choices":.*' out.jsonl)" "$(grep -o '"choices":.*' live.json)},\"error\":null}"
}

# The default model is a model: a batch may not mix it with another.
t_moderation_batch_one_model() {
	mock_start -q -t 0,0,0
	printf '%s\n' '{"custom_id":"a","method":"POST","url":"/v1/moderations","body":{"input":"x"}}' \
		'{"custom_id":"b","method":"POST","url":"/v1/moderations","body":{"model":"text-moderation-latest","input":"y"}}' >mod.jsonl
	upload_batch mod.jsonl /v1/moderations
	expect_grep '"status":"failed"' b.json
	expect_grep '"code":"mismatched_model","line":2,"message":"All requests in a batch must use the same model.","param":"body.model"' b.json
	printf '%s\n' '{"custom_id":"a","method":"POST","url":"/v1/completions","body":{"prompt":"x"}}' >compl.jsonl
	upload_batch compl.jsonl /v1/completions
	expect_grep '"status":"failed"' b.json
	expect_grep '"code":"missing_required_parameter"' b.json
}

# A moderation job from items to results, by the tools one after the
# other: each item has its result line, with a result for each of its
# texts, in order, flagged where the text asks for it.
t_moderation_job_end_to_end() {
	mock_start -q -t 0.05,0.1,0.05
	local i n
	for i in $(seq 1 30); do
		n=$((i % 4 + 1))
		awk -v i="$i" -v n="$n" 'BEGIN {
			printf "{\"id\":\"r%02d\",\"texts\":[", i
			for (k = 1; k <= n; k++)
				printf "%s\"review %d part %d%s\"", (k > 1 ? "," : ""), i, k,
				    ((i + k) % 5 == 0 ? " flag:violence" : "")
			printf "]}\n" }'
	done >items.jsonl
	jsonl-prompt -e /v1/moderations -t '{texts}' -i id items.jsonl >requests.jsonl
	jsonl-split -d work/in -l 8 <requests.jsonl >paths
	[ "$(wc -l <paths)" -eq 4 ] || fail "not 4 files: $(cat paths)"
	oai-upload <paths >uploads
	oai-batch <uploads >batches
	expect_lines 4 batches
	run oai-wait -i 0.05 <batches
	expect_rc 0
	cp "$T/out" results
	mkdir res
	oai-fetch -d res <results >fetched
	cat res/*.jsonl >all.jsonl
	expect_lines 30 all.jsonl
	python3 - items.jsonl all.jsonl <<'EOF'
import json, sys
items = [json.loads(l) for l in open(sys.argv[1])]
got = {}
for l in open(sys.argv[2]):
    r = json.loads(l)
    assert r["custom_id"] not in got, r["custom_id"]
    assert r["error"] is None and r["response"]["status_code"] == 200, r
    got[r["custom_id"]] = r["response"]["body"]["results"]
assert sorted(got) == sorted(i["id"] for i in items), sorted(got)
for it in items:
    res = got[it["id"]]
    assert len(res) == len(it["texts"]), (it["id"], len(res))
    for text, r in zip(it["texts"], res):
        assert r["flagged"] is ("flag:violence" in text), (it["id"], text)
        assert r["categories"]["violence"] is r["flagged"]
EOF
}
