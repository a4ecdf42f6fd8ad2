/* oai-rm: deletes remote files; prints the ids that are gone.  An id the
 * server does not know is an error unless -f says it may be gone already:
 * a typo must not read as a deletion. */
#include <err.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anthropic_api.h"
#include "apipath.h"
#include "buf.h"
#include "config.h"
#include "http.h"
#include "idsrc.h"
#include "outcheck.h"
#include "usage.h"

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "fhqvV";
static const char help[] =
	"usage: oai-rm [-fhqVv] [file-id ...]\n"
	"\n"
	"  -f  an id the server does not know counts as deleted\n"
	"  -q  with -v, no notes on ids already gone\n"
	"  -v  trace every HTTP request and answer header on stderr\n"
	"  -h  print this help and exit\n"
	"  -V  print the version and exit\n";

/* not_file_id: why id (len bytes) cannot be a file id, or NULL.  Any id
 * fit for a path may be one (servers name files their own way), but a
 * batch's id is a common slip, and deleting it would fail only at the
 * server, after the files before it were gone. */
static const char *
not_file_id(const char *id, size_t len)
{
	if (!idsrc_valid(id, len))
		return "not a file id";
	if (len > 6 && strncmp(id, "batch_", 6) == 0)
		return "a batch id, not a file id";
	return NULL;
}

/* deleted: whether answer says the object is deleted: {"deleted":true}
 * for a file; for an Anthropic batch, {"type":"message_batch_deleted"}. */
static int
deleted(struct http *h, struct json_object *answer)
{
	struct json_object *v;

	if (batch_anthropic(h))
		return json_object_object_get_ex(answer, "type", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v),
		    "message_batch_deleted") == 0;
	return json_object_object_get_ex(answer, "deleted", &v) &&
	    json_object_is_type(v, json_type_boolean) &&
	    json_object_get_boolean(v);
}

/* rm_one: deletes id (checked), printing it once it is gone.  Returns
 * 0, 1 when it was not deleted (reported), or 75 when the server could
 * not be reached and the ids after it should wait (reported). */
static int
rm_one(struct http *h, const char *base, const char *id, int force,
    int quiet)
{
	struct json_object *answer = NULL;
	struct buf path = BUF_INIT;
	long status = 0;
	int rc, ret = 0;

	/* Anthropic: oai-upload's ids stand for local files, and oai-wait's
	 * output "file" is the batch itself. */
	if (batch_anthropic(h) && local_id_is(id)) {
		if (!quiet)
			warnx("%s: a local file's id: nothing on the server "
			    "to delete", id);
	} else {
		if (batch_anthropic(h))
			batch_path(h, &path, id, NULL);
		else
			api_path(&path, "/files/", id, NULL);
		rc = http_request(h, "DELETE", path.p, NULL, HTTP_QUIET404,
		    &status, &answer);
		if (rc == HTTP_FAILED && status == 404 && !force) {
			warnx("%s: not found (already deleted?)", id);
			ret = 1;
		} else if (rc == HTTP_FAILED && status == 404) {
			/* -f: already gone is what was asked for. */
			if (!quiet)
				http_trace(h, "%s: already gone", id);
		} else if (rc != HTTP_OK)
			ret = rc == HTTP_TEMPFAIL ? 75 : 1;
		else if (!deleted(h, answer)) {
			warnx("DELETE %s%s: the server did not delete it",
			    base, path.p);
			ret = 1;
		}
	}
	if (answer != NULL)
		json_object_put(answer);
	buf_free(&path);
	if (ret == 0) {
		printf("%s\n", id);
		stdout_flush();
	}
	return ret;
}

int
main(int argc, char *argv[])
{
	struct oai_config cfg;
	struct http *h;
	struct idsrc in;
	const char *id, *why;
	char shown[80];
	int ch, force = 0, quiet = 0, verbose = 0, failed = 0, temporary = 0;
	int more, rc, i;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1)
		switch (ch) {
		case 'f':
			force = 1;
			break;
		case 'h':
			usage_help(help);
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			usage_version();
		default:
			usage_error(help);
		}
	argc -= optind;
	argv += optind;
	/* The ids given as arguments are all checked before any is
	 * deleted: a slip among them is a usage error. */
	for (i = 0, rc = 0; i < argc; i++)
		if ((why = not_file_id(argv[i], strlen(argv[i]))) != NULL) {
			warnx("argument %d: %s: %s", i + 1, idsrc_shown(argv[i],
			    strlen(argv[i]), shown, sizeof(shown)), why);
			rc = 2;
		}
	if (rc != 0)
		return rc;

	if (config_load(&cfg) != 0)
		return 1;
	if (idsrc_open(&in, argc, argv) != 0) {
		config_free(&cfg);
		return 1;
	}
	h = http_open(&cfg, verbose);

	while (!temporary && (more = idsrc_next(&in, &id)) == 1) {
		if ((why = not_file_id(id, in.len)) != NULL) {
			warnx("%s: %s: %s", in.where,
			    idsrc_shown(id, in.len, shown, sizeof(shown)), why);
			failed = 1;
			continue;
		}
		rc = rm_one(h, cfg.base_path, id, force, quiet);
		temporary = rc == 75;
		failed |= rc != 0;
	}
	if (more < 0)
		failed = 1;

	http_close(h);
	idsrc_close(&in);
	config_free(&cfg);
	if (stdout_close(0) != 0)
		failed = 1;
	if (temporary)
		return 75;
	return failed ? 1 : 0;
}
