/* provider: the one place that knows each provider's dialect of the
 * batch API: how it is authenticated, its base URL, its paths, the
 * completion windows and the sizes of a batch it accepts, and which of
 * the two API shapes it speaks.  The tools keep one interface: request
 * files are in OpenAI's line format everywhere and result lines come
 * out in OpenAI's output format, so only the oai- tools that talk to
 * the server ask this file anything.
 *
 * The provider is BATCHPIPE_PROVIDER when set; else the one the base
 * URL's host names unambiguously (provider_of_host); else openai. */
#ifndef PROVIDER_H
#define PROVIDER_H

/* The two shapes of batch API. */
enum dialect {
	DIALECT_OPENAI,		/* /files + /batches, OpenAI's objects */
	DIALECT_ANTHROPIC	/* /messages/batches, requests inline */
};

/* How the key is sent. */
enum auth {
	AUTH_BEARER,		/* Authorization: Bearer KEY */
	AUTH_API_KEY,		/* api-key: KEY (Azure) */
	AUTH_X_API_KEY		/* x-api-key: KEY (Anthropic) */
};

struct provider {
	const char	*name;		/* as BATCHPIPE_PROVIDER names it */
	enum dialect	 dialect;
	enum auth	 auth;
	const char	*key_env;	/* the provider's own key variable,
					 * read before OPENAI_API_KEY; NULL
					 * when it has none */
	const char	*base_url;	/* the default base URL, with the
					 * version path ("/v1"); NULL: the
					 * user must give one */
	const char	*version_header; /* a header every call carries
					 * ("anthropic-version: ..."), or
					 * NULL */
	const char *const *windows;	/* the completion windows accepted,
					 * the default first */
	long long	 max_requests;	/* requests in one batch */
	long long	 max_bytes;	/* bytes of one batch's input */
	int		 idempotency_key; /* honours Idempotency-Key on
					 * batch creation */
	const char	*source;	/* where the facts above are
					 * published: for batchpipe(7) */
	int		 min_hours;	/* besides windows, any "Nh" or "Nd"
					 * from min_hours to max_hours;
					 * 0 0: none */
	int		 max_hours;
};

/* provider_by_name: the provider called name ("openai", "azure",
 * "anthropic", "groq", "compatible", ...), or NULL. */
const struct provider *provider_by_name(const char *name);

/* provider_of_host: the provider whose API lives at host (as written in
 * a URL, lower or upper case), when that is unambiguous: api.openai.com,
 * *.openai.azure.com, api.anthropic.com, api.groq.com; else NULL. */
const struct provider *provider_of_host(const char *host);

/* provider_names: the names provider_by_name knows, comma separated, for
 * messages (built from the table). */
const char *provider_names(void);

/* provider_window_ok: 1 when provider p accepts completion window w. */
int	provider_window_ok(const struct provider *p, const char *w);

/* provider_windows: the windows p accepts, for a message ("24h",
 * "24h, 48h" or "24h, or any Nh or Nd from 24h to 7d"). */
const char *provider_windows(const struct provider *p);

#endif
