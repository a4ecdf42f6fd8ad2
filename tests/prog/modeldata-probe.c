/*
 * modeldata-probe [-p prices] [-m models] [-l limits] [-n count] model...:
 * common/modeldata's lookups, for tests/test-modeldata.sh (built by make
 * testprogs with each build's library; it is not a tool).
 * Loads the three tables (the files given, else the shipped ones, as
 * prices_load & co. find them) and prints, for each model, one line:
 *
 *   model TAB in/cached_in/out|- TAB encoding|- TAB max_output TAB
 *   queue limits of tiers 1-5, comma-separated
 *
 * With -n, looks each model up count times (the models in turn), prints
 * nothing but the time taken, for the lookup's speed.
 * Exit 1 when a table is malformed (reported by the library).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "modeldata.h"

int
main(int argc, char *argv[])
{
	const char *p = NULL, *m = NULL, *l = NULL;
	struct model_price pr;
	struct timespec t0, t1;
	long count = 0, i, found = 0;
	int a, t;

	for (a = 1; a + 1 < argc && argv[a][0] == '-'; a += 2) {
		if (strcmp(argv[a], "-p") == 0)
			p = argv[a + 1];
		else if (strcmp(argv[a], "-m") == 0)
			m = argv[a + 1];
		else if (strcmp(argv[a], "-l") == 0)
			l = argv[a + 1];
		else if (strcmp(argv[a], "-n") == 0)
			count = strtol(argv[a + 1], NULL, 10);
		else
			return 2;
	}
	if (prices_load(p) < 0 || models_load(m) < 0 || limits_load(l) < 0)
		return 1;
	if (count > 0 && a < argc) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (i = 0; i < count; i++) {
			const char *s = argv[a + i % (argc - a)];

			found += price_of_request(s, strlen(s), 1000, &pr) == 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("%ld lookups, %ld found: %.1f ns each\n", count, found,
		    ((t1.tv_sec - t0.tv_sec) * 1e9 +
		    (t1.tv_nsec - t0.tv_nsec)) / (double)count);
		return 0;
	}
	for (; a < argc; a++) {
		const char *s = argv[a], *e;
		size_t n = strlen(s);

		printf("%s\t", s);
		if (price_of_model(s, n, &pr) == 0)
			printf("%g/%g/%g", pr.in, pr.cached_in, pr.out);
		else
			printf("-");
		e = model_encoding(s, n);
		printf("\t%s\t%lld\t", e != NULL ? e : "-",
		    model_max_output(s, n));
		for (t = 1; t <= 5; t++)
			printf("%lld%s", model_queue_limit(s, n, t),
			    t < 5 ? "," : "\n");
	}
	return 0;
}
