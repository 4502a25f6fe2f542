/**
 * Federation benchmark (`npm run bench -- federation`):
 * 1. How long Zhejiang (the service in its own process, file database, durable writes) takes to refresh
 *    a peer bundle of 100 authorities and 200 status lists: POST /v1/trust/anchors/{id}/refresh, end to
 *    end (fetch over loopback, every signature checked, every list inflated, 201 pieces stored). Each
 *    refresh gets a newly signed bundle (new trust list sequence, every status list re-signed), so
 *    nothing is memoised and every piece is written. Target < 2 s.
 * 2. The p99 of concurrent issuance (32 connections) while refreshes run back to back, as a ratio to
 *    the p99 without them, in alternating rounds of the same run. Target <= 1.2.
 * The peer is this process: it serves bundles signed beforehand, so signing does not compete with the
 * load generator while measuring. BENCH_SECONDS (default 6) per load phase, BENCH_ROUNDS (default 3).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VerifierBundle } from '../src/core/bundle.js';
import { generateSigningJwk, type JwsSigner, publicJwk, signCompact, signerFromPrivateJwk } from '../src/core/jws-sign.js';
import { Bitstring, buildStatusListCredential, encodeStatusList } from '../src/core/status-list.js';
import { buildTrustList, signTrustList } from '../src/core/trust-list.js';
import { type LoadResult, load, ROOT, startServer, table } from './lib/load.js';

const TOKEN = 'elk_bench-federation-token-0123456789';
const AUTHORITIES = 100;
const PEER_ID = 'did:web:js.bench:anchors:jiangsu';
const PREFIX = 'did:web:js.bench:';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Peer {
  anchorJwk: object;
  bundles: string[];
}

/** `versions` bundles of the same peer, each with a higher trust list sequence and every status list re-signed. */
async function preparePeer(versions: number): Promise<Peer> {
  const anchor = await generateSigningJwk('EdDSA');
  const anchorSigner = await signerFromPrivateJwk(anchor.privateJwk);
  const authorities: Array<{ id: string; jurisdiction: string; signer: JwsSigner; publicJwk: object }> = [];
  for (let i = 1; i <= AUTHORITIES; i++) {
    const key = await generateSigningJwk('EdDSA');
    authorities.push({
      id: `${PREFIX}authorities:city-${String(i).padStart(3, '0')}`,
      jurisdiction: i < 100 ? `3201${String(i).padStart(2, '0')}` : '320200',
      signer: await signerFromPrivateJwk(key.privateJwk),
      publicJwk: publicJwk(key.publicJwk),
    });
  }
  const bits = new Bitstring(131_072);
  for (let i = 0; i < 1310; i++) bits.set((i * 7919) % 131_072, true); // 1% set
  const encodedList = await encodeStatusList(bits);
  const bundles: string[] = [];
  const start = Math.floor(Date.now() / 1000) * 1000;
  for (let v = 0; v < versions; v++) {
    const issuedAt = new Date(start + v * 1000);
    const payload = await buildTrustList({
      anchor: { id: PEER_ID, name: { zh: '江苏省市场监督管理局', en: 'Jiangsu AMR' }, jurisdiction: '320000' },
      sequence: v + 1,
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + 7 * 86_400_000),
      authorities: authorities.map((a) => ({
        id: a.id,
        name: { zh: `江苏${a.jurisdiction}`, en: `Jiangsu ${a.jurisdiction}` },
        jurisdiction: a.jurisdiction,
        status: 'active' as const,
        licenceTypes: ['BusinessLicence', 'FoodBusinessLicence'],
        keys: [{ jwk: a.publicJwk, validFrom: '2026-01-01T00:00:00Z' }],
      })),
    });
    const statusLists: VerifierBundle['statusLists'] = [];
    for (const a of authorities) {
      for (const purpose of ['revocation', 'suspension'] as const) {
        const url = `https://js.bench/status/${a.id.split(':').at(-1)}/${purpose}/1`;
        const credential = buildStatusListCredential({
          url,
          issuer: { id: a.id, name: a.jurisdiction },
          purpose,
          encodedList,
          issuedAt,
          validUntil: new Date(issuedAt.getTime() + 48 * 3_600_000),
          ttlMs: 300_000,
        });
        statusLists.push({ url, jws: await signCompact(a.signer, credential, 'vc+jwt', 'vc'), fetchedAt: issuedAt.toISOString().replace(/\.\d+Z$/, 'Z') });
      }
    }
    const bundle: VerifierBundle = {
      version: 1,
      generatedAt: issuedAt.toISOString().replace(/\.\d+Z$/, 'Z'),
      trustLists: [{ jws: await signTrustList(anchorSigner, payload), fetchedAt: issuedAt.toISOString().replace(/\.\d+Z$/, 'Z') }],
      statusLists,
    };
    bundles.push(JSON.stringify(bundle));
  }
  return { anchorJwk: publicJwk(anchor.publicJwk), bundles };
}

/** Serves the next prepared bundle on every GET (always in full: conditional headers ignored). */
async function servePeer(peer: Peer): Promise<{ server: Server; url: string; served(): number }> {
  let next = 0;
  const server = createServer((_req, res) => {
    const body = peer.bundles[Math.min(next, peer.bundles.length - 1)]!;
    next++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/verifier-bundle`, served: () => next };
}

interface Answer {
  refused: string[];
  stored: { trustLists: number; statusLists: number };
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Answer }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Answer };
}

export async function benchFederation(seconds = Number(process.env.BENCH_SECONDS ?? 6), rounds = Number(process.env.BENCH_ROUNDS ?? 3)): Promise<void> {
  const refreshesNeeded = Number(process.env.BENCH_PEER_VERSIONS ?? 100);
  process.stdout.write(`preparing the peer: ${AUTHORITIES} authorities, ${AUTHORITIES * 2} status lists, ${refreshesNeeded} signed versions... `);
  const started = performance.now();
  const peer = await preparePeer(refreshesNeeded);
  console.log(`${((performance.now() - started) / 1000).toFixed(1)} s, ${(peer.bundles[0]!.length / 1024).toFixed(0)} KB each`);
  const served = await servePeer(peer);
  const dir = mkdtempSync(join(tmpdir(), 'elicence-bench-federation-'));
  const zj = await startServer('src/node/main.ts', {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dir,
    KEYS_DIR: join(dir, 'keys'),
    ELICENCE_DEV_TOKEN: TOKEN,
    ANCHOR_ID: 'zhejiang',
    FEDERATION_REFRESH_SECONDS: '0',
  });
  try {
    const registered = await call(zj.url, 'POST', '/v1/trust/anchors', {
      id: PEER_ID,
      name: { zh: '江苏省市场监督管理局', en: 'Jiangsu AMR' },
      keys: { keys: [peer.anchorJwk] },
      bundleUrl: served.url,
      scope: { issuerPrefixes: [PREFIX], jurisdictions: ['32'] },
    });
    if (registered.status !== 201) throw new Error(`register: ${registered.status} ${JSON.stringify(registered.json)}`);
    const refreshPath = `/v1/trust/anchors/${encodeURIComponent(PEER_ID)}/refresh`;
    const refresh = async (): Promise<number> => {
      const t0 = performance.now();
      const r = await call(zj.url, 'POST', refreshPath);
      const ms = performance.now() - t0;
      if (r.status !== 200 || r.json.refused.length > 0) throw new Error(`refresh: ${r.status} ${JSON.stringify(r.json).slice(0, 500)}`);
      const fresh = served.served() <= peer.bundles.length;
      if (fresh && (r.json.stored.statusLists !== AUTHORITIES * 2 || r.json.stored.trustLists !== 1)) throw new Error(`refresh stored ${JSON.stringify(r.json.stored)}`);
      return ms;
    };

    // 1. Refresh time, alone.
    const alone: number[] = [];
    for (let i = 0; i < 7; i++) alone.push(await refresh());
    console.log(`\n## Refresh of a peer bundle (${AUTHORITIES} authorities, ${AUTHORITIES * 2} status lists, all re-signed each time)\n`);
    console.log(
      `first (cold process): ${alone[0]!.toFixed(0)} ms; then ${alone
        .slice(1)
        .map((ms) => ms.toFixed(0))
        .join(', ')} ms`,
    );
    console.log(`median ${median(alone.slice(1)).toFixed(0)} ms, max ${Math.max(...alone).toFixed(0)} ms (target < 2000 ms)`);

    // 2. Issuance p99 with and without refreshes running, alternating rounds.
    const body = readFileSync(join(ROOT, 'docs/examples/business-licence.json'), 'utf8');
    const request = { url: `${zj.url}/v1/licences`, method: 'POST' as const, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body };
    await load({ ...request, seconds: 2 }); // warm-up
    const rows: Record<string, string | number>[] = [];
    const ratios: number[] = [];
    const during: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      const quiet: LoadResult = await load({ ...request, seconds });
      let stop = false;
      const times: number[] = [];
      const refresher = (async () => {
        while (!stop) times.push(await refresh());
      })();
      const busy: LoadResult = await load({ ...request, seconds });
      stop = true;
      await refresher;
      during.push(...times);
      for (const [name, r] of [
        ['issuance alone', quiet],
        [`issuance during ${times.length} refreshes`, busy],
      ] as const) {
        rows.push({ round, phase: name, 'req/s': r.requestsPerSecond.toFixed(0), 'p50 ms': r.p50, 'p99 ms': r.p99, 'non-2xx': r.non2xx, errors: r.errors });
      }
      ratios.push(busy.p99 / quiet.p99);
    }
    console.log(`\n## Issuance p99 during refreshes (32 connections, ${rounds} rounds of ${seconds} s + ${seconds} s)\n`);
    console.log(table(rows));
    console.log(`\nrefreshes under load: median ${median(during).toFixed(0)} ms, max ${Math.max(...during).toFixed(0)} ms (${during.length} refreshes)`);
    console.log(`p99 ratio (during/alone) per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${median(ratios).toFixed(2)} (target <= 1.2)`);
    if (served.served() >= peer.bundles.length) console.log(`note: the peer ran out of fresh versions after ${peer.bundles.length} refreshes; later ones re-served the last`);
  } finally {
    await zj.stop();
    served.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchFederation();
