# shellcheck shell=bash
# scripts/demo (make demo): it shows each command it runs exactly as it
# runs it, one line that can be pasted.

# demo_tree: a checkout's layout in top/ with the demo's script, a small
# share/demo, and the tools; jsonl-prompt and oai-pipeline are wrappers
# that log the arguments they are given (NUL-separated) to ran.NAME.
demo_tree() {
	local t pipeline
	mkdir -p top/scripts top/share/demo top/bin
	cp "$TOP/scripts/demo" top/scripts/
	cp "$TOP/share/demo/system.txt" top/share/demo/
	head -n 40 "$TOP/share/demo/items.jsonl" >top/share/demo/items.jsonl
	for t in "$BIN"/*; do ln -s "$t" "top/bin/${t##*/}"; done
	rm -f top/bin/jsonl-prompt top/bin/oai-pipeline
	pipeline=$BIN/oai-pipeline
	[ -x "$pipeline" ] || pipeline=$TOP/scripts/oai-pipeline
	for t in jsonl-prompt:"$BIN/jsonl-prompt" oai-pipeline:"$pipeline"; do
		printf '#!/bin/sh\nprintf "%%s\\0" "$@" >>"%s/ran.%s"\nprintf "\\n" >>"%s/ran.%s"\nexec "%s" "$@"\n' \
			"$T" "${t%%:*}" "$T" "${t%%:*}" "${t#*:}" >"top/${t%%:*}"
		chmod +x "top/${t%%:*}"
	done
	mv top/jsonl-prompt top/oai-pipeline top/bin/
}

# shown_args PROG: the arguments of the demo's shown command line for
# PROG (its Nth such line with N), as a shell reads them, NUL-separated.
shown_args() {
	local line
	line=$(grep "^demo: \\$ $1 " "$T/out" | sed -n "${2:-1}p" | sed -e 's/^demo: \$ //' -e 's/ >[^ ]*$//')
	[ -n "$line" ] || fail "no command line shown for $1"
	sh -c "eval \"set -- \$1\"; shift; printf '%s\\0' \"\$@\"; printf '\\n'" sh "$line"
}

t_demo_shows_the_commands_it_runs() {
	demo_tree
	run sh top/scripts/demo
	expect_rc 0
	shown_args jsonl-prompt >shown.jsonl-prompt
	expect_same shown.jsonl-prompt ran.jsonl-prompt
	# The plan, then the job.
	expect_lines 2 ran.oai-pipeline
	{ shown_args oai-pipeline 1; shown_args oai-pipeline 2; } >shown.oai-pipeline
	expect_same shown.oai-pipeline ran.oai-pipeline
	# Pasted, the first command writes the same requests.
	line=$(grep '^demo: \$ jsonl-prompt ' "$T/out" | sed -e 's/^demo: \$ //' -e 's/ >[^ ]*$/ >again.jsonl/')
	(cd top && PATH=$BIN:$PATH sh -c "$line")
	expect_same top/again.jsonl top/demo-run/requests.jsonl
}
