/*
 * jsonl-tokens: the input tokens and the output cap of every Batch API
 * request line, counted offline with the exact tokenizer; with -s the
 * totals of each file and what they would cost at most.  Lines are
 * streamed: memory does not grow with the input.  Each line is checked
 * as jsonl-split checks it (common/reqline.c) and counted by the rules
 * in common/reqtokens.c.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "customid.h"
#include "jsonl.h"
#include "modeldata.h"
#include "numarg.h"
#include "outcheck.h"
#include "reqcount.h"
#include "reqline.h"
#include "usage.h"
#include "xalloc.h"

#define FLUSH_AT	(64 * 1024)	/* output is written in such chunks */
#define MAX_WARNED	100		/* models named in price warnings */

/* What one file (or all of them) adds up to, for -s. */
struct tally {
	unsigned long long	 requests;
	long long		 input;
	long long		 output;	/* the caps, or the models' */
	double			 in_usd;	/* list price, no discount */
	double			 out_usd;
	int			 no_output;	/* a cap unknown */
	int			 no_price;	/* a model without a price */
	char			 model[256];	/* of every request, for -T */
	int			 mixed;		/* requests of several models */
};

static int		 sflag, qflag, tier;	/* tier: -T, 0 without */
static int		 have_prices;		/* a price table was read */
/* The price paid, a fraction of the list price: the Batch API's, or with
 * -L the whole list price of live calls. */
static double		 price_factor = BATCH_PRICE_FACTOR;
static char		*warned[MAX_WARNED];	/* models warned about */
static size_t		 nwarned;

/* The synopsis, then one line per option: as in the man page. */
static const char optstring[] = "E:hLP:qsT:V";
static const char help[] =
	"usage: jsonl-tokens [-hLqsV] [-E encoding] [-P prices-file] [-T tier]\n"
	"                    [file ...]\n"
	"\n"
	"  -E encoding     count every request with o200k_base or cl100k_base\n"
	"  -L              with -s: the cost of live calls, at the list price\n"
	"  -P prices-file  the price table for -s\n"
	"  -q              no warnings about models without a price\n"
	"  -s              totals and worst-case cost per file\n"
	"  -T tier         with -s: each file's model and its queue limit at\n"
	"                  usage tier 1 to 5\n"
	"  -h              print this help and exit\n"
	"  -V              print the version and exit\n";

/* Warns, once a model and unless -q, that model has no price. */
static void
warn_unpriced(const struct jsonl *in, const struct buf *model)
{
	static struct buf show = BUF_INIT;
	size_t i;

	if (qflag || !have_prices)
		return;
	for (i = 0; i < nwarned; i++)
		if (strcmp(warned[i], model->p) == 0)
			return;
	if (nwarned == MAX_WARNED)
		return;
	warned[nwarned++] = xstrdup(model->p);
	warnx("%s:%lu: no price for model \"%s\" (see -P): cost unknown",
	    in->name, in->lineno, customid_show(&show, model->p, model->len));
	if (nwarned == MAX_WARNED)
		warnx("more models without a price are not named");
}

/* A dollar figure of -s, or "unknown". */
static const char *
usd(char *s, size_t size, int unknown, double list_usd)
{
	if (unknown)
		return "unknown";
	snprintf(s, size, "%.4f", list_usd / 1e6 * price_factor);
	return s;
}

/* Notes that the requests of t are for model[0..n) too. */
static void
tally_model(struct tally *t, const char *model, size_t n)
{
	if (t->mixed)
		return;
	if (t->requests == 0 && t->model[0] == '\0' &&
	    n < sizeof(t->model) && memchr(model, '\0', n) == NULL) {
		memcpy(t->model, model, n);
		t->model[n] = '\0';
	} else if (strlen(t->model) != n || memcmp(t->model, model, n) != 0)
		t->mixed = 1;
}

/* One line of -s: name TAB requests TAB input TAB max-output TAB
 * worst-case USD TAB input-only USD, and with -T TAB model TAB the
 * model's batch queue limit. */
static void
print_tally(const char *name, const struct tally *t)
{
	static struct buf show = BUF_INIT;
	char out[32], worst[64], inonly[64], limit[32];
	const char *model = "-";
	long long q;

	if (t->no_output)
		snprintf(out, sizeof(out), "unknown");
	else
		snprintf(out, sizeof(out), "%lld", t->output);
	if (printf("%s\t%llu\t%lld\t%s\t%s\t%s", name, t->requests,
	    t->input, out, usd(worst, sizeof(worst), t->no_output ||
	    t->no_price, t->in_usd + t->out_usd), usd(inonly, sizeof(inonly),
	    t->no_price, t->in_usd)) < 0)
		stdout_fail();
	if (tier > 0) {
		snprintf(limit, sizeof(limit), "-");
		if (!t->mixed && t->model[0] != '\0') {
			model = customid_show(&show, t->model,
			    strlen(t->model));
			if ((q = model_queue_limit(t->model, strlen(t->model),
			    tier)) >= 0)
				snprintf(limit, sizeof(limit), "%lld", q);
			else
				snprintf(limit, sizeof(limit), "unknown");
		}
		if (printf("\t%s\t%s", model, limit) < 0)
			stdout_fail();
	}
	if (putchar('\n') == EOF)
		stdout_fail();
}

/* 1 when the request rc counted last writes no tokens: an embedding or
 * a moderation. */
static int
no_output(const struct reqcount *rc)
{
	return (rc->url_len == 14 &&
	    memcmp(rc->url, "/v1/embeddings", 14) == 0) ||
	    (rc->url_len == 15 && memcmp(rc->url, "/v1/moderations", 15) == 0);
}

/* Counts the requests of file path (or stdin for "-"): prints a line for
 * each, or with -s adds them to *t.  A bad line or a read error exits 1
 * after saying why. */
static void
count_file(const char *path, struct tally *t, struct reqcount *rc,
    struct buf *out)
{
	struct buf scratch = BUF_INIT;
	struct jsonl in;
	struct reqline req;
	struct model_price price;
	char *line;
	size_t len;
	long long input, cap, output;
	int n, r;

	if (jsonl_open(&in, path, 0) < 0)
		exit(1);
	while ((n = jsonl_next(&in, &line, &len)) == 1) {
		if ((r = reqcount_line(rc, line, len, &req, &input,
		    &cap)) < 0)
			exit(1);
		if (r != 0)
			reqline_fail(in.name, in.lineno, r == 1 ?
			    in.unterminated : 0, rc->why);

		if (!sflag) {
			customid_show(&scratch, req.id, req.idlen);
			buf_add(out, scratch.p, scratch.len);
			if (cap >= 0)
				buf_printf(out, "\t%lld\t%lld\n", input, cap);
			else
				buf_printf(out, "\t%lld\t-\n", input);
			if (out->len >= FLUSH_AT) {
				stdout_write(out->p, out->len);
				buf_reset(out);
			}
			continue;
		}
		tally_model(t, rc->model.p, rc->model.len);
		t->requests++;
		t->input += input;
		/* An embedding or a moderation has no output at all. */
		output = cap >= 0 ? cap : no_output(rc) ? 0 :
		    rc->max_output;
		if (output < 0)
			t->no_output = 1;
		else
			t->output += output;
		/* Looked up again for each request: a long input can
		 * have the request priced at a long-context tier. */
		if (price_of_request(rc->model.p, rc->model.len,
		    (unsigned long long)input, &price) < 0) {
			t->no_price = 1;
			warn_unpriced(&in, &rc->model);
			continue;
		}
		t->in_usd += (double)input * price.in;
		if (output > 0)
			t->out_usd += (double)output * price.out;
	}
	if (n < 0)
		exit(1);
	jsonl_close(&in);
	buf_free(&scratch);
}

int
main(int argc, char *argv[])
{
	const char *prices_file = NULL, *encoding = NULL, *errstr;
	struct reqcount rc;
	struct tally file, total;
	struct buf out = BUF_INIT;
	static char *stdin_only[] = { "-", NULL };
	size_t i;
	int ch, r;

	usage_long_options(argc, argv, optstring, help);
	while ((ch = getopt(argc, argv, optstring)) != -1) {
		switch (ch) {
		case 'E':
			if (!reqcount_encoding_known(optarg))
				errx(2, "-E: unknown encoding: %s (o200k_base "
				    "or cl100k_base)", optarg);
			encoding = optarg;
			break;
		case 'h': usage_help(help);
		case 'L': price_factor = 1; break;
		case 'P': prices_file = optarg; break;
		case 'q': qflag = 1; break;
		case 's': sflag = 1; break;
		case 'T':
			tier = (int)numarg(optarg, 1, 5, &errstr);
			if (errstr != NULL) {
				warnx("-T %s: not a usage tier (1 to 5)",
				    optarg);
				usage_error(help);
			}
			break;
		case 'V':
			usage_version();
		default: usage_error(help);
		}
	}
	argc -= optind;
	argv += optind;
	if (price_factor == 1 && !sflag) {
		warnx("-L goes with -s");
		usage_error(help);
	}
	if (tier > 0 && !sflag) {
		warnx("-T goes with -s");
		usage_error(help);
	}
	if (argc == 0)
		argv = stdin_only;

	/* The tables: a broken one is an error even when it is not needed
	 * (no model looked up in it), so that it is found early. */
	if (models_load(NULL) < 0 || (tier > 0 && limits_load(NULL) < 0))
		exit(1);
	if (sflag || prices_file != NULL) {
		if ((r = prices_load(prices_file)) < 0)
			exit(1);
		have_prices = r == 0;
		if (sflag && !have_prices && !qflag)
			warnx("no price table (see -P): cost unknown");
	}

	memset(&rc, 0, sizeof(rc));
	rc.encoding = encoding;
	rc.hint = " (give one with -E)";
	memset(&total, 0, sizeof(total));
	for (; *argv != NULL; argv++) {
		memset(&file, 0, sizeof(file));
		count_file(*argv, &file, &rc, &out);
		if (!sflag)
			continue;
		print_tally(*argv, &file);
		total.input += file.input;
		total.output += file.output;
		total.in_usd += file.in_usd;
		total.out_usd += file.out_usd;
		total.no_output |= file.no_output;
		total.no_price |= file.no_price;
		if (file.mixed)
			total.mixed = 1;
		else if (file.requests > 0)
			tally_model(&total, file.model, strlen(file.model));
		total.requests += file.requests;
	}
	if (sflag)
		print_tally("total", &total);
	if (out.len > 0)
		stdout_write(out.p, out.len);

	buf_free(&out);
	reqcount_free(&rc);
	for (i = 0; i < nwarned; i++)
		free(warned[i]);
	return stdout_close(1) ? 1 : 0;
}
