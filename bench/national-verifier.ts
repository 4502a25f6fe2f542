/**
 * The Node verifier holding the nation, in a process of its own (bench/national.ts bundles and runs it).
 * `hold`: reads the bundle file, parses it, verifies every piece and resolves every list (prepare),
 * verifies a licence, and prints its peak memory (max RSS). `apply`: a cold sync, as the CLI does it:
 * reads day 0's bundle and day 1's delta, and applies the delta (every held piece verified too).
 * Prints JSON on its last line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBundle } from '../src/core/bundle.js';
import { mergeBundlesReport, prepare, verify } from '../verifier/index.js';

const [mode, dir, nowText] = process.argv.slice(2) as ['hold' | 'apply', string, string];
const now = Number(nowText);
const anchors = JSON.parse(readFileSync(join(dir, 'anchors.json'), 'utf8')) as { anchorId: string; keys: object[] };
const baselineRssBytes = process.memoryUsage().rss;
if (mode === 'apply') {
  const t = performance.now();
  const held = parseBundle(readFileSync(join(dir, 'day0.json')));
  const delta = parseBundle(readFileSync(join(dir, 'delta.json')));
  const report = await mergeBundlesReport(held, delta, { anchors, now });
  console.log(JSON.stringify({ applyMs: performance.now() - t, refetch: report.refetch.length, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
} else {
  let t = performance.now();
  const bundle = parseBundle(readFileSync(join(dir, 'bundle.json')));
  const loadMs = performance.now() - t;
  const afterLoad = { maxRss: process.resourceUsage().maxRSS * 1024 };
  t = performance.now();
  await prepare(bundle, { anchors, now });
  const prepareMs = performance.now() - t;
  const result = await verify(readFileSync(join(dir, 'licence.txt'), 'utf8'), bundle, { anchors, now });
  console.log(
    JSON.stringify({
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      baselineRssBytes,
      heapUsedBytes: process.memoryUsage().heapUsed,
      verdict: result.verdict,
      loadMs,
      prepareMs,
      afterLoad,
    }),
  );
}
