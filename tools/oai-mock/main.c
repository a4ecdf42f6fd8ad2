/*
 * oai-mock: a local, stateful stand-in for the OpenAI Files and Batches API
 * (and live chat completions, embeddings and responses), with deterministic
 * answers and faults on demand.  See oai-mock(1), and mock.h for its parts.
 *
 * State lives in memory behind one lock; file bodies live in the storage
 * directory.  libmicrohttpd runs a thread per connection (so a slow fault
 * delays only its own call), and a ticker thread moves every batch through
 * its lifecycle in real time.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monoclock.h"
#include "numarg.h"
#include "server.h"
#include "usage.h"
#include "xalloc.h"

#define TICK_NS			20000000L	/* the lifecycle's clock: 20 ms */

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "a:D:d:F:hk:L:O:p:qt:V";
static const char help[] =
	"usage: oai-mock [-hqV] [-a addr] [-D dialect] [-d dir] [-F fault]\n"
	"                [-k key] [-L latency-ms] [-O old-batches] [-p port]\n"
	"                [-t validating,in_progress,finalizing]\n"
	"\n"
	"  -a addr         listen on this address (default 127.0.0.1)\n"
	"  -D dialect      speak openai (the default), azure, anthropic, or\n"
	"                  a provider of OpenAI's shape (groq, compatible)\n"
	"  -d dir          keep file contents in dir, left in place at exit\n"
	"  -F fault        inject a fault (repeatable; see oai-mock(1))\n"
	"  -k key          accept only this API key\n"
	"  -L latency-ms   delay the answers of the live endpoints\n"
	"  -O old-batches  start with this many old completed batches\n"
	"  -p port         listen on port; 0 picks a free one (default 8080)\n"
	"  -q              no request log\n"
	"  -t v,i,f        the seconds of the three working phases of a batch\n"
	"                  (default 0.3,1,0.3)\n"
	"  -h              print this help and exit\n"
	"  -V              print the version and exit\n";

/* The options that are not the server's to keep. */
struct opts {
	const char	*addr, *dir;
	double		 times[3];
	long		 port, old;
	struct mock_fault *faults;
	size_t		 nfaults;
};

/* -t: three durations in seconds, separated by commas. */
static int
parse_times(const char *s, double t[3])
{
	const char *e;
	char part[64];
	size_t n;
	int i;

	for (i = 0; i < 3; i++) {
		n = strcspn(s, ",");
		if (n >= sizeof part || (i < 2) != (s[n] == ','))
			return -1;
		memcpy(part, s, n);
		part[n] = '\0';
		t[i] = numarg_decimal(part, 0, NUMARG_SECONDS_MAX, &e);
		if (e != NULL)
			return -1;
		s += n + 1;
	}
	return 0;
}

/* Option -ch's whole number from min to max, or a usage error that
 * says what was wanted. */
static long
whole(int ch, const char *s, long min, long max, const char *what)
{
	const char *e;
	long n;

	n = (long)numarg(s, min, max, &e);
	if (e != NULL) {
		warnx("-%c %s: %s", ch, s, what);
		usage_error(help);
	}
	return n;
}

static void
options(int argc, char *argv[], struct opts *o, struct server *sv)
{
	const char *why;
	int ch;

	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'a':
			o->addr = optarg;
			break;
		case 'D':
			/* Every provider of OpenAI's shape is openai with
			 * its own windows. */
			if ((sv->dialect = provider_by_name(optarg)) == NULL) {
				warnx("-D %s: not a dialect (%s)", optarg,
				    provider_names());
				usage_error(help);
			}
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'F':
			o->faults = xreallocarray(o->faults, o->nfaults + 1,
			    sizeof *o->faults);
			if (mock_fault_parse(optarg, &o->faults[o->nfaults],
			    &why) != 0) {
				warnx("-F %s: %s", optarg, why);
				usage_error(help);
			}
			o->nfaults++;
			break;
		case 'h':
			usage_help(help);
		case 'k':
			sv->key = optarg;
			break;
		case 'L':
			sv->latency_ms = whole(ch, optarg, 0, LONG_MAX,
			    "not a number of milliseconds");
			break;
		case 'O':
			o->old = whole(ch, optarg, 0, 1000000,
			    "not a number of batches (0 to 1000000)");
			break;
		case 'p':
			o->port = whole(ch, optarg, 0, 65535,
			    "not a port number");
			break;
		case 'q':
			sv->quiet = 1;
			break;
		case 't':
			if (parse_times(optarg, o->times) != 0) {
				warnx("-t %s: expected three durations in "
				    "seconds, e.g. 0.3,1,0.3", optarg);
				usage_error(help);
			}
			break;
		case 'V':
			usage_version();
		default:
			usage_error(help);
		}
	}
	if (optind != argc)
		usage_error(help);
}

/* echo-key without a text echoes the key the server checks. */
static void
echo_key(struct opts *o, const char *key)
{
	size_t i;

	for (i = 0; i < o->nfaults; i++) {
		if (o->faults[i].kind != MF_ECHO_KEY || o->faults[i].text != NULL)
			continue;
		if (key == NULL) {
			warnx("-F echo-key: no key to echo: give -k, or the "
			    "text as echo-key=TEXT");
			usage_error(help);
		}
		o->faults[i].text = xstrdup(key);
		o->faults[i].textlen = strlen(o->faults[i].text);
	}
}

/* The socket address of -a and -p; 1 for IPv6, or a usage error. */
static int
sockaddr_of(const char *addr, long port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		return 1;
	}
	warnx("-a %s: not a numeric IPv4 or IPv6 address", addr);
	usage_error(help);
}

/* The store over -d's directory, or a private one made under TMPDIR (1
 * returned: it goes at exit). */
static int
store_open(struct mock_store *st, const struct opts *o)
{
	uint64_t seed = mock_mix((uint64_t)time(NULL) ^
	    ((uint64_t)getpid() << 32));
	const char *t = getenv("TMPDIR");
	struct buf b = BUF_INIT;

	if (o->dir != NULL) {
		if (mkdir(o->dir, 0700) == -1 && errno != EEXIST)
			err(1, "%s", o->dir);
		mock_store_init(st, o->dir, seed);
		return 0;
	}
	buf_printf(&b, "%s/oai-mock.XXXXXX", t && *t ? t : "/tmp");
	if (mkdtemp(b.p) == NULL)
		err(1, "%s", b.p);
	mock_store_init(st, b.p, seed);
	buf_free(&b);
	return 1;
}

/* The lifecycle's clock. */
static void *
ticker(void *arg)
{
	struct server *sv = arg;
	struct timespec ts = { 0, TICK_NS };
	int stop;

	for (;;) {
		pthread_mutex_lock(&sv->lock);
		mock_store_tick(&sv->st, mono_now());
		stop = sv->stop;
		pthread_mutex_unlock(&sv->lock);
		if (stop)
			return NULL;
		nanosleep(&ts, NULL);
	}
}

int
main(int argc, char *argv[])
{
	/* static: still reachable, not a leak, when a usage error exits */
	static struct opts o = { "127.0.0.1", NULL, { 0.3, 1, 0.3 }, 8080, 0,
	    NULL, 0 };
	static struct server sv = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	pthread_t tick;
	sigset_t sigs;
	size_t i;
	int sig, v6, private_dir;

	usage_long_options(argc, argv, optstring, help);
	options(argc, argv, &o, &sv);
	if (sv.dialect == NULL)
		sv.dialect = provider_by_name("openai");
	echo_key(&o, sv.key);
	if (mock_answer_init() != 0)
		return 1;
	v6 = sockaddr_of(o.addr, o.port, &ss);

	private_dir = store_open(&sv.st, &o);
	sv.st.t_validating = o.times[0];
	sv.st.t_in_progress = o.times[1];
	sv.st.t_finalizing = o.times[2];
	sv.st.faults = o.faults;
	sv.st.nfaults = o.nfaults;
	rl_init(&sv.rl, &sv.st, mono_now());
	mock_batch_add_old(&sv.st, (size_t)o.old);

	/* Every thread inherits this mask: only main() takes the signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((d = server_start(&sv, &ss, v6, o.port)) == NULL) {
		warnx("cannot listen on %s port %ld", o.addr, o.port);
		if (private_dir)
			mock_store_remove(&sv.st);
		return 1;
	}
	if (pthread_create(&tick, NULL, ticker, &sv) != 0)
		errx(1, "cannot start the lifecycle thread");
	server_print_url(o.addr, &ss, v6,
	    MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);

	sigwait(&sigs, &sig);

	pthread_mutex_lock(&sv.lock);
	sv.stop = 1;
	pthread_mutex_unlock(&sv.lock);
	pthread_join(tick, NULL);
	MHD_stop_daemon(d);
	if (private_dir)
		mock_store_remove(&sv.st);
	mock_store_free(&sv.st);
	for (i = 0; i < o.nfaults; i++) {
		free(o.faults[i].prefix);
		free(o.faults[i].text);
	}
	free(o.faults);
	return 0;
}
