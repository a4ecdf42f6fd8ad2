#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "batchobj.h"
#include "member.h"
#include "xalloc.h"

static long long
member_count(struct json_object *o, const char *key)
{
	struct json_object *v;
	long long n;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	n = json_object_get_int64(v);
	return n > 0 ? n : 0;
}

int
batchobj_parse(struct json_object *o, struct batchobj *b)
{
	struct json_object *counts = NULL;
	int nul = 0;

	memset(b, 0, sizeof(*b));
	if (!json_object_is_type(o, json_type_object))
		return -1;
	b->id = member_copy(o, "id", &nul, 0);
	b->status = member_copy(o, "status", &nul, 0);
	b->input_file_id = member_copy(o, "input_file_id", &nul, 0);
	b->output_file_id = member_copy(o, "output_file_id", &nul, 0);
	b->error_file_id = member_copy(o, "error_file_id", &nul, 0);
	if (b->id == NULL || b->status == NULL || nul) {
		batchobj_free(b);
		return -1;
	}
	if (!json_object_object_get_ex(o, "request_counts", &counts) ||
	    !json_object_is_type(counts, json_type_object))
		counts = NULL;
	b->total = member_count(counts, "total");
	b->completed = member_count(counts, "completed");
	b->failed = member_count(counts, "failed");
	return 0;
}

void
batchobj_free(struct batchobj *b)
{
	free(b->id);
	free(b->status);
	free(b->input_file_id);
	free(b->output_file_id);
	free(b->error_file_id);
	memset(b, 0, sizeof(*b));
}

int
batchobj_error(struct json_object *o, size_t i, const char **code,
    const char **message, long long *line)
{
	struct json_object *errs, *data, *e, *v;

	*code = *message = NULL;
	*line = -1;
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "errors", &errs) ||
	    !json_object_is_type(errs, json_type_object) ||
	    !json_object_object_get_ex(errs, "data", &data) ||
	    !json_object_is_type(data, json_type_array) ||
	    i >= json_object_array_length(data))
		return 0;
	e = json_object_array_get_idx(data, i);
	if (!json_object_is_type(e, json_type_object))
		return 1;
	*code = member_text(e, "code", NULL);
	*message = member_text(e, "message", NULL);
	if (json_object_object_get_ex(e, "line", &v) &&
	    json_object_is_type(v, json_type_int))
		*line = json_object_get_int64(v);
	return 1;
}

long long
object_created_at(struct json_object *o)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, "created_at", &v) &&
	    json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return 0;
}

int
batch_status_terminal(const char *s)
{
	return strcmp(s, "completed") == 0 || strcmp(s, "failed") == 0 ||
	    strcmp(s, "expired") == 0 || strcmp(s, "cancelled") == 0;
}
