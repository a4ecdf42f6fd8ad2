/* anthropic_api: what the client tools share to speak either dialect of
 * the batch API (provider.h) through one http client: the batches' paths
 * and objects, the ids that stand for local files where nothing is
 * uploaded, and Anthropic's results, translated to OpenAI's output lines
 * (anthropic.h) as they are downloaded. */
#ifndef ANTHROPIC_API_H
#define ANTHROPIC_API_H
#include <sys/types.h>

struct buf;
struct batchobj;
struct http;
struct json_object;

/* The ids oai-upload gives local files for a provider that takes the
 * requests inline: the prefix, then LOCAL_ID_HEX hex digits of the
 * SHA-256 of the file's contents, so the same contents have the same id
 * on every run. */
#define LOCAL_ID_PREFIX	"file-local-"
#define LOCAL_ID_HEX	32

/* batch_anthropic: 1 when h's provider speaks Anthropic's Message
 * Batches, 0 for the OpenAI shape. */
int	batch_anthropic(const struct http *h);

/* batch_path: sets b to the path of batch id for h's dialect,
 * "/batches/ID" or "/messages/batches/ID", then suffix ("/cancel",
 * "/results"; NULL for none), the id escaped as api_path does.  Returns
 * b->p. */
const char *batch_path(const struct http *h, struct buf *b, const char *id,
	    const char *suffix);

/* batch_list_path: the first page of the batches list, newest first,
 * 100 a page ("/batches?limit=100", "/messages/batches?limit=100"). */
const char *batch_list_path(const struct http *h);

/* batch_parse: batchobj_parse, or anthropic_batch for Anthropic. */
int	batch_parse(const struct http *h, struct json_object *o,
	    struct batchobj *b);

/* batch_created_at: when object o was created, in seconds since the
 * epoch: an integer created_at (OpenAI) or an RFC 3339 one (Anthropic:
 * "2024-08-20T18:37:24.100435Z", an offset allowed); 0 when o has none
 * or it does not read. */
long long	batch_created_at(struct json_object *o);

/* batch_list: walks the batches, newest first (http_list on
 * batch_list_path), handing each(item, arg) every batch in OpenAI's
 * shape: for Anthropic, a Batch object made of the MessageBatch through
 * anthropic_batch (id, status, endpoint /v1/chat/completions,
 * request_counts, output_file_id; created_at and, by its status,
 * completed_at, expired_at or cancelled_at as integers).  A MessageBatch
 * that anthropic_batch refuses is handed on as it is.  Returns as
 * http_list. */
int	batch_list(struct http *h,
	    int (*each)(struct json_object *item, void *arg), void *arg);

/* local_id: sets b to the id of a local file whose SHA-256 is hex (64
 * hex digits, filehash_sha256).  Returns b->p. */
const char *local_id(struct buf *b, const char *hex);

/* local_id_is: 1 when id has the form local_id gives. */
int	local_id_is(const char *id);

/* anthropic_results: the results of Anthropic batch id, written to fd
 * from offset start (fd first cut to start), each line translated to an
 * OpenAI output line by anthropic_result.  The batch is read first: one
 * the server does not have is HTTP_FAILED with *gone 1, one that has not
 * ended HTTP_FAILED.  The results go to a temporary file first (a try
 * cut short starts over), and are written only when every line is a
 * whole results line and there are as many as the batch's requests
 * (they have no stated size to check instead).  Sets *bytes to the
 * bytes written.  Returns as http_download, having reported a failure
 * (but for *gone: the caller says it). */
int	anthropic_results(struct http *h, const char *id, int fd, off_t start,
	    long long *bytes, int *gone);

#endif
