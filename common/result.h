/*
 * result: what a Batch API result line says, decided in one place: its
 * status, its error code and message, whether the request succeeded, and
 * whether a request that failed is worth another try.  jsonl-merge and
 * jsonl-triage read results through it; the rules are those the driver's
 * awk (verdict() in scripts/oai-pipeline) applied until now.
 *
 * A request succeeded only when the line's "error" is null or absent and
 * its response.status_code is the integer 200.
 *
 * A failed request is worth another try when its status is 408, 429 or
 * 5xx, or its error code is one of batch_expired, batch_cancelled,
 * server_error, internal_error, rate_limit_exceeded, timeout,
 * service_unavailable, connection_error (oai-run's: no answer came) (the
 * request was never run, or the server failed),
 * or when the line has neither a status nor an error code (nothing says
 * the request itself was wrong).  Anything else, an invalid request (HTTP
 * 400) above all, is final.  Anthropic's results reach here through
 * anthropic_result (anthropic.h), with the status of their error type:
 * rate_limit_error (429), api_error (500), timeout_error (504) and
 * overloaded_error (529) are worth another try, invalid_request_error
 * (400) and the other 4xx are final, canceled and expired are
 * batch_cancelled and batch_expired.
 *
 * A member named twice counts by its last occurrence, as with jscan_member
 * and in jsonl-merge (the awk took the first).
 */
#ifndef RESULT_H
#define RESULT_H
#include <stddef.h>

#include "buf.h"
#include "jscan.h"

struct result {
	struct jval	 error;		/* the line's "error"; JT_NONE: absent */
	struct jval	 status;	/* response.status_code: JT_NONE when
					 * absent or response is not an object */
	struct jval	 body;		/* response.body, likewise */
	struct jval	 code;		/* the error code: error.code, else
					 * response.body.error.code, else its
					 * type; JT_NONE when none (null and ""
					 * count as none) */
	struct jval	 message;	/* error.message; when the code came
					 * from the body, else the body's
					 * error.message; JT_NONE when none */
	long long	 http;		/* status as an integer, or -1 */
	int		 ok;		/* the request succeeded */
	int		 retry;		/* failed, and worth another try */
};

/*
 * result_of: reads the result line top, an object that jscan_doc accepted
 * (the members are not validated again), into *r: every member of *r
 * points into top's text and lives as long as it.  Cannot fail: a line
 * with none of the members is a failed result worth another try.
 */
void	result_of(struct jval top, struct result *r);

/*
 * result_from: the same decision from the members a caller found by its
 * own walk over a validated line (jsonl-merge's single pass): error (the
 * line's, JT_NONE when absent), status and body (response.status_code and
 * response.body, JT_NONE when absent or when response is not an object).
 */
void	result_from(struct jval error, struct jval status, struct jval body,
	    struct result *r);

/*
 * result_why: appends the reason a failed result gives, one line for
 * people: "HTTP 400: invalid_request: the message", "batch_expired: the
 * message", "HTTP 500: no error code" (the status when there is one, as
 * written; the code, or "no error code"; the message when there is one).
 * Strings are decoded; a code or message that is not a string is shown as
 * written.  Every run of TABs, carriage returns, newlines and NUL bytes
 * becomes one space, so the reason fits in a TAB-separated record; any
 * other control character (escapes, DEL) becomes a space.  The key is
 * not masked here: jsonl-triage masks it (see batchpipe(7)).
 * Appends nothing for a result that succeeded.
 */
void	result_why(const struct result *r, struct buf *out);

#endif
