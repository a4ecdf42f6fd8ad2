// tokens.js: the node half of tests/bench/bench-tokens.sh.
//
//	node tokens.js gen CORPUS OUT BYTES
//		writes BYTES bytes (rounded up to a whole line) of text made
//		from the corpus: each line one to three distinct lines of the
//		corpus's texts (those under 2,000 bytes) joined by a space,
//		drawn with a fixed pseudo-random sequence (the same file on
//		every run): 60% from prose (lines of 20 characters or more,
//		three quarters letters, marks and spaces), 25% from code
//		(ASCII lines with brackets or operators), 15% from the rest
//		(symbols, emoji, white space, numbers, code points from all
//		of Unicode).
//	node tokens.js count gpt-tokenizer|tiktoken NPMDIR FILE
//		counts the tokens of FILE in o200k_base line by line, each
//		line with its "\n", special-token texts as ordinary text, as
//		`tokenize -r` does; prints "TOKENS TAB BYTES".
'use strict';
const fs = require('fs');
const path = require('path');

function gen(corpus, out, want) {
	let seed = 0x9e3779b9;
	const rnd = () => {
		seed ^= seed << 13; seed >>>= 0;
		seed ^= seed >>> 17;
		seed ^= seed << 5; seed >>>= 0;
		return seed / 4294967296;
	};
	const seen = new Set();
	const prose = [], code = [], rest = [];
	for (const l of fs.readFileSync(corpus, 'utf8').split('\n')) {
		if (l === '')
			continue;
		for (const s of JSON.parse(l).text.split('\n')) {
			if (s.trim() === '' || Buffer.byteLength(s) >= 2000 ||
			    seen.has(s))
				continue;
			seen.add(s);
			const cps = [...s];
			const words = cps.filter((c) => /[\p{L}\p{M} ]/u.test(c));
			if (cps.length >= 20 && words.length >= 0.75 * cps.length)
				prose.push(s);
			else if (/^[\t -~]*$/.test(s) && /[{}()\[\];=<>$#/]/.test(s))
				code.push(s);
			else
				rest.push(s);
		}
	}
	const draw = () => {
		const r = rnd();
		const pool = r < 0.6 ? prose : r < 0.85 ? code : rest;
		return pool[Math.floor(rnd() * pool.length)];
	};
	const fd = fs.openSync(out, 'w');
	let chunk = [], size = 0, total = 0;
	while (total < want) {
		const n = 1 + Math.floor(rnd() * 3);
		const parts = [];
		for (let i = 0; i < n; i++)
			parts.push(draw());
		const line = parts.join(' ') + '\n';
		const b = Buffer.byteLength(line);
		chunk.push(line);
		size += b;
		total += b;
		if (size > 1 << 20) {
			fs.writeSync(fd, chunk.join(''));
			chunk = [];
			size = 0;
		}
	}
	fs.writeSync(fd, chunk.join(''));
	fs.closeSync(fd);
	process.stderr.write(`${out}: ${total} bytes from ${prose.length} ` +
	    `prose, ${code.length} code and ${rest.length} other lines\n`);
}

function count(which, npmdir, file) {
	const req = (m) => require(path.join(npmdir, 'node_modules', m));
	let f;
	if (which === 'gpt-tokenizer') {
		const { countTokens } = req('gpt-tokenizer/cjs/encoding/o200k_base.js');
		const opt = { disallowedSpecial: new Set() };
		f = (s) => countTokens(s, opt);
	} else if (which === 'tiktoken') {
		const enc = req('tiktoken').get_encoding('o200k_base');
		f = (s) => enc.encode_ordinary(s).length;
	} else {
		throw new Error('count: gpt-tokenizer or tiktoken');
	}
	const buf = fs.readFileSync(file);
	const lines = buf.toString('utf8').split('\n');
	let total = 0;
	for (let i = 0; i < lines.length; i++) {
		const s = i < lines.length - 1 ? lines[i] + '\n' : lines[i];
		if (s !== '')
			total += f(s);
	}
	process.stdout.write(`${total}\t${buf.length}\n`);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'gen')
	gen(args[0], args[1], Number(args[2]));
else if (cmd === 'count')
	count(args[0], args[1], args[2]);
else
	throw new Error('usage: tokens.js gen|count ...');
