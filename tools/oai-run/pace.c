/*
 * The pace of oai-run: requests start only while every limit known has
 * room.  -R and -T are token buckets holding one second of their rate
 * (OpenAI enforces a per-minute limit over shorter periods too, so a
 * minute's burst at once would be refused).  The server's own counts,
 * from the x-ratelimit-remaining-* headers of the latest answer, are
 * taken less what is in flight besides that answer's request (the
 * server may not have counted those yet), spent as requests start,
 * refilled at the x-ratelimit-limit-* rate, and trusted until their reset
 * time, when the server's bucket is full again.  A 429
 * halves the requests in flight and stops every start for the wait the
 * server asks; each answer after that lets one more request fly, up to
 * -c.  It starts with one request in flight, and until the first 429
 * each answer lets one more fly (the window doubles every round trip).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "run.h"

void
pace_init(struct pace *p, int concurrency, double rpm, double tpm,
    double now)
{
	memset(p, 0, sizeof(*p));
	p->rpm = rpm;
	p->tpm = tpm;
	p->req_level = rpm > 0 ? (rpm / 60 < 1 ? 1 : rpm / 60) : 0;
	p->tok_level = tpm / 60;
	p->refilled = now;
	p->hdr_req = p->hdr_tok = -1;
	/* One request first: its answer's headers tell what room there
	 * is, so a first burst of -c does not meet a limit unseen. */
	p->window = 1;
	p->max_window = concurrency;
	p->probing = 1;
}

static void
refill(struct pace *p, double now)
{
	double dt = now - p->refilled, cap;

	p->refilled = now;
	if (p->rpm > 0) {
		cap = p->rpm / 60 < 1 ? 1 : p->rpm / 60;
		p->req_level += dt * p->rpm / 60;
		if (p->req_level > cap)
			p->req_level = cap;
	}
	if (p->tpm > 0) {
		p->tok_level += dt * p->tpm / 60;
		if (p->tok_level > p->tpm / 60)
			p->tok_level = p->tpm / 60;
	}
	if (p->hdr_req >= 0 && p->hdr_req_limit > 0)
		p->hdr_req += dt * p->hdr_req_limit / 60;
	if (p->hdr_tok >= 0 && p->hdr_tok_limit > 0)
		p->hdr_tok += dt * p->hdr_tok_limit / 60;
	if (p->hdr_req >= 0 && now >= p->hdr_req_reset)
		p->hdr_req = -1;
	if (p->hdr_tok >= 0 && now >= p->hdr_tok_reset)
		p->hdr_tok = -1;
}

/* until_room: the seconds until level reaches need at rate a minute,
 * and at the latest at reset. */
static double
until_room(double level, double need, double rate, double reset, double now)
{
	double w = reset - now;

	if (rate > 0 && (need - level) * 60 / rate < w)
		w = (need - level) * 60 / rate;
	return w;
}

double
pace_wait(struct pace *p, long long cost, double now)
{
	double wait = 0, w, full;

	refill(p, now);
	if (now < p->pause_until)
		wait = p->pause_until - now;
	if (p->rpm > 0 && p->req_level < 1 &&
	    (w = (1 - p->req_level) * 60 / p->rpm) > wait)
		wait = w;
	/* A request dearer than the bucket holds starts when it is full. */
	full = p->tpm / 60;
	if (p->tpm > 0 && p->tok_level < (cost < full ? cost : full) &&
	    (w = ((cost < full ? cost : full) - p->tok_level) * 60 / p->tpm) >
	    wait)
		wait = w;
	if (p->hdr_req >= 0 && p->hdr_req < 1 && (w = until_room(p->hdr_req,
	    1, p->hdr_req_limit, p->hdr_req_reset, now)) > wait)
		wait = w;
	if (p->hdr_tok >= 0 && p->hdr_tok < cost && (w = until_room(p->hdr_tok,
	    (double)cost, p->hdr_tok_limit, p->hdr_tok_reset, now)) > wait)
		wait = w;
	if (wait > 0)
		return wait < 0.001 ? 0.001 : wait;
	if (p->rpm > 0)
		p->req_level -= 1;
	if (p->tpm > 0)
		p->tok_level -= (double)cost;
	if (p->hdr_req >= 0)
		p->hdr_req = p->hdr_req > 1 ? p->hdr_req - 1 : 0;
	if (p->hdr_tok >= 0)
		p->hdr_tok = p->hdr_tok > cost ? p->hdr_tok - cost : 0;
	return 0;
}

void
pace_started(struct pace *p, long long cost)
{
	p->inflight++;
	p->inflight_cost += cost;
}

void
pace_ended(struct pace *p, long long cost)
{
	p->inflight--;
	p->inflight_cost -= cost;
}

double
pace_duration(const char *s, size_t n)
{
	double total = 0, v;
	const char *end = s + n;
	char *e;
	int any = 0;

	while (s < end) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = strtod(s, &e);
		if (e == s || e > end)
			return -1;
		s = e;
		if (s == end) {			/* a bare number: seconds */
			total += v;
			any = 1;
			break;
		}
		if (end - s >= 2 && s[0] == 'm' && s[1] == 's') {
			total += v / 1000;
			s += 2;
		} else if (*s == 'h') {
			total += v * 3600;
			s++;
		} else if (*s == 'm') {
			total += v * 60;
			s++;
		} else if (*s == 's') {
			total += v;
			s++;
		} else
			return -1;
		any = 1;
	}
	return any ? total : -1;
}

void
pace_header(struct pace *p, const char *line, size_t n, double now,
    long long own)
{
	static const char pre[] = "x-ratelimit-";
	const char *name, *v, *end = line + n;
	long long count;
	double secs;
	char *e, num[32];
	size_t len;

	if (n <= sizeof(pre) - 1 || strncasecmp(line, pre, sizeof(pre) - 1))
		return;
	name = line + sizeof(pre) - 1;
	if ((v = memchr(name, ':', (size_t)(end - name))) == NULL)
		return;
	len = (size_t)(v - name);
	for (v++; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
	    end[-1] == ' '))
		end--;
	if ((len == 18 && !strncasecmp(name, "remaining-requests", len)) ||
	    (len == 16 && !strncasecmp(name, "remaining-tokens", len)) ||
	    (len == 14 && !strncasecmp(name, "limit-requests", len)) ||
	    (len == 12 && !strncasecmp(name, "limit-tokens", len))) {
		if ((size_t)(end - v) >= sizeof(num) || end == v)
			return;
		memcpy(num, v, (size_t)(end - v));
		num[end - v] = '\0';
		count = strtoll(num, &e, 10);
		if (*e != '\0' || count < 0)
			return;
		/* This answer's own request is still counted in flight. */
		if (len == 18)
			p->hdr_req = count - (p->inflight - 1) > 0 ?
			    (double)(count - (p->inflight - 1)) : 0;
		else if (len == 16)
			p->hdr_tok = count - (p->inflight_cost - own) > 0 ?
			    (double)(count - (p->inflight_cost - own)) : 0;
		else if (len == 14)
			p->hdr_req_limit = (double)count;
		else
			p->hdr_tok_limit = (double)count;
	} else if ((len == 14 && !strncasecmp(name, "reset-requests", len)) ||
	    (len == 12 && !strncasecmp(name, "reset-tokens", len))) {
		if ((secs = pace_duration(v, (size_t)(end - v))) < 0)
			return;
		if (len == 14)
			p->hdr_req_reset = now + secs;
		else
			p->hdr_tok_reset = now + secs;
	}
}

void
pace_answer(struct pace *p, long status, long wait_ms, double now)
{
	if (status == 429) {
		p->probing = 0;
		p->window /= 2;
		if (p->window < 1)
			p->window = 1;
		if (now + wait_ms / 1000.0 > p->pause_until)
			p->pause_until = now + wait_ms / 1000.0;
		return;
	}
	/* Slow start only while nothing says there is room: a server whose
	 * headers leave room for -c requests gets them at once. */
	if (p->probing && p->hdr_req >= p->max_window)
		p->window = p->max_window;
	p->window += p->probing ? 1 : 1 / p->window;
	if (p->window > p->max_window)
		p->window = p->max_window;
}
