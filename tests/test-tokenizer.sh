# shellcheck shell=bash
# The tokenizer (common/tokenizer.c) through its test program
# tests/prog/tokenize.c ($BIN/../tests/tokenize, so that the ASan build
# tests its own): every text of tests/data/tokens/corpus.jsonl must get
# exactly the ids npm tiktoken@1.0.22 gave it (tests/data/tokens/golden.tsv,
# made by scripts/gen-token-golden; see tests/data/tokens/README).

TOKENIZE=$BIN/../tests/tokenize
CORPUS=$DATA/tokens/corpus.jsonl
GOLDEN=$DATA/tokens/golden.tsv

# golden_of N: the golden "count TAB ids" lines of encoding column N (1
# o200k_base, 2 cl100k_base), one per corpus line.
golden_of() {
	grep -v '^#' "$GOLDEN" | cut -f "$1,$(($1 + 2))"
}

# expect_golden ENCODING N: tokenize -i over the corpus gives the golden
# lines; otherwise shows the first mismatching entries (corpus line, text,
# expected and got) and fails.
expect_golden() {
	local enc=$1 col=$2
	[ -x "$TOKENIZE" ] || fail "$TOKENIZE not built (make testprogs)"
	golden_of "$col" >want
	expect_lines "$(wc -l <"$CORPUS")" want
	run "$TOKENIZE" -E "$enc" -i "$CORPUS"
	expect_rc 0
	expect_empty "$T/err"
	if ! cmp -s out want; then
		paste -d '\n' want out "$CORPUS" | awk -v enc="$enc" '
		    NR % 3 == 1 { want = $0 }
		    NR % 3 == 2 { got = $0 }
		    NR % 3 == 0 && want != got {
			n++
			if (n <= 5)
				printf "corpus line %d (%s): %s\n  expected %s\n  got      %s\n",
				    NR / 3, enc, substr($0, 1, 200), want, got
		    }
		    END { printf "%d of %d entries differ\n", n, NR / 3 }'
		fail "$enc: ids differ from $GOLDEN"
	fi
}

t_o200k_golden_ids() {
	expect_golden o200k_base 1
}

t_cl100k_golden_ids() {
	expect_golden cl100k_base 2
}

# Without -i, tokenizer_count gives the golden counts too.
t_counts_equal_golden() {
	local enc col
	for col in 1 2; do
		enc=o200k_base
		[ "$col" -eq 2 ] && enc=cl100k_base
		grep -v '^#' "$GOLDEN" | cut -f "$col" >want
		run "$TOKENIZE" -E "$enc" "$CORPUS"
		expect_rc 0
		cmp -s out want || { diff want out | head -20; fail "$enc: counts differ"; }
	done
}

# The golden file is what it claims: one line per corpus line, each
# count the number of its ids.
t_golden_file_consistent() {
	grep -v '^#' "$GOLDEN" | awk -F '\t' '
	    NF != 4 { print "line " NR ": " NF " fields"; bad = 1 }
	    split($3, a, " ") != $1 || split($4, b, " ") != $2 {
		print "line " NR ": counts do not match the ids"; bad = 1 }
	    END { exit bad }'
	expect_eq "$(grep -vc '^#' "$GOLDEN")" "$(wc -l <"$CORPUS")" "golden lines"
}

t_unknown_encoding() {
	printf '{"text": "x"}\n' >in
	run "$TOKENIZE" -E p50k_base in
	expect_rc 1
	expect_empty out
	expect_grep '^tokenize: .*p50k_base' err
	run "$TOKENIZE" -E '' in
	expect_rc 1
	expect_grep '^tokenize: ' err
}

t_usage() {
	run "$TOKENIZE" in
	expect_rc 2
	expect_grep '^usage: tokenize ' err
}

# A text that is not UTF-8 is refused: json-c hands raw bytes through, so
# each of these reaches tokenizer_count and tokenizer_encode as they are.
t_invalid_utf8() {
	local b opt
	for b in '\377' '\200' 'a\300\200' '\355\240\200' '\364\220\200\200' \
	    'x\344\270' '\370\210\200\200\200' '\342\202x' 'ok \340\200\257'; do
		for opt in -i ''; do
			{ printf '{"text": "fine"}\n'; printf '{"text": "%b"}\n' "$b"; } >in
			# shellcheck disable=SC2086
			run "$TOKENIZE" -E o200k_base $opt in
			expect_rc 1
			expect_eq "$(cat "$T/err")" "tokenize: in:2: not valid UTF-8" "bytes $b"
			expect_eq "$(cat out)" "$([ -n "$opt" ] && echo '1	107932' || echo 1)" "bytes $b"
		done
		printf 'fine\n%b\n' "$b" >raw
		run "$TOKENIZE" -E cl100k_base -r raw
		expect_rc 1
		expect_eq "$(cat "$T/err")" "tokenize: raw:2: not valid UTF-8" "raw bytes $b"
		expect_empty out
	done
}

# -r: the total of the lines counted one by one, "\n" included, and the
# bytes read.
t_raw_total() {
	local line sum=0 n nl
	printf 'Hello, world.\n  indented\tline\n\n中文 and English\nend' >raw
	while IFS= read -r line || [ -n "$line" ]; do
		[ "$line" = end ] && nl='' || nl='\n'
		printf '{"text": "%s%s"}\n' "$(printf '%s' "$line" | sed 's/\t/\\t/g')" "$nl"
	done <raw >in
	run "$TOKENIZE" -E o200k_base in
	expect_rc 0
	expect_lines 5 out
	while read -r n; do sum=$((sum + n)); done <out
	run "$TOKENIZE" -E o200k_base -r raw
	expect_rc 0
	expect_eq "$(cat out)" "$sum	$(wc -c <raw)"
	run "$TOKENIZE" -E o200k_base -r </dev/null
	expect_rc 0
	expect_eq "$(cat out)" "0	0"
}

t_not_a_text_line() {
	printf '{"text": 3}\n' >in
	run "$TOKENIZE" -E o200k_base in
	expect_rc 1
	expect_eq "$(cat "$T/err")" 'tokenize: in:1: no string member "text"'
	printf '{"text": "a"} x\n' >in
	run "$TOKENIZE" -E o200k_base in
	expect_rc 1
	expect_eq "$(cat "$T/err")" 'tokenize: in:1: not one JSON value'
}
