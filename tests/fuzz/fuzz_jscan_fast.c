/*
 * fuzz_jscan_fast: jscan's two scanners side by side on one line of
 * arbitrary bytes.  jscan_doc_members tries the fast one (fast_doc, a
 * loop over an explicit stack) and falls back on the recursive one
 * (slow_doc) only to word the fault; so the two must accept exactly the
 * same lines and, on those, give the same top value and the same members
 * in the same order.  The target includes jscan.c to reach the two static
 * functions; it is linked without the library's jscan.o.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/jscan.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static int
same_val(struct jval a, struct jval b)
{
	return a.type == b.type && a.p == b.p && a.n == b.n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jmember fm[8], sm[8];
	struct jval ftop, stop;
	struct jerr e;
	size_t fcount = 0, scount = 0, max, i;
	const char *text = (const char *)data;
	int fr, sr;

	/* The first byte picks how many members are taken (0 to 7), so
	 * that the count past a full array is checked too. */
	if (size == 0)
		return 0;
	max = data[0] & 7;
	text++;
	size--;
	fr = fast_doc(text, size, &ftop, max ? fm : NULL, max, &fcount);
	sr = slow_doc(text, size, &stop, max ? sm : NULL, max, &scount, &e);
	check(fr == sr);
	if (fr < 0)
		return 0;
	check(same_val(ftop, stop));
	check(fcount == scount);
	for (i = 0; i < max && i < fcount; i++) {
		check(same_val(fm[i].key, sm[i].key));
		check(same_val(fm[i].val, sm[i].val));
		check(fm[i].depth == sm[i].depth);
	}
	return 0;
}
