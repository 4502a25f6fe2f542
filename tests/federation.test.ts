/**
 * Provinces federate (service side), in process: Zhejiang (an anchor hosting dev-city, 330100) registers
 * Jiangsu (an anchor hosting nanjing, 320100) as a peer with a scope; fetches, checks and re-serves
 * Jiangsu's pieces; a verifier pinning only Zhejiang accepts in-scope Nanjing licences; deltas go by
 * receipt; a peer that is down or serves garbage changes nothing; Jiangsu's operator (an insider with a
 * trusted key) cannot speak for Hangzhou. Also the service's own promises: issuing only authorised
 * types (on an anchor and under an upstream anchor), /credentials/verify with the trust rules, and
 * token revocation limited to what the revoker holds. The deployments talk through an injected fetch
 * that routes by host to each app; tests/federation-live.test.ts does the same with real processes.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifierBundle } from '../src/core/bundle.js';
import { fromBase64url, fromUtf8 } from '../src/core/encoding.js';
import { generateSigningJwk, publicJwk, signCompact, signerFromPrivateJwk } from '../src/core/jws-sign.js';
import { Bitstring, buildStatusListCredential, encodeStatusList } from '../src/core/status-list.js';
import { auditLog, peerPieces, trustLists } from '../src/db/schema.js';
import { authorityDid } from '../src/services/authorities.js';
import { refreshAllPeers } from '../src/services/trust/federation.js';
import { verify } from '../verifier/index.js';
import { businessSubject, createTestContext, foodSubject, manualClock, type TestContext } from './helpers/app.js';
import { freshCreditCode } from './shared/subjects.js';

const clock = manualClock('2026-06-01T10:00:00Z');
const ZJ = 'https://zj.test';
const JS = 'https://js.test';
const NB = 'https://nb.test';
const HANGZHOU = authorityDid(ZJ, 'dev-city');
const NANJING = authorityDid(JS, 'nanjing');

/** What the Jiangsu host answers, when a test takes it over (down, garbage, a tampered bundle). */
let jsOverride: ((request: Request, real: () => Promise<Response>) => Promise<Response>) | undefined;
const seenInits: RequestInit[] = [];
const apps = new Map<string, TestContext>();

const router: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  seenInits.push(init ?? {});
  const target = apps.get(new URL(request.url).host);
  if (!target) throw new TypeError(`fetch failed: no host ${new URL(request.url).host}`);
  const real = async () => target.app.request(request.url, { method: request.method, headers: request.headers });
  if (new URL(request.url).host === 'js.test' && jsOverride) return jsOverride(request, real);
  return real();
};

let zj: TestContext;
let js: TestContext;
let city: TestContext;

beforeAll(async () => {
  zj = await createTestContext({
    clock,
    fetch: router,
    config: { publicUrl: ZJ, anchor: { name: { zh: '浙江省市场监督管理局', en: 'Zhejiang AMR' }, jurisdiction: '330000', ownerId: 'zhejiang' }, federation: { timeoutMs: 300 } },
  });
  js = await createTestContext({
    clock,
    fetch: router,
    authority: { id: 'nanjing', name: { zh: '南京市市场监督管理局', en: 'Nanjing AMR' }, jurisdiction: '320100', creditCode: freshCreditCode() },
    config: { publicUrl: JS, anchor: { name: { zh: '江苏省市场监督管理局', en: 'Jiangsu AMR' }, jurisdiction: '320000', ownerId: 'jiangsu', firstAuthority: 'nanjing' } },
  });
  apps.set('zj.test', zj);
  apps.set('js.test', js);
});
afterAll(() => {
  for (const t of [zj, js, city]) t?.close();
});

async function json<T = any>(response: Response | Promise<Response>, status?: number): Promise<T> {
  const r = await response;
  const body = (await r.json()) as T;
  if (status !== undefined && r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(body)}`);
  return body;
}

const anchorOf = async (t: TestContext) => json<{ anchorId: string; keys: object[] }>(t.call('GET', '/.well-known/trust-anchor.json', { token: null }));
const bundleOf = async (t: TestContext, query = '') => json<VerifierBundle>(t.call('GET', `/verifier-bundle${query}`, { token: null }));
const payloadOf = (jws: string) => JSON.parse(fromUtf8(fromBase64url(jws.split('.')[1]!)!)) as Record<string, any>;
const enc = encodeURIComponent;

async function issue(t: TestContext, type: string, subject: Record<string, unknown>): Promise<{ id: string; credential: string }> {
  return json(t.call('POST', '/v1/licences', { body: { type, subject } }), 201);
}

async function unchanged<T>(t: TestContext, action: () => Promise<T>): Promise<T> {
  const audit = (await t.store.db.select().from(auditLog)).length;
  const pieces = JSON.stringify(await t.store.db.select().from(peerPieces));
  const result = await action();
  expect((await t.store.db.select().from(auditLog)).length).toBe(audit);
  expect(JSON.stringify(await t.store.db.select().from(peerPieces))).toBe(pieces);
  return result;
}

function jiangsuPeer(overrides: Record<string, unknown> = {}) {
  return {
    id: '',
    name: { zh: '江苏省市场监督管理局', en: 'Jiangsu AMR' },
    jwksUrl: `${JS}/.well-known/trust-anchor.json`,
    bundleUrl: `${JS}/verifier-bundle`,
    scope: { issuerPrefixes: ['did:web:js.test:'], jurisdictions: ['32'], licenceTypes: ['BusinessLicence'] },
    ...overrides,
  };
}

let jsAnchorId: string;
let business: { id: string; credential: string };
let food: { id: string; credential: string };

describe('the peer register', () => {
  it('refuses bad input with nothing stored', async () => {
    jsAnchorId = (await anchorOf(js)).anchorId;
    expect(jsAnchorId).toBe('did:web:js.test:anchors:jiangsu');
    const cases: Array<[Record<string, unknown>, number, string, string]> = [
      [{ scope: { issuerPrefixes: ['did:web:js.test'], jurisdictions: ['32'] } }, 400, 'ERR_VALIDATION', 'scope.issuerPrefixes[0]'],
      [{ scope: { issuerPrefixes: ['did:web:js.test:'], jurisdictions: ['99'] } }, 400, 'ERR_VALIDATION', 'scope.jurisdictions[0]'],
      [{ bundleUrl: 'http://js.test/verifier-bundle' }, 400, 'ERR_VALIDATION', 'bundleUrl'],
      [{ id: 'https://js.test' }, 400, 'ERR_VALIDATION', 'id'],
      // Keys published for another anchor cannot be registered under this id.
      [{ jwksUrl: `${ZJ}/.well-known/trust-anchor.json` }, 400, 'ERR_JWKS_INVALID', 'jwksUrl'],
      // This anchor's own namespace is its own.
      [{ scope: { issuerPrefixes: ['did:web:zj.test:authorities:'], jurisdictions: ['32'] } }, 409, 'ERR_CONFLICT', 'scope.issuerPrefixes[0]'],
    ];
    for (const [patch, status, code, field] of cases) {
      const body = jiangsuPeer({ id: jsAnchorId, ...patch });
      const error = await unchanged(zj, () => json(zj.call('POST', '/v1/trust/anchors', { body }), status));
      expect(error.error).toMatchObject({ code, field });
    }
    // The anchor scope is needed.
    const admin = await json<{ token: string }>(zj.call('POST', '/v1/tokens', { body: { name: 'admin only', actions: ['admin', 'read'] } }), 201);
    await json(zj.call('POST', '/v1/trust/anchors', { body: jiangsuPeer({ id: jsAnchorId }), token: admin.token }), 403);
  });

  it('registers Jiangsu, which appears in the next signed trust list', async () => {
    const peer = await json(zj.call('POST', '/v1/trust/anchors', { body: jiangsuPeer({ id: jsAnchorId }) }), 201);
    expect(peer).toMatchObject({ id: jsAnchorId, scope: { issuerPrefixes: ['did:web:js.test:'] }, sync: { lastSuccessAt: null, trustList: null } });
    const list = await json(zj.call('GET', '/trust-list', { token: null, headers: { Accept: 'application/json' } }));
    expect(list.federatedAnchors).toHaveLength(1);
    expect(list.federatedAnchors[0]).toMatchObject({ id: jsAnchorId, scope: { issuerPrefixes: ['did:web:js.test:'], jurisdictions: ['32'], licenceTypes: ['BusinessLicence'] } });
    expect(list.federatedAnchors[0].keys[0].jwk.kid).toBe((await anchorOf(js)).keys[0] && ((await anchorOf(js)).keys[0] as { kid: string }).kid);
    // Unchanged register, unchanged list: asking again does not publish another.
    const again = await json(zj.call('GET', '/trust-list', { token: null, headers: { Accept: 'application/json' } }));
    expect(again.sequence).toBe(list.sequence);
    expect((await json(zj.call('GET', '/v1/trust/anchors'))).items.map((p: { id: string }) => p.id)).toEqual([jsAnchorId]);
    expect((await json(zj.call('GET', `/v1/trust/anchors/${enc(jsAnchorId)}`))).id).toBe(jsAnchorId);
  });

  it('refuses overlapping namespaces: another peer, an authority it lists itself, and an authority inside a peer', async () => {
    const { publicJwk: key } = await generateSigningJwk('EdDSA');
    const anhui = { id: 'did:web:ah.test:anchors:anhui', name: { zh: '安徽', en: 'Anhui' }, keys: { keys: [key] }, bundleUrl: 'https://ah.test/verifier-bundle' };
    const overlap = await unchanged(zj, () =>
      json(zj.call('POST', '/v1/trust/anchors', { body: { ...anhui, scope: { issuerPrefixes: ['did:web:js.test:authorities:'], jurisdictions: ['34'] } } }), 409),
    );
    expect(overlap.error.message).toContain(jsAnchorId);
    await unchanged(zj, () => json(zj.call('POST', '/v1/trust/anchors', { body: jiangsuPeer({ id: jsAnchorId }) }), 409));
    // An authority this anchor lists itself (Ningbo, hosted elsewhere) cannot fall in a peer's namespace.
    const nbKey = (await generateSigningJwk('EdDSA')).publicJwk;
    await json(
      zj.call('POST', '/v1/trust/authorities', {
        body: {
          id: 'did:web:nb.test:authorities:dev-city',
          name: { zh: '宁波', en: 'Ningbo' },
          jurisdiction: '330200',
          licenceTypes: ['BusinessLicence'],
          jwks: { keys: [nbKey] },
        },
      }),
      201,
    );
    const covers = await unchanged(zj, () =>
      json(zj.call('POST', '/v1/trust/anchors', { body: { ...anhui, scope: { issuerPrefixes: ['did:web:nb.test:'], jurisdictions: ['33'] } } }), 409),
    );
    expect(covers.error.message).toContain('did:web:nb.test:authorities:dev-city');
    // And the other way round: an authority inside Jiangsu's namespace is Jiangsu's to list.
    const inside = await unchanged(zj, () =>
      json(
        zj.call('POST', '/v1/trust/authorities', {
          body: { id: NANJING, name: { zh: '南京', en: 'Nanjing' }, jurisdiction: '320100', licenceTypes: ['BusinessLicence'], jwks: { keys: [nbKey] } },
        }),
        409,
      ),
    );
    expect(inside.error.field).toBe('id');
  });
});

describe('fetch, check, re-serve', () => {
  it("stores Jiangsu's pieces and re-serves them unchanged; an inspector pinning only Zhejiang accepts what is in scope", async () => {
    business = await issue(js, 'BusinessLicence', businessSubject({ name: '南京示例科技有限公司', address: '江苏省南京市玄武区中山路1号' }));
    food = await issue(js, 'FoodBusinessLicence', foodSubject({ operatorName: '南京味道餐饮管理有限公司' }));
    const report = await json(zj.call('POST', `/v1/trust/anchors/${enc(jsAnchorId)}/refresh`), 200);
    expect(report).toMatchObject({ outcome: 'updated', stored: { trustLists: 1, statusLists: 2 }, refused: [] });
    expect(seenInits.at(-1)).toMatchObject({ redirect: 'manual' }); // a redirect answer is refused, on Workers too
    expect(seenInits.at(-1)?.signal).toBeInstanceOf(AbortSignal);

    const jsBundle = await bundleOf(js);
    const bundle = await bundleOf(zj);
    // Jiangsu's own signatures, unchanged.
    for (const piece of [...jsBundle.trustLists, ...jsBundle.statusLists]) expect([...bundle.trustLists, ...bundle.statusLists].map((p) => p.jws)).toContain(piece.jws);
    const options = { anchors: await anchorOf(zj), now: clock.now() };
    expect((await verify(business.credential, bundle, options)).verdict).toBe('VALID');
    const foodResult = await verify(food.credential, bundle, options);
    expect(foodResult.verdict).toBe('UNTRUSTED_ISSUER');
    expect(foodResult.checks.find((c) => c.name === 'typeAuthorised')?.code).toBe('ERR_TYPE_NOT_AUTHORISED');

    const peer = await json(zj.call('GET', `/v1/trust/anchors/${enc(jsAnchorId)}`));
    expect(peer.sync).toMatchObject({ lastError: null, statusLists: 2, trustList: { sequence: 1 } });
    // Nothing changed at Jiangsu: a conditional request.
    expect(await json(zj.call('POST', `/v1/trust/anchors/${enc(jsAnchorId)}/refresh`), 200)).toMatchObject({ outcome: 'not-modified' });
  });

  it('POST /credentials/verify applies the trust rules to a federated licence, its status from the stored pieces', async () => {
    const envelope = (jws: string) => ({
      verifiableCredential: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: 'EnvelopedVerifiableCredential', id: `data:application/vc+jwt,${jws}` },
    });
    const ok = await json(zj.call('POST', '/credentials/verify', { token: null, body: envelope(business.credential) }), 200);
    expect(ok).toMatchObject({ verified: true, errors: [] });
    expect(ok.checks).toEqual(expect.arrayContaining(['proof', 'issuerTrusted', 'validityWindow', 'credentialStatus']));
    const refused = await json(zj.call('POST', '/credentials/verify', { token: null, body: envelope(food.credential) }), 200);
    expect(refused).toMatchObject({ verified: false, errors: [{ code: 'ERR_TYPE_NOT_AUTHORISED' }] });
  });

  it('deltas go by receipt: a piece signed before the inspector synced but received after still reaches them', async () => {
    clock.set('2026-06-01T11:00:00Z');
    expect((await js.call('POST', `/v1/licences/${business.id}/revoke`, { body: { reason: 'cancelled' } })).status).toBe(200);
    const atJiangsu = await bundleOf(js); // Jiangsu signs its lists now (11:00)
    const signed = atJiangsu.statusLists.map((s) => payloadOf(s.jws).validFrom);
    expect(signed).toContain('2026-06-01T11:00:00Z');
    clock.set('2026-06-01T11:02:00Z');
    const inspector = await bundleOf(zj); // the inspector syncs at 11:02, before Zhejiang fetches
    clock.set('2026-06-01T11:04:00Z');
    expect(await json(zj.call('POST', `/v1/trust/anchors/${enc(jsAnchorId)}/refresh`), 200)).toMatchObject({ stored: { statusLists: 1 } });
    const delta = await json<VerifierBundle>(zj.call('GET', `/verifier-bundle?since=${enc(inspector.generatedAt)}`, { token: null }));
    expect(delta.statusLists.map((s) => s.jws)).toEqual(
      expect.arrayContaining(atJiangsu.statusLists.filter((s) => payloadOf(s.jws).validFrom === '2026-06-01T11:00:00Z').map((s) => s.jws)),
    );
    const merged = { ...inspector, trustLists: [...inspector.trustLists, ...delta.trustLists], statusLists: [...inspector.statusLists, ...delta.statusLists] };
    expect((await verify(business.credential, merged, { anchors: await anchorOf(zj), now: clock.now() })).verdict).toBe('REVOKED');
  });

  it('a peer that is down, slow, too big, redirects or serves garbage changes nothing stored', async () => {
    const before = await bundleOf(zj);
    const failures: Array<[string, (request: Request, real: () => Promise<Response>) => Promise<Response>]> = [
      ['down', async () => Promise.reject(new TypeError('fetch failed: connection refused'))],
      ['500', async () => new Response('oops', { status: 500 })],
      ['redirect', async () => new Response(null, { status: 302, headers: { Location: 'https://evil.test/verifier-bundle' } })],
      ['not JSON', async () => new Response('<html>', { status: 200 })],
      ['not a bundle', async () => Response.json({ version: 2 })],
      ['repeated keys', async () => new Response('{"version":1,"version":1,"generatedAt":"2026-06-01T11:00:00Z","trustLists":[],"statusLists":[]}')],
      ['slow', (request) => new Promise((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)))],
      ['too big', async () => new Response(new Uint8Array(70 * 1024 * 1024), { status: 200 })],
    ];
    for (const [name, answer] of failures) {
      jsOverride = answer;
      const error = await unchanged(zj, () => json(zj.call('POST', `/v1/trust/anchors/${enc(jsAnchorId)}/refresh`), 502));
      expect(error.error.code, name).toBe('ERR_FETCH_FAILED');
    }
    jsOverride = undefined;
    expect((await json(zj.call('GET', `/v1/trust/anchors/${enc(jsAnchorId)}`))).sync.lastError).toContain('ERR_FETCH_FAILED');
    const after = await bundleOf(zj);
    expect(after.statusLists.map((s) => s.jws).sort()).toEqual(before.statusLists.map((s) => s.jws).sort());
    expect(after.trustLists.map((s) => s.jws).sort()).toEqual(before.trustLists.map((s) => s.jws).sort());
    // The runtime's periodic refresh never throws for a peer's failure either.
    jsOverride = async () => new Response('oops', { status: 503 });
    expect((await refreshAllPeers(zj.deps))[0]).toMatchObject({ peer: jsAnchorId, outcome: 'failed' });
    jsOverride = undefined;
  });
});

describe("Jiangsu's operator tries to speak for Hangzhou", () => {
  let hangzhouLicence: { id: string; credential: string };
  let forgedLicence: string;
  let forgedStatus: string;

  it('registers Hangzhou in its own register with its own key, signs a licence and a status list as Hangzhou, then marks Hangzhou withdrawn', async () => {
    hangzhouLicence = await issue(zj, 'BusinessLicence', businessSubject());
    const attacker = await generateSigningJwk('EdDSA');
    const signer = await signerFromPrivateJwk(attacker.privateJwk);
    await json(
      js.call('POST', '/v1/trust/authorities', {
        body: {
          id: HANGZHOU,
          name: { zh: '杭州市市场监督管理局', en: 'Hangzhou AMR' },
          jurisdiction: '330100',
          licenceTypes: ['BusinessLicence'],
          jwks: { keys: [publicJwk(attacker.publicJwk)] },
          validFrom: '2026-01-01T00:00:00Z',
        },
      }),
      201,
    );
    await json(js.call('POST', `/v1/trust/authorities/${enc(HANGZHOU)}/withdraw`, { body: { reason: 'takeover' } }), 200);
    await json(js.call('POST', '/v1/trust/lists'), 201);
    // A licence and a revocation list "by Hangzhou", signed with Jiangsu's key.
    const genuine = payloadOf(hangzhouLicence.credential);
    forgedLicence = await signCompact(signer, { ...genuine, credentialSubject: { ...genuine.credentialSubject, name: '冒名顶替有限公司' } }, 'vc+jwt', 'vc');
    const entry = (genuine.credentialStatus as Array<Record<string, string>>).find((e) => e.statusPurpose === 'revocation')!;
    const bits = new Bitstring(131_072);
    bits.set(Number(entry.statusListIndex), true);
    const list = buildStatusListCredential({
      url: entry.statusListCredential!,
      issuer: { id: HANGZHOU, name: '杭州市市场监督管理局' },
      purpose: 'revocation',
      encodedList: await encodeStatusList(bits),
      issuedAt: new Date(clock.now()),
      validUntil: new Date(clock.now() + 86_400_000),
      ttlMs: 300_000,
    });
    forgedStatus = await signCompact(signer, list, 'vc+jwt', 'vc');
    // Jiangsu's bundle now carries them too.
    jsOverride = async (_request, real) => {
      const bundle = (await (await real()).json()) as VerifierBundle;
      bundle.statusLists.push({ url: entry.statusListCredential!, jws: forgedStatus, fetchedAt: bundle.generatedAt });
      return Response.json(bundle);
    };
    const report = await json(zj.call('POST', `/v1/trust/anchors/${enc(jsAnchorId)}/refresh`), 200);
    jsOverride = undefined;
    expect(report.stored.trustLists).toBe(1); // Jiangsu's new list, with Hangzhou outside its scope
    expect(report.refused).toHaveLength(1);
    expect(report.refused[0]).toContain('ERR_KEY_UNKNOWN');
    const bundle = await bundleOf(zj);
    expect(bundle.statusLists.map((s) => s.jws)).not.toContain(forgedStatus);
  });

  it("Zhejiang's inspector and Zhejiang's own /credentials/verify are unmoved", async () => {
    const bundle = await bundleOf(zj);
    const options = { anchors: await anchorOf(zj), now: clock.now() };
    expect((await verify(hangzhouLicence.credential, bundle, options)).verdict).toBe('VALID');
    // Even handed the forged list directly, the inspector does not use it.
    const handed = { ...bundle, statusLists: [...bundle.statusLists, { url: payloadOf(forgedStatus).id, jws: forgedStatus, fetchedAt: bundle.generatedAt }] };
    expect((await verify(hangzhouLicence.credential, handed, options)).verdict).toBe('VALID');
    const forged = await verify(forgedLicence, bundle, options);
    expect(forged.verdict).toBe('UNTRUSTED_ISSUER');
    expect(forged.checks.find((c) => c.name === 'keyValid')?.code).toBe('ERR_KEY_UNKNOWN');
    const envelope = (jws: string) => ({
      verifiableCredential: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: 'EnvelopedVerifiableCredential', id: `data:application/vc+jwt,${jws}` },
    });
    expect(await json(zj.call('POST', '/credentials/verify', { token: null, body: envelope(forgedLicence) }), 200)).toMatchObject({
      verified: false,
      errors: [{ code: 'ERR_KEY_UNKNOWN' }],
    });
    expect(await json(zj.call('POST', '/credentials/verify', { token: null, body: envelope(hangzhouLicence.credential) }), 200)).toMatchObject({ verified: true });
    // Zhejiang still issues as Hangzhou: Jiangsu's withdrawal is outside what it may say.
    await issue(zj, 'BusinessLicence', businessSubject());
  });

  it('an older copy of a peer list served later is not stored (no rollback)', async () => {
    const stored = (
      await zj.store.db
        .select()
        .from(peerPieces)
        .where(eq(peerPieces.key, `trust:${jsAnchorId}`))
    )[0]!;
    const [first] = await js.store.db.select().from(trustLists).where(eq(trustLists.seq, 1));
    expect(first!.seq).toBeLessThan(stored.sequence!);
    jsOverride = async (_request, real) => {
      const bundle = (await (await real()).json()) as VerifierBundle;
      bundle.trustLists = [{ jws: first!.jws, fetchedAt: bundle.generatedAt }];
      return Response.json(bundle);
    };
    const report = await json(zj.call('POST', `/v1/trust/anchors/${enc(jsAnchorId)}/refresh`), 200);
    jsOverride = undefined;
    expect(report.stored.trustLists).toBe(0);
    expect(
      (
        await zj.store.db
          .select()
          .from(peerPieces)
          .where(eq(peerPieces.key, `trust:${jsAnchorId}`))
      )[0]!.jws,
    ).toBe(stored.jws);
  });
});

describe('a peer withdraws a key', () => {
  it('the status lists it signed leave the re-served bundle, so no sync is refused for them', async () => {
    const nanjing = (await json(js.call('GET', `/v1/trust/authorities/${enc(NANJING)}`))).keys[0].kid as string;
    clock.advance(2000);
    await json(js.call('POST', `/v1/trust/authorities/${enc(NANJING)}/keys/${nanjing}/withdraw`, { body: { reason: 'compromise' } }), 200);
    await json(js.call('POST', '/v1/trust/lists'), 201);
    const before = await bundleOf(zj);
    expect(before.statusLists.some((s) => payloadOf(s.jws).issuer.id === NANJING)).toBe(true);
    const report = await json(zj.call('POST', `/v1/trust/anchors/${enc(jsAnchorId)}/refresh`), 200);
    expect(report.stored.trustLists).toBe(1);
    const after = await bundleOf(zj);
    expect(after.statusLists.some((s) => payloadOf(s.jws).issuer.id === NANJING)).toBe(false);
    const result = await verify(business.credential, after, { anchors: await anchorOf(zj), now: clock.now() });
    expect(result.verdict).toBe('UNTRUSTED_ISSUER');
  });
});

describe('the service keeps its own promises', () => {
  it('refuses to issue a type the register does not authorise, naming the type and the authority', async () => {
    await json(zj.call('PATCH', `/v1/trust/authorities/${enc(HANGZHOU)}`, { body: { licenceTypes: ['BusinessLicence'] } }), 200);
    const refused = await unchanged(zj, () => json(zj.call('POST', '/v1/licences', { body: { type: 'FoodBusinessLicence', subject: foodSubject() } }), 403));
    expect(refused.error).toMatchObject({ code: 'ERR_TYPE_NOT_AUTHORISED', field: 'type' });
    expect(refused.error.message).toContain('FoodBusinessLicence');
    expect(refused.error.message).toContain(HANGZHOU);
    await issue(zj, 'BusinessLicence', businessSubject());
    await json(zj.call('PATCH', `/v1/trust/authorities/${enc(HANGZHOU)}`, { body: { licenceTypes: ['BusinessLicence', 'FoodBusinessLicence'] } }), 200);
    await issue(zj, 'FoodBusinessLicence', foodSubject());
  });

  it('a deployment under an upstream anchor issues by its newest accepted list, and with a warning before it has one', async () => {
    city = await createTestContext({
      clock,
      fetch: router,
      config: { publicUrl: NB, upstreamAnchor: { bundleUrl: `${ZJ}/verifier-bundle`, anchor: (await anchorOf(zj)) as never } },
    });
    apps.set('nb.test', city);
    expect((await city.call('GET', '/.well-known/trust-anchor.json', { token: null })).status).toBe(404); // not an anchor
    await issue(city, 'FoodBusinessLicence', foodSubject()); // no list yet: issued, with a warning in the log
    // Zhejiang lists Ningbo (registered above with another key) for business licences only; give it the real keys.
    await json(
      zj.call('POST', `/v1/trust/authorities/${enc('did:web:nb.test:authorities:dev-city')}/keys/refresh`, {
        body: { jwksUrl: `${NB}/authorities/dev-city/did.json`, validFrom: '2026-01-01T00:00:00Z' },
      }),
      200,
    );
    const [report] = await refreshAllPeers(city.deps);
    expect(report).toMatchObject({ outcome: 'updated' });
    expect(report!.stored.trustLists).toBeGreaterThanOrEqual(1);
    const refused = await json(city.call('POST', '/v1/licences', { body: { type: 'FoodBusinessLicence', subject: foodSubject() } }), 403);
    expect(refused.error.code).toBe('ERR_TYPE_NOT_AUTHORISED');
    const ok = await issue(city, 'BusinessLicence', businessSubject());
    const envelope = {
      verifiableCredential: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: 'EnvelopedVerifiableCredential', id: `data:application/vc+jwt,${ok.credential}` },
    };
    expect(await json(city.call('POST', '/credentials/verify', { token: null, body: envelope }), 200)).toMatchObject({ verified: true });
    // Its bundle re-serves its anchor's list, so its inspectors sync from it alone.
    const bundle = await bundleOf(city);
    expect((await verify(ok.credential, bundle, { anchors: await anchorOf(zj), now: clock.now() })).verdict).toBe('VALID');
  });

  it('removing a peer takes it out of the next list and its pieces out of the bundle', async () => {
    const before = await bundleOf(zj);
    expect(before.trustLists.some((t) => payloadOf(t.jws).id === jsAnchorId)).toBe(true);
    expect((await zj.call('DELETE', `/v1/trust/anchors/${enc(jsAnchorId)}`)).status).toBe(204);
    const list = await json(zj.call('GET', '/trust-list', { token: null, headers: { Accept: 'application/json' } }));
    expect(list.federatedAnchors).toEqual([]);
    const after = await bundleOf(zj);
    expect(after.trustLists.some((t) => payloadOf(t.jws).id === jsAnchorId)).toBe(false);
    expect(after.statusLists.some((s) => payloadOf(s.jws).issuer.id === NANJING)).toBe(false);
    expect((await verify(business.credential, after, { anchors: await anchorOf(zj), now: clock.now() })).verdict).toBe('UNTRUSTED_ISSUER');
    await json(zj.call('GET', `/v1/trust/anchors/${enc(jsAnchorId)}`), 404);
  });

  it('a token revokes only tokens within what it holds, and never the last one holding anchor', async () => {
    const foodAdmin = await json<{ id: string; token: string }>(
      zj.call('POST', '/v1/tokens', { body: { name: 'food admin', actions: ['admin', 'issue'], licenceTypes: ['FoodBusinessLicence'] } }),
      201,
    );
    const tokens = (await json(zj.call('GET', '/v1/tokens'))).items as Array<{ id: string; actions: string[] }>;
    const dev = tokens.find((t) => t.actions.includes('anchor'))!;
    const denied = await unchanged(zj, () => json(zj.call('DELETE', `/v1/tokens/${dev.id}`, { token: foodAdmin.token }), 403));
    expect(denied.error.code).toBe('ERR_FORBIDDEN');
    const last = await unchanged(zj, () => json(zj.call('DELETE', `/v1/tokens/${dev.id}`), 409));
    expect(last.error.code).toBe('ERR_CONFLICT');
    const second = await json<{ id: string; token: string }>(
      zj.call('POST', '/v1/tokens', { body: { name: 'second anchor', actions: ['issue', 'status', 'read', 'admin', 'anchor'] } }),
      201,
    );
    // The food admin may revoke a token within its own scope, and the full token may revoke the second anchor token.
    const small = await json<{ id: string }>(zj.call('POST', '/v1/tokens', { body: { name: 'food issuer', actions: ['issue'], licenceTypes: ['FoodBusinessLicence'] } }), 201);
    const revoked = await zj.call('DELETE', `/v1/tokens/${small.id}`, { token: foodAdmin.token });
    expect(revoked.status, await revoked.text()).toBe(204);
    expect((await zj.call('DELETE', `/v1/tokens/${dev.id}`, { token: second.token })).status).toBe(204);
    expect((await zj.call('DELETE', `/v1/tokens/${second.id}`, { token: second.token })).status).toBe(409);
  });
});
