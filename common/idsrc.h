/* idsrc: the ids an oai- tool works on, from its operands or, with none,
 * from standard input one a line.  Only the first TAB-separated field of
 * a line is the id (the rest is for people), so one tool's output can be
 * piped into the next as it is.  Blank lines are skipped. */
#ifndef IDSRC_H
#define IDSRC_H
#include <stddef.h>

#include "jsonl.h"

struct idsrc {
	char		**argv;		/* the operands, or NULL for stdin */
	int		  argc, next;
	struct jsonl	  in;
	char		  where[64];	/* "stdin:12" or the operand: see below */
	const char	 *rest;		/* see idsrc_next */
	size_t		  len;		/* see idsrc_next */
};

/* idsrc_open: argc operands in argv; none, or a lone "-", means stdin.
 * Returns 0, or -1 after reporting the error. */
int	idsrc_open(struct idsrc *s, int argc, char **argv);

/* idsrc_open_paths: idsrc_open for a tool whose operands are files: a
 * lone "-" is an operand like any other (the file on standard input,
 * which the tool reads itself); only no operand at all means the paths
 * come from stdin, one a line. */
int	idsrc_open_paths(struct idsrc *s, int argc, char **argv);

/* idsrc_next: the next id in *id (NUL-terminated, valid until the next
 * call) and its length in s->len: a stdin line whose id holds a NUL byte
 * gives an s->len past that NUL, so idsrc_valid(*id, s->len) refuses it
 * rather than take the id cut short.  Returns 1 for an id, 0 at the end,
 * -1 after reporting a read error.  s->where then names the id's place for messages: "stdin:12",
 * or "argument 3"; s->rest the rest of a stdin line after the id's TAB
 * (oai-upload's path, say), valid as long as *id, or NULL when there is
 * none (an operand, a line of one field). */
int	idsrc_next(struct idsrc *s, const char **id);

/* idsrc_valid: 1 when id[0..len) can be an API object id, whether it
 * came from the user or from a server: 1 to 255 bytes, no NUL byte, no
 * control character (below 0x20, or 0x7f), no '/', and not starting with
 * '-' or '.' (so never "." or "..", never taken for an option, never a
 * hidden or outside path when it names a file).  Any other byte is
 * allowed ('=', ':', spaces, UTF-8): an id goes into a URL only through
 * api_path(), which escapes it. */
int	idsrc_valid(const char *id, size_t len);

/* idsrc_shown: id[0..len) fit for a message, in buf (size bytes, at
 * least 8): control characters, NUL included, as \xHH, cut with "..."
 * when it does not fit.  Returns buf. */
const char *idsrc_shown(const char *id, size_t len, char *buf, size_t size);

/* idsrc_ready: 1 when idsrc_next would return without waiting for input
 * (operands, a whole line already read, or the end of stdin); else 0, and
 * idsrc_fd (stdin's descriptor) is the one to wait on with poll(2).  For a
 * tool that works while its ids still arrive. */
int	idsrc_ready(const struct idsrc *s);
int	idsrc_fd(const struct idsrc *s);

void	idsrc_close(struct idsrc *s);

#endif
