/**
 * Federated provinces' status data in the patch protocol (docs/trust-anchor.md, "Federation"):
 * Zhejiang fetches Jiangsu's bundle with `patches=1`, keeps its copies and patches as a verifier does,
 * and re-serves them unchanged; an inspector pinning Zhejiang gets Nanjing's copies in a full sync and
 * Jiangsu's patches in a delta (by receipt at Zhejiang), applied to the same verdicts Jiangsu serves.
 * Jiangsu's operator cannot send a patch for a list of Zhejiang's own authority, and a forged patch is
 * refused and never re-served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packBundle, parseBundle, type VerifierBundle } from '../src/core/bundle.js';
import { buildStatusPatch, signStatusPatch } from '../src/core/status-patch.js';
import { peerStatus } from '../src/db/schema.js';
import { activeSigner } from '../src/services/keys.js';
import { mergeBundlesReport, verify } from '../verifier/index.js';
import { businessSubject, createTestContext, manualClock, type TestContext } from './helpers/app.js';
import { freshCreditCode } from './shared/subjects.js';

const clock = manualClock('2026-06-01T10:00:00Z');
const ZJ = 'https://zj.test';
const JS = 'https://js.test';

/** Jiangsu's patch bundle, when a test rewrites it. */
let jsPatchOverride: ((bundle: VerifierBundle) => VerifierBundle) | undefined;
const apps = new Map<string, TestContext>();

const router: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const target = apps.get(new URL(request.url).host);
  if (!target) throw new TypeError(`fetch failed: no host ${new URL(request.url).host}`);
  const body = request.method === 'POST' ? await request.text() : undefined;
  const url = new URL(request.url);
  const armed = url.host === 'js.test' && url.searchParams.get('patches') === '1' && jsPatchOverride !== undefined;
  // Armed, Jiangsu's operator answers in full whatever was asked.
  const headers = new Headers(request.headers);
  if (armed) {
    headers.delete('if-none-match');
    url.searchParams.delete('since');
  }
  const response = await target.app.request(url.href, { method: request.method, headers, ...(body === undefined ? {} : { body }) });
  if (armed && jsPatchOverride && response.status === 200) {
    const rewritten = jsPatchOverride(parseBundle(await response.text()));
    return new Response(JSON.stringify(packBundle(rewritten)), { status: 200, headers: response.headers });
  }
  return response;
};

let zj: TestContext;
let js: TestContext;
let jsAnchorId: string;

async function json<T = any>(response: Response | Promise<Response>, status?: number): Promise<T> {
  const r = await response;
  const body = (await r.json()) as T;
  if (status !== undefined && r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(body)}`);
  return body;
}

const anchorOf = async (t: TestContext) => json<{ anchorId: string; keys: object[] }>(t.call('GET', '/.well-known/trust-anchor.json', { token: null }));
const enc = encodeURIComponent;
const refresh = () => json(zj.call('POST', `/v1/trust/anchors/${enc(jsAnchorId)}/refresh`), 200);

async function patchSync(since?: string): Promise<{ kind: string | null; bundle: VerifierBundle }> {
  const response = await zj.call('GET', `/verifier-bundle?patches=1${since ? `&since=${enc(since)}` : ''}`, { token: null });
  expect(response.status).toBe(200);
  return { kind: response.headers.get('elicence-bundle'), bundle: parseBundle(await response.text()) };
}

beforeAll(async () => {
  zj = await createTestContext({
    clock,
    fetch: router,
    config: { publicUrl: ZJ, anchor: { name: { zh: '浙江省市场监督管理局', en: 'Zhejiang AMR' }, jurisdiction: '330000', ownerId: 'zhejiang' } },
  });
  js = await createTestContext({
    clock,
    fetch: router,
    authority: { id: 'nanjing', name: { zh: '南京市市场监督管理局', en: 'Nanjing AMR' }, jurisdiction: '320100', creditCode: freshCreditCode() },
    config: { publicUrl: JS, anchor: { name: { zh: '江苏省市场监督管理局', en: 'Jiangsu AMR' }, jurisdiction: '320000', ownerId: 'jiangsu', firstAuthority: 'nanjing' } },
  });
  apps.set('zj.test', zj);
  apps.set('js.test', js);
  jsAnchorId = (await anchorOf(js)).anchorId;
  await json(
    zj.call('POST', '/v1/trust/anchors', {
      body: {
        id: jsAnchorId,
        name: { zh: '江苏省市场监督管理局', en: 'Jiangsu AMR' },
        jwksUrl: `${JS}/.well-known/trust-anchor.json`,
        bundleUrl: `${JS}/verifier-bundle`,
        scope: { issuerPrefixes: ['did:web:js.test:'], jurisdictions: ['32'] },
      },
    }),
    201,
  );
});
afterAll(() => {
  for (const t of [zj, js]) t?.close();
});

describe('federation in the patch protocol', () => {
  it("re-serves Jiangsu's copies and patches; an inspector's delta applies them to Jiangsu's verdicts", async () => {
    const nanjing = await json<{ id: string; credential: string }>(js.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } }), 201);
    const first = await refresh();
    expect(first).toMatchObject({ outcome: 'updated', refused: [] });
    expect(first.stored.statusPatches).toBeGreaterThan(0);

    const options = { anchors: await anchorOf(zj), now: clock.now() };
    const full = await patchSync();
    const nanjingCopies = full.bundle.statusCopies!.flatMap((g) => g.lists.map((l) => l.url)).filter((u) => u.startsWith(JS));
    expect(nanjingCopies).toHaveLength(2);
    expect((await verify(nanjing.credential, full.bundle, options)).verdict).toBe('VALID');

    clock.advance(10 * 60_000);
    expect((await js.call('POST', `/v1/licences/${nanjing.id}/revoke`, { body: { reason: 'penalty' } })).status).toBe(200);
    await refresh();
    const delta = await patchSync(full.bundle.generatedAt);
    expect(delta.kind).toBe('delta');
    // Jiangsu's tail, as Jiangsu signed it; no list in full.
    expect((delta.bundle.statusCopies ?? []).flatMap((g) => g.lists)).toEqual([]);
    expect(delta.bundle.statusPatches!.length).toBeGreaterThan(0);
    const merged = await mergeBundlesReport(full.bundle, delta.bundle, { ...options, now: clock.now() });
    expect(merged.refetch).toEqual([]);
    expect(await verify(nanjing.credential, merged.bundle, { ...options, now: clock.now() })).toMatchObject({ verdict: 'REVOKED', reason: 'penalty' });
  });

  it("refuses a forged patch and ignores Jiangsu's patch for Zhejiang's own authority; neither is re-served", async () => {
    // Jiangsu's operator signs, with Nanjing's key, a patch naming Hangzhou (dev-city, hosted at Zhejiang).
    const signer = await activeSigner(js.deps, { kind: 'authority', id: 'nanjing' });
    const hangzhou = 'did:web:zj.test:authorities:dev-city';
    const list = { size: 131_072, set: Uint32Array.from([5]) };
    const payload = await buildStatusPatch({
      issuer: hangzhou,
      base: `${ZJ}/status/dev-city/`,
      issuedAt: new Date(clock.now()),
      changed: [{ url: `${ZJ}/status/dev-city/suspension/1`, from: 0, to: 1, indices: [5], after: list }],
      unchanged: [],
    });
    const claiming = await signStatusPatch(signer, payload);
    const forged = `${claiming.slice(0, -4)}AAAA`;
    clock.advance(60_000);
    jsPatchOverride = (bundle) => ({ ...bundle, statusPatches: [...(bundle.statusPatches ?? []), { jws: claiming, fetchedAt: bundle.generatedAt }] });
    const claimed = await refresh();
    expect(claimed.refused.join(' ')).toContain('status patch');
    jsPatchOverride = (bundle) => ({ ...bundle, statusPatches: [...(bundle.statusPatches ?? []), { jws: forged, fetchedAt: bundle.generatedAt }] });
    const forgedReport = await refresh();
    expect(forgedReport.refused.length).toBeGreaterThan(0);
    jsPatchOverride = undefined;
    const stored = await zj.store.db.select().from(peerStatus);
    expect(stored.map((r) => r.jws)).not.toContain(claiming);
    expect(stored.map((r) => r.jws)).not.toContain(forged);
    const served = await patchSync();
    const jwss = [...(served.bundle.statusPatches ?? []), ...(served.bundle.statusCopies ?? [])].map((p) => p.jws);
    expect(jwss).not.toContain(claiming);
    expect(jwss).not.toContain(forged);
  });
});
