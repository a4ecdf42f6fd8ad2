/* config: the API configuration, read from the environment the way the
 * official OpenAI SDKs read it.  No option ever takes the key: a key on
 * the command line would show in ps(1) and in shell history. */
#ifndef CONFIG_H
#define CONFIG_H

struct oai_config {
	char	*key;		/* the API key: never print it */
	char	*base_url;	/* no trailing slash: "https://api.openai.com/v1" */
	const char *base_path;	/* the path part of base_url ("/v1", or ""),
				 * pointing into base_url: for messages */
	char	*org;		/* OpenAI-Organization header value, or NULL */
	char	*project;	/* OpenAI-Project header value, or NULL */
};

#define OAI_DEFAULT_BASE_URL "https://api.openai.com/v1"

/* config_load: fills *c from OPENAI_API_KEY (else the file named by
 * OPENAI_API_KEY_FILE, which must not be readable by group or others; one
 * trailing newline is stripped), OPENAI_BASE_URL (default above; a
 * trailing slash is tolerated), OPENAI_ORG_ID and OPENAI_PROJECT_ID.
 * Refuses a missing or empty key, a key or header value holding a control
 * character or a space, a base URL that is not http(s), and plain http://
 * to a host that is not loopback (127.0.0.0/8, localhost, [::1]).
 * Returns 0, or -1 after reporting "prog: reason" (the key itself is never
 * in a message).  config_free wipes the key and frees everything.
 * First of all it turns core dumps off for the process, for good
 * (RLIMIT_CORE 0, and on Linux PR_SET_DUMPABLE 0): a core of a process
 * that holds the key would hold the key. */
int	config_load(struct oai_config *c);
void	config_free(struct oai_config *c);

/* config_loopback_host: 1 when host (as written in a URL, IPv6 in
 * brackets) is loopback: "localhost", 127.0.0.0/8 in dotted form, [::1]. */
int	config_loopback_host(const char *host);

#endif
