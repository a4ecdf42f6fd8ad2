/* oai-batch's parts: what the server has (known.c), the create and its
 * reconciliation (create.c), the batch queue (queue.c) and what it
 * teaches (learn.c), the endpoint of a file's requests (endpoint.c), and
 * the way from one input file id to its batch (submit.c).  Only
 * oai-batch includes this. */
#ifndef OAI_BATCH_H
#define OAI_BATCH_H
#include <stddef.h>
#include <time.h>

#include "reqcount.h"
#include "runlock.h"

struct batchobj;
struct http;
struct idsrc;
struct json_object;

#define MAX_METADATA	16	/* CreateBatchRequest: Metadata */
#define MAX_KEY		64
#define MAX_VALUE	512
#define MAX_MODEL	256

/* The metadata -Q writes on the batches it creates. */
#define META_TOKENS	"batchpipe_tokens"	/* input tokens, decimal */
#define META_MODEL	"batchpipe_model"	/* the requests' model */

/* A batch runs for 24 hours at most (its completion window) and then
 * expires; the margin covers finalizing, expiring and the clocks.  A
 * batch created before that is no longer enqueued. */
#define QUEUE_HORIZON	(26 * 3600)
#define GROWTH		1.5	/* a wait grows by this a poll... */
#define CAP_SECONDS	120.0	/* ...up to this, or -i if longer */
#define TOKEN_LIMIT	"token_limit_exceeded"	/* the queue was full */
/* A string from the server fit to print and, for an id, to use. */
#define VALID(s)	idsrc_valid((s), strlen(s))

/* submit's answer for a file that gets no batch (said why): the run goes
 * on to the next file, unless -x. */
#define REFUSED		(-2)

/* A batch the server has (or that this run created). */
struct known {
	char		*id;
	char		*file_id;
	char		*status;
	long long	 created_at;
	long long	 tokens;	/* from its metadata, or -1 */
	char		*model;		/* from its metadata, or NULL */
	int		 before;	/* listed before the create in progress */
	int		 ours;		/* created (or found after a loss) here */
	int		 warned;	/* enqueued, of unknown tokens: said */
	/* Its id or status is unfit to use (VALID): it is still the
	 * file's batch, so no other is created, but it is not printed. */
	int		 odd;
	unsigned	 listing;	/* the last listing it was in, or 0 */
	long		 rank;		/* its place in that listing, 1 the
					 * newest */
};

/* A model's batch queue, learnt (-Q auto) from a batch that failed with
 * token_limit_exceeded: the newest such batch wins. */
struct learnt {
	char		*model;
	char		*batch;		/* the batch it was learnt from */
	long long	 limit;		/* enqueued tokens */
	long long	 when;		/* that batch's created_at */
};

/* One run: what was asked, the server, and what its listings said. */
struct run {
	const char	*endpoint;	/* -e, or NULL */
	const char	*window;	/* -w, or NULL: the provider's first */
	char		*pairs[MAX_METADATA];	/* -m key=value */
	int		 npairs;
	int		 qflag;		/* -Q */
	long long	 qtokens;	/* -Q tokens */
	int		 tier;		/* -Q tier-N, or 0 */
	int		 auto_limit;	/* -Q auto */
	int		 force;		/* -f */
	int		 quiet;		/* -q */
	int		 stop_first;	/* -x */
	int		 live;		/* notes for a person on a terminal */
	double		 first_interval;	/* -i */

	struct http	*http;
	const char	*base_path;	/* for messages */
	const char	*base_url;	/* the locks' server */
	struct json_object *body;	/* the create's request */
	struct reqcount	 rc;		/* -Q's counting */
	struct runlock	 lock;		/* the file's, while it is worked on */
	char		 said[MAX_MODEL];	/* the model of no encoding
						 * named last */

	struct known	*known;
	size_t		 nknown;
	struct learnt	*learnt;
	size_t		 nlearnt;
	long long	 covered;	/* listed back to this */
	unsigned	 listing;	/* listings read so far */
	long		 listed;	/* batches in the current listing */
	time_t		 listed_at;	/* when the last listing was asked */
};

/* known.c */

/* meta_tokens: the input tokens -Q wrote in batch o's metadata, or -1;
 * *model the model it wrote (o's, valid while o is), or NULL. */
long long	meta_tokens(struct json_object *o, const char **model);

/* remember: adds batch b (or refreshes the status of one known), created
 * at when, with its -Q metadata from o (NULL: none known yet).  The
 * pointer is good until the next remember or listing. */
struct known	*remember(struct run *run, const struct batchobj *b,
		    long long when, struct json_object *o);

/* id_shown: k's id fit for a message (an odd one escaped), valid until
 * the next call. */
const char	*id_shown(const struct known *k);

/* list_batches: reads the batches created at since or later (newest
 * first, so it reads no further back) into run's known batches, learning
 * queues from them with -Q auto.  Returns as http_list. */
int		 list_batches(struct run *run, long long since);

/* usable: the newest batch of file_id that is not failed: one still
 * running, or one that ran (completed, expired, cancelled) and holds
 * results that were paid for.  With -f only one this run made counts.
 * With after_loss: the newest one that was not there before the create
 * whose answer was lost, whatever its status.  NULL when none. */
struct known	*usable(struct run *run, const char *file_id, int after_loss);

/* file_since: how far back the batches of file_id can be: its creation
 * (GET /files/ID), less the clocks' margin.  0 (all of them) when the
 * file does not say; LLONG_MAX when the server has no such file.
 * Returns as http_request, having reported a failure. */
int		 file_since(struct run *run, const char *file_id,
		    long long *since);

/* known_free: frees run's known batches and learnt queues. */
void		 known_free(struct run *run);

/* create.c */

/* create: POST /batches for file_id, whose batches are listed back to
 * since.  Returns HTTP_OK with *made set, or an http_rc after the error
 * was reported.  A lost answer is reconciled by listing, never blindly
 * sent again. */
int		 create(struct run *run, const char *file_id, long long since,
		    struct known **made);

/* converge: k was just created for file_id; when another process made a
 * live batch for it at the same moment, the older one is the file's and
 * the newer is cancelled.  Returns the file's batch (k when the listing
 * fails, reported). */
struct known	*converge(struct run *run, const char *file_id,
		    long long since, struct known *k);

/* learn.c */

/* learnt_limit: the queue of model learnt so far, or -1. */
long long	 learnt_limit(const struct run *run, const char *model);

/* learn: when Batch o (id, status, created at when) failed with
 * token_limit_exceeded and its message names the limit, that limit is
 * its model's, unless a newer batch already taught one.  Says a new or
 * changed limit unless -q.  Returns 1 when o is such a batch (whether or
 * not it was the newest), 0 when it is not, -1 when it failed with
 * token_limit_exceeded but names no usable limit or model. */
int		 learn(struct run *run, struct json_object *o, const char *id,
		    const char *status, long long when);

/* probe: polls batch k, of model, just created while model's queue was
 * unknown (-Q auto), until it leaves validating.  Returns 1 when it
 * failed with token_limit_exceeded and taught the limit (the file needs
 * another batch); 0 otherwise, a poll that failed (said) included. */
int		 probe(struct run *run, struct known *k, const char *model);

/* queue.c */

/* queue_file: -Q for file_id, whose input line's rest names its requests
 * on disk: counts them, checks they can ever fit, and waits until they
 * fit.  Returns HTTP_OK with *tokens and model (MAX_MODEL bytes) set;
 * HTTP_FAILED after saying why the file cannot be queued; or as
 * list_batches.  With -Q auto and no limit known it returns HTTP_OK at
 * once (the batch made will be the probe); with -Q auto and a
 * first_model of no known encoding, HTTP_OK with *tokens -1. */
int		 queue_file(struct run *run, const char *where,
		    const char *file_id, const char *rest,
		    const char *first_model, long long *tokens, char *model);

/* endpoint.c */

/* endpoint: the endpoint of file_id's batch, copied to url (size bytes)
 * when it is read from the requests' file, which rest (the rest of the
 * input line) names; first_model (MAX_MODEL bytes) gets their model, or
 * "".  Returns NULL after saying why the file gets no batch. */
const char	*endpoint(const struct run *run, const char *file_id,
		    const char *rest, char *url, size_t size,
		    char *first_model);

/* submit.c */

/* submit: the batch of the file id that ids gave last: reused, or made
 * (waiting for room in the queue with -Q).  Returns HTTP_OK with *k the
 * file's batch (to print; the file's lock let go of), REFUSED after
 * saying why this file gets none, or the http_rc that ends the run. */
int		 submit(struct run *run, const struct idsrc *ids,
		    const char *id, struct known **k);

#endif
