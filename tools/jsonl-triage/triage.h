/* jsonl-triage's parts, seen by each other only.
 *
 *   main.c   the options, then each request settled in its order, the
 *            output files written whole, the counts
 *   index.c  the index of every custom_id of the results: where its
 *            deciding result line is, read back by offset when needed
 */
#ifndef TRIAGE_H
#define TRIAGE_H
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "idmap.h"
#include "spool.h"

#define MAXFILES	UINT16_MAX	/* results files: entry.file */

/* What the index knows about each custom_id (idmap number). */
enum {
	E_OK = 1,		/* some result succeeded */
	E_FAILED = 2,		/* a failed result: off, len, file */
	E_RETRY = 4,		/* the last failure is worth another try */
	E_REQUEST = 8		/* a request has this id (at reqline) */
};

struct entry {
	uint64_t	 off;		/* the first successful result line when
					 * E_OK, else the last failed one */
	uint32_t	 len;
	uint32_t	 reqline;
	uint16_t	 file;
	uint8_t		 flags;
};

/* Every custom_id of the results and the requests: idmap numbers them,
 * e[number] is what is known about each. */
struct index {
	struct idmap	 ids;
	struct entry	*e;
	size_t		 cap;
};

/* entry_add: the entry of id[0..n) in ix, a new one zeroed. */
struct entry *entry_add(struct index *ix, const char *id, size_t n);

/* index_results: reads every line of in, result file number f, into ix:
 * for each custom_id, its first successful result, else its last failed
 * one and whether that failure is worth another try.  A line without a
 * good custom_id, or a read error, is reported and exits 1. */
void	 index_results(struct index *ix, const struct spool_input *in,
	    uint16_t f);

/* readback: the result line en points at, from ins[en->file], into line
 * (NUL-terminated).  Exits 1 on a read error, or if the file changed. */
void	 readback(const struct spool_input *ins, const struct entry *en,
	    struct buf *line);

/* reason: the reason of the failed result of en, into why, with apikey
 * (if not NULL) masked and control characters scrubbed: a server can
 * echo the key back in a message.  The result line goes into line. */
void	 reason(const char *apikey, const struct spool_input *ins,
	    const struct entry *en, struct buf *line, struct buf *why);

#endif
