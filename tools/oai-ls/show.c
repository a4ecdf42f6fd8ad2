/*
 * oai-ls's batches named as operands or on stdin, each shown whole: its
 * errors.data holds every error of a failed batch.  See ls.h.
 */
#include <err.h>
#include <json-c/json.h>
#include <stdio.h>

#include "anthropic_api.h"
#include "buf.h"
#include "http.h"
#include "idsrc.h"
#include "ls.h"
#include "outcheck.h"

int
show(struct http *h, struct idsrc *in)
{
	struct buf path = BUF_INIT;
	struct json_object *o;
	const char *id;
	char shown[80];
	long status;
	int more, rc, failed = 0;

	while ((more = idsrc_next(in, &id)) == 1) {
		if (!idsrc_valid(id, in->len)) {
			warnx("%s: %s: not a batch id", in->where,
			    idsrc_shown(id, in->len, shown, sizeof(shown)));
			failed = 1;
			continue;
		}
		batch_path(h, &path, id, NULL);
		rc = http_request(h, "GET", path.p, NULL, 0, &status, &o);
		if (rc == HTTP_TEMPFAIL) {
			buf_free(&path);
			return 75;
		}
		if (rc != HTTP_OK) {
			failed = 1;
			continue;
		}
		printf("%s\n", json_line(o));
		json_object_put(o);
		stdout_flush();
	}
	buf_free(&path);
	return more < 0 || failed ? 1 : 0;
}
