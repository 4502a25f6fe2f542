/**
 * Offline verification throughput: `verify()` against a bundle of 50 issuers (trust list, 100 signed
 * status lists), beside the floor: raw `jose.compactVerify` of the same JWS with the same key (an
 * imported CryptoKey). Both one at a time and with 32 in flight. Target: verify >= 70% of the floor.
 * SM2SM3 rows beside them: `verify()` of an SM2 licence from the same bundle (one issuer holds an SM2
 * key), its floor (the table entry's raw SM2 check, pure JS: SM2 has no WebCrypto), and SM2 / Ed25519.
 * Standalone: `npx tsx bench/verify.ts`; a runner calls `benchVerify()`.
 */

import { pathToFileURL } from 'node:url';
import { compactVerify, importJWK } from 'jose';
import { SM2SM3 } from '../src/core/algorithms.js';
import { buildBundle } from '../src/core/bundle.js';
import { fromBase64url, utf8 } from '../src/core/encoding.js';
import { type Anchor, type Authority, issueLicence, makeAuthority, makeKey, NOW, signStatusList, signTrustListFor, statusUrl } from '../tests/fixtures/world.js';
import { verify } from '../verifier/index.js';

export interface VerifyBenchRow {
  name: string;
  perSecond: number;
}

export interface VerifyBenchResult {
  issuers: number;
  rows: VerifyBenchRow[];
  /** verify() / floor, one at a time and 32 in flight. */
  ratioSerial: number;
  ratioConcurrent: number;
  /** verify() of the SM2 licence / verify() of the Ed25519 one, one at a time and 32 in flight. */
  sm2RatioSerial: number;
  sm2RatioConcurrent: number;
}

async function rate(run: () => Promise<unknown>, durationMs: number, inFlight: number): Promise<number> {
  // Warm up, then count completions during the window.
  for (let i = 0; i < 50; i++) await run();
  let done = 0;
  const end = performance.now() + durationMs;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        await run();
        done++;
      }
    }),
  );
  return (done / (performance.now() - start)) * 1000;
}

export async function benchVerify(options: { issuers?: number; durationMs?: number; log?: boolean } = {}): Promise<VerifyBenchResult> {
  const issuers = options.issuers ?? 50;
  const durationMs = options.durationMs ?? 3000;
  const anchor: Anchor = {
    id: 'did:web:trust.zj.example',
    name: { zh: '浙江省市场监督管理局', en: 'Zhejiang AMR' },
    jurisdiction: '330000',
    key: await makeKey(),
    namespace: 'did:web:elicence.zj.example:',
  };
  const authorities: Authority[] = [];
  for (let i = 0; i < issuers; i++) {
    const city = String(330100 + (i % 11) * 100 + Math.floor(i / 11) + 1);
    // One issuer (beside the one the Ed25519 licence comes from) signs with SM2.
    const alg = i === Math.floor(issuers / 2) + 1 ? 'SM2SM3' : 'EdDSA';
    authorities.push(makeAuthority(`city-${i}`, `测试市${i}市场监督管理局`, `Test city ${i} AMR`, city, [await makeKey(alg)]));
  }
  const trustList = await signTrustListFor(anchor, {}, authorities);
  const fetchedAt = new Date(NOW - 60_000).toISOString();
  const statusLists = [];
  for (const a of authorities) {
    for (const purpose of ['revocation', 'suspension'] as const) {
      const set = Array.from({ length: 1310 }, (_, k) => (k * 100_003) % 131_072);
      statusLists.push({ url: statusUrl(a, purpose), jws: await signStatusList(a, purpose, { set }), fetchedAt });
    }
  }
  const bundle = buildBundle({ generatedAt: new Date(NOW - 60_000), trustLists: [{ jws: trustList, fetchedAt }], statusLists });
  const issuer = authorities[Math.floor(issuers / 2)]!;
  const jws = await issueLicence(issuer, { revocationIndex: 7, suspensionIndex: 8 });
  const verifyOptions = { anchors: { keys: [anchor.key.publicJwk] }, now: NOW };
  const first = await verify(jws, bundle, verifyOptions);
  if (first.verdict !== 'VALID') throw new Error(`bench licence did not verify: ${first.verdict}`);
  const key = await importJWK(issuer.keys[0]!.publicJwk, 'EdDSA');
  const sm2Issuer = authorities[Math.floor(issuers / 2) + 1]!;
  const sm2Jws = await issueLicence(sm2Issuer, { revocationIndex: 7, suspensionIndex: 8 });
  const sm2First = await verify(sm2Jws, bundle, verifyOptions);
  if (sm2First.verdict !== 'VALID') throw new Error(`bench SM2 licence did not verify: ${sm2First.verdict}`);
  const sm2Check = await SM2SM3.importVerifier(sm2Issuer.keys[0]!.publicJwk);
  const [sm2Header, sm2Payload, sm2Signature] = sm2Jws.split('.') as [string, string, string];
  const sm2Input = utf8(`${sm2Header}.${sm2Payload}`);
  const sm2SignatureBytes = fromBase64url(sm2Signature)!;

  // Alternate short windows of floor and verify() and keep medians, so load from other processes
  // on a shared host hits both sides alike.
  const rounds = 5;
  const window = Math.max(100, Math.floor(durationMs / rounds));
  const samples: number[][] = [[], [], [], [], [], [], []];
  for (let r = 0; r < rounds; r++) {
    samples[0]!.push(await rate(() => compactVerify(jws, key), window, 1));
    samples[1]!.push(await rate(() => verify(jws, bundle, verifyOptions), window, 1));
    samples[2]!.push(await rate(() => compactVerify(jws, key), window, 32));
    samples[3]!.push(await rate(() => verify(jws, bundle, verifyOptions), window, 32));
    samples[4]!.push(await rate(() => sm2Check(sm2SignatureBytes, sm2Input), window, 1));
    samples[5]!.push(await rate(() => verify(sm2Jws, bundle, verifyOptions), window, 1));
    samples[6]!.push(await rate(() => verify(sm2Jws, bundle, verifyOptions), window, 32));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows: VerifyBenchRow[] = [
    { name: 'floor: jose.compactVerify, 1 in flight', perSecond: median(samples[0]!) },
    { name: `verify(), ${issuers}-issuer bundle, 1 in flight`, perSecond: median(samples[1]!) },
    { name: 'floor: jose.compactVerify, 32 in flight', perSecond: median(samples[2]!) },
    { name: `verify(), ${issuers}-issuer bundle, 32 in flight`, perSecond: median(samples[3]!) },
    { name: 'SM2SM3 floor: raw SM2 check, 1 in flight', perSecond: median(samples[4]!) },
    { name: 'verify(), SM2SM3 licence, 1 in flight', perSecond: median(samples[5]!) },
    { name: 'verify(), SM2SM3 licence, 32 in flight', perSecond: median(samples[6]!) },
  ];
  const result = {
    issuers,
    rows,
    ratioSerial: rows[1]!.perSecond / rows[0]!.perSecond,
    ratioConcurrent: rows[3]!.perSecond / rows[2]!.perSecond,
    sm2RatioSerial: rows[5]!.perSecond / rows[1]!.perSecond,
    sm2RatioConcurrent: rows[6]!.perSecond / rows[3]!.perSecond,
  };
  if (options.log ?? false) {
    for (const row of rows) console.log(`${row.name.padEnd(48)} ${row.perSecond.toFixed(0).padStart(8)} /s`);
    console.log(`verify / floor: ${(result.ratioSerial * 100).toFixed(0)}% one at a time, ${(result.ratioConcurrent * 100).toFixed(0)}% with 32 in flight (target >= 70%)`);
    console.log(
      `SM2SM3 / Ed25519 verify(): ${result.sm2RatioSerial.toFixed(2)} one at a time, ${result.sm2RatioConcurrent.toFixed(2)} with 32 in flight; ` +
        `SM2 verify() / its raw check: ${((rows[5]!.perSecond / rows[4]!.perSecond) * 100).toFixed(0)}%`,
    );
  }
  return result;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchVerify({ log: true });
}
