/*
 * gen-items [count]: writes count (default 1,000,000) items of about 280
 * bytes as JSONL on stdout, the same bytes on every run: a product
 * catalogue with a unique "uuid", a "name", a "description" of words (some
 * with escaped quotes and non-ASCII text), a price and tags.  The bench
 * scripts compile it with cc; it is not one of the tools.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 0x2545f4914f6cdd1dULL;

/* xorshift64*: fast and the same everywhere. */
static uint64_t
next(void)
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * 0x2545f4914f6cdd1dULL;
}

static const char *const words[] = {
	"sturdy", "compact", "steel", "oak", "waterproof", "garden", "kitchen",
	"portable", "classic", "modern", "lightweight", "ergonomic", "quiet",
	"solar", "cotton", "ceramic", "travel", "outdoor", "premium", "basic",
	"with", "and", "for", "the", "a", "of", "\\\"pro\\\"", "caf\xc3\xa9",
	"na\xc3\xafve", "\xe2\x82\xac" "9", "size", "set", "pack", "handle",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *const categories[] = {
	"garden", "kitchen", "tools", "outdoor", "home", "office", "toys",
};

int
main(int argc, char *argv[])
{
	static char out[1 << 16];
	unsigned long count = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	unsigned long i;
	uint64_t a, b;
	char desc[256];
	size_t n, want;

	setvbuf(stdout, out, _IOFBF, sizeof(out));
	for (i = 1; i <= count; i++) {
		/* The uuid holds i, so ids are unique; the rest is noise. */
		a = next();
		b = next();
		want = 90 + b % 50;
		n = 0;
		while (n < want) {
			const char *w = words[next() % NWORDS];
			size_t wn = strlen(w);

			if (n + wn + 1 >= sizeof(desc))
				break;
			if (n > 0)
				desc[n++] = ' ';
			memcpy(desc + n, w, wn);
			n += wn;
		}
		desc[n] = '\0';
		printf("{\"uuid\":\"%08lx-%04x-4%03x-8%03x-%012llx\","
		    "\"name\":\"Item %lu\",\"category\":\"%s\","
		    "\"price\":%u.%02u,\"stock\":%u,\"tags\":[\"%s\",\"%s\"],"
		    "\"description\":\"%s.\"}\n",
		    i, (unsigned)(a & 0xffff), (unsigned)(a >> 16 & 0xfff),
		    (unsigned)(a >> 28 & 0xfff),
		    (unsigned long long)(b & 0xffffffffffffULL), i,
		    categories[a % 7], (unsigned)(a >> 40 & 0x3ff),
		    (unsigned)(b >> 50 & 0x3f) % 100, (unsigned)(b >> 56),
		    words[a >> 48 & 0xf], words[b >> 48 & 0xf], desc);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("gen-items: stdout");
		return 1;
	}
	return 0;
}
