/*
 * oai-mock's parts, one a file, and what they share: this header for
 * the store, the answers and the faults, server.h for the HTTP side.
 *   main.c       options, the listening socket, the lifecycle thread, stop
 *   routes.c     a request from its first byte to its log line: faults
 *                picked, body read, key checked, handler chosen
 *   reply.c      JSON answers, errors and the HTTP faults
 *   page.c       list parameters, pages and the cursor faults
 *   files.c, batches.c   the handlers of /v1/files and /v1/batches
 *   store.c      the files and batches kept; objects.c their JSON
 *   validate.c, lifecycle.c, results.c   a batch checked, moved along
 *                its phases by the clock, and answered into its files
 *   answer.c, embed.c, complete.c, moderate.c, tokens.c   the answer
 *                to one request body; messages.c that of Anthropic's
 *                Messages API
 *   media.c      the answers of the image and video endpoints (batches)
 *   anthropic.c, anthropic_batches.c, anthropic_list.c,
 *   anthropic_results.c   -D anthropic: Anthropic's Message Batches API
 *                over the same store
 *   ids.c        ids, hashes and the wall clock
 *   fault.c      the -F options
 * tests/fuzz/fuzz_mock.c includes this header and links answer, embed,
 * complete, moderate, tokens, ids and fault.
 */
#ifndef MOCK_H
#define MOCK_H
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "idset.h"
#include "jscan.h"

/* ---- fault.c: the faults injected on demand ---- */

/*
 * Faults are given as `-F name[=value][@path-prefix]`.  Parsing and the
 * deterministic choice of which calls a fault hits live in fault.c; what
 * a fault does is the server's.
 */
enum mock_fault_kind {
	MF_HTTP400, MF_HTTP408, MF_HTTP409, MF_HTTP429, MF_HTTP500,
	MF_HTTP502, MF_HTTP503,		/* an error answer */
	MF_REDIRECT,			/* a 307 elsewhere */
	MF_CLOSE, MF_CUT,
	MF_LOSE_CREATE, MF_LOSE_UPLOAD,	/* the HTTP faults: counted per call */
	MF_SLOW,			/* value: milliseconds */
	MF_RETRY_AFTER,			/* value: seconds; http_date: as a date */
	MF_FAIL_REQUESTS,		/* value: fraction of custom_ids */
	MF_FAIL_STATUS,			/* value: HTTP status of those lines */
	MF_EXPIRE, MF_CANCEL,		/* value: fraction; limit: batches */
	MF_TOKEN_LIMIT,			/* value: enqueued tokens */
	MF_ODD_FILE_ID,			/* text: the output_file_id shown */
	MF_EXTRA_RESULT,		/* limit: batches, 0 all */
	MF_CURSOR_CYCLE,		/* value: cursors in the cycle */
	MF_CURSOR_ENDLESS,		/* listings never end */
	MF_ECHO_KEY,			/* text: echoed in error messages */
	MF_FAIL_BATCH,			/* limit: batches, 0 all */
	MF_UNLISTED,			/* limit: every Nth batch left out of
					 * listings, 0 or 1 all */
	MF_RPM, MF_TPM,			/* value: the live endpoints' limit
					 * a minute (ratelimit.c) */
	MF_NO_BYTES			/* file objects leave out "bytes" */
};

enum mock_fault_mode {
	MFM_ALL,	/* every matching call */
	MFM_FIRST,	/* the first `value` matching calls */
	MFM_SHARE	/* `value` percent of matching calls, evenly spread */
};

struct mock_fault {
	enum mock_fault_kind	 kind;
	enum mock_fault_mode	 mode;
	double			 value;
	long long		 limit;		/* expire/cancel/extra-result/
						 * fail-batch: first N batches,
						 * 0 all */
	int			 http_date;	/* retry-after=date:S */
	char			*prefix;	/* NULL: every path */
	char			*text;		/* odd-file-id, echo-key:
						 * text[0..textlen); echo-key
						 * without a value: NULL until
						 * the caller sets its key */
	size_t			 textlen;
	unsigned long long	 seen;		/* matching calls so far */
};

/* mock_fault_parse: parses spec into *f (f->prefix and f->text allocated,
 * free them).
 * Returns 0, or -1 with *why set to a static message. */
int	mock_fault_parse(const char *spec, struct mock_fault *f,
	    const char **why);

/* mock_fault_matches: 1 when path starts with the fault's prefix. */
int	mock_fault_matches(const struct mock_fault *f, const char *path);

/* mock_fault_fire: counts one matching call and returns 1 when the fault
 * hits it (by its mode).  The caller serializes calls. */
int	mock_fault_fire(struct mock_fault *f);

/* mock_fault_name: the option name of a kind, e.g. "http429". */
const char *mock_fault_name(enum mock_fault_kind kind);

/* ---- answer.c, embed.c, tokens.c: the deterministic answers ---- */

/*
 * Each answer is a pure function of the request body (plus the seed that
 * names its ids and the clock for "created"), so a test can predict the
 * text and two runs over the same input give the same answers.
 */

/* The text every chat or Responses answer starts with; the first
 * MOCK_ECHO_MAX bytes (whole UTF-8 characters) of the last user message
 * follow it. */
#define MOCK_ANSWER_PREFIX	"mock answer to: "
#define MOCK_ECHO_MAX		64

struct mock_usage {
	long long	 input_tokens;
	long long	 output_tokens;
};

/* mock_endpoint_ok: 1 when oai-mock answers endpoint ("/v1/chat/completions",
 * "/v1/embeddings", "/v1/responses", "/v1/completions", "/v1/moderations"). */
int	mock_endpoint_ok(const char *endpoint);

/* mock_answer: the answer of endpoint to body (an object the scanner
 * accepted).  Appends the response body (JSON) to out and returns its HTTP
 * status: 200 with usage filled in, or 400 with an OpenAI error body (a
 * missing or invalid parameter).  seed makes the ids; now is "created". */
int	mock_answer(const char *endpoint, struct jval body, uint64_t seed,
	    long long now, struct buf *out, struct mock_usage *usage);

/* mock_error_body: appends {"error":{"message","type","param","code"}};
 * param and code may be NULL (JSON null). */
void	mock_error_body(struct buf *out, const char *message, const char *type,
	    const char *param, const char *code);

/* bad_request: mock_error_body of an invalid_request_error;
 * returns 400. */
int	bad_request(struct buf *out, const char *message,
	    const char *param, const char *code);

/* model_of: the "model" member of body, a string; 0, or -1 after
 * appending the error body to out. */
int	model_of(struct jval body, struct jval *model, struct buf *out);

/* opt_positive: an optional positive integer member: 0 and *out (0
 * when absent), or -1 after appending the error body to err. */
int	opt_positive(struct jval body, const char *name, long long *out,
	    struct buf *err);

/* answer_text: into text, the answer to a user text: MOCK_ANSWER_PREFIX
 * and its first MOCK_ECHO_MAX bytes, or, when it is empty, the 16 hex
 * digits of fallback; cut to cap tokens (0: no cap).  Returns the output
 * tokens; *capped is set when the cap cut it. */
long long answer_text(const struct buf *user, uint64_t fallback,
	    long long cap, struct buf *text, int *capped);

/* add_id: appends "key":"PREFIX" and 24 hex digits made from seed. */
void	add_id(struct buf *out, const char *key, const char *prefix,
	    uint64_t seed);

/* last_user_text: the text of the last message of role user in an array
 * of messages (its content a string, or parts whose "text" members are
 * joined by spaces), into text. */
void	last_user_text(struct jval messages, struct buf *text);

/* answer_messages: mock_answer for /v1/messages, Anthropic's Messages
 * API (messages.c): 200 and a Message, or 400 and an Anthropic error
 * body (anthropic_error_body). */
int	answer_messages(struct jval body, uint64_t seed, struct buf *out,
	    struct mock_usage *u);

/* anthropic_error_body: appends Anthropic's error shape,
 * {"type":"error","error":{"type":TYPE,"message":MESSAGE},
 * "request_id":null} (messages.c). */
void	anthropic_error_body(struct buf *out, const char *type,
	    const char *message);

/* messages_prompt_tokens: the input tokens of a Messages request body,
 * counted as the chat request it was translated from: its system prompt
 * as a first system message, then its messages (messages.c). */
long long messages_prompt_tokens(struct jval body);

/* answer_embeddings: mock_answer for /v1/embeddings (embed.c). */
int	answer_embeddings(struct jval body, struct buf *out,
	    struct mock_usage *u);

/* answer_completions: mock_answer for /v1/completions (complete.c). */
int	answer_completions(struct jval body, uint64_t seed, long long now,
	    struct buf *out, struct mock_usage *u);

/* The word that flags an input of a moderation: "flag:" and a category,
 * as "flag:violence" (moderate.c). */
#define MOCK_FLAG_WORD	"flag:"
#define MOCK_MODERATION_MODEL	"omni-moderation-latest"

/* answer_moderations: mock_answer for /v1/moderations (moderate.c): a
 * result for each input (one for an array of input objects), each
 * category flagged when its text holds MOCK_FLAG_WORD and the category's
 * name.  The model is MOCK_MODERATION_MODEL when body has none. */
int	answer_moderations(struct jval body, uint64_t seed, struct buf *out,
	    struct mock_usage *u);

/* mock_answer_init: reads the models table and opens the tokenizers, so
 * that prompt tokens are counted as jsonl-tokens(1) counts them.  Returns
 * 0, or -1 after reporting.  Call once, before any thread answers. */
int	mock_answer_init(void);

/* mock_prompt_tokens: the prompt tokens of a request body, as the answers
 * count them in usage, for the enqueued-token limit: jsonl-tokens(1)'s
 * count (o200k_base for a model it does not know); a token for four bytes
 * of a body it cannot count, or before mock_answer_init.  Safe from any
 * thread. */
long long mock_prompt_tokens(const char *endpoint, struct jval body);

/* mock_tokens_of: the tokens of a text of that many bytes by the rule of
 * thumb, a token for four bytes, at least 1. */
long long mock_tokens_of(size_t bytes);

/* ---- media.c: the image and video endpoints, in batches ---- */

/* mock_media_endpoint: 1 when endpoint is "/v1/images/generations",
 * "/v1/images/edits" or "/v1/videos". */
int	mock_media_endpoint(const char *endpoint);

/* mock_answer_media: mock_answer for those endpoints: an ImagesResponse
 * of body.n (1 to 10, default 1) copies of one 1x1 PNG, or a VideoResource
 * of a job queued, with body's prompt (required, a non-empty string),
 * size and the rest; 400 with an error body when the prompt is not
 * given.  usage: images' prompt tokens (mock_prompt_tokens) and 272
 * image tokens an image; nothing for a video. */
int	mock_answer_media(const char *endpoint, struct jval body,
	    uint64_t seed, long long now, struct buf *out,
	    struct mock_usage *usage);

/* ---- ids.c: ids, hashes and the wall clock ---- */

/* mock_hash: 64-bit FNV-1a of p[0..n), continuing from h (start with
 * MOCK_HASH_INIT). */
#define MOCK_HASH_INIT	0xcbf29ce484222325ULL
uint64_t mock_hash(const void *p, size_t n, uint64_t h);

/* mock_mix: a well-spread 64-bit function of x (splitmix64). */
uint64_t mock_mix(uint64_t x);

/* mock_wall: the wall clock in seconds, for the objects' timestamps. */
long long mock_wall(void);

/* ---- store.c, objects.c, validate.c, lifecycle.c, results.c ---- */

/*
 * The state of the server without its HTTP side: files, batches and the
 * batch lifecycle (validation, answering, results files, faults that act
 * on batches).  File contents live in the store's directory.
 *
 * Nothing here locks: the caller serializes every call on one store (the
 * server holds one mutex around each).
 */
enum mock_bstatus {
	MB_VALIDATING, MB_FAILED, MB_IN_PROGRESS, MB_FINALIZING, MB_COMPLETED,
	MB_EXPIRED, MB_CANCELLING, MB_CANCELLED
};

/* "validating", ... as the API spells them, by enum mock_bstatus. */
extern const char *const mock_bstatus_name[];

#define MOCK_MAX_BATCH_REQUESTS	50000
#define MOCK_MAX_BATCH_BYTES	200000000LL	/* 200 MB, as OpenAI counts */
#define MOCK_MAX_BATCH_ERRORS	100		/* errors.data[] kept */
#define MOCK_ANSWERS_PER_TICK	2000		/* at most, a batch a tick */

struct mock_file {
	char		 id[300];	/* 40 but with the odd-file-id fault */
	char		*filename;
	char		*purpose;
	char		*path;		/* its content */
	long long	 bytes;
	long long	 created_at;
	long long	 expires_at;	/* 0: never (the mock keeps it) */
};

struct mock_span {
	size_t		 off;
	size_t		 len;
};

struct mock_store;

struct mock_batch {
	struct mock_store *st;
	char		 id[48];
	char		*endpoint;
	char		*input_file_id;
	char		*window;
	char		*metadata;	/* raw JSON object, or NULL */
	long long	 output_expires;	/* output_expires_after, or 0 */
	char		 idem[256];	/* its create's Idempotency-Key, or "" */
	char		*model;		/* known once validated */
	enum mock_bstatus status;
	double		 t_phase;	/* monotonic start of this phase */
	long long	 created_at, in_progress_at, expires_at, finalizing_at,
			 completed_at, failed_at, expired_at, cancelling_at,
			 cancelled_at;
	struct buf	 errors;	/* errors.data[] items, comma separated */
	size_t		 nerrors;
	size_t		 total, done, completed, failed;
	long long	 in_tokens, out_tokens, est_tokens;
	char		*map;		/* the input file, while processing */
	size_t		 map_len;
	struct mock_span *lines;	/* its requests, in answer order */
	size_t		 stop_at;	/* expire/cancel fault: stop after */
	enum mock_bstatus stop_as;	/* MB_EXPIRED or MB_CANCELLING */
	FILE		*out, *err;
	char		*out_path, *err_path;
	size_t		 out_lines, err_lines;
	char		*output_file_id, *error_file_id;
	size_t		 inline_requests;	/* a Message Batch's requests,
					 * checked when it was created
					 * (anthropic_batches.c); 0 for a
					 * batch of an input file */
};

struct mock_store {
	char		*dir;
	struct mock_file **files;	/* oldest first */
	size_t		 nfiles;
	struct mock_batch **batches;	/* oldest first */
	size_t		 nbatches;
	struct mock_fault *faults;	/* the -F options, the caller's */
	size_t		 nfaults;
	double		 t_validating, t_in_progress, t_finalizing;
	struct idset	*failed_once;	/* custom_ids fail-requests hit */
	uint64_t	 idseed, idcount;
};

/* mock_store_init: an empty store over directory dir (copied); seed
 * varies the ids from one server to the next. */
void	mock_store_init(struct mock_store *st, const char *dir, uint64_t seed);

/* mock_store_free: frees everything; unfinished results files are
 * removed, stored file contents are left. */
void	mock_store_free(struct mock_store *st);

/* mock_store_remove: removes the storage directory and every file in it
 * (a private directory, at exit); a failure is reported, not fatal. */
void	mock_store_remove(struct mock_store *st);

/* mock_store_path: dir/name, allocated. */
char   *mock_store_path(struct mock_store *st, const char *name);

/* mock_new_id: prefix and 32 hex digits (hex) or 22 letters and digits,
 * unique in this store (ids.c). */
void	mock_new_id(struct mock_store *st, char *out, size_t size,
	    const char *prefix, int hex);

/* Files.  mock_file_add registers a file whose content is already at path;
 * mock_file_delete removes file number index and its content. */
/* mock_file_expired: 1 when f's expires_at has passed. */
int		 mock_file_expired(const struct mock_file *f);
/* mock_file_find: the file of that id, not expired, or NULL. */
struct mock_file *mock_file_find(struct mock_store *st, const char *id,
	    size_t *index);
struct mock_file *mock_file_add(struct mock_store *st, const char *id,
	    const char *filename, const char *purpose, const char *path,
	    long long bytes);
void	mock_file_delete(struct mock_store *st, size_t index);

/* mock_batch_create: a new batch, validating, at monotonic time now; it
 * takes the strings (allocated) over.  metadata may be NULL. */
struct mock_batch *mock_batch_create(struct mock_store *st, char *endpoint,
	    char *input_file_id, char *window, char *metadata, double now);
/* mock_batch_add_old: n completed batches of chat requests, one request
 * each, created days before now (the newest three days ago, a minute
 * apart): an organization's history, for the tests of clients that must
 * not read it all (oai-mock -O).  Their input files do not exist. */
void	mock_batch_add_old(struct mock_store *st, size_t n);
struct mock_batch *mock_batch_find(struct mock_store *st, const char *id);
/* mock_batch_delete: forgets b, its input and its results files. */
void	mock_batch_delete(struct mock_store *st, struct mock_batch *b);

/* mock_batch_cancel: starts cancelling b.  0, or -1 when b ended
 * otherwise than cancelled (it cannot be cancelled any more)
 * (lifecycle.c). */
int	mock_batch_cancel(struct mock_batch *b, double now);

/* mock_store_tick: moves every batch as far along its lifecycle as the
 * monotonic time now says: validation, answers, results files
 * (lifecycle.c). */
void	mock_store_tick(struct mock_store *st, double now);

/* release_input: unmaps b's input file and forgets its requests. */
void	release_input(struct mock_batch *b);

/* The JSON of the objects, as the API returns them, appended to b
 * (objects.c); add_str appends s as a JSON string, or null. */
void	mock_file_json(struct buf *b, const struct mock_store *st,
	    const struct mock_file *f);
void	mock_batch_json(struct buf *b, const struct mock_batch *x);
void	add_str(struct buf *b, const char *s);

/* validate: reads and checks b's input file; on success the batch holds
 * its requests in answer order.  Returns 0, or -1 with errors recorded
 * (validate.c). */
int	validate(struct mock_batch *b);

/* batch_error: one more item of b's errors.data[] (the first
 * MOCK_MAX_BATCH_ERRORS are kept); line 0 is null; message is echoed as
 * the echo-key fault says (results.c). */
void	batch_error(struct mock_batch *b, const char *code, long line,
	    const char *message, const char *param);

/* Results files (results.c).  open_results: opens b's two results files
 * (0, or -1 after reporting); process_one answers b's next request into
 * one of them; abandon_rest writes every request not answered as an
 * error line with code and message; close_results adds the extra-result
 * fault's lines, then closes both files and makes each that has lines a
 * file object (output_file_id, error_file_id). */
int	open_results(struct mock_batch *b);
void	process_one(struct mock_batch *b);
void	abandon_rest(struct mock_batch *b, const char *code,
	    const char *message);
void	close_results(struct mock_batch *b);

#endif
