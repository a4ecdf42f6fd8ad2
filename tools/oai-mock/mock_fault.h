/*
 * mock_fault: the faults oai-mock(1) injects on demand, given as
 * `-F name[=value][@path-prefix]`.  Parsing and the deterministic choice of
 * which calls a fault hits live here; what a fault does is the server's.
 * Only oai-mock links this.
 */
#ifndef MOCK_FAULT_H
#define MOCK_FAULT_H

enum mock_fault_kind {
	MF_HTTP400, MF_HTTP408, MF_HTTP409, MF_HTTP429, MF_HTTP500,
	MF_HTTP502, MF_HTTP503,		/* an error answer */
	MF_REDIRECT,			/* a 307 elsewhere */
	MF_CLOSE, MF_CUT,
	MF_LOSE_CREATE, MF_LOSE_UPLOAD,	/* the HTTP faults: counted per call */
	MF_SLOW,			/* value: milliseconds */
	MF_RETRY_AFTER,			/* value: seconds; http_date: as a date */
	MF_FAIL_REQUESTS,		/* value: fraction of custom_ids */
	MF_FAIL_STATUS,			/* value: HTTP status of those lines */
	MF_EXPIRE, MF_CANCEL,		/* value: fraction; limit: batches */
	MF_TOKEN_LIMIT,			/* value: enqueued tokens */
	MF_ODD_FILE_ID,			/* text: the output_file_id shown */
	MF_EXTRA_RESULT,		/* limit: batches, 0 all */
	MF_CURSOR_CYCLE,		/* value: cursors in the cycle */
	MF_CURSOR_ENDLESS,		/* listings never end */
	MF_ECHO_KEY,			/* text: echoed in error messages */
	MF_FAIL_BATCH,			/* limit: batches, 0 all */
	MF_UNLISTED			/* limit: every Nth batch left out of
					 * listings, 0 or 1 all */
};

enum mock_fault_mode {
	MFM_ALL,	/* every matching call */
	MFM_FIRST,	/* the first `value` matching calls */
	MFM_SHARE	/* `value` percent of matching calls, evenly spread */
};

struct mock_fault {
	enum mock_fault_kind	 kind;
	enum mock_fault_mode	 mode;
	double			 value;
	long long		 limit;		/* expire/cancel/extra-result/
						 * fail-batch: first N batches,
						 * 0 all */
	int			 http_date;	/* retry-after=date:S */
	char			*prefix;	/* NULL: every path */
	char			*text;		/* odd-file-id, echo-key:
						 * text[0..textlen); echo-key
						 * without a value: NULL until
						 * the caller sets its key */
	size_t			 textlen;
	unsigned long long	 seen;		/* matching calls so far */
};

/* mock_fault_parse: parses spec into *f (f->prefix and f->text allocated,
 * free them).
 * Returns 0, or -1 with *why set to a static message. */
int	mock_fault_parse(const char *spec, struct mock_fault *f,
	    const char **why);

/* mock_fault_matches: 1 when path starts with the fault's prefix. */
int	mock_fault_matches(const struct mock_fault *f, const char *path);

/* mock_fault_fire: counts one matching call and returns 1 when the fault
 * hits it (by its mode).  The caller serializes calls. */
int	mock_fault_fire(struct mock_fault *f);

/* mock_fault_name: the option name of a kind, e.g. "http429". */
const char *mock_fault_name(enum mock_fault_kind kind);

#endif
