#!/usr/bin/env node
// Runs the test suites with node's test runner (TypeScript through tsx).
//   node test/run.mjs            unit + integration + e2e
//   node test/run.mjs unit       one or more suites by name
//   node test/run.mjs FILE...    given files
// Builds the bundles first: integration and e2e tests run the built CLI and extension.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const suites = ['unit', 'integration', 'e2e'];
const args = process.argv.slice(2);
const picked = args.length === 0 ? suites : args;

function find(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = picked.flatMap((a) => (suites.includes(a) ? find(join('test', a)) : [a]));
if (files.length === 0) {
  console.error('no test files found for: ' + picked.join(' '));
  process.exit(1);
}
const build = spawnSync(process.execPath, ['build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  env: { ...process.env, IPCTAP_TEST: '1' },
});
process.exit(r.status ?? 1);
