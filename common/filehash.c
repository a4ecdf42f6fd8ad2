#include <errno.h>
#include <err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

#include "filehash.h"
#include "xalloc.h"

#define HASH_BUFSIZE (256 << 10)

static void
to_hex(const unsigned char *md, unsigned int mdlen, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < mdlen; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

void
hash_sha256(const void *p, size_t n, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		errx(1, "SHA-256: libcrypto failed");
	to_hex(md, mdlen, hex);
}

int
filehash_sha256(int fd, char hex[65], off_t *size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	char *buf;
	ssize_t n;
	int saved;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		errx(1, "SHA-256: cannot initialise libcrypto");
	buf = xmalloc(HASH_BUFSIZE);
	*size = 0;
	for (;;) {
		n = read(fd, buf, HASH_BUFSIZE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1)
			errx(1, "SHA-256: libcrypto failed");
		*size += n;
	}
	saved = errno;
	free(buf);
	if (n < 0) {
		EVP_MD_CTX_free(ctx);
		errno = saved;
		return -1;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		errx(1, "SHA-256: libcrypto failed");
	EVP_MD_CTX_free(ctx);
	to_hex(md, mdlen, hex);
	return 0;
}
