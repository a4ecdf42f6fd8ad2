#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "xalloc.h"

/* The temporary files not yet committed, for the exit and signal
 * clean-up.  A fixed table, because a signal handler may neither allocate
 * nor walk a list that is being changed.  jsonl-split holds every file it
 * wrote until its whole input proved good: 16384 files of 50,000 lines. */
#define MAXLIVE 16384
static char *volatile live[MAXLIVE];

static void
remove_live(void)
{
	int i;

	for (i = 0; i < MAXLIVE; i++)
		if (live[i] != NULL)
			unlink(live[i]);
}

static void
on_signal(int sig)
{
	remove_live();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Returns 0, or -1 when the table is full. */
static int
track(char *tmp)
{
	static int installed;
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
	struct sigaction sa, old;
	size_t i;

	if (!installed) {
		installed = 1;
		atexit(remove_live);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			/* Leave alone a signal someone chose to ignore. */
			if (sigaction(sigs[i], NULL, &old) == 0 &&
			    old.sa_handler == SIG_IGN)
				continue;
			sigaction(sigs[i], &sa, NULL);
		}
	}
	for (i = 0; i < MAXLIVE; i++)
		if (live[i] == NULL) {
			live[i] = tmp;
			return 0;
		}
	return -1;
}

static void
untrack(const char *tmp)
{
	int i;

	for (i = 0; i < MAXLIVE; i++)
		if (live[i] == tmp)
			live[i] = NULL;
}

/* Opens path as the shell's > would, for afile_open. */
static int
open_direct(struct afile *a, const char *path)
{
	a->fp = fopen(path, "we");
	if (a->fp == NULL) {
		warn("%s", path);
		return -1;
	}
	a->path = xstrdup(path);
	a->direct = 1;
	return 0;
}

int
afile_open(struct afile *a, const char *path)
{
	struct stat st;
	char *copy, *dir, *base;
	mode_t mask;
	int fd;

	memset(a, 0, sizeof(*a));
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return open_direct(a, path);
	copy = xstrdup(path);
	dir = dirname(copy);
	base = xstrdup(path);
	a->tmp = xmalloc(strlen(path) + 32);
	snprintf(a->tmp, strlen(path) + 32, "%s/.%s.tmp.XXXXXX", dir,
	    basename(base));
	free(copy);
	free(base);
	fd = mkostemp(a->tmp, O_CLOEXEC);
	if (fd < 0) {
		warn("%s", path);
		free(a->tmp);
		a->tmp = NULL;
		return -1;
	}
	if (track(a->tmp) != 0) {
		warnx("%s: more than %d temporary files at once", path,
		    MAXLIVE);
		close(fd);
		unlink(a->tmp);
		free(a->tmp);
		a->tmp = NULL;
		return -1;
	}
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	a->fp = fdopen(fd, "w");
	if (a->fp == NULL) {
		warn("%s", path);
		close(fd);
		afile_abort(a);
		return -1;
	}
	a->path = xstrdup(path);
	return 0;
}

static void
release(struct afile *a)
{
	if (a->tmp != NULL) {
		untrack(a->tmp);
		free(a->tmp);
	}
	free(a->path);
	a->tmp = a->path = NULL;
	a->fp = NULL;
}

void
afile_abort(struct afile *a)
{
	if (a->fp != NULL)
		fclose(a->fp);
	if (a->tmp != NULL)
		unlink(a->tmp);
	release(a);
}

/* Flushes, fsyncs and closes a->fp; 0 or -1 (errno set). */
static int
flush_close(struct afile *a)
{
	int failed;

	/* A device or a FIFO may not sync (EINVAL): its data is gone by then. */
	failed = fflush(a->fp) != 0 || ferror(a->fp) ||
	    (fsync(fileno(a->fp)) != 0 && !(a->direct && errno == EINVAL));
	if (fclose(a->fp) != 0)
		failed = 1;
	a->fp = NULL;
	return failed ? -1 : 0;
}

int
afile_close(struct afile *a)
{
	if (flush_close(a) == 0)
		return 0;
	warn("%s", a->path);
	if (a->tmp != NULL)
		unlink(a->tmp);
	release(a);
	return -1;
}

int
afile_commit(struct afile *a)
{
	char *copy;
	int dfd, failed;

	failed = a->fp != NULL && flush_close(a) != 0;
	if (a->direct && failed)
		warn("%s", a->path);
	if (a->direct) {
		release(a);
		return failed ? -1 : 0;
	}
	if (failed || rename(a->tmp, a->path) != 0) {
		warn("%s", a->path);
		unlink(a->tmp);
		release(a);
		return -1;
	}
	copy = xstrdup(a->path);
	dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(copy);
	release(a);
	return 0;
}
