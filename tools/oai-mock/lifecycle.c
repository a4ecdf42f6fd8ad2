/*
 * The lifecycle of oai-mock's batches: validating, in_progress,
 * finalizing, then completed, failed, expired or cancelled, each phase
 * as long as -t says, moved along by the clock; see mock.h.  Callers
 * hold the lock.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mock.h"

static long long
enqueued_tokens(struct mock_store *st)
{
	long long sum = 0;
	size_t i;

	for (i = 0; i < st->nbatches; i++)
		if (st->batches[i]->status == MB_IN_PROGRESS ||
		    st->batches[i]->status == MB_FINALIZING)
			sum += st->batches[i]->est_tokens;
	return sum;
}

/* grouped: v, a whole number, with thousands commas in out, as OpenAI
 * writes the limit in its token_limit_exceeded message ("2,000,000"). */
static const char *
grouped(char *out, size_t n, double v)
{
	char digits[64];
	size_t i, j, len;

	snprintf(digits, sizeof digits, "%.0f", v);
	len = strlen(digits);
	for (i = j = 0; i < len && j + 2 < n; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = digits[i];
	}
	out[j] = '\0';
	return out;
}

static void
start_processing(struct mock_batch *b, double now)
{
	struct mock_store *st = b->st;
	char msg[512], num[96];
	size_t i;

	if (validate(b) != 0)
		goto failed;
	for (i = 0; i < st->nfaults; i++) {
		struct mock_fault *f = &st->faults[i];

		if (f->kind != MF_FAIL_BATCH || (f->limit > 0 &&
		    f->seen >= (unsigned long long)f->limit))
			continue;
		f->seen++;
		batch_error(b, "invalid_request", 0, "The batch was refused "
		    "(a fault oai-mock was told to inject).", NULL);
		b->total = 0;
		release_input(b);
		goto failed;
	}
	for (i = 0; i < st->nfaults; i++) {
		struct mock_fault *f = &st->faults[i];

		if (f->kind == MF_TOKEN_LIMIT &&
		    (double)(enqueued_tokens(st) + b->est_tokens) > f->value) {
			snprintf(msg, sizeof msg, "Enqueued token limit reached "
			    "for %s in organization org-mock. Limit: %s "
			    "enqueued tokens. Please try submitting fewer tasks "
			    "or wait until other batches have completed.",
			    b->model, grouped(num, sizeof num, f->value));
			batch_error(b, "token_limit_exceeded", 0, msg, NULL);
			b->total = 0;
			release_input(b);
			goto failed;
		}
	}
	if (open_results(b) != 0) {
		batch_error(b, "server_error", 0, "The server could not store "
		    "the results.", NULL);
		b->total = 0;
		release_input(b);
		goto failed;
	}
	b->stop_at = b->total;
	for (i = 0; i < st->nfaults; i++) {
		struct mock_fault *f = &st->faults[i];

		if ((f->kind != MF_EXPIRE && f->kind != MF_CANCEL) ||
		    b->stop_at < b->total)
			continue;
		if (f->limit > 0 && f->seen >= (unsigned long long)f->limit)
			continue;
		f->seen++;
		b->stop_at = (size_t)floor(f->value * (double)b->total);
		b->stop_as = f->kind == MF_EXPIRE ? MB_EXPIRED : MB_CANCELLING;
	}
	b->status = MB_IN_PROGRESS;
	b->in_progress_at = mock_wall();
	b->t_phase = now;
	return;
failed:
	b->status = MB_FAILED;
	b->failed_at = mock_wall();
}

static void
finish(struct mock_batch *b, enum mock_bstatus final)
{
	long long now = mock_wall();

	close_results(b);
	release_input(b);
	b->status = final;
	if (final == MB_COMPLETED)
		b->completed_at = now;
	else if (final == MB_EXPIRED)
		b->expired_at = now;
	else
		b->cancelled_at = now;
}

static void
begin_cancel(struct mock_batch *b, double now)
{
	b->status = MB_CANCELLING;
	b->cancelling_at = mock_wall();
	b->t_phase = now;
}

/* Moves b as far along its lifecycle as the clock says. */
static void
advance(struct mock_batch *b, double now)
{
	struct mock_store *st = b->st;
	size_t target;

	for (;;) {
		switch (b->status) {
		case MB_VALIDATING:
			if (now < b->t_phase + st->t_validating)
				return;
			start_processing(b, now);
			break;
		case MB_IN_PROGRESS:
			if (st->t_in_progress <= 0 ||
			    now >= b->t_phase + st->t_in_progress)
				target = b->total;
			else
				target = (size_t)ceil((double)b->total *
				    (now - b->t_phase) / st->t_in_progress);
			if (target > b->stop_at)
				target = b->stop_at;
			/* A bounded share a tick: the caller holds the lock that
			 * every HTTP request waits for. */
			if (target > b->done + MOCK_ANSWERS_PER_TICK)
				target = b->done + MOCK_ANSWERS_PER_TICK;
			while (b->done < target)
				process_one(b);
			if (b->done == b->stop_at && b->stop_at < b->total) {
				if (b->stop_as == MB_EXPIRED) {
					abandon_rest(b, "batch_expired", "This "
					    "request could not be executed before "
					    "the completion window expired.");
					finish(b, MB_EXPIRED);
				} else
					begin_cancel(b, now);
				break;
			}
			if (b->done < b->total)
				return;
			b->status = MB_FINALIZING;
			b->finalizing_at = mock_wall();
			b->t_phase = now;
			break;
		case MB_FINALIZING:
			if (now < b->t_phase + st->t_finalizing)
				return;
			finish(b, MB_COMPLETED);
			break;
		case MB_CANCELLING:
			if (now < b->t_phase + st->t_finalizing)
				return;
			abandon_rest(b, "batch_cancelled", "This request was not "
			    "executed because the batch was cancelled.");
			finish(b, MB_CANCELLED);
			break;
		default:
			return;
		}
	}
}

int
mock_batch_cancel(struct mock_batch *b, double now)
{
	switch (b->status) {
	case MB_VALIDATING:
	case MB_IN_PROGRESS:
	case MB_FINALIZING:
		begin_cancel(b, now);
		return 0;
	case MB_CANCELLING:
	case MB_CANCELLED:
		return 0;
	default:
		return -1;
	}
}

void
mock_store_tick(struct mock_store *st, double now)
{
	size_t i;

	for (i = 0; i < st->nbatches; i++)
		advance(st->batches[i], now);
}
