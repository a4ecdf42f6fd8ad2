#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "batchobj.h"
#include "fileobj.h"
#include "xalloc.h"

/* A string member as a fresh copy; NULL when absent, not a string, or
 * holding a NUL byte. */
static char *
member_string(struct json_object *o, const char *key)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (s == NULL || strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return xstrdup(s);
}

int
fileobj_parse(struct json_object *o, struct fileobj *f)
{
	struct json_object *v;

	memset(f, 0, sizeof(*f));
	if (!json_object_is_type(o, json_type_object))
		return -1;
	f->id = member_string(o, "id");
	f->filename = member_string(o, "filename");
	f->purpose = member_string(o, "purpose");
	f->status = member_string(o, "status");
	if (json_object_object_get_ex(o, "bytes", &v) &&
	    json_object_is_type(v, json_type_int)) {
		f->bytes = json_object_get_int64(v);
		f->has_bytes = 1;
	}
	f->created_at = object_created_at(o);
	return 0;
}

void
fileobj_free(struct fileobj *f)
{
	free(f->id);
	free(f->filename);
	free(f->purpose);
	free(f->status);
	memset(f, 0, sizeof(*f));
}
