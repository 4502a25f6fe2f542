/**
 * `npm run bench [-- name ...]`: runs the benchmarks one after another, each in its own process so
 * one cannot warm up or slow down another. Every benchmark prints its own floor and ratio.
 */
import { spawnSync } from 'node:child_process';
import { ROOT } from './lib/load.js';

const ALL = ['qr', 'verify', 'status', 'issue', 'import', 'console-import', 'federation', 'console-search', 'console-render'];
/** Run only when named: the national bench builds a synthetic nation (minutes, about 1 GB of memory). */
const ON_REQUEST = ['national'];
const chosen = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = chosen.length > 0 ? chosen : ALL;
const unknown = names.filter((n) => !ALL.includes(n) && !ON_REQUEST.includes(n));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${[...ALL, ...ON_REQUEST].join(', ')}`);
  process.exit(64);
}

console.log(`# e-licence benchmarks (${new Date().toISOString()}, node ${process.version})`);
console.log('Ratios compare rows measured in the same run; absolute figures move with the host.\n');
let failed = 0;
for (const name of names) {
  console.log(`\n=== ${name} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`bench ${name} exited with ${result.status}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
