/*
 * oai-mock's /v1/files: upload (multipart), list, get, delete and
 * content; see mock.h.
 */
#include <sys/stat.h>

#include <err.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "numarg.h"
#include "server.h"
#include "writeall.h"
#include "xalloc.h"

#define MAX_UPLOAD_BYTES	512000000LL	/* OpenAI's per-file limit */
#define POST_BUFFER		(512 << 10)	/* the multipart parser's */

enum MHD_Result
list_files(struct MHD_Connection *c, struct req *r)
{
	struct mock_store *st = &r->sv->st;
	const char *purpose = MHD_lookup_connection_value(c,
	    MHD_GET_ARGUMENT_KIND, "purpose");
	const char *after;
	struct page p;
	enum MHD_Result ret;
	size_t k;
	int asc, skipping;

	if (!list_begin(c, r, 10000, 10000, &p, &after, &asc, &ret))
		return ret;
	skipping = after != NULL;
	for (k = 0; k < st->nfiles; k++) {
		struct mock_file *f = st->files[asc ? k : st->nfiles - 1 - k];

		if (skipping) {
			skipping = strcmp(f->id, after) != 0;
			continue;
		}
		if ((purpose != NULL && strcmp(f->purpose, purpose) != 0) ||
		    mock_file_expired(f))
			continue;
		if (!page_room(&p))
			break;
		mock_file_json(&p.b, st, f);
		page_took(&p, f->id);
	}
	return list_end(c, r, &p);
}

enum MHD_Result
get_file(struct MHD_Connection *c, struct req *r, const char *id)
{
	struct buf b = BUF_INIT;
	struct mock_file *f;

	pthread_mutex_lock(&r->sv->lock);
	if ((f = mock_file_find(&r->sv->st, id, NULL)) != NULL)
		mock_file_json(&b, &r->sv->st, f);
	pthread_mutex_unlock(&r->sv->lock);
	if (f == NULL)
		return no_such_file(c, r, id, "id");
	return send_json(c, r, 200, &b);
}

enum MHD_Result
delete_file(struct MHD_Connection *c, struct req *r, const char *id)
{
	struct mock_store *st = &r->sv->st;
	struct buf b = BUF_INIT;
	size_t i;
	int found;

	pthread_mutex_lock(&r->sv->lock);
	if ((found = mock_file_find(st, id, &i) != NULL))
		mock_file_delete(st, i);
	pthread_mutex_unlock(&r->sv->lock);
	if (!found)
		return no_such_file(c, r, id, "id");
	buf_adds(&b, "{\"id\":");
	add_str(&b, id);
	buf_adds(&b, ",\"object\":\"file\",\"deleted\":true}");
	return send_json(c, r, 200, &b);
}

/* The cut fault: the body stops halfway, after full headers. */
struct cut {
	int		 fd;
	uint64_t	 stop;
};

static ssize_t
cut_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct cut *k = cls;
	ssize_t n;

	if (pos >= k->stop)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (max > k->stop - pos)
		max = (size_t)(k->stop - pos);
	n = pread(k->fd, out, max, (off_t)pos);
	return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void
cut_free(void *cls)
{
	struct cut *k = cls;

	close(k->fd);
	free(k);
}

enum MHD_Result
file_content(struct MHD_Connection *c, struct req *r, const char *id)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	struct mock_file *f;
	struct stat st;
	int fd = -1;

	pthread_mutex_lock(&r->sv->lock);
	if ((f = mock_file_find(&r->sv->st, id, NULL)) != NULL &&
	    (fd = open(f->path, O_RDONLY)) == -1)
		warn("%s", f->path);
	pthread_mutex_unlock(&r->sv->lock);
	if (f == NULL)
		return no_such_file(c, r, id, "id");
	if (fd == -1 || fstat(fd, &st) == -1) {
		if (fd != -1)
			close(fd);
		return send_error(c, r, 500, "The file could not be read.",
		    NULL, NULL);
	}
	if (r->fault == MF_CUT) {
		struct cut *k = xmalloc(sizeof *k);

		k->fd = fd;
		k->stop = (uint64_t)st.st_size / 2;
		resp = MHD_create_response_from_callback((uint64_t)st.st_size,
		    64 * 1024, cut_read, k, cut_free);
		if (resp == NULL)
			cut_free(k);
	} else {
		resp = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
		if (resp == NULL)
			close(fd);
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type",
	    "application/octet-stream");
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	r->status = r->fault == MF_CUT ? 0 : 200;
	return ret;
}

static enum MHD_Result
post_iter(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *content_type,
    const char *transfer_encoding, const char *data, uint64_t off,
    size_t size)
{
	struct req *r = cls;

	if (strcmp(key, "purpose") == 0) {
		if (r->purpose.len + size < 256)
			buf_add(&r->purpose, data, size);
		return MHD_YES;
	}
	if (strcmp(key, "expires_after[seconds]") == 0) {
		if (r->expiry.len + size < 32)
			buf_add(&r->expiry, data, size);
		return MHD_YES;
	}
	if (strcmp(key, "file") != 0 || r->upload_error)
		return MHD_YES;
	if (off == 0 && r->upfd == -1) {
		if (r->nfiles++ > 0) {
			r->upload_error = 1;
			return MHD_YES;
		}
		r->filename = xstrdup(filename ? filename : "upload");
		r->uppath = mock_store_path(&r->sv->st, "upload.XXXXXX");
		if ((r->upfd = mkstemp(r->uppath)) == -1) {
			warn("%s", r->uppath);
			free(r->uppath);
			r->uppath = NULL;
			r->upload_error = 1;
			return MHD_YES;
		}
	}
	if (r->upfd == -1)
		return MHD_YES;
	r->upbytes += (long long)size;
	if (write_all(r->upfd, data, size) == -1) {
		warn("%s", r->uppath);
		r->upload_error = 1;
	}
	return MHD_YES;
}

void
upload_begin(struct MHD_Connection *c, struct req *r)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);

	if (strcmp(r->method, "POST") == 0 &&
	    strcmp(r->path, "/v1/files") == 0 && ct != NULL &&
	    strncasecmp(ct, "multipart/form-data", 19) == 0)
		r->pp = MHD_create_post_processor(c, POST_BUFFER, post_iter, r);
}

static int
purpose_ok(const char *p)
{
	static const char *const ok[] = {
		"assistants", "batch", "fine-tune", "vision", "user_data",
		"evals", NULL
	};
	size_t i;

	for (i = 0; ok[i] != NULL; i++)
		if (strcmp(p, ok[i]) == 0)
			return 1;
	return 0;
}

enum MHD_Result
upload_file(struct MHD_Connection *c, struct req *r)
{
	struct mock_store *st = &r->sv->st;
	struct buf b = BUF_INIT;
	char id[40], msg[256], *dest;
	struct mock_file *f = NULL;
	const char *errstr = NULL;
	long long seconds;

	if (r->pp == NULL)
		return send_error(c, r, 400, "Invalid Content-Type header, "
		    "expected multipart/form-data.", NULL, NULL);
	if (r->upload_error)
		return send_error(c, r, 400, "The multipart body could not be "
		    "read (one 'file' part is expected).", "file", NULL);
	if (r->upfd == -1)
		return send_error(c, r, 400, "Missing required parameter: "
		    "'file'.", "file", "missing_required_parameter");
	if (r->purpose.len == 0)
		return send_error(c, r, 400, "Missing required parameter: "
		    "'purpose'.", "purpose", "missing_required_parameter");
	if (!purpose_ok(r->purpose.p)) {
		snprintf(msg, sizeof msg, "'%.64s' is not one of ['assistants', "
		    "'batch', 'fine-tune', 'vision', 'user_data', 'evals'] - "
		    "'purpose'", r->purpose.p);
		return send_error(c, r, 400, msg, "purpose", "invalid_value");
	}
	/* Below the API's 3600 s minimum is accepted, so that tests can
	 * watch a file expire (oai-mock(1)). */
	seconds = r->expiry.len == 0 ? 0 : numarg(r->expiry.p, 1, 2592000,
	    &errstr);
	if (r->expiry.len > 0 && errstr != NULL)
		return send_error(c, r, 400, "expires_after[seconds] must be "
		    "a whole number from 3600 to 2592000.",
		    "expires_after", "invalid_value");
	if (r->upbytes > MAX_UPLOAD_BYTES)
		return send_error(c, r, 400, "File is too large: the maximum is "
		    "512 MB.", "file", NULL);
	if (close(r->upfd) == -1) {
		r->upfd = -1;
		return send_error(c, r, 500, "The upload could not be stored.",
		    NULL, NULL);
	}
	r->upfd = -1;
	pthread_mutex_lock(&r->sv->lock);
	mock_new_id(st, id, sizeof id, "file-", 0);
	dest = mock_store_path(st, id);
	if (rename(r->uppath, dest) == 0) {
		free(r->uppath);
		r->uppath = NULL;
		f = mock_file_add(st, id, r->filename, r->purpose.p, dest, r->upbytes);
		if (seconds > 0)
			f->expires_at = f->created_at + seconds;
		mock_file_json(&b, st, f);
	} else
		warn("rename %s", r->uppath);
	pthread_mutex_unlock(&r->sv->lock);
	free(dest);
	if (f == NULL)
		return send_error(c, r, 500, "The upload could not be stored.",
		    NULL, NULL);
	if (r->fault == MF_LOSE_UPLOAD) {
		/* The file is stored; the client never hears of it. */
		buf_free(&b);
		r->status = 0;
		return MHD_NO;
	}
	return send_json(c, r, 200, &b);
}
