/*
 * oai-run's progress line on a terminal: done of total, the rates of
 * requests and tokens per minute, the failures and the time left.
 */
#include <stdio.h>

#include "run.h"

/* A count shown in three figures or so: 950, 12.3k, 4.5M. */
static void
human(char *s, size_t n, double v)
{
	if (v < 1000)
		snprintf(s, n, "%.0f", v);
	else if (v < 1e6)
		snprintf(s, n, "%.1fk", v / 1e3);
	else
		snprintf(s, n, "%.1fM", v / 1e6);
}

void
meter_draw(struct run *r, double t, int last)
{
	char rpm[16], tpm[16], eta[32] = "";
	unsigned long long done = r->answered + r->skipped;
	double mins = (t - r->started) / 60, left;

	if (last) {
		progress_clear(&r->meter);
		return;
	}
	if (mins <= 0)
		return;
	human(rpm, sizeof(rpm), r->answered / mins);
	human(tpm, sizeof(tpm), r->tokens / mins);
	if (r->total > 0 && r->answered > 0 && done < r->total) {
		left = (r->total - done) * (t - r->started) / r->answered;
		if (left < 60)
			snprintf(eta, sizeof(eta), ", ETA %ds", (int)left + 1);
		else if (left < 3600)
			snprintf(eta, sizeof(eta), ", ETA %dm", (int)(left / 60) + 1);
		else
			snprintf(eta, sizeof(eta), ", ETA %dh%02dm",
			    (int)(left / 3600), (int)(left / 60) % 60);
	}
	if (r->total > 0)
		progress_line(&r->meter, "oai-run: %llu of %llu (%.0f%%), %s "
		    "req/min, %s tok/min, %llu failed%s", done, r->total,
		    100.0 * done / r->total, rpm, tpm, r->failed, eta);
	else
		progress_line(&r->meter, "oai-run: %llu done, %s req/min, %s "
		    "tok/min, %llu failed", done, rpm, tpm, r->failed);
}
