# shellcheck shell=bash
# bash completion for batchpipe's commands (jsonl-*, oai-*, oai-pipeline).
#
# The options come from each command's own help (`CMD --help`: one line
# per option, "  -X value-name  what it does"), read once a session, so
# this file cannot fall behind the tools.  The value of an option is
# completed by its name in the help: model names for "model" (from the
# models table batchpipe ships), the endpoints for "endpoint", directories
# for "dir" and "run-dir", file names for the other "...file" values.
# Operands are file names, except for the commands that take ids.
#
# make install puts this file in share/bash-completion/completions under
# each command's name, where bash-completion loads it on first use; or
# source it from ~/.bashrc.

declare -gA _batchpipe_options 2>/dev/null

# _batchpipe_options_of CMD: "X:value-name" (value-name empty for a flag)
# for each option CMD's help lists, space-separated; cached.
_batchpipe_options_of() {
	local cmd=$1 line list=
	if [[ -z ${_batchpipe_options[$cmd]+set} ]]; then
		while IFS= read -r line; do
			if [[ $line =~ ^\ \ -([A-Za-z])(\ ([^ ]+))?(\ \ |$) ]]; then
				list+="${BASH_REMATCH[1]}:${BASH_REMATCH[3]} "
			fi
		done < <("$cmd" --help 2>/dev/null)
		_batchpipe_options[$cmd]=$list
	fi
	printf '%s' "${_batchpipe_options[$cmd]}"
}

# _batchpipe_models CMD: the model names of the first models table found:
# $BATCHPIPE_SHARE, the installed share directory beside this file's, or
# a share directory beside the command (a build or a moved installation).
_batchpipe_models() {
	local bin d f
	bin=$(type -P "$1" 2>/dev/null)
	for d in "${BATCHPIPE_SHARE:-}" "${BASH_SOURCE[0]%/*}/../../batchpipe" \
	    "${bin%/*}/../share/batchpipe" "${bin%/*}/../share"; do
		f=$d/models.tsv
		if [[ -n $d && -r $f ]]; then
			awk -F '\t' '!/^#/ && NF > 1 { print $1 }' "$f"
			return
		fi
	done
}

_batchpipe() {
	local cmd cur prev opt letter value names=() i
	cmd=${COMP_WORDS[0]##*/}
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	# The value of an option: prev is -X, or a cluster ending in X.
	if [[ $prev == -[A-Za-z]* && $prev != --* ]]; then
		letter=${prev: -1}
		for opt in $(_batchpipe_options_of "$cmd"); do
			[[ ${opt%%:*} == "$letter" ]] || continue
			value=${opt#*:}
			case $value in
			'') break ;;
			model)
				mapfile -t COMPREPLY < <(compgen -W "$(_batchpipe_models "$cmd")" -- "$cur") ;;
			endpoint)
				mapfile -t COMPREPLY < <(compgen -W '/v1/chat/completions /v1/responses /v1/embeddings /v1/completions' -- "$cur") ;;
			window)	# 24h everywhere; the longer ones where the provider takes them
				mapfile -t COMPREPLY < <(compgen -W '24h 48h 72h 7d' -- "$cur") ;;
			dir | run-dir)
				compopt -o filenames 2>/dev/null
				mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
			*file*)
				compopt -o filenames 2>/dev/null
				mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
			esac
			return 0
		done
	fi

	# An option after "--" is an operand.
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -- ]] && break
	done
	if [[ $cur == -* ]] && ((i == COMP_CWORD)); then
		for opt in $(_batchpipe_options_of "$cmd"); do
			names+=("-${opt%%:*}")
		done
		names+=(--help --version)
		mapfile -t COMPREPLY < <(compgen -W "${names[*]}" -- "$cur")
		return 0
	fi

	case $cmd in
	oai-batch | oai-cancel | oai-wait | oai-fetch | oai-rm | oai-ls) ;;	# ids, not files
	*)
		compopt -o filenames 2>/dev/null
		mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
	esac
	return 0
}

complete -F _batchpipe jsonl-merge jsonl-prompt jsonl-sortid jsonl-split \
    jsonl-tokens jsonl-triage oai-batch oai-cancel oai-fetch oai-ls oai-mock \
    oai-pipeline oai-rm oai-run oai-upload oai-wait
