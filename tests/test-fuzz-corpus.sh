# shellcheck shell=bash
# The fuzz targets' seed corpora and regression inputs, replayed without
# libFuzzer: each target (tests/fuzz/fuzz_*.c) is linked with a plain
# main() (tests/fuzz/standalone.c) against the library of the build under
# test ($BIN/../obj/libbatchpipe.a; with ASan+UBSan in the asan run), and
# every file of tests/fuzz/corpus/TARGET is run through it.  (Before any
# tool exists the library is not built: then common/*.c are compiled in.)  So a crash
# the fuzzer once found stays fixed under `make check`, without clang.

# corpus_replay TARGET
corpus_replay() {
	local t=$1 lib=("$BIN/../obj/libbatchpipe.a") san=()
	if [ ! -e "${lib[0]}" ]; then
		lib=()
		# A target that includes a common/*.c file (to reach its static
		# functions) must not get that file twice.
		for f in "$TOP"/common/*.c; do
			grep -q "#include \"../../common/${f##*/}\"" "$TOP/tests/fuzz/$t.c" ||
				lib+=("$f")
		done
	fi
	# The tool parts the target names on its "/* links: ... */" line
	# (read fails at the end of no line: a target without one).
	local links=()
	read -ra links < <(sed -n 's|^/\* links: \(.*\) \*/$|\1|p' "$TOP/tests/fuzz/$t.c") || true
	links=("${links[@]/#/$TOP/}")
	[ "$LABEL" = asan ] && san=("-fsanitize=address,undefined" -fno-sanitize-recover=all)
	# shellcheck disable=SC2046
	cc -std=c11 -D_GNU_SOURCE -DBATCHPIPE_VERSION="\"fuzz\"" -g -O1 "${san[@]}" -I"$TOP/common" \
		$(pkg-config --cflags json-c) -o "$T/$t" \
		"$TOP/tests/fuzz/standalone.c" "$TOP/tests/fuzz/$t.c" "${links[@]}" "${lib[@]}" \
		$(pkg-config --libs libcurl json-c libcrypto libmicrohttpd) -lm
	local files=("$TOP/tests/fuzz/corpus/$t"/*)
	[ -e "${files[0]}" ] || fail "no seed corpus for $t"
	run "$T/$t" "${files[@]}"
	expect_rc 0
}

for f in "$TOP"/tests/fuzz/fuzz_*.c; do
	t=${f##*/}
	t=${t%.c}
	eval "t_corpus_$t() { corpus_replay $t; }"
done
unset f t
