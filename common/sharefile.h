/* sharefile: finds the data files batchpipe ships (the price table, the
 * queue limits, the models' encodings, the tokenizer vocabularies), as
 * installed under PREFIX/share/batchpipe or as they lie in a checkout. */
#ifndef SHAREFILE_H
#define SHAREFILE_H

/* sharefile_path: the path of the data file NAME ("prices.tsv"): the
 * value of the environment variable ENV when ENV is not NULL and the
 * variable is set and not empty (taken as it is, readable or not, so
 * that a wrong setting is reported, not passed over); else the first
 * readable one of $BATCHPIPE_SHARE/NAME, BATCHPIPE_SHAREDIR/NAME (the
 * installed copy), and share/batchpipe/NAME or share/NAME in the
 * directory of the running program or in one of its three parents (a
 * moved install, a checkout's bin/ or build/asan/bin/).
 * Returns a string to free, or NULL when none is found (nothing
 * reported). */
char	*sharefile_path(const char *name, const char *env);

#endif
