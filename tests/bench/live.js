// live.js REQUESTS CONCURRENCY: the official openai Node SDK sending the
// bodies of Batch API request lines to OPENAI_BASE_URL, CONCURRENCY at a
// time, as a program written with it would: prints the seconds taken.
// For tests/bench/bench-live.sh only.
const fs = require('fs');
const OpenAI = require(process.env.NPMDIR + '/node_modules/openai').default;
const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
const conc = Number(process.argv[3]);
const client = new OpenAI({ maxRetries: 8 });
let next = 0, failed = 0;
async function worker() {
	while (next < lines.length) {
		const req = JSON.parse(lines[next++]);
		try {
			await client.chat.completions.create(req.body);
		} catch (e) {
			failed++;
		}
	}
}
const start = process.hrtime.bigint();
Promise.all(Array.from({ length: conc }, worker)).then(() => {
	const secs = Number(process.hrtime.bigint() - start) / 1e9;
	if (failed) console.error('live.js: ' + failed + ' requests failed');
	console.log(secs.toFixed(3));
});
