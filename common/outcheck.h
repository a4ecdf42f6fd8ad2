/* outcheck: stdout is checked at exit, so a full disk or a closed pipe is
 * an error, not a silent success (sbase's fshut, OpenBSD's habit). */
#ifndef OUTCHECK_H
#define OUTCHECK_H

/* stdout_close: flushes and closes stdout.  Returns 0, or -1 after
 * reporting "prog: stdout: reason".  A broken pipe (EPIPE) is reported
 * only when report_epipe is set: in `tool | head -1` the reader stopping
 * early is not the writer's error.  Call it once, last. */
int	stdout_close(int report_epipe);

/* stdout_write: fwrite to stdout; on a write error reports it and exits 1
 * (EPIPE exits 1 quietly).  For tools whose whole job is writing stdout. */
void	stdout_write(const void *p, size_t n);

/* stdout_flush: fflush stdout; on a write error reports it and exits 1
 * (EPIPE exits 1 quietly).  For tools that hand each record on at once,
 * so the next tool in the pipe can start on it. */
void	stdout_flush(void);

/* stdout_fail: for a write to stdout that failed with errno: reports it
 * as "prog: stdout: reason" (EPIPE quietly) and exits 1. */
void	stdout_fail(void) __attribute__((noreturn));

#endif
