/* mkdirs: a directory made with its missing parents, as mkdir -p. */
#ifndef MKDIRS_H
#define MKDIRS_H

/* mkdirs: makes directory path and every missing parent (mode 0777 less
 * the umask); one that exists already is fine.  Returns 0, or -1 with
 * errno set and *failed (when not NULL) the path that could not be made,
 * valid until the next call.  Reports nothing. */
int	mkdirs(const char *path, const char **failed);

#endif
