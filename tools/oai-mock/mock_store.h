/*
 * mock_store: the state of oai-mock(1) without its HTTP side: files, batches
 * and the batch lifecycle (validation, answering, results files, faults
 * that act on batches).  File contents live in the store's directory.
 *
 * Nothing here locks: the caller serializes every call on one store (the
 * server holds one mutex around each).  Only oai-mock links this.
 */
#ifndef MOCK_STORE_H
#define MOCK_STORE_H
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "mock_fault.h"

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
};

/* A set of strings (custom_ids) by hash. */
struct mock_idkey {
	const char	*p;
	size_t		 n;
	uint64_t	 h;
};
struct mock_idset {
	struct mock_idkey *k;
	size_t		 cap, n;
	int		 owned;		/* keys are copies the set frees */
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
	struct mock_idset failed_once;	/* custom_ids fail-requests hit */
	uint64_t	 idseed, idcount;
};

/* mock_store_init: an empty store over directory dir (copied); seed
 * varies the ids from one server to the next. */
void	mock_store_init(struct mock_store *st, const char *dir, uint64_t seed);

/* mock_store_free: frees everything; unfinished results files are
 * removed, stored file contents are left. */
void	mock_store_free(struct mock_store *st);

/* mock_store_path: dir/name, allocated. */
char   *mock_store_path(struct mock_store *st, const char *name);

/* mock_new_id: prefix and 32 hex digits (hex) or 22 letters and digits,
 * unique in this store. */
void	mock_new_id(struct mock_store *st, char *out, size_t size,
	    const char *prefix, int hex);

/* Files.  mock_file_add registers a file whose content is already at path;
 * mock_file_delete removes file number index and its content. */
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

/* mock_batch_cancel: starts cancelling b.  0, or -1 when b ended
 * otherwise than cancelled (it cannot be cancelled any more). */
int	mock_batch_cancel(struct mock_batch *b, double now);

/* mock_store_tick: moves every batch as far along its lifecycle as the
 * monotonic time now says: validation, answers, results files. */
void	mock_store_tick(struct mock_store *st, double now);

/* The JSON of the objects, as the API returns them, appended to b. */
void	mock_file_json(struct buf *b, const struct mock_file *f);
void	mock_batch_json(struct buf *b, const struct mock_batch *x);

#endif
