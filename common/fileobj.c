#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "batchobj.h"
#include "fileobj.h"
#include "member.h"
#include "xalloc.h"

int
fileobj_parse(struct json_object *o, struct fileobj *f)
{
	struct json_object *v;
	int nul = 0;

	memset(f, 0, sizeof(*f));
	if (!json_object_is_type(o, json_type_object))
		return -1;
	f->id = member_copy(o, "id", &nul, 1);
	f->filename = member_copy(o, "filename", &nul, 1);
	f->purpose = member_copy(o, "purpose", &nul, 1);
	f->status = member_copy(o, "status", &nul, 1);
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
