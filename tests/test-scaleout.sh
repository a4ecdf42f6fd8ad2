# shellcheck shell=bash
# Scale-out with GNU parallel, as batchpipe(7) tells it: the local steps
# under `parallel --pipe`, then one oai-pipeline per shard with a run
# directory of its own (here 4 local jobs, not ssh), then the shards'
# results merged: every item answered exactly once.

# scale_items N: N items with a unique "id" field, in items.jsonl.
scale_items() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"id\":\"it%04d\",\"text\":\"text %d\"}\n", i, i }' >items.jsonl
}

# ids_of FILE: FILE's custom_ids, sorted (repeats kept).
ids_of() {
	grep -o '"custom_id": *"[^"]*"' "$1" | sed 's/.*"\([^"]*\)"$/\1/' | sort
}

t_scaleout_four_shards_each_item_once() {
	command -v parallel >/dev/null || fail "GNU parallel is missing: sh scripts/deps check"
	mock_start -t 0.05,0.2,0.05
	scale_items 400
	# Blocks of 4 kB: the items go through several jsonl-prompt processes.
	parallel --will-cite --pipe --block 4k -k \
		jsonl-prompt -m gpt-4o-mini -t '{text}' -i id <items.jsonl >requests.jsonl
	ids_of requests.jsonl >req.ids
	cut -d '"' -f 4 items.jsonl | sort >item.ids
	expect_same req.ids item.ids
	# Each jsonl-split job names its files by its job number: none clash.
	parallel --will-cite --pipe --block 8k 'jsonl-split -d work/in -p part-{#}-' \
		<requests.jsonl >paths
	[ "$(cut -f 1 paths | sort -u | wc -l)" -ge 2 ] || fail "one jsonl-split job only"
	[ "$(cut -f 1 paths | sort | uniq -d | wc -l)" -eq 0 ] || fail "a path printed twice"
	cut -f 1 paths | xargs cat | ids_of - >split.ids
	expect_same split.ids item.ids
	# Four shards, four drivers, four run directories.
	split -n l/4 -d requests.jsonl shard-
	[ "$(ls shard-0*)" = "$(printf 'shard-00\nshard-01\nshard-02\nshard-03')" ] ||
		fail "not 4 shards"
	parallel --will-cite -j 4 'oai-pipeline -q -i 0.05 -d {}.run {} >{}.out' ::: shard-0* ||
		fail "a shard's oai-pipeline failed"
	cat shard-0*.out | jsonl-sortid >sorted.jsonl
	ids_of sorted.jsonl >answered.ids
	[ "$(uniq -d answered.ids | wc -l)" -eq 0 ] || fail "an item answered twice: $(uniq -d answered.ids | head -n 3)"
	expect_same answered.ids item.ids
	run jsonl-merge -k id items.jsonl sorted.jsonl
	expect_rc 0
	[ "$(wc -l <"$T/out")" -eq 400 ] || fail "the merged items are not 400"
	[ "$(grep -c '"llm":' "$T/out")" -eq 400 ] || fail "an item without its answer"
}

# Why -i: without it each jsonl-prompt job numbers its block's lines from
# 1, so the shards' custom_ids clash and jsonl-sortid says so.
t_scaleout_line_numbers_clash_across_blocks() {
	command -v parallel >/dev/null || fail "GNU parallel is missing: sh scripts/deps check"
	scale_items 400
	parallel --will-cite --pipe --block 4k -k \
		jsonl-prompt -m gpt-4o-mini -t '{text}' <items.jsonl >requests.jsonl
	[ "$(ids_of requests.jsonl | uniq -d | wc -l)" -gt 0 ] ||
		fail "line-number ids did not clash across blocks"
	run jsonl-sortid requests.jsonl
	grep -q -i duplicate "$T/err" || fail "jsonl-sortid did not report the duplicates"
}
