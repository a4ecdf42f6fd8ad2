// The expected counts of tests/test-jsonl-tokens.sh, computed a second,
// independent way: node with tiktoken 1.0.22 (npm), the rules of
// jsonl-tokens(1) written again here.  Run: node ref.js <requests.jsonl
const { get_encoding } = require('tiktoken');
const enc = {
	'gpt-4o-mini': 'o200k_base', 'gpt-4o': 'o200k_base',
	'gpt-4': 'cl100k_base', 'text-embedding-3-small': 'cl100k_base',
};
const encs = {};
const count = (e, s) => e.encode(s, [], []).length;	// specials as text
const parts = (e, c) => c == null ? 0 : typeof c === 'string' ? count(e, c) :
	c.filter((p) => typeof p.text === 'string')
	    .reduce((s, p) => s + count(e, p.text), 0);
const message = (e, m) => 3 + count(e, m.role) + parts(e, m.content) +
	(typeof m.name === 'string' ? count(e, m.name) + 1 : 0);
const strings = (e, x) => typeof x === 'string' ? count(e, x) :
	x.reduce((s, v) => s + (typeof v === 'string' ? count(e, v) :
	    typeof v === 'number' ? 1 : v.length), 0);
const lines = require('fs').readFileSync(0, 'utf8').split('\n');
for (const line of lines.filter((l) => l !== '')) {
	const r = JSON.parse(line), b = r.body, name = enc[b.model];
	const e = encs[name] || (encs[name] = get_encoding(name));
	let n;
	if (r.url === '/v1/chat/completions')
		n = b.messages.reduce((s, m) => s + message(e, m), 3);
	else if (r.url === '/v1/responses') {
		n = 3;
		if (b.instructions != null)
			n += message(e, { role: 'system', content: b.instructions });
		if (typeof b.input === 'string')
			n += message(e, { role: 'user', content: b.input });
		else
			for (const m of b.input || [])
				if (m.type === undefined || m.type === 'message')
					n += message(e, m);
	} else if (r.url === '/v1/embeddings')
		n = strings(e, b.input);
	else
		n = strings(e, b.prompt);
	const cap = b.max_completion_tokens ?? b.max_output_tokens ?? b.max_tokens;
	console.log(`${r.custom_id}\t${n}\t${cap ?? '-'}`);
}
