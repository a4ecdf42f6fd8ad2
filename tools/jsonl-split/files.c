/*
 * The output files.  Each is written under a temporary name (atomicfile)
 * and closed when full; only once the whole input proved good do they all
 * get their names, so a bad line at the end leaves nothing behind.  Lines
 * are copied byte for byte.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "buf.h"
#include "jscan.h"
#include "mkdirs.h"
#include "split.h"
#include "writeall.h"
#include "xalloc.h"

void
write_run(void *arg)
{
	struct split *sp = arg;
	size_t n = sp->run.n;

	if (n == 0 || sp->run.f == NULL)
		return;
	sp->run.n = 0;
	if (write_all(fileno(sp->run.f->fp), sp->run.p, n) < 0)
		err(1, "%s", sp->run.f->path);
	buf_reset(&sp->run.copy);
}

/* The number in name when name is one a run with this prefix gives its
 * files (prefix, a number of four or five digits, ".jsonl"), else 0; *rest
 * gets what follows ".jsonl". */
static size_t
own_number(const char *name, const char *prefix, const char **rest)
{
	size_t n = strlen(prefix), digits = 0, number = 0;
	const char *p;

	if (strncmp(name, prefix, n) != 0)
		return 0;
	for (p = name + n; isdigit((unsigned char)*p); p++) {
		digits++;
		number = number * 10 + (size_t)(*p - '0');
	}
	if (digits < 4 || digits > 5 || (digits == 5 && name[n] == '0'))
		return 0;
	if (strncmp(p, ".jsonl", 6) != 0)
		return 0;
	*rest = p + 6;
	return number;
}

/* 1 when name is a temporary name a run with this prefix gives its files
 * (afile_open's ".NAME.tmp.XXXXXX" for an own_number NAME), else 0. */
static int
own_temporary(const char *name, const char *prefix)
{
	const char *rest;

	if (name[0] != '.' || own_number(name + 1, prefix, &rest) == 0)
		return 0;
	if (strncmp(rest, ".tmp.", 5) != 0)
		return 0;
	return strlen(rest + 5) == 6 && strchr(rest + 5, '/') == NULL;
}

/*
 * Refuses (exits 1, the new files still under their temporary names, so
 * removed at exit) when dir holds files of this prefix numbered past
 * written, the number of files this run made: an earlier, longer
 * split's, which this one would not replace.  Left there,
 * "dir/prefix*.jsonl" would upload them beside the new ones, and their
 * requests would be paid for twice.
 */
static void
refuse_stale(const char *dir, const char *prefix, size_t written)
{
	struct dirent *e;
	const char *rest;
	char first[NAME_MAX + 1] = "";
	size_t n, stale = 0, lowest = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT && written == 0)
			return;
		err(1, "%s", dir);
	}
	while ((errno = 0, e = readdir(d)) != NULL) {
		n = own_number(e->d_name, prefix, &rest);
		if (n <= written || *rest != '\0')
			continue;
		stale++;
		if (lowest == 0 || n < lowest) {
			lowest = n;
			snprintf(first, sizeof(first), "%s", e->d_name);
		}
	}
	if (errno != 0)
		err(1, "%s", dir);
	closedir(d);
	if (stale == 0)
		return;
	if (stale == 1)
		errx(1, "%s: %s is from an earlier split, which this one "
		    "(%zu files) does not replace; remove it or use another "
		    "-d or -p: nothing was written", dir, first, written);
	errx(1, "%s: %s and %zu more files are from an earlier split, which "
	    "this one (%zu files) does not replace; remove them or use "
	    "another -d or -p: nothing was written", dir, first, stale - 1,
	    written);
}

/*
 * Takes the lock of the output directory dir, held until exit, and, when
 * no other jsonl-split holds it, removes the temporaries that a killed run
 * with the same prefix left there (own_temporary).  Every run holds a
 * shared flock(2) on dir while it writes there, so a run that gets it
 * exclusively knows that no temporary in dir is being written.  When
 * another run holds it nothing is removed: the next run alone does it.  A
 * file system without flock: nothing is removed either.  An unreadable
 * dir, or a temporary that cannot be removed, is reported and exits 1.
 */
static void
lock_and_clean(const char *dir, const char *prefix)
{
	struct dirent *e;
	DIR *d;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		err(1, "%s", dir);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			while (flock(fd, LOCK_SH) != 0 && errno == EINTR)
				;
		return;
	}
	if ((d = opendir(dir)) == NULL)
		err(1, "%s", dir);
	while ((errno = 0, e = readdir(d)) != NULL)
		if (own_temporary(e->d_name, prefix) &&
		    unlinkat(fd, e->d_name, 0) != 0 && errno != ENOENT)
			err(1, "%s/%s", dir, e->d_name);
	if (errno != 0)
		err(1, "%s", dir);
	closedir(d);
	while (flock(fd, LOCK_SH) != 0 && errno == EINTR)
		;
}


void
files_finish(struct split *sp)
{
	write_run(sp);
	if (sp->f == NULL)
		return;
	if (afile_close(sp->f) != 0)
		exit(1);
	sp->nreqs[sp->nfiles - 1] = sp->lines;
	sp->ntoks[sp->nfiles - 1] = sp->max_tokens > 0 ? sp->tokens : -1;
}

void
next_file(struct split *sp, const struct reqline *req)
{
	const char *failed;
	size_t n = sp->nfiles;

	files_finish(sp);
	if (!sp->dir_made) {
		if (mkdirs(sp->dir, &failed) != 0)
			err(1, "%s", failed);
		lock_and_clean(sp->dir, sp->prefix);
		sp->dir_made = 1;
	}
	sp->files = xreallocarray(sp->files, n + 1, sizeof(*sp->files));
	sp->paths = xreallocarray(sp->paths, n + 1, sizeof(*sp->paths));
	sp->nreqs = xreallocarray(sp->nreqs, n + 1, sizeof(*sp->nreqs));
	sp->ntoks = xreallocarray(sp->ntoks, n + 1, sizeof(*sp->ntoks));
	sp->f = &sp->files[n];
	if (asprintf(&sp->paths[n], "%s/%s%04zu.jsonl", sp->dir, sp->prefix,
	    n + 1) < 0)
		errx(1, "out of memory");
	if (afile_open(sp->f, sp->paths[n]) != 0)
		exit(1);
	sp->nfiles++;
	sp->lines = sp->bytes = 0;
	sp->tokens = 0;
	buf_reset(&sp->url);
	jscan_unescape(req->url, &sp->url);
	buf_reset(&sp->model);
	jscan_unescape(req->model, &sp->model);
}

void
files_commit(struct split *sp)
{
	char count[24];
	size_t i;

	refuse_stale(sp->dir, sp->prefix, sp->nfiles);
	for (i = 0; i < sp->nfiles; i++)
		if (afile_commit(&sp->files[i]) != 0)
			exit(1);
	for (i = 0; i < sp->nfiles; i++) {
		if (sp->ntoks[i] < 0)
			snprintf(count, sizeof(count), "-");
		else
			snprintf(count, sizeof(count), "%lld", sp->ntoks[i]);
		printf("%s\t%zu\t%s\n", sp->paths[i], sp->nreqs[i], count);
		free(sp->paths[i]);
	}
	free(sp->files);
	free(sp->paths);
	free(sp->nreqs);
	free(sp->ntoks);
}
