/* tokenizer: tiktoken's byte-pair encodings o200k_base and cl100k_base,
 * token for token: text split as tiktoken's regular expressions split it,
 * then each piece merged by rank.  Special-token texts ("<|endoftext|>")
 * are plain text, as the API treats them inside a message. */
#ifndef TOKENIZER_H
#define TOKENIZER_H
#include <stddef.h>
#include <stdint.h>

struct tokenizer;

/* tokenizer_open: the encoding named ("o200k_base", "cl100k_base"), its
 * ranks read from NAME.tiktoken (sharefile_path).  Returns NULL after reporting
 * "prog: reason" (an unknown encoding, a missing or damaged file). */
struct tokenizer	*tokenizer_open(const char *encoding);

/* tokenizer_name: the encoding's name, as given to tokenizer_open. */
const char		*tokenizer_name(const struct tokenizer *t);

/* tokenizer_count: the number of tokens of text[0..len).  Returns -1 when
 * the text is not valid UTF-8 (nothing reported: the caller knows where
 * the text came from).  Not thread-safe: t caches pieces. */
long long		 tokenizer_count(struct tokenizer *t, const char *text,
			    size_t len);

/* tokenizer_encode: the same, with the tokens' ranks appended to *ids,
 * which has room for *cap of them and is grown as needed (the caller
 * frees it; *ids may start NULL with *cap 0).  Returns the number of
 * tokens appended, or -1 as tokenizer_count. */
long long		 tokenizer_encode(struct tokenizer *t, const char *text,
			    size_t len, uint32_t **ids, size_t *cap);

/* tokenizer_free: frees t; NULL is allowed. */
void			 tokenizer_free(struct tokenizer *t);

#endif
