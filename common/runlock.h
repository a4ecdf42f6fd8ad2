/* runlock: a lock shared by the processes of one user on one machine, so
 * that two of them never make the same upload or the same batch at once:
 * the second waits for the first, then finds what it made.
 *
 * A lock is an empty file in $XDG_STATE_HOME/batchpipe/locks/ (default
 * ~/.local/state/batchpipe/locks/, the directories made 0700), named by
 * the SHA-256 of the server's base URL, a kind ("upload", "batch") and a
 * key (a content hash, a file id), and held with flock(2): the kernel
 * lets go of it when its holder exits, however it exits, so a killed
 * process never leaves it held.  The files are never removed (a file
 * removed while another process waits on it would let a third take a
 * second lock); left behind they are empty and harmless, and may be
 * deleted when no batchpipe tool runs; all but those that hold a note
 * (runlock_note_set): the batch made of a local file, for a provider
 * whose batches do not name their input (Anthropic), which only the
 * note finds again.  A holder marks the file (its
 * modification time) after each attempt to make something, so the next
 * holder knows whether to look again at what the server has.
 *
 * When the directory cannot be made or used (no HOME, a read-only HOME,
 * a directory that is not the user's own), that is said once and the
 * tools go on without the lock: it only narrows a race that the tools'
 * reconciliation with the server covers otherwise; it never decides
 * what is paid for. */
#ifndef RUNLOCK_H
#define RUNLOCK_H
#include <time.h>

struct runlock {
	int	fd;		/* the held lock file, or -1: none held */
};

#define RUNLOCK_NONE { -1 }

/* runlock_acquire: takes the lock of (server, kind, key), waiting for it
 * as long as another process holds it; unless quiet, a wait is first
 * announced on stderr as "prog: what: waiting for another process ...".
 * A signal that ends the process ends the wait.  Never fails: when the
 * lock cannot be had (said once for the process), l->fd is -1 and the
 * caller goes on without it.  The descriptor is close-on-exec.  A lock l
 * held already is let go of first. */
void	runlock_acquire(struct runlock *l, const char *server,
	    const char *kind, const char *key, const char *what, int quiet);

/* runlock_marked_since: 1 when a holder of l marked it at time t or
 * later (with a margin of a few seconds for the clocks): what the server
 * had at t may no longer be all it has.  0 without a lock held. */
int	runlock_marked_since(const struct runlock *l, time_t t);

/* runlock_mark: records that something was (or may have been) made
 * under the lock now.  Without a lock held, does nothing. */
void	runlock_mark(struct runlock *l);

/* runlock_note_get: sets b to the note a holder of l left in its file
 * (a few lines of text, up to RUNLOCK_NOTE_MAX bytes).  Returns its
 * length, 0 when there is none, or -1 without a lock held or when it
 * cannot be read (errno set). */
#define RUNLOCK_NOTE_MAX	4096
struct buf;
int	runlock_note_get(const struct runlock *l, struct buf *b);

/* runlock_note_set: replaces l's note with s (shorter than
 * RUNLOCK_NOTE_MAX), on disk (fdatasync) before it returns.  Returns 0,
 * or -1 without a lock held or on a write error (errno set). */
int	runlock_note_set(struct runlock *l, const char *s);

/* runlock_release: lets go of the lock, if one is held; l->fd is -1
 * after (calling it again does nothing). */
void	runlock_release(struct runlock *l);

#endif
