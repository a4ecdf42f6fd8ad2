#include <sys/resource.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <arpa/inet.h>
#include <curl/curl.h>
#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "regfile.h"
#include "xalloc.h"

#define KEYFILE_MAX 4096

/* A header value we send must be printable ASCII without spaces: a
 * newline in it would let the environment inject headers. */
static int
header_safe(const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return 0;
	return 1;
}

static char *
read_keyfile(const char *path)
{
	struct stat st;
	char buf[KEYFILE_MAX + 1];
	size_t len = 0;
	ssize_t n;
	int fd;

	/* A FIFO would block the open until a writer came. */
	fd = regfile_open(path, &st);
	if (fd == -1) {
		warn("OPENAI_API_KEY_FILE: %s", path);
		return NULL;
	}
	if (fd == -2) {
		warnx("OPENAI_API_KEY_FILE: %s: not a regular file", path);
		return NULL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		warnx("OPENAI_API_KEY_FILE: %s: accessible by group or others "
		    "(mode %03o); chmod 600 it", path,
		    (unsigned)(st.st_mode & 0777));
		close(fd);
		return NULL;
	}
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warn("OPENAI_API_KEY_FILE: %s", path);
			close(fd);
			explicit_bzero(buf, sizeof(buf));
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len >= KEYFILE_MAX) {
		warnx("OPENAI_API_KEY_FILE: %s: too long for a key", path);
		explicit_bzero(buf, sizeof(buf));
		return NULL;
	}
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		warnx("OPENAI_API_KEY_FILE: %s: the key holds a NUL byte", path);
		explicit_bzero(buf, sizeof(buf));
		return NULL;
	}
	{
		char *key = xstrdup(buf);

		explicit_bzero(buf, sizeof(buf));
		return key;
	}
}

int
config_loopback_host(const char *host)
{
	struct in_addr a;

	if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
	    strcmp(host, "::1") == 0)
		return 1;
	/* inet_aton would accept "127.1" and hex forms; inet_pton only the
	 * dotted quad, which is all a URL should carry. */
	if (inet_pton(AF_INET, host, &a) == 1)
		return (ntohl(a.s_addr) >> 24) == 127;
	return 0;
}

/* check_base_url: http or https only; http only to loopback, or to the
 * one host BATCHPIPE_INSECURE_HTTP names.  Uses
 * libcurl's own URL parser, so we judge the host curl will connect to. */
static int
check_base_url(const char *url, char **hostp)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL;
	const char *insecure;
	int ok = 0;

	u = curl_url();
	if (u == NULL)
		errx(1, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		warnx("OPENAI_BASE_URL: %s: not a valid URL", url);
		goto out;
	}
	if (strcmp(scheme, "https") == 0)
		ok = 1;
	else if (strcmp(scheme, "http") != 0)
		warnx("OPENAI_BASE_URL: %s: only https:// (or http:// to "
		    "loopback) is allowed", url);
	else if (config_loopback_host(host))
		ok = 1;
	else if ((insecure = getenv("BATCHPIPE_INSECURE_HTTP")) != NULL &&
	    strcasecmp(insecure, host) == 0) {
		/* An opt-in by name, for a test server in another
		 * container: never a default, and said every time. */
		warnx("warning: plain http:// to %s (BATCHPIPE_INSECURE_HTTP): "
		    "the API key and the data cross the network unencrypted",
		    host);
		ok = 1;
	} else
		warnx("OPENAI_BASE_URL: %s: plain http:// is refused except to "
		    "loopback, or to the host BATCHPIPE_INSECURE_HTTP names; "
		    "use https://", url);
	if (ok && strchr(url, '#') != NULL) {
		warnx("OPENAI_BASE_URL: %s: must not hold a fragment", url);
		ok = 0;
	}
	if (ok)
		*hostp = xstrdup(host);
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok ? 0 : -1;
}

static const char *
path_part(const char *url)
{
	const char *p;

	p = strstr(url, "://");
	p = p != NULL ? p + 3 : url;
	p = strchr(p, '/');
	return p != NULL ? p : "";
}

static char *
optional_header(const char *var)
{
	const char *v;

	v = getenv(var);
	if (v == NULL || *v == '\0')
		return NULL;
	if (!header_safe(v)) {
		warnx("%s: holds a space or a control character", var);
		return (char *)-1;
	}
	return xstrdup(v);
}

/* no_core: a process that holds the key leaves no core dump (it would
 * hold the key) and, on Linux, cannot be attached to by other processes
 * of the user.  Best effort: a failure changes nothing else. */
static void
no_core(void)
{
	struct rlimit rl = { 0, 0 };

	(void)setrlimit(RLIMIT_CORE, &rl);
#ifdef __linux__
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

/* choose_provider: BATCHPIPE_PROVIDER's, or none yet (read_base_url
 * infers it from the host). */
static void
choose_provider(struct oai_config *c)
{
	const char *v = getenv("BATCHPIPE_PROVIDER");

	if (v == NULL || *v == '\0')
		return;
	if ((c->prov = provider_by_name(v)) == NULL)
		errx(2, "BATCHPIPE_PROVIDER: %s: unknown provider (known: %s)",
		    v, provider_names());
}

/* set_env: v = getenv(var) when it is set and not empty. */
static int
set_env(const char *var, const char **v)
{
	const char *e = getenv(var);

	if (e == NULL || *e == '\0')
		return 0;
	*v = e;
	return 1;
}

/* azure_token: Azure also takes an Entra ID token, sent as a Bearer
 * token, from AZURE_OPENAI_AD_TOKEN (the variable the openai Python
 * SDK's AzureOpenAI reads).  It and AZURE_OPENAI_API_KEY are two
 * credentials that cannot both be meant: a usage error. */
static const char *
azure_token(struct oai_config *c)
{
	const char *tok = NULL, *key = NULL;

	if (strcmp(c->prov->name, "azure") != 0 ||
	    !set_env("AZURE_OPENAI_AD_TOKEN", &tok))
		return NULL;
	if (set_env("AZURE_OPENAI_API_KEY", &key))
		errx(2, "AZURE_OPENAI_API_KEY and AZURE_OPENAI_AD_TOKEN are "
		    "both set: unset the one not meant");
	c->auth = AUTH_BEARER;
	return tok;
}

/* read_key: the provider's own key variable (for Azure, before it
 * AZURE_OPENAI_AD_TOKEN), then OPENAI_API_KEY, then
 * OPENAI_API_KEY_FILE. */
static int
read_key(struct oai_config *c)
{
	const char *var = NULL, *v = NULL, *kf;

	if ((v = azure_token(c)) != NULL)
		var = "AZURE_OPENAI_AD_TOKEN";
	else if (c->prov->key_env != NULL && set_env(c->prov->key_env, &v))
		var = c->prov->key_env;
	else if ((v = getenv("OPENAI_API_KEY")) != NULL && *v != '\0')
		var = "OPENAI_API_KEY";
	if (var != NULL)
		c->key = xstrdup(v);
	else if ((kf = getenv("OPENAI_API_KEY_FILE")) != NULL && *kf != '\0') {
		var = "OPENAI_API_KEY_FILE";
		if ((c->key = read_keyfile(kf)) == NULL)
			return -1;
	} else {
		if (c->prov->key_env != NULL)
			warnx("no API key: set %s%s or OPENAI_API_KEY, or "
			    "OPENAI_API_KEY_FILE to a file holding it",
			    c->prov->key_env, c->prov->auth == AUTH_API_KEY ?
			    " (or AZURE_OPENAI_AD_TOKEN)" : "");
		else
			warnx("no API key: set OPENAI_API_KEY, or "
			    "OPENAI_API_KEY_FILE to a file holding it");
		return -1;
	}
	if (*c->key == '\0') {
		warnx("%s: the key is empty", var);
		return -1;
	}
	if (!header_safe(c->key)) {
		warnx("%s: the key holds a space or a control character", var);
		return -1;
	}
	return 0;
}

/* has_param: 1 when query q holds parameter name ("api-version=..."). */
static int
has_param(const char *q, const char *name)
{
	size_t n = strlen(name);

	for (; q != NULL; q = strchr(q, '&'), q = q != NULL ? q + 1 : NULL)
		if (strncmp(q, name, n) == 0 && q[n] == '=')
			return 1;
	return 0;
}

/* azure_version: Azure's classic base URL (.../openai, not .../openai/v1)
 * answers nothing without an api-version: take OPENAI_API_VERSION, as
 * the openai SDKs' AzureOpenAI does, when the URL's query has none; with
 * neither, the configuration can only fail, so say so before anything
 * is sent.  The v1 base URL needs none. */
static void
azure_version(struct oai_config *c)
{
	size_t n = strlen(c->base_path);
	const char *v = NULL;
	char *q;

	if ((n >= 3 && strcmp(c->base_path + n - 3, "/v1") == 0) ||
	    has_param(c->query, "api-version"))
		return;
	if (!set_env("OPENAI_API_VERSION", &v))
		errx(2, "OPENAI_BASE_URL: %s: Azure's classic base URL needs an "
		    "api-version: add ?api-version=2024-10-21 (or set "
		    "OPENAI_API_VERSION), or use %s/v1", c->base_url,
		    c->base_url);
	if (!header_safe(v) || strpbrk(v, "&#?=") != NULL)
		errx(2, "OPENAI_API_VERSION: %s: not a version", v);
	n = strlen(v) + 13 + (c->query != NULL ? strlen(c->query) + 1 : 0);
	q = xmalloc(n);
	(void)snprintf(q, n, "%s%sapi-version=%s", c->query != NULL ?
	    c->query : "", c->query != NULL ? "&" : "", v);
	free(c->query);
	c->query = q;
}

/* read_base_url: OPENAI_BASE_URL, else the provider's default; its
 * query kept apart; the provider inferred from its host when none was
 * named. */
static int
read_base_url(struct oai_config *c)
{
	const char *v = getenv("OPENAI_BASE_URL"), *given = v;
	char *host = NULL, *q;
	size_t n;

	/* Set but empty is most often a command substitution that found
	 * nothing (a server not up yet): the key must not go to the real
	 * API in its place. */
	if (v != NULL && *v == '\0') {
		warnx("OPENAI_BASE_URL is set but empty: give the URL, or unset "
		    "it for %s", c->prov != NULL && c->prov->base_url != NULL ?
		    c->prov->base_url : OAI_DEFAULT_BASE_URL);
		return -1;
	}
	if (v == NULL && c->prov != NULL && c->prov->base_url == NULL)
		errx(2, "BATCHPIPE_PROVIDER=%s has no default base URL: set "
		    "OPENAI_BASE_URL", c->prov->name);
	if (v == NULL)
		v = c->prov != NULL ? c->prov->base_url : OAI_DEFAULT_BASE_URL;
	c->base_url = xstrdup(v);
	if (check_base_url(c->base_url, &host) != 0)
		return -1;
	if ((q = strchr(c->base_url, '?')) != NULL) {
		*q++ = '\0';
		if (*q != '\0')
			c->query = xstrdup(q);
	}
	n = strlen(c->base_url);
	while (n > 0 && c->base_url[n - 1] == '/')
		c->base_url[--n] = '\0';
	c->base_path = path_part(c->base_url);
	if (c->prov == NULL && given != NULL) {
		c->prov = provider_of_host(host);
		c->prov_inferred = c->prov != NULL;
	}
	if (c->prov == NULL)
		c->prov = provider_by_name("openai");
	free(host);
	c->auth = c->prov->auth;
	if (strcmp(c->prov->name, "azure") == 0)
		azure_version(c);
	return 0;
}

/* read_ca_file: CURL_CA_BUNDLE, else SSL_CERT_FILE, into c->ca_file.
 * A name that cannot be used is said now, before any transfer fails on
 * it with a less clear TLS error. */
static int
read_ca_file(struct oai_config *c)
{
	const char *var = "CURL_CA_BUNDLE", *v;
	struct stat st;
	int fd;

	if ((v = getenv(var)) == NULL) {
		var = "SSL_CERT_FILE";
		if ((v = getenv(var)) == NULL)
			return 0;
	}
	if (*v == '\0') {
		warnx("%s is set but empty: give the CA bundle's file, or unset "
		    "it", var);
		return -1;
	}
	if ((fd = regfile_open(v, &st)) == -1) {
		warn("%s: %s", var, v);
		return -1;
	}
	if (fd == -2) {
		warnx("%s: %s: not a regular file", var, v);
		return -1;
	}
	close(fd);
	c->ca_file = xstrdup(v);
	return 0;
}

int
config_load(struct oai_config *c)
{

	memset(c, 0, sizeof(*c));
	no_core();
	choose_provider(c);
	if (read_base_url(c) != 0 || read_key(c) != 0)
		goto fail;
	if ((c->org = optional_header("OPENAI_ORG_ID")) == (char *)-1) {
		c->org = NULL;
		goto fail;
	}
	if ((c->project = optional_header("OPENAI_PROJECT_ID")) == (char *)-1) {
		c->project = NULL;
		goto fail;
	}
	if (read_ca_file(c) != 0)
		goto fail;
	return 0;
fail:
	config_free(c);
	return -1;
}

void
config_free(struct oai_config *c)
{
	if (c->key != NULL) {
		explicit_bzero(c->key, strlen(c->key));
		free(c->key);
	}
	free(c->base_url);
	free(c->query);
	free(c->org);
	free(c->project);
	free(c->ca_file);
	memset(c, 0, sizeof(*c));
}

const char *
config_url(const struct oai_config *c, struct buf *b, const char *path,
    size_t n)
{
	buf_reset(b);
	buf_adds(b, c->base_url);
	buf_add(b, path, n);
	if (c->query != NULL) {
		buf_addc(b, memchr(path, '?', n) != NULL ? '&' : '?');
		buf_adds(b, c->query);
	}
	return b->p;
}
