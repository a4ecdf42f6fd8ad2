#include <sys/file.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "runlock.h"

/* Two processes' clocks are one clock here, but a file's time is the
 * kernel's coarse clock, a tick behind; a wide margin only costs a
 * listing more now and then. */
#define CLOCK_MARGIN	2

static struct buf	dir = BUF_INIT;	/* the locks directory, once made */
static int		unusable;	/* said why; no locks for this process */

static void
give_up(const char *path, const char *why)
{
	if (!unusable)
		warnx("%s: %s: going on without the lock that keeps two "
		    "processes from making the same upload or batch at once",
		    path, why);
	unusable = 1;
}

/* make_dir: mkdir path (mode 0700) unless it is there. */
static int
make_dir(const char *path)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	give_up(path, strerror(errno));
	return -1;
}

/* locks_dir: makes the locks directory and its parents the first time;
 * 0, or -1 (said) when there is none to use. */
static int
locks_dir(void)
{
	const char *state, *home;
	struct stat st;
	char *p;

	if (unusable)
		return -1;
	if (dir.len > 0)
		return 0;
	state = getenv("XDG_STATE_HOME");
	home = getenv("HOME");
	/* The XDG spec: a relative path there is to be ignored. */
	if (state != NULL && state[0] == '/')
		buf_printf(&dir, "%s", state);
	else if (home != NULL && home[0] == '/')
		buf_printf(&dir, "%s/.local/state", home);
	else {
		give_up("XDG_STATE_HOME", "neither it nor HOME is an "
		    "absolute path");
		return -1;
	}
	buf_printf(&dir, "/batchpipe/locks");
	for (p = strchr(dir.p + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (make_dir(dir.p) == -1)
			goto fail;
		*p = '/';
	}
	if (make_dir(dir.p) == -1)
		goto fail;
	/* Another user's directory, or one they may write in, could hold
	 * their files under our lock names. */
	if (lstat(dir.p, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		give_up(dir.p, "not a directory of this user's alone");
		goto fail;
	}
	return 0;
fail:
	buf_reset(&dir);
	return -1;
}

/* lock_path: sets b to the lock file of (server, kind, key). */
static void
lock_path(struct buf *b, const char *server, const char *kind,
    const char *key)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	struct buf name = BUF_INIT;

	/* NULs between the parts: no two triples hash the same bytes. */
	buf_add(&name, server, strlen(server) + 1);
	buf_add(&name, kind, strlen(kind) + 1);
	buf_add(&name, key, strlen(key));
	if (EVP_Digest(name.p, name.len, md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != 32)
		errx(1, "SHA-256: libcrypto failed");
	buf_free(&name);
	buf_reset(b);
	buf_printf(b, "%s/%s-", dir.p, kind);
	for (i = 0; i < mdlen; i++)
		buf_printf(b, "%c%c", digits[md[i] >> 4], digits[md[i] & 15]);
}

void
runlock_acquire(struct runlock *l, const char *server, const char *kind,
    const char *key, const char *what, int quiet)
{
	struct buf path = BUF_INIT;
	struct stat st;
	int fd, r;

	runlock_release(l);
	if (locks_dir() == -1)
		return;
	lock_path(&path, server, kind, key);
	/* O_NONBLOCK: a FIFO there would block the open. */
	fd = open(path.p, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK, 0600);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		give_up(path.p, fd == -1 ? strerror(errno) :
		    "not a regular file");
		goto out;
	}
	while ((r = flock(fd, LOCK_EX | LOCK_NB)) == -1 && errno == EINTR)
		;
	if (r == -1 && errno == EWOULDBLOCK) {
		if (!quiet)
			warnx("%s: another process is making the same %s: "
			    "waiting for it", what, kind);
		while ((r = flock(fd, LOCK_EX)) == -1 && errno == EINTR)
			;
	}
	if (r == -1) {
		give_up(path.p, strerror(errno));
		goto out;
	}
	l->fd = fd;
	fd = -1;
out:
	if (fd != -1)
		close(fd);
	buf_free(&path);
}

int
runlock_marked_since(const struct runlock *l, time_t t)
{
	struct stat st;

	if (l->fd == -1 || fstat(l->fd, &st) == -1)
		return 0;
	return st.st_mtime >= t - CLOCK_MARGIN;
}

void
runlock_mark(struct runlock *l)
{
	if (l->fd != -1)
		futimens(l->fd, NULL);
}

void
runlock_release(struct runlock *l)
{
	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
}

int
runlock_note_get(const struct runlock *l, struct buf *b)
{
	char note[RUNLOCK_NOTE_MAX];
	ssize_t n;

	buf_reset(b);
	if (l->fd == -1) {
		errno = EBADF;
		return -1;
	}
	while ((n = pread(l->fd, note, sizeof(note), 0)) == -1 &&
	    errno == EINTR)
		;
	if (n < 0)
		return -1;
	buf_add(b, note, (size_t)n);
	return (int)n;
}

int
runlock_note_set(struct runlock *l, const char *s)
{
	size_t n = strlen(s);
	ssize_t w;

	if (l->fd == -1 || n >= RUNLOCK_NOTE_MAX) {
		errno = l->fd == -1 ? EBADF : EFBIG;
		return -1;
	}
	/* One small write at offset 0, then the length: a note cut short
	 * by a crash keeps its end marker only when whole (the reader
	 * looks for it). */
	while ((w = pwrite(l->fd, s, n, 0)) == -1 && errno == EINTR)
		;
	if (w != (ssize_t)n || ftruncate(l->fd, (off_t)n) != 0 ||
	    fdatasync(l->fd) != 0)
		return -1;
	return 0;
}
