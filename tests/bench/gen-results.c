/*
 * gen-results [-g] [-k key-field] [-f files] items-file outdir: writes the
 * Batch API results of a chat job over the items (as tests/bench/gen-items
 * makes them), about 650 bytes a line, in outdir/part01.jsonl ... (20
 * files by default), the same bytes on every run.  Each file is what one
 * batch returns: the results of a run of consecutive requests (as
 * jsonl-split cuts them), in random order.  With -g the results are
 * shuffled across all the files instead (no batch gives that; a worst
 * case for jsonl-sortid).  custom_id is the
 * item's key-field (a string), or its line number without -k.  The bench
 * scripts compile it with cc; it is not one of the tools.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t state = 0x9e3779b97f4a7c15ULL;

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
	"The", "product", "is", "a", "sturdy", "and", "compact", "choice",
	"for", "everyday", "use", "in", "the", "kitchen", "garden", "or",
	"office", "with", "solid", "build", "quality", "caf\xc3\xa9",
	"\\\"pro\\\"", "value", "design", "customers", "like", "its", "price",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* The key of one item line: the string value of "key": (no escapes in the
 * generated ids), or NULL. */
static char *
key_of(const char *line, const char *key)
{
	char pat[256];
	const char *p, *q;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((p = strstr(line, pat)) == NULL)
		return NULL;
	p += strlen(pat);
	if ((q = strchr(p, '"')) == NULL)
		return NULL;
	return strndup(p, (size_t)(q - p));
}

static void
result(FILE *fp, const char *id, unsigned long i)
{
	char text[400];
	size_t n = 0, want;
	uint64_t a, b;
	unsigned pt, ct;

	state = 0x9e3779b97f4a7c15ULL ^ (i * 0xd6e8feb86659fd93ULL);
	a = next();
	b = next();
	want = 90 + b % 60;
	while (n < want) {
		const char *w = words[next() % NWORDS];
		size_t wn = strlen(w);

		if (n + wn + 2 >= sizeof(text))
			break;
		if (n > 0)
			text[n++] = ' ';
		memcpy(text + n, w, wn);
		n += wn;
	}
	text[n] = '\0';
	pt = 60 + (unsigned)(a % 40);
	ct = 50 + (unsigned)(b % 30);
	fprintf(fp, "{\"id\":\"batch_req_%016llx%08llx\",\"custom_id\":\"%s\","
	    "\"response\":{\"status_code\":200,\"request_id\":\"%016llx%016llx\","
	    "\"body\":{\"id\":\"chatcmpl-%016llx\",\"object\":\"chat.completion\","
	    "\"created\":1732500000,\"model\":\"gpt-4o-mini-2024-07-18\","
	    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
	    "\"content\":\"%s.\",\"refusal\":null},\"logprobs\":null,"
	    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":%u,"
	    "\"completion_tokens\":%u,\"total_tokens\":%u},"
	    "\"system_fingerprint\":\"fp_0ba0d124f1\"}},\"error\":null}\n",
	    (unsigned long long)a, (unsigned long long)(b >> 32),
	    id, (unsigned long long)b, (unsigned long long)a,
	    (unsigned long long)(a ^ b), text, pt, ct, pt + ct);
}

int
main(int argc, char *argv[])
{
	const char *key = NULL;
	char **ids = NULL, *line = NULL, path[4096], num[32];
	size_t cap = 0, n = 0, linecap = 0, k, j, nfiles = 20, *perm;
	FILE *in, *out = NULL;
	size_t file = (size_t)-1, f;
	int ch, global = 0;

	while ((ch = getopt(argc, argv, "f:gk:")) != -1) {
		switch (ch) {
		case 'g':
			global = 1;
			break;
		case 'f':
			nfiles = strtoul(optarg, NULL, 10);
			break;
		case 'k':
			key = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2 || nfiles == 0)
		goto usage;
	if ((in = fopen(argv[optind], "r")) == NULL) {
		perror(argv[optind]);
		return 1;
	}
	while (getline(&line, &linecap, in) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			ids = realloc(ids, cap * sizeof(*ids));
			if (ids == NULL)
				return 1;
		}
		if (key != NULL) {
			if ((ids[n] = key_of(line, key)) == NULL) {
				fprintf(stderr, "gen-results: %s:%zu: no %s\n",
				    argv[optind], n + 1, key);
				return 1;
			}
		} else {
			snprintf(num, sizeof(num), "%zu", n + 1);
			ids[n] = strdup(num);
		}
		n++;
	}
	fclose(in);
	if ((perm = malloc((n + 1) * sizeof(*perm))) == NULL)
		return 1;
	for (k = 0; k < n; k++)
		perm[k] = k;
	/* Fisher-Yates over each file's run of items (each file is one
	 * batch's output: the results of its requests, in no order), or
	 * with -g over all of them. */
	state = 0x2545f4914f6cdd1dULL;
	for (f = 0; f < (global ? 1 : nfiles); f++) {
		size_t lo = global ? 0 : f * n / nfiles;
		size_t hi = global ? n : (f + 1) * n / nfiles;

		for (k = hi - lo; k > 1; k--) {
			size_t t;

			j = lo + next() % k;
			t = perm[lo + k - 1];
			perm[lo + k - 1] = perm[j];
			perm[j] = t;
		}
	}
	for (k = 0; k < n; k++) {
		if (k * nfiles / n != file) {
			file = k * nfiles / n;
			if (out != NULL && fclose(out) != 0)
				goto write_error;
			snprintf(path, sizeof(path), "%s/part%02zu.jsonl",
			    argv[optind + 1], file + 1);
			if ((out = fopen(path, "w")) == NULL)
				goto write_error;
		}
		result(out, ids[perm[k]], perm[k] + 1);
	}
	if (out != NULL && fclose(out) != 0)
		goto write_error;
	return 0;
write_error:
	perror(path);
	return 1;
usage:
	fprintf(stderr, "usage: gen-results [-g] [-k key-field] [-f files] "
	    "items-file outdir\n");
	return 2;
}
