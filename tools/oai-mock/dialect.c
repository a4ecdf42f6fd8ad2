/*
 * The dialects oai-mock speaks besides OpenAI's (-D): a request's path
 * and key, read the dialect's way, brought to OpenAI's form before the
 * router (routes.c) sees them, so that the handlers, the lifecycle and
 * the faults (-F, whose prefixes match the path as routed: /v1/...)
 * are the same in every dialect.
 *
 * Azure OpenAI (-D azure) has two URL forms: the v1 API under
 * /openai/v1/..., and the classic one under /openai/..., where every
 * call carries ?api-version=.  A classic call without it is answered
 * 404, as Azure answers it ("Resource not found"); so is a path of
 * neither form.  The key comes in the api-key header, or an Entra ID
 * token as Authorization: Bearer; the mock takes -k for either.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server.h"
#include "xalloc.h"

#define AZURE_PREFIX	"/openai"

/* A path no route knows, for a call Azure would not find: the original
 * behind "/-", which the log shows as it came. */
static char *
unrouted(const char *url)
{
	size_t n = strlen(url) + 3;
	char *p = xmalloc(n);

	(void)snprintf(p, n, "/-%s", url);
	return p;
}

static char *
azure_path(struct MHD_Connection *c, const char *url)
{
	size_t n = strlen(AZURE_PREFIX);
	const char *rest = url + n, *v;
	char *p;

	if (strncmp(url, AZURE_PREFIX "/", n + 1) != 0)
		return unrouted(url);
	if (strncmp(rest, "/v1/", 4) == 0)
		return xstrdup(rest);
	v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
	    "api-version");
	if (v == NULL || *v == '\0')
		return unrouted(url);
	n = strlen(rest) + 4;
	p = xmalloc(n);
	(void)snprintf(p, n, "/v1%s", rest);
	return p;
}

char *
dialect_path(struct MHD_Connection *c, const struct server *sv,
    const char *url)
{
	if (sv->dialect->auth == AUTH_API_KEY)
		return azure_path(c, url);
	return xstrdup(url);
}

/* Azure's answer to a missing or wrong key (it shows no part of it). */
#define AZURE_DENIED	"Access denied due to invalid subscription key or " \
	"wrong API endpoint. Make sure to provide a valid key for an active " \
	"subscription and use a correct regional API endpoint for your " \
	"resource."

int
dialect_authorized(struct MHD_Connection *c, struct req *r,
    enum MHD_Result *ret)
{
	const char *key, *h;

	if (r->sv->dialect->auth != AUTH_API_KEY)
		return -1;
	key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "api-key");
	h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (key == NULL && h != NULL && strncasecmp(h, "Bearer ", 7) == 0)
		key = h + 7;
	if (key != NULL && *key != '\0' &&
	    (r->sv->key == NULL || strcmp(key, r->sv->key) == 0))
		return 1;
	*ret = send_error(c, r, 401, AZURE_DENIED, NULL, "401");
	return 0;
}
