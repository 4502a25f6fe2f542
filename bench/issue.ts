/**
 * Issuance over HTTP with durable writes, 32 concurrent connections, against a floor measured in the
 * same run (bare node:http + node:crypto Ed25519 + one SQLite insert, durable before it answers).
 * Target: >= 50% of the floor, p99 < 25 ms.
 *
 * The host's speed drifts from minute to minute, so floor and service run in alternating rounds
 * (BENCH_ROUNDS, default 3; BENCH_SECONDS each, default 6) and each round's ratio compares two runs a
 * few seconds apart; the median round is the result. Each round also runs the service with the
 * authority rotated to SM2SM3 (signing in pure JS on the serving thread: SM2 has no node:crypto path
 * here), reported beside the Ed25519 service with the ratio SM2 / Ed25519.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { creditCodeOf } from './lib/credit-codes.js';
import { type LoadResult, load, ROOT, startServer, table } from './lib/load.js';

const TOKEN = 'elk_bench-token-with-every-scope-0123456789';
const SERVERS = {
  floor: { label: 'floor: node:http + node:crypto + 1 insert', script: 'bench/floor-issue-server.ts', env: {}, alg: undefined },
  service: { label: 'service: POST /v1/licences (Ed25519)', script: 'src/node/main.ts', env: { ELICENCE_DEV_TOKEN: TOKEN }, alg: undefined },
  sm2: { label: 'service: POST /v1/licences (SM2SM3)', script: 'src/node/main.ts', env: { ELICENCE_DEV_TOKEN: TOKEN }, alg: 'SM2SM3' },
} as const;

/**
 * The documented example licence, each request for a holder of its own: a business has one active
 * business licence, so the same body twice is refused (409) after the first.
 */
function bodies(example: string): () => string {
  const request = JSON.parse(example) as { subject: Record<string, unknown> };
  const salt = Math.floor(Math.random() * 31 ** 2);
  let serial = 0;
  return () => JSON.stringify({ ...request, subject: { ...request.subject, creditCode: creditCodeOf(serial++, salt) } });
}

async function measure(server: keyof typeof SERVERS, body: string, seconds: number): Promise<LoadResult> {
  const { script, env, alg } = SERVERS[server];
  const dir = mkdtempSync(join(tmpdir(), 'elicence-bench-'));
  const running = await startServer(script, { PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, KEYS_DIR: join(dir, 'keys'), ...env });
  try {
    if (alg) {
      const rotated = await fetch(`${running.url}/v1/keys/rotate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ alg }),
      });
      if (rotated.status !== 201) throw new Error(`rotating to ${alg}: ${rotated.status} ${await rotated.text()}`);
    }
    const request = {
      url: `${running.url}/v1/licences`,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      nextBody: bodies(body),
    };
    await load({ ...request, seconds: 2 }); // warm-up: JIT, key import, SQLite pages
    return await load({ ...request, seconds });
  } finally {
    await running.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function benchIssue(seconds = Number(process.env['BENCH_SECONDS'] ?? 6), rounds = Number(process.env['BENCH_ROUNDS'] ?? 3)): Promise<void> {
  const body = readFileSync(join(ROOT, 'docs/examples/business-licence.json'), 'utf8');
  const rows: Record<string, string | number>[] = [];
  const ratios: number[] = [];
  const sm2Ratios: number[] = [];
  const serviceP99: number[] = [];
  const sm2P99: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const results = { floor: await measure('floor', body, seconds), service: await measure('service', body, seconds), sm2: await measure('sm2', body, seconds) };
    for (const [name, r] of Object.entries(results)) {
      rows.push({
        round,
        server: SERVERS[name as keyof typeof SERVERS].label,
        'req/s': r.requestsPerSecond.toFixed(0),
        'p50 ms': r.p50,
        'p99 ms': r.p99,
        'non-2xx': r.non2xx,
        errors: r.errors,
      });
    }
    ratios.push(results.service.requestsPerSecond / results.floor.requestsPerSecond);
    sm2Ratios.push(results.sm2.requestsPerSecond / results.service.requestsPerSecond);
    serviceP99.push(results.service.p99);
    sm2P99.push(results.sm2.p99);
  }
  console.log(`\n## Issuance over HTTP (32 connections, ${rounds} alternating rounds of ${seconds} s)\n`);
  console.log(table(rows));
  console.log(`\nratio service/floor per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}`);
  console.log(`median ratio: ${median(ratios).toFixed(2)} (target >= 0.50); median service p99 ${median(serviceP99)} ms (target < 25 ms)`);
  console.log(`SM2SM3 / Ed25519 service per round: ${sm2Ratios.map((r) => r.toFixed(2)).join(', ')}; median ${median(sm2Ratios).toFixed(2)}, SM2 p99 ${median(sm2P99)} ms`);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchIssue();
