#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sharefile.h"
#include "xalloc.h"

#ifndef BATCHPIPE_SHAREDIR
#define BATCHPIPE_SHAREDIR	"/usr/local/share/batchpipe"
#endif

static char *
readable(const char *dir, const char *sub, const char *name)
{
	size_t size = strlen(dir) + strlen(sub) + strlen(name) + 2;
	char *path = xmalloc(size);

	snprintf(path, size, "%s%s/%s", dir, sub, name);
	if (access(path, R_OK) == 0)
		return path;
	free(path);
	return NULL;
}

char *
sharefile_path(const char *name, const char *env)
{
	const char *v;
	char exe[PATH_MAX], *slash, *path;
	ssize_t n;
	int up;

	if (env != NULL && (v = getenv(env)) != NULL && *v != '\0')
		return xstrdup(v);
	if ((v = getenv("BATCHPIPE_SHARE")) != NULL && *v != '\0' &&
	    (path = readable(v, "", name)) != NULL)
		return path;
	if ((path = readable(BATCHPIPE_SHAREDIR, "", name)) != NULL)
		return path;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	for (up = 0; up < 4; up++) {
		if ((slash = strrchr(exe, '/')) == NULL)
			return NULL;
		*slash = '\0';
		if ((path = readable(exe, "/share/batchpipe", name)) != NULL ||
		    (path = readable(exe, "/share", name)) != NULL)
			return path;
	}
	return NULL;
}
