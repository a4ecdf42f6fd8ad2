// anthropic-sdk.js: the official @anthropic-ai/sdk npm package, unchanged,
// against oai-mock -D anthropic at ANTHROPIC_BASE_URL: create, retrieve,
// list, results, cancel and delete of Message Batches, and the errors the
// SDK must recognise.  Prints one "ok WHAT" line a check; the first check
// that fails prints "not ok WHAT: why" and exits 1.  For
// tests/test-anthropic-sdk.sh only (NPMDIR: where the SDK is installed).
'use strict';
const Anthropic = require(process.env.NPMDIR + '/node_modules/@anthropic-ai/sdk').default;

const client = new Anthropic({ apiKey: process.env.ANTHROPIC_API_KEY, maxRetries: 2 });

function check(cond, what, why) {
	if (!cond) {
		console.log('not ok ' + what + ': ' + why);
		process.exit(1);
	}
	console.log('ok ' + what);
}

function request(id, text, maxTokens) {
	return {
		custom_id: id,
		params: {
			model: 'claude-mock-1',
			max_tokens: maxTokens,
			system: 'Answer briefly.',
			messages: [{ role: 'user', content: text }],
		},
	};
}

async function ended(id) {
	for (let i = 0; i < 200; i++) {
		const b = await client.messages.batches.retrieve(id);
		if (b.processing_status === 'ended') return b;
		await new Promise((r) => setTimeout(r, 50));
	}
	throw new Error('batch ' + id + ' did not end in 10 s');
}

async function main() {
	const created = await client.messages.batches.create({
		requests: [request('q-1', 'first question', 100),
			request('q-2', 'second question', 100),
			request('q_3', 'third question, capped', 2)],
	});
	check(/^msgbatch_/.test(created.id) && created.type === 'message_batch' &&
		/^req_/.test(created._request_id),
		'create', JSON.stringify(created) + ' request-id ' + created._request_id);
	check(created.processing_status === 'in_progress' &&
		created.request_counts.processing === 3 &&
		created.results_url === null && created.ended_at === null &&
		!isNaN(Date.parse(created.created_at)) &&
		Date.parse(created.expires_at) - Date.parse(created.created_at) === 86400000,
		'create: in_progress, 3 processing, RFC 3339 times', JSON.stringify(created));

	const done = await ended(created.id);
	const c = done.request_counts;
	check(c.succeeded === 3 && c.processing === 0 && c.errored === 0 &&
		c.canceled === 0 && c.expired === 0 && done.results_url &&
		!isNaN(Date.parse(done.ended_at)),
		'retrieve: ended, 3 succeeded, results_url', JSON.stringify(done));

	const results = {};
	for await (const line of await client.messages.batches.results(created.id))
		results[line.custom_id] = line.result;
	check(Object.keys(results).sort().join() === 'q-1,q-2,q_3', 'results: one line a request',
		JSON.stringify(results));
	const m = results['q-2'];
	check(m.type === 'succeeded' && m.message.type === 'message' &&
		m.message.role === 'assistant' && m.message.model === 'claude-mock-1' &&
		m.message.content[0].type === 'text' &&
		m.message.content[0].text === 'mock answer to: second question' &&
		m.message.stop_reason === 'end_turn' &&
		m.message.usage.input_tokens > 0 && m.message.usage.output_tokens > 0,
		'results: a succeeded message', JSON.stringify(m));
	check(results.q_3.message.stop_reason === 'max_tokens' &&
		results.q_3.message.usage.output_tokens === 2,
		'results: max_tokens caps the answer', JSON.stringify(results.q_3));

	const second = await client.messages.batches.create({
		requests: [request('c1', 'never answered', 10), request('c2', 'nor this', 10)],
	});
	const canceling = await client.messages.batches.cancel(second.id);
	check(canceling.processing_status === 'canceling' && canceling.cancel_initiated_at,
		'cancel: canceling', JSON.stringify(canceling));
	const cancelled = await ended(second.id);
	check(cancelled.request_counts.canceled === 2, 'cancel: ended, 2 canceled',
		JSON.stringify(cancelled));
	const kinds = [];
	for await (const line of await client.messages.batches.results(second.id))
		kinds.push(line.custom_id + ':' + line.result.type);
	check(kinds.sort().join() === 'c1:canceled,c2:canceled', 'cancel: canceled results',
		kinds.join());

	const ids = [];
	for await (const b of client.messages.batches.list({ limit: 1 }))
		ids.push(b.id);
	check(ids.join() === [second.id, created.id].join(),
		'list: newest first, one a page, every page', ids.join());
	const page = await client.messages.batches.list({ limit: 1, after_id: second.id });
	check(page.data.length === 1 && page.data[0].id === created.id && !page.has_more &&
		page.first_id === created.id && page.last_id === created.id,
		'list: after_id', JSON.stringify(page.data.map((b) => b.id)));

	const gone = await client.messages.batches.delete(created.id);
	check(gone.id === created.id && gone.type === 'message_batch_deleted', 'delete',
		JSON.stringify(gone));
	try {
		await client.messages.batches.retrieve(created.id);
		check(false, 'retrieve after delete', 'no error');
	} catch (e) {
		check(e instanceof Anthropic.NotFoundError && e.error.error.type === 'not_found_error',
			'retrieve after delete: NotFoundError', String(e));
	}
	try {
		await client.messages.batches.create({ requests: [request('bad id!', 'x', 10)] });
		check(false, 'create: a bad custom_id', 'no error');
	} catch (e) {
		check(e instanceof Anthropic.BadRequestError &&
			e.error.error.type === 'invalid_request_error' &&
			/custom_id/.test(e.error.error.message),
			'create: a bad custom_id is a BadRequestError', String(e));
	}
}

main().catch((e) => {
	console.log('not ok: ' + (e && e.stack ? e.stack : e));
	process.exit(1);
});
