#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "buf.h"
#include "progress.h"
#include "xalloc.h"

/* Counts the SIGWINCHs: each progress compares it with the count it saw
 * when it last read the size, so no flag is cleared under another. */
static volatile sig_atomic_t resizes;

static void
on_winch(int sig)
{
	(void)sig;
	resizes++;
}

void
progress_init(struct progress *p)
{
	memset(p, 0, sizeof(*p));
	p->rows = 24;
	p->cols = 80;
}

void
progress_free(struct progress *p)
{
	buf_free(&p->frame);
	free(p->width);
	p->width = NULL;
	p->nwidth = p->awidth = 0;
	p->line = 0;
}

void
progress_watch(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_winch;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
}

/* size: the terminal's size, read again after a resize. */
static void
size(struct progress *p)
{
	struct winsize ws;
	int seen = resizes;

	if (p->sized && p->resizes == seen)
		return;
	p->sized = 1;
	p->resizes = seen;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0) {
		p->rows = ws.ws_row;
		p->cols = ws.ws_col;
	}
}

void
progress_clear(struct progress *p)
{
	int i, up = 0;

	if (p->line) {
		fputs("\r\033[K", stderr);
		p->line = 0;
	}
	if (p->nwidth == 0)
		return;
	size(p);
	for (i = 0; i < p->nwidth; i++)
		up += p->width[i] > p->cols ?
		    (p->width[i] + p->cols - 1) / p->cols : 1;
	fprintf(stderr, "\r\033[%dA\033[J", up);
	fflush(stderr);
	p->nwidth = 0;
}

void
progress_line(struct progress *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	buf_reset(&p->frame);
	buf_adds(&p->frame, "\r\033[K");
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(&p->frame, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(p->frame.p + p->frame.len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	p->frame.len += (size_t)n;
	fwrite(p->frame.p, 1, p->frame.len, stderr);
	p->line = 1;
}

void
progress_start(struct progress *p)
{
	progress_clear(p);
	size(p);
	buf_reset(&p->frame);
}

void
progress_row(struct progress *p, const char *s)
{
	int width = 0, max = p->cols > 1 ? p->cols - 1 : 1;
	const char *q;

	for (q = s; *q != '\0'; q++) {
		/* UTF-8 continuation bytes take no column. */
		if (((unsigned char)*q & 0xc0) != 0x80 && width++ == max)
			break;
	}
	if (*q != '\0')
		width = max;
	buf_add(&p->frame, s, (size_t)(q - s));
	buf_addc(&p->frame, '\n');
	if (p->nwidth == p->awidth) {
		p->awidth = p->awidth ? p->awidth * 2 : 32;
		p->width = xreallocarray(p->width, (size_t)p->awidth,
		    sizeof(*p->width));
	}
	p->width[p->nwidth++] = width;
}

void
progress_show(struct progress *p)
{
	if (p->frame.len > 0)
		fwrite(p->frame.p, 1, p->frame.len, stderr);
	fflush(stderr);
}
