/*
 * The rate limits of oai-mock's live endpoints (the rpm and tpm faults)
 * and the x-ratelimit-* headers that describe them; see server.h.
 *
 * Each limit is a bucket holding one second of its per-minute rate,
 * refilled continuously at rate/60 a second (OpenAI enforces a minute's
 * limit over shorter periods too, so a minute's burst at once is
 * refused).  It starts full.  A request starts only when every bucket
 * holds its cost (a request, and its tokens: input plus max output); a
 * cost larger than a bucket counts as the whole bucket, so it starts
 * when the bucket is full.  The headers say exactly that: remaining is
 * what the bucket holds once the request took its share (rounded down),
 * reset is the time until it is full again.
 */
#include <math.h>
#include <stdio.h>

#include "server.h"

/* Without a limit, the headers show these, always full. */
#define FREE_RPM	10000.0
#define FREE_TPM	30000000.0

void
rl_init(struct ratelimit *rl, const struct mock_store *st, double now)
{
	size_t i;

	rl->rpm = rl->tpm = 0;
	for (i = 0; i < st->nfaults; i++) {
		if (st->faults[i].kind == MF_RPM)
			rl->rpm = st->faults[i].value;
		else if (st->faults[i].kind == MF_TPM)
			rl->tpm = st->faults[i].value;
	}
	rl->req_cap = rl->rpm / 60 < 1 ? 1 : rl->rpm / 60;
	rl->tok_cap = rl->tpm / 60 < 1 ? 1 : rl->tpm / 60;
	rl->req_level = rl->req_cap;
	rl->tok_level = rl->tok_cap;
	rl->refilled = now;
}

static void
refill(struct ratelimit *rl, double now)
{
	double dt = now - rl->refilled;

	rl->refilled = now;
	if (dt <= 0)
		return;
	rl->req_level = fmin(rl->req_cap, rl->req_level + dt * rl->rpm / 60);
	rl->tok_level = fmin(rl->tok_cap, rl->tok_level + dt * rl->tpm / 60);
}

/* OpenAI's duration: "1s", "6m0s", "20ms" (under a second). */
static void
duration(char *out, size_t n, double secs)
{
	long long ms = (long long)ceil(secs * 1000);

	if (ms <= 0)
		snprintf(out, n, "0s");
	else if (ms < 1000)
		snprintf(out, n, "%lldms", ms);
	else if (ms < 60000)
		snprintf(out, n, "%gs", (double)ms / 1000);
	else
		snprintf(out, n, "%lldm%gs", ms / 60000,
		    (double)(ms % 60000) / 1000);
}

double
rl_take(struct ratelimit *rl, long long tokens, double now,
    struct rl_headers *h)
{
	double tok = fmin((double)tokens, rl->tok_cap), wait = 0, w;

	refill(rl, now);
	if (rl->rpm > 0 && rl->req_level < 1)
		wait = (1 - rl->req_level) * 60 / rl->rpm;
	if (rl->tpm > 0 && rl->tok_level < tok &&
	    (w = (tok - rl->tok_level) * 60 / rl->tpm) > wait)
		wait = w;
	if (wait == 0) {
		if (rl->rpm > 0)
			rl->req_level -= 1;
		if (rl->tpm > 0)
			rl->tok_level -= tok;
	}
	if (rl->rpm > 0) {
		snprintf(h->limit_req, sizeof h->limit_req, "%.0f", rl->rpm);
		snprintf(h->remain_req, sizeof h->remain_req, "%.0f",
		    floor(rl->req_level));
		duration(h->reset_req, sizeof h->reset_req,
		    (rl->req_cap - rl->req_level) * 60 / rl->rpm);
	} else {
		snprintf(h->limit_req, sizeof h->limit_req, "%.0f", FREE_RPM);
		snprintf(h->remain_req, sizeof h->remain_req, "%.0f", FREE_RPM);
		duration(h->reset_req, sizeof h->reset_req, 0);
	}
	if (rl->tpm > 0) {
		snprintf(h->limit_tok, sizeof h->limit_tok, "%.0f", rl->tpm);
		snprintf(h->remain_tok, sizeof h->remain_tok, "%.0f",
		    floor(rl->tok_level));
		duration(h->reset_tok, sizeof h->reset_tok,
		    (rl->tok_cap - rl->tok_level) * 60 / rl->tpm);
	} else {
		snprintf(h->limit_tok, sizeof h->limit_tok, "%.0f", FREE_TPM);
		snprintf(h->remain_tok, sizeof h->remain_tok, "%.0f", FREE_TPM);
		duration(h->reset_tok, sizeof h->reset_tok, 0);
	}
	h->set = 1;
	return wait;
}
