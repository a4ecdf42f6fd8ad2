/* Fault options of oai-mock(1); see mock.h. */
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include "numarg.h"
#include "xalloc.h"

static const char *const names[] = {
	"http400", "http408", "http409", "http429", "http500", "http502",
	"http503", "redirect", "close", "cut", "lose-create", "lose-upload",
	"slow", "retry-after", "fail-requests", "fail-status", "expire",
	"cancel", "token-limit", "odd-file-id", "extra-result", "cursor-cycle",
	"cursor-endless", "echo-key", "fail-batch", "unlisted", "rpm", "tpm",
	"no-bytes"
};

const char *
mock_fault_name(enum mock_fault_kind kind)
{
	return names[kind];
}

/* A number, not negative, by numarg's rule: 0 and *out, or -1 when s
 * is not entirely one. */
static int
number(const char *s, double *out)
{
	const char *e;

	*out = numarg_decimal(s, 0, DBL_MAX, &e);
	return e == NULL ? 0 : -1;
}

/* s percent-decoded into a fresh f->text ("%00" is a NUL byte): 0, or
 * -1 for a '%' without two hex digits. */
static int
decode(const char *s, struct mock_fault *f)
{
	size_t i, o = 0, n = strlen(s);
	char hex[3];

	f->text = xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			f->text[o++] = s[i];
			continue;
		}
		if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
		    !isxdigit((unsigned char)s[i + 2]))
			return -1;
		hex[0] = s[i + 1];
		hex[1] = s[i + 2];
		hex[2] = '\0';
		f->text[o++] = (char)strtoul(hex, NULL, 16);
		i += 2;
	}
	f->text[o] = '\0';
	f->textlen = o;
	return 0;
}

/* A fraction: "0.25" or "25%". */
static int
fraction(const char *s, double *out)
{
	size_t n = strlen(s);
	char tmp[64];

	if (n > 0 && n < sizeof tmp && s[n - 1] == '%') {
		memcpy(tmp, s, n - 1);
		tmp[n - 1] = '\0';
		if (number(tmp, out) != 0 || *out > 100)
			return -1;
		*out /= 100;
		return 0;
	}
	return number(s, out) != 0 || *out > 1 ? -1 : 0;
}

/* A limit of batches: a whole number, at least 1, that fits a long
 * long. */
static int
limit_of(const char *s, long long *out)
{
	double d;

	if (number(s, &d) != 0 || d < 1 || d != floor(d) || d >= 9.2e18)
		return -1;
	*out = (long long)d;
	return 0;
}

/* The value of a fault of kind f->kind (value NULL when the spec has
 * none; prefixed when it has a path prefix) into *f: 0, or -1 with *why
 * set. */
static int
value_of(struct mock_fault *f, char *value, int prefixed, const char **why)
{
	char *colon;
	size_t n;

	*why = "bad value";
	switch (f->kind) {
	case MF_RETRY_AFTER:
		if (value != NULL && strncmp(value, "date:", 5) == 0) {
			f->http_date = 1;
			value += 5;
		}
		if (value == NULL || number(value, &f->value) != 0)
			return -1;
		break;
	case MF_RPM:
	case MF_TPM:
		if (value == NULL || number(value, &f->value) != 0 ||
		    f->value <= 0)
			return -1;
		break;
	case MF_SLOW:
	case MF_TOKEN_LIMIT:
	case MF_FAIL_STATUS:
		if (value == NULL || number(value, &f->value) != 0)
			return -1;
		if (f->kind == MF_FAIL_STATUS &&
		    (f->value < 100 || f->value > 599 || f->value != floor(f->value)))
			return -1;
		break;
	case MF_CURSOR_CYCLE:
		f->value = 2;
		if (value != NULL && (number(value, &f->value) != 0 ||
		    f->value < 1 || f->value > 1e6 ||
		    f->value != floor(f->value)))
			return -1;
		break;
	case MF_NO_BYTES:
		if (prefixed) {
			*why = "no-bytes takes no path prefix";
			return -1;
		}
		/* FALLTHROUGH */
	case MF_CURSOR_ENDLESS:
		if (value != NULL)
			return -1;
		break;
	case MF_FAIL_REQUESTS:
		if (value == NULL || fraction(value, &f->value) != 0)
			return -1;
		break;
	case MF_ODD_FILE_ID:
		if (prefixed) {
			*why = "odd-file-id takes no path prefix";
			return -1;
		}
		if (value == NULL || *value == '\0' || decode(value, f) != 0)
			return -1;
		break;
	case MF_ECHO_KEY:
		if (prefixed) {
			*why = "echo-key takes no path prefix";
			return -1;
		}
		if (value != NULL && (*value == '\0' || decode(value, f) != 0))
			return -1;
		break;
	case MF_EXPIRE:
	case MF_CANCEL:
		if (value == NULL)
			return -1;
		if ((colon = strchr(value, ':')) != NULL) {
			*colon++ = '\0';
			if (limit_of(colon, &f->limit) != 0)
				return -1;
		}
		if (fraction(value, &f->value) != 0)
			return -1;
		break;
	case MF_EXTRA_RESULT:
	case MF_FAIL_BATCH:
	case MF_UNLISTED:
		if (value == NULL)
			break;
		if (limit_of(value, &f->limit) != 0)
			return -1;
		break;
	default:
		f->mode = MFM_ALL;
		if (value == NULL)
			break;
		n = strlen(value);
		if (n > 0 && value[n - 1] == '%') {
			if (fraction(value, &f->value) != 0)
				return -1;
			f->value *= 100;
			f->mode = MFM_SHARE;
		} else {
			if (number(value, &f->value) != 0 ||
			    f->value != floor(f->value))
				return -1;
			f->mode = MFM_FIRST;
		}
		break;
	}
	return 0;
}

int
mock_fault_parse(const char *spec, struct mock_fault *f, const char **why)
{
	char *s = xstrdup(spec), *at, *eq, *value = NULL;
	size_t k;
	int rc = -1;

	memset(f, 0, sizeof *f);
	if ((at = strchr(s, '@')) != NULL) {
		*at++ = '\0';
		if (*at != '/') {
			*why = "the path prefix must start with /";
			goto out;
		}
	}
	if ((eq = strchr(s, '=')) != NULL) {
		*eq = '\0';
		value = eq + 1;
	}
	for (k = 0; k < sizeof names / sizeof names[0]; k++)
		if (strcmp(s, names[k]) == 0)
			break;
	if (k == sizeof names / sizeof names[0]) {
		*why = "unknown fault";
		goto out;
	}
	f->kind = (enum mock_fault_kind)k;
	if (value_of(f, value, at != NULL, why) != 0)
		goto out;
	if (at != NULL)
		f->prefix = xstrdup(at);
	*why = NULL;
	rc = 0;
out:
	if (rc != 0) {
		free(f->text);
		f->text = NULL;
	}
	free(s);
	return rc;
}

int
mock_fault_matches(const struct mock_fault *f, const char *path)
{
	return f->prefix == NULL ||
	    strncmp(path, f->prefix, strlen(f->prefix)) == 0;
}

int
mock_fault_fire(struct mock_fault *f)
{
	unsigned long long k = f->seen++;

	switch (f->mode) {
	case MFM_FIRST:
		return (double)k < f->value;
	case MFM_SHARE:
		/* Bresenham: the k-th call fires when the running total of
		 * value% crosses a whole number, so 50% hits every second call
		 * and 10% every tenth, the same way on every run. */
		return floor((double)(k + 1) * f->value / 100) >
		    floor((double)k * f->value / 100);
	default:
		return 1;
	}
}
