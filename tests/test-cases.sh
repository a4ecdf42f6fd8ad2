# shellcheck shell=bash
# Tests as data: every directory tests/data/TOOL/CASE/, TOOL a tool of
# $BIN, is one offline case, the test t_TOOL.CASE; every directory
# tests/data/net/CASE/ is one case against oai-mock, the test t_net.CASE.
# tests/README says how to write one; in short:
#
#   args       the command line after the tool name, one argument a line
#              (an empty line is an empty argument; no file: no argument)
#   stdin      standard input, a regular file; stdin.pipe: the same, through
#              a pipe (neither: /dev/null)
#   env        NAME=VALUE lines added to the environment
#   out, err   the expected stdout and stderr, byte for byte (absent: empty)
#   rc         the expected exit status (absent: 0)
#   files/     the files the command must create, byte for byte; it must
#              create no other (an empty directory does not count)
#   err-keep   extended regexes, one a line: only the lines of stderr that
#              match one are compared (for a trace of which a case pins a part)
#   anything else is an input file, copied into the directory the command
#   runs in.  @T@ in args and env is that directory and @TOP@ the checkout;
#   in out and err that directory is written back as @T@.
#
# A network case has `cmd` (the tool, then its arguments) instead of args,
# `mock` (oai-mock's options, one a line), `upload` (input files uploaded
# with curl before the command, one name a line: @NAME@ in cmd is the
# file's id), `batches` (uploaded files a batch is made for with curl
# before the command: its id becomes @NAME-batch@), `cmd.2` with out.2, err.2, rc.2 (a second command
# against the same server), and `protocol`: the exact lines of the mock's
# request log that the commands cause (after those of the setup), read once
# the mock has been stopped.  The retries are fast (as net_fast) unless env
# says otherwise.  Before the comparison, in out, err and protocol, the ids
# of the uploaded files become @NAME@, the other file ids @file1@, @file2@
# and the batch ids @batch1@, @batch2@ in the order they first appear (out,
# err, out.2, err.2, protocol), and the server's address @URL@.

# case_lines FILE: FILE's lines into the array named by $2, @T@ and @TOP@
# expanded.
case_lines() {
	local -n into=$2
	into=()
	[ -e "$1" ] || return 0
	local l
	while IFS= read -r l || [ -n "$l" ]; do
		l=${l//@TOP@/$TOP}
		into+=("${l//@T@/$T/run}")
	done <"$1"
}

# case_inputs DIR: copies DIR's input files into $T/run and lists them in
# $T/inputs.
case_inputs() {
	local f
	mkdir -p "$T/run"
	for f in "$1"/*; do
		case ${f##*/} in
		args | cmd | cmd.[0-9] | env | out | out.[0-9] | err | err.[0-9] | rc | rc.[0-9] | \
			files | err-keep | protocol | mock | upload | batches | stdin | stdin.pipe) ;;
		*) cp -R "$f" "$T/run/" ;;
		esac
	done
	(cd "$T/run" && find . -type f | sort) >"$T/inputs"
}

# case_exec DIR SUFFIX CMD...: runs CMD in $T/run with DIR's stdin and env;
# stdout to $T/got/outSUFFIX, stderr to errSUFFIX, status to rcSUFFIX.
case_exec() {
	local dir=$1 sfx=$2 envs=() rc=0
	shift 2
	case_lines "$dir/env" envs
	mkdir -p "$T/got"
	(
		cd "$T/run" || exit 1
		if [ -e "$dir/stdin.pipe" ]; then
			# shellcheck disable=SC2002 # a pipe, not a file, on purpose
			cat "$dir/stdin.pipe" | env "${envs[@]}" "$@"
		elif [ -e "$dir/stdin" ]; then
			env "${envs[@]}" "$@" <"$dir/stdin"
		else
			env "${envs[@]}" "$@" </dev/null
		fi
	) >"$T/got/out$sfx" 2>"$T/got/err$sfx" || rc=$?
	echo "$rc" >"$T/got/rc$sfx"
	if [ -e "$dir/err-keep" ]; then
		grep -Ef "$dir/err-keep" "$T/got/err$sfx" >"$T/got/kept" || true
		mv "$T/got/kept" "$T/got/err$sfx"
	fi
}

# case_expect WANT GOT: GOT is WANT byte for byte (an absent WANT is
# empty, or 0 for an rc); the diff is shown otherwise.
case_expect() {
	local want=$1
	if [ ! -e "$want" ]; then
		want=$T/empty
		case $2 in */rc*) echo 0 ;; *) : ;; esac >"$want"
	fi
	cmp -s "$want" "$2" || {
		echo "--- ${1#"$TOP"/}, +++ what the command wrote:"
		diff -u "$want" "$2" | tail -n +3 | head -40
		fail "${2##*/} differs from ${1#"$TOP"/}"
	}
}

# case_files DIR: the files the command made in $T/run are DIR/files/.
case_files() {
	local f bad=0
	(cd "$T/run" && find . -type f | sort) | comm -13 "$T/inputs" - >"$T/made"
	: >"$T/want-made"
	if [ -d "$1/files" ]; then
		(cd "$1/files" && find . -type f | sort) >"$T/want-made"
	fi
	case_expect "$T/want-made" "$T/made" || bad=1
	while IFS= read -r f; do
		[ -e "$T/run/$f" ] && { case_expect "$1/files/$f" "$T/run/$f" || bad=1; }
	done <"$T/want-made"
	return "$bad"
}

# case_offline TOOL CASE
case_offline() {
	local dir=$DATA/$1/$2 args=() bad=0 f
	case_inputs "$dir"
	case_lines "$dir/args" args
	case_exec "$dir" "" "$1" "${args[@]}"
	sed -i "s|$T/run|@T@|g" "$T/got/out" "$T/got/err"
	for f in out err rc; do
		case_expect "$dir/$f" "$T/got/$f" || bad=1
	done
	case_files "$dir" || bad=1
	return "$bad"
}

# case_normalise DIR FILE...: the ids and the address in FILEs, in place.
case_normalise() {
	local dir=$1 map=$T/ids n
	shift
	: >"$map"
	for n in "${!CASE_IDS[@]}"; do
		printf '%s\t@%s@\n' "${CASE_IDS[$n]}" "$n" >>"$map"
	done
	printf '%s\t@URL@\n' "${MOCK_URL%/v1}" >>"$map"
	awk -v map="$map" '
		BEGIN {
			fid = "file-"; for (i = 0; i < 22; i++) fid = fid "[A-Za-z0-9]"
			bid = "batch_"; for (i = 0; i < 32; i++) bid = bid "[0-9a-f]"
			FS = "\t"; while ((getline l < map) > 0) { split(l, a, "\t"); id[a[1]] = a[2]; order[++n] = a[1] } FS = " " }
		FNR == 1 { if (out != "") close(out); out = FILENAME ".norm" ; printf "" > out }
		{
			line = $0
			for (i = 1; i <= n; i++) { k = order[i]; while ((p = index(line, k)) > 0) line = substr(line, 1, p - 1) id[k] substr(line, p + length(k)) }
			res = ""
			while (match(line, fid) || match(line, bid)) {
				# The leftmost of the two.
				if (match(line, fid)) { s1 = RSTART; l1 = RLENGTH } else s1 = 0
				if (match(line, bid) && (s1 == 0 || RSTART < s1)) { s1 = RSTART; l1 = RLENGTH }
				RSTART = s1; RLENGTH = l1
				k = substr(line, RSTART, RLENGTH)
				if (!(k in id)) id[k] = "@" (k ~ /^file/ ? "file" (++nf) : "batch" (++nb)) "@"
				res = res substr(line, 1, RSTART - 1) id[k]
				line = substr(line, RSTART + RLENGTH)
			}
			print res line > out
		}' "$@"
	for n in "$@"; do [ -e "$n.norm" ] && mv "$n.norm" "$n"; done
	return 0
}

# case_net CASE
case_net() {
	local dir=$DATA/net/$1 opts=() cmd=() names=() name id setup=0 sfx bad=0 f
	case_inputs "$dir"
	case_lines "$dir/mock" opts
	export BATCHPIPE_RETRY_BASE_MS=5 BATCHPIPE_RETRY_MAX_MS=50 BATCHPIPE_MAX_TRIES=8
	MOCK_LOG=$T/mock.log mock_start "${opts[@]}" || return 1
	declare -gA CASE_IDS=()
	case_lines "$dir/upload" names
	for name in "${names[@]}"; do
		id=$(cd "$T/run" && bw_upload "$name")
		[ -n "$id" ] || fail "the upload of $name failed"
		CASE_IDS[$name]=$id
		setup=$((setup + 1))
	done
	case_lines "$dir/batches" names
	for name in "${names[@]}"; do
		id=$(bw_create "${CASE_IDS[$name]}")
		[ -n "$id" ] || fail "no batch for $name"
		CASE_IDS[$name-batch]=$id
		setup=$((setup + 1))
	done
	net_log_wait "$setup" . "$T/mock.log"
	for sfx in '' .2 .3; do
		[ -e "$dir/cmd$sfx" ] || continue
		case_lines "$dir/cmd$sfx" cmd
		for name in "${!CASE_IDS[@]}"; do
			cmd=("${cmd[@]//@$name@/${CASE_IDS[$name]}}")
		done
		case_exec "$dir" "$sfx" "${cmd[@]}"
	done
	# Stopped, the mock has logged every call it answered.
	kill -TERM "$MOCK_PID"
	wait "$MOCK_PID" || true
	tail -n +$((setup + 1)) "$T/mock.log" >"$T/got/protocol"
	local got=()
	for f in out err out.2 err.2 out.3 err.3 protocol; do
		[ -e "$T/got/$f" ] && got+=("$T/got/$f")
	done
	case_normalise "$dir" "${got[@]}"
	# Compared line for line: the mock logs a call before its answer is
	# sent, so a client's calls are logged in the order it made them.
	case_expect "$dir/protocol" "$T/got/protocol" || bad=1
	for f in out err rc out.2 err.2 rc.2 out.3 err.3 rc.3; do
		[ -e "$T/got/$f" ] || continue
		case_expect "$dir/$f" "$T/got/$f" || bad=1
	done
	case_files "$dir" || bad=1
	return "$bad"
}

# The name has no colon: the scratch directory, named after the test, is
# in ASAN_OPTIONS' log_path, and ASAN_OPTIONS is colon-separated.
for d in "$DATA"/*/*/; do
	d=${d%/}
	c=${d##*/} tool=${d%/*} tool=${tool##*/}
	if [ "$tool" = net ]; then
		eval "t_net.$c() { case_net '$c'; }"
	elif [ -x "$BIN/$tool" ]; then
		eval "t_$tool.$c() { case_offline '$tool' '$c'; }"
	fi
done
unset d c tool
