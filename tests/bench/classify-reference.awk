# The classification oai-pipeline ran in awk before jsonl-triage (its
# json_awk and classify_awk as of commit 1829069), kept only as
# bench-triage's reference: the speed jsonl-triage is measured against
# and the output it must equal.
function jskipws(s) { sub(/^[ \t\r\n]+/, "", s); return s }
# jvlen(s): the length of the JSON value at the start of s (0 if none).
function jvlen(s,    c, depth, pos, rest) {
	c = substr(s, 1, 1)
	if (c == "\"") return match(s, /^"([^"\\]|\\.)*"/) ? RLENGTH : 0
	if (c != "{" && c != "[") return match(s, /^[^,}\] \t\r\n]+/) ? RLENGTH : 0
	depth = 0; pos = 0
	for (;;) {
		rest = substr(s, pos + 1)
		if (!match(rest, /["{}[\]]/)) return 0
		pos += RSTART
		c = substr(s, pos, 1)
		if (c == "\"") {
			if (!match(substr(s, pos), /^"([^"\\]|\\.)*"/)) return 0
			pos += RLENGTH - 1
		} else if (c == "{" || c == "[") depth++
		else if (--depth == 0) return pos
	}
}
# jtop(obj, key): the text of the top-level member key of the JSON object
# obj, or "" when there is none.
function jtop(s, key,    k, n) {
	s = jskipws(s)
	if (substr(s, 1, 1) != "{") return ""
	s = jskipws(substr(s, 2))
	while (substr(s, 1, 1) == "\"") {
		n = jvlen(s)
		if (n == 0) return ""
		k = substr(s, 1, n)
		s = jskipws(substr(s, n + 1))
		if (substr(s, 1, 1) != ":") return ""
		s = jskipws(substr(s, 2))
		n = jvlen(s)
		if (n == 0) return ""
		if (k == "\"" key "\"") return substr(s, 1, n)
		s = jskipws(substr(s, n + 1))
		if (substr(s, 1, 1) != ",") return ""
		s = jskipws(substr(s, 2))
	}
	return ""
}
function hexval(h,    i, v) {
	v = 0
	for (i = 1; i <= length(h); i++)
		v = v * 16 + index("0123456789abcdef", tolower(substr(h, i, 1))) - 1
	return v
}
function utf8(c) {
	if (c < 128) return sprintf("%c", c)
	if (c < 2048) return sprintf("%c%c", 192 + int(c / 64), 128 + c % 64)
	if (c < 65536) return sprintf("%c%c%c", 224 + int(c / 4096), 128 + int(c / 64) % 64, 128 + c % 64)
	return sprintf("%c%c%c%c", 240 + int(c / 262144), 128 + int(c / 4096) % 64, 128 + int(c / 64) % 64, 128 + c % 64)
}
# junq(tok): the bytes a JSON string token stands for, so that ids compare
# equal however the server escaped them; a non-string token as it is.
function junq(t,    out, i, c, cp, lo) {
	if (substr(t, 1, 1) != "\"") return t == "null" ? "" : t
	t = substr(t, 2, length(t) - 2)
	if (index(t, "\\") == 0) return t
	out = ""
	while ((i = index(t, "\\")) > 0) {
		out = out substr(t, 1, i - 1)
		c = substr(t, i + 1, 1)
		if (c == "u") {
			cp = hexval(substr(t, i + 2, 4)); t = substr(t, i + 6)
			if (cp >= 55296 && cp < 56320 && substr(t, 1, 2) == "\\u") {
				lo = hexval(substr(t, 3, 4))
				if (lo >= 56320 && lo < 57344) { cp = 65536 + (cp - 55296) * 1024 + lo - 56320; t = substr(t, 7) }
			}
			out = out utf8(cp)
		} else {
			out = out (c == "n" ? "\n" : c == "t" ? "\t" : c == "r" ? "\r" : c == "b" ? "\b" : c == "f" ? "\f" : c)
			t = substr(t, i + 2)
		}
	}
	return out t
}
# getid(line): sets ID (the custom_id as bytes) and IDTEXT (as the line
# spells it, without quotes: safe in a TAB-separated record).
function getid(line,    t) {
	t = jtop(line, "custom_id")
	if (substr(t, 1, 1) != "\"") { ID = ""; IDTEXT = ""; return 0 }
	ID = junq(t); IDTEXT = substr(t, 2, length(t) - 2)
	return 1
}
# verdict(line): for a result line sets OK (error null and status 200),
# RETRY (worth submitting again) and WHY (the reason, one line).  Retried:
# HTTP 408, 429 and 5xx answers, and the error codes in RETRY_CODES (the
# request was never run or the server failed); never an invalid request.
function verdict(line,    r, e, st, code, msg, body, be) {
	r = jtop(line, "response"); e = jtop(line, "error")
	st = substr(r, 1, 1) == "{" ? jtop(r, "status_code") : ""
	OK = st == "200" && (e == "" || e == "null")
	RETRY = 0; WHY = ""
	if (OK) return
	code = ""; msg = ""
	if (substr(e, 1, 1) == "{") { code = junq(jtop(e, "code")); msg = junq(jtop(e, "message")) }
	if (code == "" && substr(r, 1, 1) == "{") {
		body = jtop(r, "body")
		be = substr(body, 1, 1) == "{" ? jtop(body, "error") : ""
		if (substr(be, 1, 1) == "{") {
			code = junq(jtop(be, "code"))
			if (code == "") code = junq(jtop(be, "type"))
			if (msg == "") msg = junq(jtop(be, "message"))
		}
	}
	if (!RETRY_SPLIT) { split(RETRY_CODES, a, " "); for (i in a) retrycode[a[i]] = 1; RETRY_SPLIT = 1 }
	RETRY = st ~ /^(408|429|5[0-9][0-9])$/ || (code in retrycode) || (st == "" && code == "")
	WHY = (st != "" ? "HTTP " st ": " : "") (code != "" ? code : "no error code") (msg != "" ? ": " msg : "")
	gsub(/[\t\r\n]+/, " ", WHY)
}
BEGIN { RETRY_CODES = "batch_expired batch_cancelled server_error internal_error rate_limit_exceeded timeout service_unavailable" }

mode == "up"  { n = $2; sub(/.*\//, "", n); file_of[n] = $1; next }
mode == "bat" { batch_of[$2] = $1; next }
mode == "st"  { status_of[$3] = $4; next }
mode == "log" {
	if (match($0, /batch_[A-Za-z0-9_-]+/)) { b = substr($0, RSTART, RLENGTH); s = $0; sub(/^[^:]*: /, "", s); why_batch[b] = s }
	next
}
mode == "res" {
	if (!getid($0)) { printf "oai-pipeline: %s:%d: a result without a custom_id, ignored\n", FILENAME, FNR | "cat >&2"; next }
	verdict($0)
	if (OK) { if (!(ID in ok)) { ok[ID] = 1; print > okf } }
	else if (!(ID in ok)) { why[ID] = WHY; retry[ID] = RETRY; print > failf }
	next
}
mode == "held" { held_file[$0] = 1; next }
mode == "req" {
	getid($0); total++
	if (ID in ok) { nok++; next }
	n = FILENAME; sub(/^.*\/in\//, "in/", n)
	if (n in held_file) {
		printf "%s\theld\tnot sent: its batch would take the job past the budget (-B %s)\n", IDTEXT, budget > whyf
		print > retryf; nheld++
		next
	}
	if (ID in why) { r = retry[ID]; w = why[ID] }
	else {
		r = 1; n = FILENAME; sub(/.*\//, "", n); b = batch_of[file_of[n]]
		w = "no result" (b in why_batch ? " (" why_batch[b] ")" : b in status_of ? " (batch " b " " status_of[b] ")" : b != "" ? " (batch " b ")" : "")
	}
	printf "%s\t%s\t%s\n", IDTEXT, r ? "retry" : "final", w > whyf
	if (r) { print > retryf; nretry++ } else nfinal++
	next
}
END { printf "requests %d\nsucceeded %d\nretry %d\nfailed %d\nheld %d\n", total, nok, nretry, nfinal, nheld }
