/* idin: the operands of an oai- tool, which are ids (or paths): the
 * command-line arguments, or, when there are none, the lines of stdin.
 * Only the first TAB-separated field of a line counts (the rest is for
 * people), so the output of one tool is the input of the next.  Empty
 * lines are skipped. */
#ifndef IDIN_H
#define IDIN_H

#include "jsonl.h"

struct idin {
	char		**argv;		/* the operands left, or NULL */
	int		 argc;
	int		 from_stdin;
	struct jsonl	 r;
};

/* idin_open: the operands argv[0..argc), or stdin when argc is 0.
 * Returns 0, or -1 after reporting. */
int	idin_open(struct idin *in, int argc, char **argv);

/* idin_next: the next operand in *op (valid until the next call).
 * Returns 1, 0 at the end, or -1 after reporting a read error. */
int	idin_next(struct idin *in, char **op);

/* idin_where: "stdin:12" or "argument" style context for messages about
 * the operand last returned, into a static buffer. */
const char *idin_where(const struct idin *in);

void	idin_close(struct idin *in);

/* id_valid: 1 when s looks like an API object id: 1 to 255 ASCII
 * letters, digits, '_' or '-'.  Anything else could change the meaning of
 * a URL path or a file name built from it. */
int	id_valid(const char *s);

#endif
