/* filehash: the SHA-256 of a file's contents, read a buffer at a time
 * (constant memory).  OpenSSL's libcrypto does the hashing: it uses the
 * CPU's SHA instructions, several times faster than portable C, and the
 * hash is read before every upload of files up to 200 MB. */
#ifndef FILEHASH_H
#define FILEHASH_H
#include <sys/types.h>

/* filehash_sha256: reads fd from its current offset to the end; hex gets
 * the 64 lowercase hex digits and a NUL, *size the bytes read.  Returns
 * 0, or -1 with errno set (a read error). */
int	filehash_sha256(int fd, char hex[65], off_t *size);

/* hash_sha256: the same of the n bytes at p. */
void	hash_sha256(const void *p, size_t n, char hex[65]);

#endif
