# shellcheck shell=bash
# The image and video endpoints of the Batch API through the batch steps
# against oai-mock: oai-batch makes each file's batch for its own url
# (counting its prompts with -Q), oai-fetch downloads the results byte for
# byte, jsonl-sortid orders them untouched, and jsonl-merge keeps their
# bodies and says that it adds no text.  jsonl-split's and jsonl-sortid's
# offline cases are in tests/data/.

# media_requests: two image generations, an image edit and two videos.
media_requests() {
	cat <<'EOF'
{"custom_id":"img-1","method":"POST","url":"/v1/images/generations","body":{"model":"gpt-image-1","prompt":"a red fox in the snow","size":"1024x1024","quality":"low","n":1}}
{"custom_id": "img-2", "method": "POST", "url": "/v1/images/generations", "body": {"model": "gpt-image-1", "prompt": "a fox \u00e0 la neige", "n": 2}}
{"custom_id":"edit-1","method":"POST","url":"/v1/images/edits","body":{"model":"gpt-image-1","prompt":"make it night","images":[{"image_url":"https://example.com/fox.png"}]}}
{"custom_id":"vid-1","method":"POST","url":"/v1/videos","body":{"model":"sora-2","prompt":"a fox running through snow","seconds":"4","size":"720x1280"}}
{"custom_id":"vid-2","method":"POST","url":"/v1/videos","body":{"model":"sora-2","prompt":"the same fox, asleep","seconds":"8","size":"1280x720"}}
EOF
}

# media_batches: the requests split, uploaded and batched with -Q auto (as
# oai-pipeline does), and waited for: parts/, split.out, up, batches and
# results.
media_batches() {
	mock_start -t 0.05,0.1,0.05
	media_requests >req.jsonl
	jsonl-split -t 1000 -d parts req.jsonl >split.out ||
		fail "jsonl-split: $(cat split.out)"
	oai-upload -q <split.out >up || fail "oai-upload failed"
	oai-batch -Q auto -i 0.05 <up >batches 2>batch.err ||
		fail "oai-batch: $(cat batch.err)"
	oai-wait -q -i 0.05 <batches >results 2>wait.err ||
		fail "oai-wait: $(cat wait.err)"
}

t_batch_for_each_media_url_input_untouched() {
	local i file part id
	media_batches
	expect_empty batch.err
	expect_lines 3 batches
	for i in 1 2 3; do
		file=$(sed -n "${i}p" up | cut -f1)
		part=$(sed -n "${i}p" up | cut -f2)
		id=$(sed -n "${i}p" batches | cut -f1)
		expect_eq "$(cut -f2 <<<"$(sed -n "${i}p" batches)")" "$file" "batch $i's file"
		mock_curl GET "/batches/$id" >b.json
		expect_eq "$(bw_member endpoint <b.json)" \
			"$(sed -n 's/.*"url": *"\([^"]*\)".*/\1/p' "$part" | sort -u)" "batch $i's endpoint"
		expect_eq "$(bw_member status <b.json)" completed "batch $i's status"
		# -Q counted the prompts: the batch's tokens are in its metadata.
		expect_eq "$(sed -n 's/.*"batchpipe_tokens":"\([0-9]*\)".*/\1/p' b.json)" \
			"$(sed -n "${i}p" split.out | cut -f3)" "batch $i's tokens"
		mock_curl GET "/files/$file/content" >sent
		expect_same sent "$part"
	done
	expect_eq "$(cut -f2,4 results | sort | uniq -c | tr -s ' ')" " 3 output	completed" "results"
}

t_fetch_and_sort_carry_results_byte_for_byte() {
	local id
	media_batches
	: >want
	while IFS="$(printf '\t')" read -r id _; do
		mock_curl GET "/files/$id/content" >>want
	done <results
	run oai-fetch <results
	expect_rc 0
	expect_empty "$T/err"
	expect_same "$T/out" want
	expect_lines 5 "$T/out"
	cp "$T/out" fetched
	run jsonl-sortid fetched
	expect_rc 0
	expect_eq "$(sed 's/.*"custom_id":"\([^"]*\)".*/\1/' "$T/out" | tr '\n' ' ')" \
		"edit-1 img-1 img-2 vid-1 vid-2 " "order"
	expect_eq "$(sort "$T/out")" "$(sort fetched)" "the lines"
	# The answers are the endpoints' own: images, then a video job.
	expect_eq "$(grep -c '"b64_json"' fetched)" 3 "lines with images"
	expect_eq "$(grep -o '"b64_json"' fetched | wc -l)" 4 "images"
	expect_eq "$(grep -c '"object":"video","model":"sora-2","status":"queued"' fetched)" 2 "videos"
}

t_merge_keeps_media_bodies_and_says_so() {
	media_batches
	oai-fetch <results | jsonl-sortid >sorted
	printf '{"id":"%s"}\n' img-1 img-2 edit-1 vid-1 vid-2 >items
	run jsonl-merge -k id items sorted
	expect_rc 0
	expect_eq "$(head -n 2 "$T/err")" \
"jsonl-merge: 3 results of /v1/images/generations or /v1/images/edits: no text answer added (llm holds the response body); their cost is not counted
jsonl-merge: 2 results of /v1/videos: no text answer added (llm holds the response body); their cost is not counted"
	expect_eq "$(sed -n 3,4p "$T/err")" \
"jsonl-merge: 5 items: 5 answered, 0 failed, 0 missing
jsonl-merge: tokens: 0 prompt, 0 completion"
	expect_eq "$(grep -c '^{"id":"img-[12]","llm":{"created":[0-9]*,"data":\[{"b64_json":' "$T/out")" 2 "images merged"
	expect_eq "$(grep -c '^{"id":"vid-[12]","llm":{"id":"video_[0-9a-f]*","object":"video"' "$T/out")" 2 "videos merged"
}

# A request the endpoint refuses (no prompt) is a failed line in the
# batch's error file, fetched as the others.
t_refused_media_request_in_the_error_file() {
	mock_start -t 0.05,0.1,0.05
	printf '%s\n' '{"custom_id":"v1","method":"POST","url":"/v1/videos","body":{"model":"sora-2","size":"720x1280"}}' >v.jsonl
	oai-upload -q v.jsonl | oai-batch | oai-wait -q -i 0.05 >results
	expect_eq "$(cut -f2,4 results)" "error	completed"
	run oai-fetch <results
	expect_rc 0
	expect_grep '^{"id":"batch_req_[0-9a-f]*","custom_id":"v1","response":{"status_code":400,.*"code":"missing_required_parameter"' "$T/out"
}
