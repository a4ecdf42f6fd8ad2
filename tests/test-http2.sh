# shellcheck shell=bash
# HTTPS and HTTP/2 as a user meets them: nghttpx, a TLS frontend that
# offers h2, on a throwaway self-signed certificate, in front of oai-mock.
# oai-run multiplexes its requests on one connection; the batch tools go
# through the same proxy; the certificate is trusted only through
# CURL_CA_BUNDLE or SSL_CERT_FILE, and a wrong one is refused.

# h2_nghttpx: the nghttpx command.  Missing, the test fails: scripts/deps
# check installs it (Debian's nghttp2-proxy), and a skip would hide that
# nothing here ran.
h2_nghttpx() {
	local p
	for p in "$(command -v nghttpx)" /usr/sbin/nghttpx; do
		[ -n "$p" ] && [ -x "$p" ] && { printf '%s\n' "$p"; return 0; }
	done
	fail "nghttpx is missing: sh scripts/deps check installs it (nghttp2-proxy)"
}

# h2_free_port: a loopback port no one listens on now.
h2_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# h2_start [oai-mock options]: oai-mock (its log in $T/mock.log) behind
# nghttpx on https://127.0.0.1:PORT with a certificate for 127.0.0.1 made
# now ($T/cert.pem); its access log, $T/access.log, has one line a
# request: "client-port alpn method path status".  Exports
# OPENAI_BASE_URL to the proxy and H2_CERT; trusts nothing yet.
h2_start() {
	local ngx port backend
	ngx=$(h2_nghttpx)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 1 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 \
		-keyout "$T/key.pem" -out "$T/cert.pem" 2>"$T/openssl.err" ||
		{ cat "$T/openssl.err"; fail "openssl could not make a certificate"; }
	MOCK_LOG=$T/mock.log mock_start "$@"
	backend=${MOCK_URL#http://}
	backend=${backend%/v1}
	# Another process may take the port between the look and the bind:
	# then nghttpx exits, and another port is tried.
	for _ in 1 2 3 4 5; do
		port=$(h2_free_port)
		cat >"$T/nghttpx.conf" <<-EOF
		frontend=127.0.0.1,$port
		backend=${backend%:*},${backend##*:}
		private-key-file=$T/key.pem
		certificate-file=$T/cert.pem
		workers=1
		no-ocsp=yes
		accesslog-file=$T/access.log
		accesslog-format=\$remote_port \$alpn \$method \$path \$status
		errorlog-file=$T/nghttpx.log
		EOF
		: >"$T/nghttpx.log"
		background "$ngx" --conf="$T/nghttpx.conf" 2>>"$T/nghttpx.log"
		H2_PID=$!
		for _ in $(seq 1 100); do
			grep -q 'Created worker thread' "$T/nghttpx.log" && break
			kill -0 "$H2_PID" 2>/dev/null || break
			sleep 0.05
		done
		if grep -q 'Created worker thread' "$T/nghttpx.log"; then
			OPENAI_BASE_URL=https://127.0.0.1:$port/v1 H2_CERT=$T/cert.pem
			export OPENAI_BASE_URL H2_CERT
			return 0
		fi
		kill "$H2_PID" 2>/dev/null || true
	done
	cat "$T/nghttpx.log"
	fail "nghttpx did not start"
}

# One connection, h2, many streams at once: -c 16 on 64 requests, each
# answered after 200 ms, come as h2 streams on one client connection (one
# client port in the proxy's log) and overlap at the server.
t_run_multiplexes_over_http2() {
	local max
	h2_start -L 200
	export CURL_CA_BUNDLE=$H2_CERT
	net_lines 64 req.jsonl
	run oai-run -c 16 req.jsonl
	expect_rc 0
	expect_empty "$T/err"
	expect_lines 64 "$T/out"
	expect_eq "$(grep -c '"status_code":200' "$T/out")" 64 "answered 200"
	expect_eq "$(sed 's/.*"custom_id":"\([^"]*\)".*/\1/' "$T/out" | sort -u | wc -l)" 64 "distinct custom_ids"
	net_log_wait 64 ' POST /v1/chat/completions ' "$T/access.log"
	expect_eq "$(grep -c ' POST /v1/chat/completions 200$' "$T/access.log")" 64 "requests through the proxy"
	expect_eq "$(awk '{ print $2 }' "$T/access.log" | sort -u | tr '\n' ' ')" "h2 " "protocols"
	expect_eq "$(awk '{ print $1 }' "$T/access.log" | sort -u | wc -l)" 1 "client connections"
	max=$(sed -n 's/.* (\([0-9]*\) in flight)$/\1/p' "$T/mock.log" | sort -n | tail -n 1)
	[ "${max:-0}" -gt 1 ] || fail "at most ${max:-0} request in flight at the server"
}

# The batch path through the same proxy: upload, create, wait, fetch.
t_batch_tools_over_http2() {
	h2_start -t 0.05,0.2,0.05
	export CURL_CA_BUNDLE=$H2_CERT
	net_lines 5 req.jsonl
	oai-upload req.jsonl | oai-batch | oai-wait -q -i 0.1 | oai-fetch >out.jsonl
	expect_lines 5 out.jsonl
	expect_eq "$(grep -c '"status_code":200' out.jsonl)" 5 "answered 200"
	expect_eq "$(sed 's/.*"custom_id":"\([^"]*\)".*/\1/' out.jsonl | sort | tr '\n' ' ')" \
		"req.jsonl-1 req.jsonl-2 req.jsonl-3 req.jsonl-4 req.jsonl-5 " "custom_ids"
	expect_grep ' POST /v1/files 200$' "$T/access.log"
	expect_grep ' POST /v1/batches 200$' "$T/access.log"
	expect_grep ' GET /v1/files/[^ ]*/content 200$' "$T/access.log"
	expect_eq "$(awk '{ print $2 }' "$T/access.log" | sort -u | tr '\n' ' ')" "h2 " "protocols"
}

# Without a CA bundle the self-signed certificate is refused and nothing
# is sent; a bundle that is not there is a configuration error; either
# variable names a good one.
t_ca_bundle_refused_when_wrong() {
	h2_start
	net_fast 2
	net_lines 3 req.jsonl
	# A certificate that cannot be verified is final: no try would settle
	# it differently.  The run stops at once and says where a CA goes.
	run oai-run req.jsonl
	expect_rc 1
	expect_empty "$T/out"
	expect_grep 'SSL certificate problem: self-signed certificate; to trust a CA of your own, name its file in CURL_CA_BUNDLE; nothing more is sent$' "$T/err"
	run oai-upload req.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-upload: GET /v1/files: SSL certificate problem: self-signed certificate; to trust a CA of your own, name its file in CURL_CA_BUNDLE"
	expect_no_grep POST "$T/mock.log"
	expect_empty "$T/access.log"

	CURL_CA_BUNDLE=$T/nothere.pem SSL_CERT_FILE=$H2_CERT run oai-run req.jsonl
	expect_rc 1
	expect_empty "$T/out"
	expect_eq "$(cat "$T/err")" "oai-run: CURL_CA_BUNDLE: $T/nothere.pem: No such file or directory"
	CURL_CA_BUNDLE='' run oai-run req.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-run: CURL_CA_BUNDLE is set but empty: give the CA bundle's file, or unset it"
	SSL_CERT_FILE=$T run oai-upload req.jsonl
	expect_rc 1
	expect_eq "$(cat "$T/err")" "oai-upload: SSL_CERT_FILE: $T: not a regular file"
	expect_no_grep POST "$T/mock.log"

	SSL_CERT_FILE=$H2_CERT run oai-run req.jsonl
	expect_rc 0
	expect_eq "$(grep -c '"status_code":200' "$T/out")" 3 "answered with SSL_CERT_FILE"
	CURL_CA_BUNDLE=$H2_CERT run oai-rm -f file-x
	expect_rc 0
	net_log_wait 3 ' POST ' "$T/mock.log"
	expect_eq "$(grep -c ' POST /v1/chat/completions ' "$T/mock.log")" 3 "requests at the server"
}
