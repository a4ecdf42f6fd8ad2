/*
 * progress: what a tool draws on stderr to show a long wait, when stderr
 * is a terminal and -q is not given (the caller decides): either a line
 * redrawn in place (a transfer's bytes) or a table of lines below
 * everything else written (oai-wait's batches).
 *
 * Whatever is drawn is erased before anything else is written to the
 * terminal (progress_clear), and drawn again after: it never overwrites
 * a line of output or a message, and never pushes copies of itself into
 * the scrollback.  A line the terminal rewrapped to a narrower width
 * takes more than one row; the erase counts them all.
 *
 * One struct progress shows one line or one table at a time; nothing is
 * reported, and memory runs out through xalloc (exit 1).
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include "buf.h"

struct progress {
	int		 rows, cols;	/* the terminal, as last read; 24x80
					 * when it cannot be read */
	/* The rest is the module's own. */
	struct buf	 frame;		/* what is being drawn */
	int		*width;		/* the columns of each table line
					 * now on the screen */
	int		 nwidth, awidth;
	int		 line;		/* a line drawn in place is shown */
	int		 sized;		/* rows and cols have been read */
	int		 resizes;	/* the resizes seen when they were */
};

/* progress_init: an empty p, nothing drawn; progress_free: frees p,
 * leaving what it drew on the screen (the last state stays in view). */
void	progress_init(struct progress *p);
void	progress_free(struct progress *p);

/* progress_watch: from now on a SIGWINCH makes every progress read the
 * terminal's size again before its next table.  Call once, for a tool
 * that draws a table, before drawing. */
void	progress_watch(void);

/* progress_clear: erases what p shows, leaving the cursor where it
 * began: call before writing anything else to the terminal (stdout
 * included, when it is the same terminal).  Nothing when nothing is
 * shown. */
void	progress_clear(struct progress *p);

/* progress_line: draws the printf-style text as p's one line, in place
 * of the line it showed; the cursor stays at its end (no newline).  The
 * text is the caller's: it is not cut to the width. */
void	progress_line(struct progress *p, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* progress_start: erases the table p shows and starts the next one,
 * after reading the terminal's size into p->rows and p->cols when it is
 * not known yet or a SIGWINCH came (progress_watch).  Then
 * progress_row for each line, and progress_show; the caller keeps the
 * table below p->rows lines (a table as high as the screen would scroll
 * its first line away at every draw). */
void	progress_start(struct progress *p);

/* progress_row: s (one line, no newline) as the next line of the table,
 * cut to the width less one column (a line that fills the last column
 * wraps on some terminals), counting a column a character of UTF-8. */
void	progress_row(struct progress *p, const char *s);

/* progress_show: writes the table to stderr, at once, and flushes. */
void	progress_show(struct progress *p);

#endif
