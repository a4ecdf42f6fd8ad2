# shellcheck shell=bash
# Tool-level regression tests for the bugs the fuzz targets found (each
# input is also in tests/fuzz/corpus/; see docs/CHECKS.md).

# fuzz_prompt_template: a template field whose name holds a backslash was
# compared with the member names as written in the line, escapes and all,
# so {n\u00e9} picked the member "n\u00e9" (decoded: "né").
t_prompt_field_name_with_backslash_is_not_an_escape() {
	printf '{"n\\u00e9":"esc"}\n' >items.jsonl
	run jsonl-prompt -m m -t 'x{n\u00e9}y' items.jsonl
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" 'jsonl-prompt: items.jsonl:1: no field "n\u00e9" for the template'
}

t_prompt_field_name_with_backslash_matches_the_decoded_name() {
	printf '{"n\\\\u00e9":"lit"}\n' >items.jsonl
	run jsonl-prompt -m m -t 'x{n\u00e9}y' items.jsonl
	expect_rc 0
	expect_grep '"content":"xlity"' "$T/out"
}

# Found reading jsonl-split while writing its fuzz target: member names
# were skipped by their length as written, so a valid line that escapes
# a letter of "custom_id" ("\u0063ustom_id") was refused.
t_split_escaped_member_names_are_names() {
	printf '{"\\u0063ustom_id":"1","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}\n' >req.jsonl
	run jsonl-split -d parts req.jsonl
	expect_rc 0
	expect_eq "$(cut -f 1 "$T/out")" parts/batch-0001.jsonl
	expect_same parts/batch-0001.jsonl req.jsonl
}

# fuzz_merge_result: a result line with status 200 and no body made
# jsonl-merge copy from an uninitialized pointer (a crash, or garbage in
# the item).  The answer of such a line is null.
t_merge_success_without_body() {
	printf '{"uuid":"u1"}\n' >items.jsonl
	printf '{"custom_id":"u1","response":{"status_code":200},"error":null}\n' >res.jsonl
	run jsonl-merge -k uuid items.jsonl res.jsonl
	expect_rc 0
	expect_eq "$(cat "$T/out")" '{"uuid":"u1","llm":null}'
}

# fuzz_mock: a fault's batch limit too big for a long long ("-F
# expire=0.5:1e30") was converted anyway (undefined behaviour); it is a
# bad value like any other.
t_mock_fault_limit_out_of_range() {
	run timeout 10 oai-mock -p 0 -q -F 'expire=0.5:1e30'
	expect_rc 2
	expect_grep '^oai-mock: -F expire=0.5:1e30: bad value$' "$T/err"
}
