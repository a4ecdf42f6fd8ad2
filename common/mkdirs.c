#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mkdirs.h"
#include "xalloc.h"

int
mkdirs(const char *path, const char **failed)
{
	static char *copy;
	struct stat st;
	char *p, c;

	free(copy);
	copy = xstrdup(path);
	for (p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		/* EEXIST for a file that is not a directory is an error:
		 * stat says which. */
		if (mkdir(copy, 0777) != 0 && (errno != EEXIST ||
		    stat(copy, &st) != 0 || !S_ISDIR(st.st_mode))) {
			if (errno == EEXIST)
				errno = ENOTDIR;
			if (failed != NULL)
				*failed = copy;
			return -1;
		}
		if ((*p = c) == '\0')
			break;
	}
	return 0;
}
