/* apipath: the one place a URL path is built from an object id. */
#ifndef APIPATH_H
#define APIPATH_H

struct buf;

/* api_path: sets b to prefix, then id percent-encoded (every byte but
 * ASCII letters, digits, '-', '.', '_' and '~' as %HH), then suffix
 * (NULL for none), e.g. api_path(&b, "/files/", id, "/content").  The id
 * is still to be checked with idsrc_valid first: escaping makes any id a
 * single path segment, but "." and ".." would still be read as dot
 * segments.  Returns b->p. */
const char *api_path(struct buf *b, const char *prefix, const char *id,
	    const char *suffix);

#endif
