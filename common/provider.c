/* The table of providers; see provider.h.  Each row's facts come from
 * the provider's own published API description, named in its source. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "provider.h"

static const char *const only_24h[] = { "24h", NULL };

static const struct provider providers[] = {
	{ "openai", DIALECT_OPENAI, AUTH_BEARER, NULL,
	    "https://api.openai.com/v1", NULL, only_24h,
	    50000, 200LL * 1000 * 1000, 0,
	    "openai-openapi.yaml (CreateBatchRequest); "
	    "the openai npm package 6.49.0 (BatchCreateParams)", 0, 0 },
	{ "azure", DIALECT_OPENAI, AUTH_API_KEY, "AZURE_OPENAI_API_KEY",
	    NULL, NULL, only_24h,
	    100000, 200LL * 1000 * 1000, 0,
	    "the openai npm package (AzureOpenAI)", 0, 0 },
	{ "anthropic", DIALECT_ANTHROPIC, AUTH_X_API_KEY, "ANTHROPIC_API_KEY",
	    "https://api.anthropic.com/v1", "anthropic-version: 2023-06-01",
	    only_24h, 100000, 256LL * 1000 * 1000, 0,
	    "the @anthropic-ai/sdk npm package (messages.batches)",
	    0, 0 },
	/* groq-sdk: BatchCreateParams "Durations from 24h to 7d", files
	 * "up to 100 MB", the client's default https://api.groq.com with
	 * the paths under /openai/v1, GROQ_API_KEY, a file object whose
	 * bytes is optional; no Idempotency-Key (the client sets no
	 * idempotencyHeader).  It states no count of requests: OpenAI's. */
	{ "groq", DIALECT_OPENAI, AUTH_BEARER, "GROQ_API_KEY",
	    "https://api.groq.com/openai/v1", NULL, only_24h,
	    50000, 100LL * 1000 * 1000, 0,
	    "the groq-sdk npm package 1.6.0 (batches, files)", 24, 7 * 24 },
	/* A server that says it speaks OpenAI's shape and nothing more:
	 * OpenAI's limits, any window it may take.  It is sent an
	 * Idempotency-Key on batch creation: some such services document
	 * one, and one that does not ignores a header it does not know. */
	{ "compatible", DIALECT_OPENAI, AUTH_BEARER, NULL,
	    NULL, NULL, only_24h,
	    50000, 200LL * 1000 * 1000, 1,
	    "OpenAI's limits, assumed", 1, 9999 * 24 },
};

#define NPROVIDERS	(sizeof(providers) / sizeof(providers[0]))

const struct provider *
provider_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < NPROVIDERS; i++)
		if (strcmp(providers[i].name, name) == 0)
			return &providers[i];
	return NULL;
}

/* 1 when host ends in suffix at a label boundary (suffix begins with
 * '.') or is it. */
static int
host_is(const char *host, const char *suffix)
{
	size_t h = strlen(host), s = strlen(suffix);

	if (suffix[0] == '.')
		return h > s && strcasecmp(host + h - s, suffix) == 0;
	return strcasecmp(host, suffix) == 0;
}

const struct provider *
provider_of_host(const char *host)
{
	if (host_is(host, "api.openai.com"))
		return provider_by_name("openai");
	if (host_is(host, ".openai.azure.com") ||
	    host_is(host, ".cognitiveservices.azure.com"))
		return provider_by_name("azure");
	if (host_is(host, "api.anthropic.com"))
		return provider_by_name("anthropic");
	if (host_is(host, "api.groq.com"))
		return provider_by_name("groq");
	return NULL;
}

const char *
provider_names(void)
{
	static char text[256];
	size_t i, n = 0;

	if (text[0] != '\0')
		return text;
	for (i = 0; i < NPROVIDERS && n < sizeof(text); i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s",
		    i > 0 ? ", " : "", providers[i].name);
	return text;
}

/* window_hours: the hours of a window written "N" then 'h' or 'd', N a
 * positive decimal of at most 4 digits without leading zero; -1 when
 * it is not written so. */
static long
window_hours(const char *w)
{
	size_t n = 0;
	long v = 0;

	if (w[0] < '1' || w[0] > '9')
		return -1;
	for (; n < 4 && isdigit((unsigned char)w[n]); n++)
		v = v * 10 + (w[n] - '0');
	if (w[n] == '\0' || w[n + 1] != '\0')
		return -1;
	if (w[n] == 'h')
		return v;
	return w[n] == 'd' ? v * 24 : -1;
}

int
provider_window_ok(const struct provider *p, const char *w)
{
	const char *const *a;
	long h;

	for (a = p->windows; *a != NULL; a++)
		if (strcmp(*a, w) == 0)
			return 1;
	h = window_hours(w);
	return h > 0 && p->max_hours > 0 && h >= p->min_hours &&
	    h <= p->max_hours;
}

/* hours_text: h hours as a window, in days when whole days past one. */
static int
hours_text(char *s, size_t size, int h)
{
	if (h > 24 && h % 24 == 0)
		return snprintf(s, size, "%dd", h / 24);
	return snprintf(s, size, "%dh", h);
}

const char *
provider_windows(const struct provider *p)
{
	static char text[128];
	const char *const *a;
	size_t n = 0;

	text[0] = '\0';
	for (a = p->windows; *a != NULL && n + strlen(*a) + 3 < sizeof(text);
	    a++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s",
		    n > 0 ? ", " : "", *a);
	if (p->max_hours > 0 && n + 48 < sizeof(text)) {
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "%sany Nh or Nd from ", n > 0 ? ", or " : "");
		n += (size_t)hours_text(text + n, sizeof(text) - n,
		    p->min_hours);
		n += (size_t)snprintf(text + n, sizeof(text) - n, " to ");
		hours_text(text + n, sizeof(text) - n, p->max_hours);
	}
	return text;
}
