/* config: the API configuration, read from the environment the way the
 * official OpenAI SDKs read it.  No option ever takes the key: a key on
 * the command line would show in ps(1) and in shell history. */
#ifndef CONFIG_H
#define CONFIG_H
#include <stddef.h>

#include "provider.h"

struct buf;

struct oai_config {
	const struct provider *prov;	/* the provider's dialect */
	int	 prov_inferred;	/* prov was read off the base URL's host */
	enum auth auth;		/* how key is sent: prov's, or a Bearer
				 * token where the provider takes one */
	char	*key;		/* the API key: never print it */
	char	*base_url;	/* no trailing slash, no query:
				 * "https://api.openai.com/v1" */
	char	*query;		/* the base URL's query ("api-version=..."),
				 * added to every call's URL; NULL: none */
	const char *base_path;	/* the path part of base_url ("/v1", or ""),
				 * pointing into base_url: for messages */
	char	*org;		/* OpenAI-Organization header value, or NULL */
	char	*project;	/* OpenAI-Project header value, or NULL */
	char	*ca_file;	/* the CA bundle every transfer verifies
				 * the server with (CURLOPT_CAINFO), or
				 * NULL: libcurl's own */
};

#define OAI_DEFAULT_BASE_URL "https://api.openai.com/v1"

/* config_load: fills *c from BATCHPIPE_PROVIDER (see provider.h: when
 * unset, the provider the base URL's host names, else openai),
 * OPENAI_API_KEY (before it the provider's own variable, such as
 * ANTHROPIC_API_KEY; else the file named by OPENAI_API_KEY_FILE, which
 * must not be readable by group or others; one trailing newline is
 * stripped), OPENAI_BASE_URL (default: the provider's; a trailing slash
 * is tolerated; a query is kept apart, for config_url), OPENAI_ORG_ID
 * and OPENAI_PROJECT_ID, and the CA bundle from CURL_CA_BUNDLE (curl(1)'s
 * name), else SSL_CERT_FILE (OpenSSL's, which the Python SDK honours):
 * libcurl reads neither itself.  Refuses a missing or empty key, a key
 * or header value holding a control character or a space, a base URL
 * that is not http(s) or holds a fragment, plain http:// to a host that
 * is not loopback (127.0.0.0/8, localhost, [::1]), and a CA bundle
 * variable that is set but empty or names no regular file that can be
 * opened for reading.  Returns 0, or -1 after
 * reporting "prog: reason" (the key itself is never in a message).  A
 * configuration that names no usable provider (an unknown name; one that
 * has no default base URL when none is given) is a usage error: it
 * exits 2 after saying why, before anything is sent.
 * For azure: AZURE_OPENAI_AD_TOKEN, an Entra ID token, is sent as a
 * Bearer token instead of the key (with AZURE_OPENAI_API_KEY also set,
 * a usage error); the classic base URL (not ending in /v1) needs an
 * api-version in its query, else OPENAI_API_VERSION's is added to
 * cfg->query, else it is a usage error.  config_free wipes
 * the key and frees everything.
 * First of all it turns core dumps off for the process, for good
 * (RLIMIT_CORE 0, and on Linux PR_SET_DUMPABLE 0): a core of a process
 * that holds the key would hold the key. */
int	config_load(struct oai_config *c);
void	config_free(struct oai_config *c);

/* config_url: sets b to the URL of path[0..n) (relative to the base URL,
 * "/batches?limit=100"): the base URL, the path, and the base URL's query
 * after '?' or '&'.  Returns b->p. */
const char *config_url(const struct oai_config *c, struct buf *b,
	    const char *path, size_t n);

/* config_loopback_host: 1 when host (as written in a URL, IPv6 in
 * brackets) is loopback: "localhost", 127.0.0.0/8 in dotted form, [::1]. */
int	config_loopback_host(const char *host);

#endif
