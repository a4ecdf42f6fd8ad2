/*
 * jsonl-prompt: items JSONL in, one OpenAI Batch API request line out per
 * item.  The hot path never builds a JSON tree: each line is validated by
 * the strict scanner, the few values the template names are picked out of
 * it (template.c), and the request is assembled from text prepared once
 * at start-up (request.c).  What the next tool gets never looks like a
 * whole job unless the whole input was good (pipeout.c).
 */
#include <err.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "capwarn.h"
#include "idset.h"
#include "jsonl.h"
#include "numarg.h"
#include "outcheck.h"
#include "usage.h"
#include "prompt.h"

static const struct {
	const char	*url;
	enum endpoint	 ep;
} endpoints[] = {
	{ "/v1/chat/completions", EP_CHAT },
	{ "/v1/embeddings", EP_EMBEDDINGS },
	{ "/v1/responses", EP_RESPONSES },
	{ "/v1/completions", EP_COMPLETIONS },
	{ "/v1/moderations", EP_MODERATIONS },
};

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "b:e:f:hi:m:o:s:St:T:V";
static const char help[] =
	"usage: jsonl-prompt [-hSV] [-m model] [-e endpoint] [-s system-file]\n"
	"                    [-t template | -f template-file] [-i id-field]\n"
	"                    [-T max-tokens] [-b body-json] [-o file] [file]\n"
	"\n"
	"  -m model        the model of every request (required but for\n"
	"                  /v1/moderations)\n"
	"  -e endpoint     /v1/chat/completions (default), /v1/embeddings,\n"
	"                  /v1/responses, /v1/completions or /v1/moderations\n"
	"  -s system-file  the system prompt, read from this file\n"
	"  -t template     the user message, with {field} or {field:-default}\n"
	"  -f template-file  the template, read from this file\n"
	"  -i id-field     the custom_id: this field, not the line number\n"
	"  -T max-tokens   the most tokens the model may write\n"
	"  -b body-json    a JSON object whose members go into every body\n"
	"  -o file         write to file, whole or not at all\n"
	"  -S              skip items missing a field of the template (exit 3)\n"
	"  -h              print this help and exit\n"
	"  -V              print the version and exit\n";

/* The options and the operand into *o, checked; exits 2 on a usage
 * error. */
static void
parse_options(int argc, char *argv[], struct opts *o)
{
	const char *errstr;
	size_t i;
	int ch, known = 0;

	memset(o, 0, sizeof(*o));
	o->url = "/v1/chat/completions";
	o->body_json = "{}";
	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'b': o->body_json = optarg; break;
		case 'e': o->url = optarg; break;
		case 'f': o->template_path = optarg; break;
		case 'h': usage_help(help);
		case 'i': o->idfield = optarg; break;
		case 'm': o->model = optarg; break;
		case 'o': o->out_path = optarg; break;
		case 's': o->system_path = optarg; break;
		case 'S': o->skip_unfilled = 1; break;
		case 't': o->template = optarg; break;
		case 'T':
			o->max_tokens = (long)numarg(optarg, 1, LONG_MAX,
			    &errstr);
			if (errstr != NULL)
				errx(2, "-T: not a positive integer: %s",
				    optarg);
			break;
		case 'V':
			usage_version();
		default: usage_error(help);
		}
	}
	argc -= optind;
	argv += optind;
	for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (strcmp(o->url, endpoints[i].url) == 0) {
			o->ep = endpoints[i].ep;
			known = 1;
		}
	/* A moderation's model has a default, the API's: it is written
	 * only when asked for. */
	if (o->model == NULL && !(known && o->ep == EP_MODERATIONS)) {
		warnx("-m model is required");
		usage_error(help);
	}
	if (argc > 1) {
		warnx("%s: one input file at most", argv[1]);
		usage_error(help);
	}
	o->input = argc == 1 ? argv[0] : "-";
	if (o->model != NULL && *o->model == '\0')
		errx(2, "-m: empty model name");
	if (!known)
		errx(2, "-e: unsupported endpoint %s (use /v1/chat/completions,"
		    " /v1/embeddings, /v1/responses, /v1/completions or "
		    "/v1/moderations)", o->url);
	/* Neither has a system prompt nor writes anything. */
	if ((o->ep == EP_EMBEDDINGS || o->ep == EP_MODERATIONS) &&
	    (o->system_path || o->max_tokens))
		errx(2, "-s and -T do not apply to %s", o->url);
	if (o->ep == EP_COMPLETIONS && o->system_path)
		errx(2, "-s does not apply to /v1/completions: its prompt is "
		    "one text, the template's");
	if (o->template != NULL && o->template_path != NULL)
		errx(2, "-t and -f: one template at most");
}

/* The count of the items -S skipped, after the first few were listed as
 * they came. */
static void
report_skipped(const struct capwarn *skipped, unsigned long nitems)
{
	if (capwarn_hidden(skipped) > 0)
		warnx("%zu of %lu items skipped: a field of the template "
		    "missing or null (the first %d are listed)",
		    skipped->count, nitems, CAPWARN_SHOWN);
	else if (skipped->count > 0)
		warnx("%zu of %lu items skipped: a field of the template "
		    "missing or null", skipped->count, nitems);
}

int
main(int argc, char *argv[])
{
	/* Static: the output's spare buffer is never freed (the pipe may
	 * still hold its pages) and must stay reachable to the end. */
	static struct prompt p;
	struct opts o;
	struct jsonl in;
	unsigned long nitems;

	parse_options(argc, argv, &o);
	p.o = &o;
	template_load(&p.t, &o);
	request_prepare(&p);
	if (jsonl_open(&in, o.input, 0) < 0)
		exit(1);
	in.before_error = check_last_id;
	in.before_error_arg = &p;
	p.input_name = in.name;
	pipeout_open(&p.po, o.out_path);

	if (request_items(&p, &in) < 0) {
		/* The reader checked the last id before its message. */
		p.po.whole = p.po.out.len;
		pipeout_give_up(&p.po);
	}
	check_last_id(&p);
	nitems = in.lineno;
	jsonl_close(&in);
	pipeout_finish(&p.po);
	report_skipped(&p.skipped, nitems);

	template_free(&p.t);
	idset_free(p.ids);
	buf_free(&p.last.id);
	buf_free(&p.head);
	buf_free(&p.tail);
	buf_free(&p.idtext);
	buf_free(&p.show);
	if (stdout_close(0) != 0)
		return 1;
	return p.skipped.count > 0 ? 3 : 0;
}
