/* The listening side: libmicrohttpd's daemon on the address of -a and
 * -p, its messages, and the URL the clients are given. */
#include <sys/socket.h>
#include <netinet/in.h>

#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server.h"

#define CONNECTION_MEMORY	(1 << 20)	/* libmicrohttpd's read buffer */

/* libmicrohttpd's messages, as ours.  Its complaint about a connection the
 * handler closed is left out: only the close, cut, lose-create and
 * lose-upload faults do that, and the request log names them already. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (strstr(msg, "Application reported internal error") != NULL)
		return;
	msg[strcspn(msg, "\n")] = '\0';
	fprintf(stderr, "oai-mock: %s\n", msg);
}

struct MHD_Daemon *
server_start(struct server *sv, struct sockaddr_storage *ss, int v6,
    long port)
{
	unsigned flags;

	flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
	if (!sv->quiet)
		flags |= MHD_USE_ERROR_LOG;
	if (v6)
		flags |= MHD_USE_IPv6;
	return MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle, sv,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, sv,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
	    MHD_OPTION_END);
}

void
server_print_url(const char *addr, const struct sockaddr_storage *ss, int v6,
    unsigned port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (v6 ? IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) :
	    sin->sin_addr.s_addr == htonl(INADDR_ANY))
		addr = v6 ? "::1" : "127.0.0.1";
	if (v6)
		printf("http://[%s]:%u/v1\n", addr, port);
	else
		printf("http://%s:%u/v1\n", addr, port);
	if (fflush(stdout) == EOF)
		warn("stdout");
}
