/*
 * oai-ls's output: each object as a TSV row (12 fields a batch, 6 a
 * file) or as a JSON line; on a terminal the rows are kept and printed
 * at the end in aligned columns.  See ls.h.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batchobj.h"
#include "buf.h"
#include "ls.h"
#include "member.h"
#include "outcheck.h"
#include "scrub.h"
#include "xalloc.h"

static long long
member_int(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, name, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_int64(v);
}

/* The fields of a row: the server's text, made one field of one line. */
static void
field(struct buf *row, const char *s, const char *key)
{
	if (row->len > 0)
		buf_addc(row, '\t');
	if (s == NULL || *s == '\0')
		buf_addc(row, '-');
	else
		scrubs(row, s, key, 0);
}

static void
field_time(struct buf *row, long long t)
{
	char s[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		s[0] = '\0';
	field(row, s, NULL);
}

static void
field_int(struct buf *row, long long v)
{
	char s[24];

	snprintf(s, sizeof(s), "%lld", v);
	field(row, s, NULL);
}

/* The batch's model: the Batch object's own member, else the one
 * oai-batch -Q writes in the metadata (batchpipe_model). */
static const char *
batch_model(struct json_object *o)
{
	struct json_object *meta;
	const char *m;

	if ((m = member_text(o, "model", NULL)) != NULL)
		return m;
	if (json_object_object_get_ex(o, "metadata", &meta))
		return member_text(meta, "batchpipe_model", NULL);
	return NULL;
}

/* When the batch ended, whichever way: the latest of the four. */
static long long
batch_ended(struct json_object *o)
{
	static const char *const at[] = { "completed_at", "failed_at",
	    "expired_at", "cancelled_at" };
	long long t, ended = 0;
	size_t i;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		if ((t = member_int(o, at[i])) > ended)
			ended = t;
	return ended;
}

static void
batch_row(struct buf *row, struct json_object *o, const char *key)
{
	struct batchobj b;

	if (batchobj_parse(o, &b) != 0)
		memset(&b, 0, sizeof(b));
	field(row, member_text(o, "id", NULL), key);
	field(row, member_text(o, "status", NULL), key);
	field(row, member_text(o, "endpoint", NULL), key);
	field(row, batch_model(o), key);
	field_int(row, b.total);
	field_int(row, b.completed);
	field_int(row, b.failed);
	field_time(row, object_created_at(o));
	field_time(row, batch_ended(o));
	field(row, b.input_file_id, key);
	field(row, b.output_file_id, key);
	field(row, b.error_file_id, key);
	batchobj_free(&b);
}

static void
file_row(struct buf *row, struct json_object *o, const char *key)
{
	field(row, member_text(o, "id", NULL), key);
	field(row, member_text(o, "purpose", NULL), key);
	field_int(row, member_int(o, "bytes"));
	field_time(row, object_created_at(o));
	field(row, member_text(o, "filename", NULL), key);
	field(row, member_text(o, "status", NULL), key);
}

const char *
json_line(struct json_object *o)
{
	return json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

void
row_put(struct listing *ls, struct json_object *o)
{
	struct buf row = BUF_INIT;

	if (ls->json)
		buf_adds(&row, json_line(o));
	else if (ls->files)
		file_row(&row, o, ls->key);
	else
		batch_row(&row, o, ls->key);
	if (ls->aligned && !ls->json) {
		ls->rows = xreallocarray(ls->rows, ls->nrows + 1,
		    sizeof(*ls->rows));
		ls->rows[ls->nrows++] = xstrdup(row.p);
	} else {
		buf_addc(&row, '\n');
		stdout_write(row.p, row.len);
	}
	buf_free(&row);
}

/* Two spaces apart, for a person at a terminal. */
void
rows_aligned(struct listing *ls)
{
	size_t width[16] = { 0 }, i, c, n;
	char *p, *tab;

	for (i = 0; i < ls->nrows; i++)
		for (p = ls->rows[i], c = 0; c < 16; p = tab + 1, c++) {
			tab = strchr(p, '\t');
			n = tab != NULL ? (size_t)(tab - p) : strlen(p);
			if (n > width[c])
				width[c] = n;
			if (tab == NULL)
				break;
		}
	for (i = 0; i < ls->nrows; i++) {
		for (p = ls->rows[i], c = 0; c < 16; p = tab + 1, c++) {
			if ((tab = strchr(p, '\t')) == NULL) {
				printf("%s\n", p);
				break;
			}
			printf("%-*.*s  ", (int)width[c], (int)(tab - p), p);
		}
		free(ls->rows[i]);
	}
	free(ls->rows);
}
