#include <string.h>

#include <json-c/json.h>

#include "member.h"
#include "xalloc.h"

const char *
member_text(struct json_object *o, const char *key, int *nul)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (s != NULL && nul != NULL &&
	    strlen(s) != (size_t)json_object_get_string_len(v)) {
		*nul = 1;
		return NULL;
	}
	return s;
}

char *
member_copy(struct json_object *o, const char *key, int *nul,
    int keep_empty)
{
	const char *s = member_text(o, key, nul);

	if (s == NULL || (*s == '\0' && !keep_empty))
		return NULL;
	return xstrdup(s);
}
