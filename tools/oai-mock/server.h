/*
 * oai-mock's HTTP side, over libmicrohttpd: main.c, listen.c, routes.c,
 * reply.c, page.c, files.c and batches.c (see mock.h for the list of
 * parts).
 */
#ifndef SERVER_H
#define SERVER_H
#include <sys/socket.h>

#include <pthread.h>

#include <microhttpd.h>

#include "mock.h"
#include "provider.h"

/* The rpm and tpm limits of the live endpoints (ratelimit.c): buckets
 * of one second's worth, refilled continuously; under the lock. */
struct ratelimit {
	double		 rpm, tpm;	/* 0: no limit */
	double		 req_cap, tok_cap;
	double		 req_level, tok_level;
	double		 refilled;	/* monotonic */
};

/* The x-ratelimit-* header values of one live answer. */
struct rl_headers {
	int		 set;
	char		 limit_req[32], remain_req[32], reset_req[32];
	char		 limit_tok[32], remain_tok[32], reset_tok[32];
};

/* rl_init: the limits of st's rpm and tpm faults, buckets full at
 * monotonic time now. */
void	rl_init(struct ratelimit *rl, const struct mock_store *st, double now);

/* rl_take: at monotonic time now, a request of this many tokens (input
 * plus max output) starts when both buckets have room: returns 0 after
 * taking its share, or the seconds until there is room (nothing taken).
 * Either way *h describes the buckets as they are then. */
double	rl_take(struct ratelimit *rl, long long tokens, double now,
	    struct rl_headers *h);

/* The server: the store and what every request reads. */
struct server {
	pthread_mutex_t	 lock;
	struct mock_store st;		/* under lock */
	struct ratelimit rl;		/* under lock */
	const struct provider *dialect;	/* -D: the API spoken */
	const char	*key;		/* -k */
	long		 latency_ms;	/* -L */
	int		 quiet;		/* -q */
	int		 stop;		/* the ticker ends; under lock */
	int		 live;		/* live answers being made; under lock */
};

/* One HTTP request while it is read. */
struct req {
	struct server	*sv;
	char		*method, *path;
	int		 fault;		/* the HTTP fault that hit, or -1 */
	double		 slow_ms;
	unsigned	 status;	/* for the log: 0 connection dropped */
	int		 logged;	/* its line is in the request log */
	struct buf	 body;
	int		 body_too_big;
	struct MHD_PostProcessor *pp;
	int		 upfd;
	char		*uppath;
	long long	 upbytes;
	char		*filename;
	int		 nfiles;
	struct buf	 purpose;
	struct buf	 expiry;	/* expires_after[seconds], as sent */
	int		 upload_error;
	struct rl_headers rl;		/* a live answer's headers */
	const char	*replayed;	/* a create answered with the batch
					 * its Idempotency-Key made: its id */
	double		 rl_wait;	/* > 0: a rate limit's 429, seconds */
	int		 inflight;	/* a live answer: how many were being
					 * made when it began, itself too */
};

/* server_start: libmicrohttpd's daemon for sv on ss (IPv6 when v6), a
 * thread per connection; NULL when it cannot listen. */
struct MHD_Daemon *server_start(struct server *sv,
	    struct sockaddr_storage *ss, int v6, long port);
/* server_print_url: prints the base URL for the clients on stdout.  The
 * wildcard address is not one to connect to: the URL printed is the
 * loopback one, which the tools accept as it is. */
void	server_print_url(const char *addr, const struct sockaddr_storage *ss,
	    int v6, unsigned port);

/* handle and completed: libmicrohttpd's request callbacks; cls is the
 * struct server (routes.c). */
enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
	    const char *method, const char *version, const char *upload_data,
	    size_t *upload_data_size, void **con_cls);
void	completed(void *cls, struct MHD_Connection *c, void **con_cls,
	    enum MHD_RequestTerminationCode toe);

/* Answers (reply.c).  Each queues the answer on c and records its status
 * in r for the log; send_json frees b.  json_body parses r's body into
 * *top: 0, or -1 after answering (*ret).  str_member: a required string
 * member's decoded value (allocated), or NULL. */
enum MHD_Result send_json(struct MHD_Connection *c, struct req *r,
	    unsigned status, struct buf *b);
enum MHD_Result send_error(struct MHD_Connection *c, struct req *r,
	    unsigned status, const char *message, const char *param,
	    const char *code);
enum MHD_Result send_fault(struct MHD_Connection *c, struct req *r);
enum MHD_Result no_such_file(struct MHD_Connection *c, struct req *r,
	    const char *id, const char *param);
int	json_body(struct MHD_Connection *c, struct req *r, struct jval *top,
	    enum MHD_Result *ret);
char   *str_member(struct jval obj, const char *name);

/* One page of a list answer, in OpenAI's list shape: data, first_id,
 * last_id, has_more (page.c).  The ids point into the store: close the
 * page while the lock is still held. */
struct page {
	struct buf	 b;
	const char	*first, *last;
	const char	*cursor;	/* a cursor fault's last_id */
	char		 cur[32];	/* ...made up here */
	long		 count, limit;
	int		 more;
};

/* list_begin: a listing's start: the list parameters read (limit
 * 1..max, default dflt; after; order into *asc), p opened, the lock
 * taken and a cursor fault applied (page.c's cursor_take, which may set
 * *after to NULL).  1 with the lock held, or 0 after answering (*ret).
 * list_end: p closed, the lock released, p sent. */
int	list_begin(struct MHD_Connection *c, struct req *r, long dflt,
	    long max, struct page *p, const char **after, int *asc,
	    enum MHD_Result *ret);
enum MHD_Result list_end(struct MHD_Connection *c, struct req *r,
	    struct page *p);
/* page_room: 1 when one more object fits (its separator is written);
 * 0 when the page is full, which means has_more. */
int	page_room(struct page *p);
/* page_took: the object just written has this id. */
void	page_took(struct page *p, const char *id);
/* cursor_fault: the cursor fault that applies to a listing of path (the
 * first given), or NULL.  cursor_take: under cursor fault f (or none), a
 * cursor "cursor_K" of the fault's own is taken: *after becomes NULL and
 * p is set to close with has_more and the next made-up cursor, written
 * in cur (n bytes).  list_begin applies them; a listing of another shape
 * (anthropic_list.c) calls them itself, under the lock. */
const struct mock_fault *cursor_fault(const struct mock_store *st,
	    const char *path);
void	cursor_take(const struct mock_fault *f, const char **after,
	    struct page *p, char *cur, size_t n);

/* The handlers (files.c, batches.c): each answers r. */
enum MHD_Result list_files(struct MHD_Connection *c, struct req *r);
enum MHD_Result upload_file(struct MHD_Connection *c, struct req *r);
enum MHD_Result get_file(struct MHD_Connection *c, struct req *r,
	    const char *id);
enum MHD_Result delete_file(struct MHD_Connection *c, struct req *r,
	    const char *id);
enum MHD_Result file_content(struct MHD_Connection *c, struct req *r,
	    const char *id);
enum MHD_Result create_batch(struct MHD_Connection *c, struct req *r);
enum MHD_Result list_batches(struct MHD_Connection *c, struct req *r);
enum MHD_Result get_batch(struct MHD_Connection *c, struct req *r,
	    const char *id, int cancel);

/* The dialects besides OpenAI's (dialect.c).  dialect_path: the path url
 * is routed as (allocated): for OpenAI's dialect url itself; for
 * another, its OpenAI form, or one no route knows.  dialect_authorized:
 * the key checked the dialect's way: 1 when good, 0 after answering
 * (*ret), -1 when the dialect takes OpenAI's Bearer key. */
char   *dialect_path(struct MHD_Connection *c, const struct server *sv,
	    const char *url);
int	dialect_authorized(struct MHD_Connection *c, struct req *r,
	    enum MHD_Result *ret);

/* unlisted: under the unlisted fault, the batch at index k of the
 * store (0 the oldest) is left out of the listings of path (batches.c).
 * Under the lock. */
int	unlisted(const struct mock_store *st, const char *path, size_t k);

/* anthropic_respond: answers r as Anthropic's Message Batches API does
 * (oai-mock -D anthropic): its faults, its key and version headers, its
 * routes (anthropic.c). */
enum MHD_Result anthropic_respond(struct MHD_Connection *c, struct req *r);

/* The Message Batches side (anthropic.c, anthropic_batches.c,
 * anthropic_list.c, anthropic_results.c).  send_anthropic_error answers
 * with Anthropic's error shape; the handlers each answer r;
 * anthropic_ended: 1 when x's processing_status is "ended" (under the
 * lock). */
enum MHD_Result send_anthropic_error(struct MHD_Connection *c,
	    struct req *r, unsigned status, const char *type,
	    const char *message);
enum MHD_Result anthropic_create(struct MHD_Connection *c, struct req *r);
enum MHD_Result anthropic_list(struct MHD_Connection *c, struct req *r);
enum MHD_Result anthropic_get(struct MHD_Connection *c, struct req *r,
	    const char *id, int cancel);
enum MHD_Result anthropic_delete(struct MHD_Connection *c, struct req *r,
	    const char *id);
enum MHD_Result anthropic_results(struct MHD_Connection *c, struct req *r,
	    const char *id);
int	anthropic_ended(const struct mock_batch *x);
/* anthropic_batch_json: appends x as a MessageBatch, its results_url on
 * host (anthropic_host: the request's Host header, when it can stand in
 * a URL as it is, else NULL: a path alone).  Under the lock. */
void	anthropic_batch_json(struct buf *b, const struct mock_batch *x,
	    const char *host);
const char *anthropic_host(struct MHD_Connection *c);

/* upload_begin: for a multipart POST to /v1/files, starts r's multipart
 * parser (r->pp), which stores the file part as it arrives (files.c). */
void	upload_begin(struct MHD_Connection *c, struct req *r);

#endif
