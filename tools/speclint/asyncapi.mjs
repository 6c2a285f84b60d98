// The AsyncAPI initiative's own validator (@asyncapi/parser: the AsyncAPI 3.0 JSON Schema and
// its core and recommended rules), as make lint runs it:
//
//   node tools/speclint/asyncapi.mjs docs/events/*.asyncapi.yaml
//
// Prints each finding as file:line:column severity rule message (at path) and exits 1 if
// any is an error or a warning, like redocly.yaml's recommended-strict.
import { readFileSync } from 'node:fs';
import { Parser, DiagnosticSeverity } from '@asyncapi/parser';

const parser = new Parser({
  ruleset: {
    rules: {
      // Tells that AsyncAPI 3.1 exists. The documents say 3.0.0, the version Redocly and
      // the Go tests read; moving is a change of the documents, not a finding.
      'asyncapi-latest-version': 'off',
    },
  },
});
const severity = ['error', 'warning', 'info', 'hint'];
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node asyncapi.mjs FILE...');
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  const { document, diagnostics } = await parser.parse(readFileSync(file, 'utf8'), { source: file });
  for (const d of diagnostics) {
    const { line, character } = d.range.start;
    console.log(`${file}:${line + 1}:${character + 1} ${severity[d.severity]} ${d.code} ${d.message} (at ${d.path.join('.') || '/'})`);
    if (d.severity <= DiagnosticSeverity.Warning) failed++;
  }
  if (!document) failed++;
}
console.log(failed ? `asyncapi: ${failed} problems in ${files.length} documents` : `asyncapi: ${files.length} documents valid`);
process.exit(failed ? 1 : 0);
