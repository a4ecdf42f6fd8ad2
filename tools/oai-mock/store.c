/*
 * The store of oai-mock: its files and batches, found, added and freed;
 * see mock.h.  Callers hold the lock.
 */
#include <sys/mman.h>

#include <dirent.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock.h"
#include "xalloc.h"

const char *const mock_bstatus_name[] = {
	"validating", "failed", "in_progress", "finalizing", "completed",
	"expired", "cancelling", "cancelled"
};

char *
mock_store_path(struct mock_store *st, const char *name)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/%s", st->dir, name);
	return b.p;
}

struct mock_file *
mock_file_find(struct mock_store *st, const char *id, size_t *index)
{
	size_t i;

	/* An expired file is gone, as OpenAI's: 404 everywhere. */
	for (i = 0; i < st->nfiles; i++)
		if (strcmp(st->files[i]->id, id) == 0 &&
		    !mock_file_expired(st->files[i])) {
			if (index != NULL)
				*index = i;
			return st->files[i];
		}
	return NULL;
}

int
mock_file_expired(const struct mock_file *f)
{
	return f->expires_at != 0 && mock_wall() >= f->expires_at;
}

struct mock_file *
mock_file_add(struct mock_store *st, const char *id, const char *filename,
    const char *purpose, const char *path, long long bytes)
{
	struct mock_file *f = xcalloc(1, sizeof *f);

	snprintf(f->id, sizeof f->id, "%s", id);
	f->filename = xstrdup(filename);
	f->purpose = xstrdup(purpose);
	f->path = xstrdup(path);
	f->bytes = bytes;
	f->created_at = mock_wall();
	st->files = xreallocarray(st->files, st->nfiles + 1, sizeof *st->files);
	st->files[st->nfiles++] = f;
	return f;
}

static void
free_file(struct mock_file *f)
{
	free(f->filename);
	free(f->purpose);
	free(f->path);
	free(f);
}

void
mock_file_delete(struct mock_store *st, size_t index)
{
	struct mock_file *f = st->files[index];

	memmove(st->files + index, st->files + index + 1,
	    (st->nfiles - index - 1) * sizeof *st->files);
	st->nfiles--;
	if (unlink(f->path) == -1)
		warn("%s", f->path);
	free_file(f);
}

struct mock_batch *
mock_batch_create(struct mock_store *st, char *endpoint, char *input_file_id,
    char *window, char *metadata, double now)
{
	struct mock_batch *x = xcalloc(1, sizeof *x);

	x->st = st;
	mock_new_id(st, x->id, sizeof x->id, "batch_", 1);
	x->endpoint = endpoint;
	x->input_file_id = input_file_id;
	x->window = window;
	x->metadata = metadata;
	x->status = MB_VALIDATING;
	x->created_at = mock_wall();
	x->expires_at = x->created_at + 24 * 3600;
	x->t_phase = now;
	st->batches = xreallocarray(st->batches, st->nbatches + 1,
	    sizeof *st->batches);
	st->batches[st->nbatches++] = x;
	return x;
}

void
mock_batch_add_old(struct mock_store *st, size_t n)
{
	struct mock_batch *x;
	char id[48];
	size_t i;
	long long t0 = mock_wall() - 3 * 24 * 3600 - (long long)n * 60;

	for (i = 0; i < n; i++) {
		mock_new_id(st, id, sizeof id, "file-", 0);
		x = mock_batch_create(st, xstrdup("/v1/chat/completions"),
		    xstrdup(id), xstrdup("24h"), NULL, 0);
		x->model = xstrdup("gpt-4o-mini");
		x->status = MB_COMPLETED;
		x->created_at = t0 + (long long)i * 60;
		x->expires_at = x->created_at + 24 * 3600;
		x->in_progress_at = x->created_at + 10;
		x->finalizing_at = x->created_at + 70;
		x->completed_at = x->created_at + 80;
		x->total = x->completed = 1;
	}
}

struct mock_batch *
mock_batch_find(struct mock_store *st, const char *id)
{
	size_t i;

	for (i = 0; i < st->nbatches; i++)
		if (strcmp(st->batches[i]->id, id) == 0)
			return st->batches[i];
	return NULL;
}

void
release_input(struct mock_batch *b)
{
	if (b->map != NULL && b->map != MAP_FAILED)
		munmap(b->map, b->map_len);
	b->map = NULL;
	free(b->lines);
	b->lines = NULL;
}

static void
free_batch(struct mock_batch *b)
{
	if (b->out != NULL)
		fclose(b->out);
	if (b->err != NULL)
		fclose(b->err);
	if (b->out_path != NULL)
		unlink(b->out_path);
	if (b->err_path != NULL)
		unlink(b->err_path);
	free(b->out_path);
	free(b->err_path);
	release_input(b);
	free(b->endpoint);
	free(b->input_file_id);
	free(b->window);
	free(b->metadata);
	free(b->model);
	free(b->output_file_id);
	free(b->error_file_id);
	buf_free(&b->errors);
	free(b);
}

void
mock_batch_delete(struct mock_store *st, struct mock_batch *b)
{
	const char *ids[3];
	size_t i, k;

	ids[0] = b->input_file_id;
	ids[1] = b->output_file_id;
	ids[2] = b->error_file_id;
	for (i = 0; i < 3; i++)
		if (ids[i] != NULL && mock_file_find(st, ids[i], &k) != NULL)
			mock_file_delete(st, k);
	for (i = 0; i < st->nbatches; i++)
		if (st->batches[i] == b) {
			memmove(st->batches + i, st->batches + i + 1,
			    (st->nbatches - i - 1) * sizeof *st->batches);
			st->nbatches--;
			break;
		}
	free_batch(b);
}

void
mock_store_init(struct mock_store *st, const char *dir, uint64_t seed)
{
	memset(st, 0, sizeof *st);
	st->dir = xstrdup(dir);
	st->idseed = seed;
	st->failed_once = idset_new();
	st->t_validating = 0.3;
	st->t_in_progress = 1;
	st->t_finalizing = 0.3;
}

void
mock_store_free(struct mock_store *st)
{
	size_t i;

	for (i = 0; i < st->nbatches; i++)
		free_batch(st->batches[i]);
	free(st->batches);
	for (i = 0; i < st->nfiles; i++)
		free_file(st->files[i]);
	free(st->files);
	idset_free(st->failed_once);
	free(st->dir);
	memset(st, 0, sizeof *st);
}

void
mock_store_remove(struct mock_store *st)
{
	struct dirent *e;
	DIR *d;
	char *p;

	if ((d = opendir(st->dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		p = mock_store_path(st, e->d_name);
		unlink(p);
		free(p);
	}
	closedir(d);
	if (rmdir(st->dir) == -1)
		warn("%s", st->dir);
}
