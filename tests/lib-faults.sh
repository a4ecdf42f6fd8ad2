# shellcheck shell=bash
# Helpers for tests/test-faults.sh (sourced by tests/lib.sh).  Names start
# with fault_.

# fault_shim NAME: builds tests/shim/NAME.c once per run (shared by the
# tests, in $WORK) and sets $shim to the .so.
fault_shim() {
	shim=$WORK/shim-$1.so
	[ -e "$shim" ] && return 0
	cc -shared -fPIC -O1 -o "$shim.$$" "$TOP/tests/shim/$1.c" -ldl
	mv -f "$shim.$$" "$shim"
}

# fault_preload_ok: 0 when LD_PRELOAD shims can be used.  Not under ASan:
# its runtime must come first in the process and replaces malloc itself.
fault_preload_ok() {
	[ "$LABEL" != asan ]
}

# fault_data: small inputs in $T: items.jsonl (3 items u1..u3),
# req.jsonl (their requests), res.jsonl (their results, out of order).
fault_data() {
	local i
	for i in 1 2 3; do printf '{"uuid":"u%d","name":"n%d"}\n' "$i" "$i"; done >items.jsonl
	for i in 3 1 2; do
		printf '{"id":"batch_req_%d","custom_id":"u%d","response":{"status_code":200,"request_id":"r","body":{"id":"c","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"a%d"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}},"error":null}\n' "$i" "$i" "$i"
	done >res.jsonl
	"$BIN/jsonl-prompt" -m gpt-4o-mini -i uuid -t '{name}' items.jsonl >req.jsonl
}

# fault_many_requests N FILE: N request lines of about 150 bytes.
fault_many_requests() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"custom_id\":\"r%d\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"question number %d\"}]}}\n", i, i }' >"$2"
}

# fault_no_temporaries DIR: DIR holds no temporary file of atomicfile
# (.NAME.tmp.XXXXXX) or anything else hidden.
fault_no_temporaries() {
	local left
	left=$(find "$1" -name '.*' ! -name . 2>/dev/null | head -5)
	[ -z "$left" ] || fail "temporary files left in $1: $left"
}

# fault_mount_tmpfs DIR SIZE [ro]: mounts a tmpfs of SIZE on DIR (as root
# only; returns 1 when that is impossible here).  An EXIT trap of the
# test's subshell unmounts it, however the test ends.
fault_mount_tmpfs() {
	mkdir -p "$1"
	[ "$(id -u)" -eq 0 ] || return 1
	mount -t tmpfs -o "size=$2${3:+,$3}" tmpfs "$1" 2>/dev/null || return 1
	# shellcheck disable=SC2064
	trap "umount '$1' 2>/dev/null || true" EXIT
}

# fault_ro_dir DIR: DIR exists and cannot be written by the tools (mode
# 555 for a user; a read-only tmpfs for root).  Returns 1 if impossible.
fault_ro_dir() {
	if [ "$(id -u)" -ne 0 ]; then
		mkdir -p "$1" && chmod 555 "$1"
		return 0
	fi
	fault_mount_tmpfs "$1" 64k ro
}
