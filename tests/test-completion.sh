# shellcheck shell=bash
# completions/batchpipe.bash: it loads quietly, completes every command,
# and offers each command's options as its -h lists them.

# complete_words WORD...: what the completion offers for the command line
# WORD... (the last word the one being completed), one a line, in a bash
# that loaded only the completion file.
complete_words() {
	BATCHPIPE_SHARE=$TOP/share bash --norc --noprofile -c '
		. "$1" || exit 1
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		_batchpipe
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' _ "$TOP/completions/batchpipe.bash" "$@"
}

t_loads_without_a_word_and_completes_every_command() {
	local f t
	run bash --norc --noprofile -c '. "$1" && complete -p' _ "$TOP/completions/batchpipe.bash"
	expect_rc 0
	expect_empty "$T/err"
	for f in "$TOP"/tools/*.c "$TOP"/tools/*/main.c "$TOP"/scripts/oai-*; do
		[ -e "$f" ] || continue
		f=${f%/main.c}
		t=${f##*/}
		t=${t%.c}
		expect_grep "^complete -F _batchpipe $t\$" "$T/out"
	done
}

t_options_are_the_help_lines() {
	local f t
	for f in "$TOP"/tools/*.c "$TOP"/tools/*/main.c "$TOP"/scripts/oai-*; do
		[ -e "$f" ] || continue
		f=${f%/main.c}
		t=${f##*/}
		t=${t%.c}
		complete_words "$t" - | sort >got
		{
			"$t" -h | sed '1,/^$/d' | sed -n 's/^  \(-[A-Za-z]\).*/\1/p'
			printf '%s\n' --help --version
		} | sort >want
		expect_same got want
	done
	complete_words jsonl-prompt -T >got
	printf '%s\n' -T >want
	expect_same got want
}

t_option_values() {
	mkdir dir1
	touch file1
	complete_words jsonl-prompt -m gpt-4o-min >got
	expect_grep '^gpt-4o-mini$' got
	expect_no_grep '^gpt-4o$' got
	complete_words oai-pipeline -qe /v1/emb >got
	expect_eq "$(cat got)" /v1/embeddings
	complete_words jsonl-split -d '' >got
	expect_grep '^dir1$' got
	expect_no_grep '^file1$' got
	complete_words jsonl-merge -P fil >got
	expect_eq "$(cat got)" file1
	# A flag takes no value: the next word is an operand.
	complete_words jsonl-tokens -s fil >got
	expect_eq "$(cat got)" file1
	# Ids are not file names; after --, -x is an operand.
	complete_words oai-rm fil >got
	expect_empty got
	complete_words oai-ls fil >got
	expect_empty got
	complete_words jsonl-sortid -- - >got
	expect_no_grep '^-n$' got
}

t_window_values() {
	complete_words oai-batch -w '' >got
	printf '%s\n' 24h 48h 72h 7d >want
	expect_same got want
	complete_words oai-pipeline -w 4 >got
	expect_eq "$(cat got)" 48h
}
