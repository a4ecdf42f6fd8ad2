/*
 * oai-run's parts: the requests in flight (xfer.c), the pace that keeps
 * them under the rate limits (pace.c), the output and its resume
 * (out.c) and the progress line (meter.c).  main.c reads the input and
 * drives them.
 */
#ifndef RUN_H
#define RUN_H
#include <stddef.h>
#include <curl/curl.h>

#include "buf.h"
#include "config.h"
#include "idset.h"
#include "progress.h"
#include "retry.h"

/* The limits a server announces in x-ratelimit-* headers, and those
 * given by -R and -T, in one place: pace_wait says when the next request
 * may start. */
struct pace {
	double	 rpm, tpm;		/* -R, -T: 0 when not given */
	double	 req_level, tok_level;	/* their buckets: what may start now */
	double	 refilled;		/* when the buckets were last filled */
	double	 hdr_req, hdr_tok;	/* the server's remaining counts, less
					 * what is in flight; -1 unknown */
	double	 hdr_req_limit, hdr_tok_limit;	/* its limits a minute, 0
					 * unknown: the refill rate */
	double	 hdr_req_reset, hdr_tok_reset;	/* when they are full */
	int	 inflight;		/* requests started, not answered */
	long long inflight_cost;	/* their tokens */
	double	 pause_until;		/* after a 429: nothing starts before */
	double	 window;		/* requests in flight allowed now */
	int	 max_window;		/* -c */
	int	 probing;		/* no 429 yet: the window doubles */
};

void	 pace_init(struct pace *p, int concurrency, double rpm, double tpm,
	    double now);
/* pace_wait: 0 when a request of cost tokens may start now (and counts
 * it as started), else the seconds to wait before asking again. */
double	 pace_wait(struct pace *p, long long cost, double now);
/* pace_header: one answer header line (as libcurl gives it) of the
 * answer to a request of own tokens; reads the
 * x-ratelimit-{limit,remaining,reset}-{requests,tokens} values. */
void	 pace_header(struct pace *p, const char *line, size_t n, double now,
	    long long own);
/* pace_started, pace_ended: a request of cost tokens went out, or its
 * answer (or its failure) came back. */
void	 pace_started(struct pace *p, long long cost);
void	 pace_ended(struct pace *p, long long cost);
/* pace_answer: an answer came back; status 429 halves the window and
 * pauses everything for wait_ms (the server's Retry-After, else a
 * backoff), any other status lets the window grow again. */
void	 pace_answer(struct pace *p, long status, long wait_ms, double now);
/* pace_duration: the seconds of a reset value ("1s", "6m0s", "20ms",
 * "1h2m3.5s", "0.5"), or -1 when it is not one. */
double	 pace_duration(const char *s, size_t n);

/* One request, from its line to its result. */
struct xfer {
	CURL		*curl;
	int		 busy;		/* holds a request */
	int		 active;	/* in the multi handle now */
	double		 due;		/* when not active: when to try again */
	int		 tries;
	struct buf	 id;		/* custom_id as written (JSON) */
	struct buf	 idtext;	/* decoded, for the resume set */
	struct buf	 url;		/* the full URL */
	struct buf	 body;		/* the request body, sent as is */
	long long	 cost;		/* input + output tokens, estimated */
	struct buf	 answer;	/* the answer's body */
	int		 too_big;
	char		 request_id[128];
	char		*after, *after_ms;	/* Retry-After, retry-after-ms */
	char		 err[CURL_ERROR_SIZE];
	struct run	*run;
};

/* What the loop shares with the parts. */
struct run {
	struct oai_config	 cfg;
	struct retry_policy	 policy;
	struct curl_slist	*headers;
	CURLM			*multi;
	struct xfer		*xfers;
	int			 nxfers;
	long			 stall_s;
	struct pace		 pace;
	int			 verbose, quiet;
	struct progress		 meter;

	int			 outfd;		/* stdout or -o's */
	const char		*outname;
	struct buf		 pending;	/* whole lines not yet written */
	struct buf		 scratch;
	double			 synced;	/* when -o was last fsync'd */
	struct idset		*done;		/* custom_ids with a success */
	struct idset		*seen;		/* custom_ids of this input */

	unsigned long long	 total;		/* requests to send; 0 unknown */
	unsigned long long	 answered, failed, gave_up, skipped;
	long long		 tokens;	/* estimated, of those answered */
	double			 started;
};

/* xfer.c */
void	 xfer_setup(struct run *r, int n);
void	 xfer_start(struct xfer *x);
/* xfer_finish: the transfer x ended with code; writes its result line,
 * or sets it to try again later.  Returns 1 when x is free again, 0 when
 * it waits for another try, -1 when the answer says no request can
 * succeed (HTTP 401, reported). */
int	 xfer_finish(struct xfer *x, CURLcode code);
void	 xfer_cleanup(struct run *r);

/* out.c */
/* out_open: -o path (NULL: standard output).  An existing file is read:
 * each custom_id with a success goes into r->done, and the file is
 * rewritten with those lines alone (atomically), so a re-run appends only
 * what it sends.  Returns 0, or -1 after reporting. */
int	 out_open(struct run *r, const char *path);
/* out_result: appends one result line for x (status 0: no answer). */
void	 out_result(struct run *r, struct xfer *x, long status,
	    const char *code, const char *message);
/* out_flush: writes the lines held; with force or after a while, makes
 * -o durable.  Returns 0, or -1 after reporting a write error. */
int	 out_flush(struct run *r, int force);

/* meter.c: the progress line (last: erase it). */
void	 meter_draw(struct run *r, double now, int last);

#endif
