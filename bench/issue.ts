/**
 * Issuance over HTTP with durable writes, 32 concurrent connections, against a floor measured in the
 * same run (bare node:http + node:crypto Ed25519 + one SQLite insert). Target: >= 50% of the floor, p99 < 25 ms.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, ROOT, startServer, table } from './lib/load.js';

export async function benchIssue(seconds = Number(process.env['BENCH_SECONDS'] ?? 8)): Promise<void> {
  const body = readFileSync(join(ROOT, 'docs/examples/business-licence.json'), 'utf8');
  const token = 'elk_bench-token-with-every-scope-0123456789';
  const rows: Record<string, string | number>[] = [];
  const results: Record<string, { rps: number; p99: number }> = {};
  for (const [name, script, env] of [
    ['floor: node:http + node:crypto + 1 insert', 'bench/floor-issue-server.ts', {}],
    ['service: POST /v1/licences', 'src/node/main.ts', { ELICENCE_DEV_TOKEN: token }],
  ] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'elicence-bench-'));
    const server = await startServer(script, { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, KEYS_DIR: join(dir, 'keys'), ...env });
    try {
      const request = { url: `${server.url}/v1/licences`, method: 'POST' as const, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body };
      await load({ ...request, seconds: 2 }); // warm-up: JIT, key import, SQLite pages
      const r = await load({ ...request, seconds });
      results[name] = { rps: r.requestsPerSecond, p99: r.p99 };
      rows.push({ server: name, 'req/s': r.requestsPerSecond.toFixed(0), 'p50 ms': r.p50, 'p99 ms': r.p99, 'non-2xx': r.non2xx, errors: r.errors });
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const [floor, service] = Object.values(results) as [{ rps: number; p99: number }, { rps: number; p99: number }];
  console.log('\n## Issuance over HTTP (32 connections)\n');
  console.log(table(rows));
  console.log(`\nratio service/floor: ${(service.rps / floor.rps).toFixed(2)} (target >= 0.50); service p99 ${service.p99} ms (target < 25 ms)`);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchIssue();
