# shellcheck shell=bash
# -h, -V, --help and --version in every tool and in oai-pipeline, and each
# help text held against its man page, so that neither can drift from the
# other: the same option letters in the help's synopsis, its option lines,
# the man page's SYNOPSIS and its option list.

# help_tools: every tool (tools/*.c, or tools/NAME/main.c) and script
# (scripts/oai-*), by name.
help_tools() {
	local f
	for f in "$TOP"/tools/*.c "$TOP"/tools/*/main.c "$TOP"/scripts/oai-*; do
		[ -e "$f" ] || continue
		f=${f%/main.c}
		f=${f##*/}
		echo "${f%.c}"
	done
}

makefile_version() {
	sed -n 's/^VERSION *= *//p' "$TOP/Makefile"
}

# help_synopsis FILE: the lines of a help text before its blank line.
help_synopsis() {
	sed '/^$/,$d' "$1"
}

# The option letters, one a line, sorted, duplicates kept (an option listed
# twice is a drift too).
letters_of_help_lines() {
	sed '1,/^$/d' "$1" | sed -n 's/^  -\([A-Za-z]\).*/\1/p' | sort
}
letters_of_help_synopsis() {
	help_synopsis "$1" | grep -o '\(^\|[] [|]\)-[A-Za-z][A-Za-z]*' |
		sed 's/^[] [|]*-//' | fold -w 1 | sort
}
letters_of_man_synopsis() {
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$1" |
		grep -o 'Fl [A-Za-z][A-Za-z]*' | sed 's/^Fl //' | fold -w 1 | sort
}
letters_of_man_options() {
	sed -n 's/^\.It Fl \([A-Za-z]\)\( .*\)\{0,1\}$/\1/p' "$1" | sort
}

# oneline FILE: the lines of FILE on one line.
oneline() {
	tr '\n' ' ' <"$1" | sed 's/ $//'
}

# flat: one line, single spaces, no spaces around |.
flat() {
	tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//; s/ | /|/g'
}

t_help_and_h_print_the_same_help_on_stdout() {
	local t
	for t in $(help_tools); do
		run "$t" --help
		expect_rc 0
		expect_empty "$T/err"
		expect_grep "^usage: $t " "$T/out"
		expect_grep '^  -h  +print this help and exit$' "$T/out"
		mv "$T/out" long
		run "$t" -h
		expect_rc 0
		expect_empty "$T/err"
		expect_same "$T/out" long
	done
}

t_version_is_the_makefiles() {
	local t v
	v=$(makefile_version)
	[ -n "$v" ] || fail "no VERSION in the Makefile"
	for t in $(help_tools); do
		for o in --version -V; do
			run "$t" $o
			expect_rc 0
			expect_empty "$T/err"
			expect_eq "$(cat "$T/out")" "$t batchpipe $v" "$t $o"
		done
	done
	# The script as it is in the source tree reads the Makefile itself.
	run sh "$TOP/scripts/oai-pipeline" --version
	expect_eq "$(cat "$T/out")" "oai-pipeline batchpipe $v"
}

# Help and man page list the same options, and say the same synopsis.
t_help_matches_the_man_page() {
	local t man
	for t in $(help_tools); do
		man=$TOP/man/$t.1
		[ -e "$man" ] || fail "$t: no man page"
		"$t" -h >help
		letters_of_help_lines help >want
		[ -s want ] || fail "$t -h: no option lines"
		letters_of_help_synopsis help >got
		cmp -s got want || fail "$t -h: the synopsis has options $(oneline got), the option lines $(oneline want)"
		letters_of_man_synopsis "$man" >got
		cmp -s got want || fail "$t: the man page's SYNOPSIS has options $(oneline got), -h $(oneline want)"
		letters_of_man_options "$man" >got
		cmp -s got want || fail "$t: the man page lists options $(oneline got), -h $(oneline want)"
		command -v mandoc >/dev/null || continue
		expect_eq "usage: $(mandoc -Tascii "$man" | col -b |
			sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | flat)" \
			"$(help_synopsis help | flat)" "$t: the man page's synopsis"
	done
}

# A long option other than these two is a usage error: named, the
# synopsis on stderr, exit 2, nothing on stdout.
t_unknown_long_option_is_a_usage_error() {
	local t
	for t in $(help_tools); do
		run "$t" --frobnicate
		expect_rc 2
		expect_empty "$T/out"
		expect_eq "$(head -n 1 "$T/err")" "$t: --frobnicate: no such option"
		"$t" -h >help
		expect_eq "$(sed 1d "$T/err")" "$(help_synopsis help)" "$t: the synopsis"
	done
}

# --help is looked for as an option only: an option's value, or an operand
# after --, is left alone.
t_help_as_a_value_or_after_dashdash() {
	echo '{"a":1}' >items.jsonl
	run jsonl-prompt -m m -t --help items.jsonl
	expect_rc 0
	expect_grep '"content":"--help"' "$T/out"
	run jsonl-sortid -- --help
	expect_rc 1
	expect_grep 'jsonl-sortid: --help: No such file' "$T/err"
	run oai-pipeline -d --help nosuch.jsonl
	expect_rc 1
	expect_grep 'nosuch.jsonl: cannot read' "$T/err"
	[ ! -e ./--help ] || fail "oai-pipeline made a run directory"
}
