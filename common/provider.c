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
	    "openai-openapi.yaml (CreateBatchRequest); the openai npm package" },
	{ "azure", DIALECT_OPENAI, AUTH_API_KEY, "AZURE_OPENAI_API_KEY",
	    NULL, NULL, only_24h,
	    100000, 200LL * 1000 * 1000, 0,
	    "the openai npm package (AzureOpenAI)" },
	{ "anthropic", DIALECT_ANTHROPIC, AUTH_X_API_KEY, "ANTHROPIC_API_KEY",
	    "https://api.anthropic.com/v1", "anthropic-version: 2023-06-01",
	    only_24h, 100000, 256LL * 1000 * 1000, 0,
	    "the @anthropic-ai/sdk npm package (messages.batches)" },
	{ "groq", DIALECT_OPENAI, AUTH_BEARER, "GROQ_API_KEY",
	    "https://api.groq.com/openai/v1", NULL, NULL,
	    50000, 200LL * 1000 * 1000, 0,
	    "the groq-sdk npm package (batches)" },
	{ "compatible", DIALECT_OPENAI, AUTH_BEARER, NULL,
	    NULL, NULL, NULL,
	    50000, 200LL * 1000 * 1000, 0,
	    "OpenAI's limits, assumed" },
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
	return "openai, azure, anthropic, groq, compatible";
}

/* A window as "N" then 'h' or 'd', N a positive decimal without
 * leading zero. */
static int
window_form(const char *w)
{
	size_t n = 0;

	if (w[0] < '1' || w[0] > '9')
		return 0;
	while (isdigit((unsigned char)w[n]))
		n++;
	return n <= 4 && (w[n] == 'h' || w[n] == 'd') && w[n + 1] == '\0';
}

int
provider_window_ok(const struct provider *p, const char *w)
{
	const char *const *a;

	if (p->windows == NULL)
		return window_form(w);
	for (a = p->windows; *a != NULL; a++)
		if (strcmp(*a, w) == 0)
			return 1;
	return 0;
}

const char *
provider_windows(const struct provider *p)
{
	static char text[128];
	const char *const *a;
	size_t n = 0;

	if (p->windows == NULL)
		return "any Nh or Nd";
	text[0] = '\0';
	for (a = p->windows; *a != NULL && n + strlen(*a) + 3 < sizeof(text);
	    a++) {
		if (n > 0)
			n += (size_t)snprintf(text + n, sizeof(text) - n, ", ");
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", *a);
	}
	return text;
}
