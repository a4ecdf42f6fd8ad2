/* links: tools/oai-mock/answer.c tools/oai-mock/messages.c tools/oai-mock/embed.c tools/oai-mock/complete.c tools/oai-mock/moderate.c tools/oai-mock/tokens.c tools/oai-mock/ids.c tools/oai-mock/fault.c */
/*
 * fuzz_mock: the request parsing of oai-mock:
 *   - mock_answer, the answer to a request body (a chat, embeddings,
 *     Responses, completions or moderations request from a batch input
 *     line or a live POST): the first input byte picks the endpoint ('M':
 *     /v1/messages, Anthropic's Messages API of oai-mock -D anthropic),
 *     the rest is the body.  Checked:
 *     status 200 (usage not negative) or 400, and the answer is one valid
 *     JSON object (jscan), so a client can always read it; the prompt
 *     token estimate is not negative.
 *   - mock_fault_parse (the -F option), when the first byte is 'F': a
 *     fault is either parsed or refused with a reason; a parsed fault's
 *     fraction values are in range and its name prints.
 * The multipart upload parsing of oai-mock is libmicrohttpd's, and its
 * JSON request bodies go through jscan (fuzz_jscan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jscan.h"
#include "../../tools/oai-mock/mock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static const char *const endpoints[] = {
	"/v1/chat/completions", "/v1/embeddings", "/v1/responses",
	"/v1/completions", "/v1/moderations"
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	struct mock_usage u;
	struct mock_fault f;
	struct jval body, top;
	struct jerr e;
	const char *ep, *why = NULL;
	char *spec;
	int status;

	if (size < 1 || size > 65536)
		return 0;
	if (data[0] == 'F') {
		spec = strndup((const char *)data + 1, size - 1);
		check(spec != NULL);
		memset(&f, 0, sizeof(f));
		if (mock_fault_parse(spec, &f, &why) == 0) {
			check(mock_fault_name(f.kind) != NULL);
			check(f.value >= 0);
			free(f.prefix);
			free(f.text);
		} else
			check(why != NULL && *why != '\0');
		free(spec);
		return 0;
	}
	ep = data[0] == 'M' ? "/v1/messages" :
	    endpoints[data[0] % (sizeof(endpoints) / sizeof(endpoints[0]))];
	check(data[0] == 'M' || mock_endpoint_ok(ep));
	if (jscan_doc((const char *)data + 1, size - 1, &body, &e) != 0 ||
	    body.type != JT_OBJECT)
		return 0;
	check(mock_prompt_tokens(ep, body) >= 0);
	memset(&u, 0, sizeof(u));
	status = mock_answer(ep, body, 42, 1711471533, &out, &u);
	check(status == 200 || status == 400);
	if (status == 200)
		check(u.input_tokens >= 0 && u.output_tokens >= 0);
	check(jscan_doc(out.p, out.len, &top, &e) == 0);
	check(top.type == JT_OBJECT);
	buf_free(&out);
	return 0;
}
