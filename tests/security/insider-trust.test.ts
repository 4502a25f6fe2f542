/**
 * Insiders of cross-province trust (docs/trust-anchor.md "Federation"): Zhejiang (anchor A, hosting
 * Hangzhou = dev-city) registers Jiangsu (anchor B, hosting Nanjing) as a peer within a scope, fetches
 * Jiangsu's bundle in both protocols and re-serves it to its inspectors. Each test is one party holding
 * some trusted key or token trying to act beyond it; every test asserts the safe behaviour.
 * Setup as tests/federation.test.ts: two deployments in process, an injected fetch routing by host.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packBundle, parseBundle, type VerifierBundle } from '../../src/core/bundle.js';
import { fromBase64url, fromUtf8 } from '../../src/core/encoding.js';
import { generateSigningJwk, signCompact } from '../../src/core/jws-sign.js';
import { Bitstring, buildStatusListCredential, encodeStatusList } from '../../src/core/status-list.js';
import { buildStatusPatch, signStatusPatch } from '../../src/core/status-patch.js';
import { encodeStatusCopy } from '../../src/core/status-set.js';
import { auditLog, peerAnchors, peerPieces, peerStatus, trustRegistry } from '../../src/db/schema.js';
import { authorityDid } from '../../src/services/authorities.js';
import { activeSigner } from '../../src/services/keys.js';
import { pieceUpsert, statusPieceKey } from '../../src/services/trust/peer-pieces.js';
import { verify } from '../../verifier/index.js';
import { businessSubject, createTestContext, manualClock, type TestContext } from '../helpers/app.js';
import { freshCreditCode } from '../shared/subjects.js';

const clock = manualClock('2026-06-01T10:00:00Z');
const ZJ = 'https://zj.test';
const JS = 'https://js.test';
const HANGZHOU = authorityDid(ZJ, 'dev-city');
const NANJING = authorityDid(JS, 'nanjing');
const enc = encodeURIComponent;

/** Jiangsu's answers, when a test plays its operator: rewrite either protocol's bundle, or answer instead. */
let rewriteFirst: ((bundle: VerifierBundle) => VerifierBundle) | undefined;
let rewritePatches: ((bundle: VerifierBundle) => VerifierBundle) | undefined;
let answerPatches: ((request: Request) => Promise<Response>) | undefined;
const apps = new Map<string, TestContext>();

const router: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const url = new URL(request.url);
  const target = apps.get(url.host);
  if (!target) throw new TypeError(`fetch failed: no host ${url.host}`);
  const patches = url.searchParams.get('patches') === '1' || request.method === 'POST';
  if (url.host === 'js.test' && patches && answerPatches) return answerPatches(request);
  const rewrite = url.host === 'js.test' ? (patches ? rewritePatches : rewriteFirst) : undefined;
  const headers = new Headers(request.headers);
  if (rewrite) {
    // Armed, Jiangsu's operator answers in full whatever was asked.
    headers.delete('if-none-match');
    url.searchParams.delete('since');
  }
  const body = request.method === 'POST' ? await request.text() : undefined;
  const response = await target.app.request(url.href, { method: request.method, headers, ...(body === undefined ? {} : { body }) });
  if (!rewrite || response.status !== 200) return response;
  return new Response(JSON.stringify(packBundle(rewrite(parseBundle(await response.text())))), { status: 200, headers: response.headers });
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
const payloadOf = (jws: string) => JSON.parse(fromUtf8(fromBase64url(jws.split('.')[1]!)!)) as Record<string, any>;
const refresh = () => json(zj.call('POST', `/v1/trust/anchors/${enc(jsAnchorId)}/refresh`), 200);
const issue = (t: TestContext) => json<{ id: string; credential: string }>(t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } }), 201);

async function bundleOf(t: TestContext, query = ''): Promise<VerifierBundle> {
  const response = await t.call('GET', `/verifier-bundle${query}`, { token: null });
  expect(response.status).toBe(200);
  return parseBundle(await response.text());
}

/** Everything a refused request must leave as it was: the trust and peer registers, peer data, the audit trail. */
async function snapshot(t: TestContext): Promise<string> {
  const db = t.store.db;
  return JSON.stringify([
    await db.select().from(trustRegistry),
    await db.select().from(peerAnchors),
    await db.select().from(peerPieces),
    await db.select().from(peerStatus),
    (await db.select().from(auditLog)).length,
  ]);
}

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
  jsAnchorId = (await anchorOf(js)).anchorId;
  await json(
    zj.call('POST', '/v1/trust/anchors', {
      body: {
        id: jsAnchorId,
        name: { zh: '江苏省市场监督管理局', en: 'Jiangsu AMR' },
        jwksUrl: `${JS}/.well-known/trust-anchor.json`,
        bundleUrl: `${JS}/verifier-bundle`,
        scope: { issuerPrefixes: ['did:web:js.test:'], jurisdictions: ['32'], licenceTypes: ['BusinessLicence'] },
      },
    }),
    201,
  );
});
afterEach(() => {
  rewriteFirst = rewritePatches = answerPatches = undefined;
});
afterAll(() => {
  for (const t of [zj, js]) t?.close();
});

describe("Zhejiang's anchor operator registers a peer whose namespace is another's in disguise", () => {
  let n = 0;
  // A fresh anchor id each time, so a refusal can only be about the namespace.
  const anhui = async (issuerPrefixes: string[]) => ({
    id: `did:web:ah${++n}.test:anchors:anhui`,
    name: { zh: '安徽', en: 'Anhui' },
    keys: { keys: [(await generateSigningJwk('EdDSA')).publicJwk] },
    bundleUrl: 'https://ah.test/verifier-bundle',
    scope: { issuerPrefixes, jurisdictions: ['34'] },
  });

  // did:web hosts are DNS names (case-insensitive), a port is percent-encoded (either case of hex), and
  // :443 or a trailing dot name the same https origin: each of these is Zhejiang's or Jiangsu's namespace.
  it.each([
    ['own host, upper case', 'did:web:ZJ.test:'],
    ['own host, explicit :443', 'did:web:zj.test%3A443:'],
    ['own host, trailing dot', 'did:web:zj.test.:'],
    ["Jiangsu's host, mixed case", 'did:web:Js.Test:authorities:'],
    ["Jiangsu's host, lower-case %3a443", 'did:web:js.test%3a443:'],
  ])('%s (%s) is refused with nothing stored', async (_name, prefix) => {
    const before = await snapshot(zj);
    const response = await zj.call('POST', '/v1/trust/anchors', { body: await anhui([prefix]) });
    expect(response.status, await response.clone().text()).toBe(409);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('ERR_CONFLICT');
    expect(await snapshot(zj)).toBe(before);
  });

  it('a prefix that is not DID syntax (a Cyrillic look-alike host) is refused', async () => {
    const before = await snapshot(zj);
    const response = await zj.call('POST', '/v1/trust/anchors', { body: await anhui(['did:web:zj.tеst:']) });
    expect(response.status).toBe(400);
    expect(await snapshot(zj)).toBe(before);
  });

  it("a PATCH cannot move Jiangsu's namespace onto Zhejiang's by case either", async () => {
    const before = await snapshot(zj);
    const response = await zj.call('PATCH', `/v1/trust/anchors/${enc(jsAnchorId)}`, { body: { scope: { issuerPrefixes: ['did:web:ZJ.TEST:'], jurisdictions: ['32'] } } });
    expect(response.status).toBe(409);
    expect(await snapshot(zj)).toBe(before);
  });

  it("an authority registered in Jiangsu's namespace by case is refused", async () => {
    const before = await snapshot(zj);
    const response = await zj.call('POST', '/v1/trust/authorities', {
      body: {
        id: 'did:web:JS.test:authorities:nanjing',
        name: { zh: '南京', en: 'Nanjing' },
        jurisdiction: '320100',
        licenceTypes: ['BusinessLicence'],
        jwks: { keys: [(await generateSigningJwk('EdDSA')).publicJwk] },
      },
    });
    expect(response.status).toBe(409);
    expect(await snapshot(zj)).toBe(before);
  });
});

describe('a token of a city without the anchor scope', () => {
  it('cannot change the peer register, nor refresh a peer, nor publish a list', async () => {
    // Every scope but anchor: a city's full administrator.
    const admin = await json<{ token: string }>(zj.call('POST', '/v1/tokens', { body: { name: 'city admin', actions: ['issue', 'status', 'read', 'admin'] } }), 201);
    const before = await snapshot(zj);
    const peer = `/v1/trust/anchors/${enc(jsAnchorId)}`;
    const attempts: Array<[string, string, unknown]> = [
      ['PATCH', peer, { scope: { issuerPrefixes: ['did:web:zj.test:'], jurisdictions: ['33'] } }],
      ['DELETE', peer, undefined],
      ['POST', `${peer}/refresh`, undefined],
      ['PATCH', `/v1/trust/authorities/${enc(HANGZHOU)}`, { licenceTypes: ['BusinessLicence'] }],
      ['POST', `/v1/trust/authorities/${enc(HANGZHOU)}/withdraw`, { reason: 'takeover' }],
      ['POST', '/v1/trust/lists', {}],
    ];
    for (const [method, path, body] of attempts) {
      const response = await zj.call(method, path, { token: admin.token, ...(body === undefined ? {} : { body }) });
      expect(response.status, `${method} ${path}`).toBe(403);
    }
    expect(await snapshot(zj)).toBe(before);
  });
});

describe("Jiangsu's operator, with Nanjing's key (in scope), names Hangzhou's status list URLs", () => {
  let hangzhou: { id: string; credential: string };
  let revocationUrl: string;
  let nanjingLicence: string;

  beforeAll(async () => {
    hangzhou = await issue(zj);
    const entry = (payloadOf(hangzhou.credential).credentialStatus as Array<Record<string, string>>).find((e) => e.statusPurpose === 'revocation')!;
    revocationUrl = entry.statusListCredential!;
    expect(revocationUrl.startsWith(`${ZJ}/status/`)).toBe(true);
    // A Nanjing licence whose revocation entry points at Hangzhou's list, signed with Nanjing's genuine key.
    const genuine = payloadOf((await issue(js)).credential);
    const signer = await activeSigner(js.deps, { kind: 'authority', id: 'nanjing' });
    const status = (genuine.credentialStatus as Array<Record<string, string>>).map((e) =>
      e.statusPurpose === 'revocation' ? { ...e, id: `${revocationUrl}#7`, statusListCredential: revocationUrl, statusListIndex: '7' } : e,
    );
    nanjingLicence = await signCompact(signer, { ...genuine, credentialStatus: status }, 'vc+jwt', 'vc');
    await refresh();
  });

  /** What an inspector who scanned the Nanjing licence first then makes of Hangzhou's: its memory is per list URL. */
  async function hangzhouAfterNanjing(bundle: VerifierBundle): Promise<string> {
    const options = { anchors: await anchorOf(zj), now: clock.now() };
    const first = await verify(nanjingLicence, bundle, options);
    const seen = Object.fromEntries(first.statusLists.map((l) => [l.url, l.issuedAt]));
    const versions = Object.fromEntries(first.statusLists.filter((l) => l.version !== undefined).map((l) => [l.url, l.version!]));
    return (await verify(hangzhou.credential, bundle, { ...options, statusListsSeen: seen, statusVersionsSeen: versions })).verdict;
  }

  it('W3C lists "of Nanjing" at Hangzhou\'s URL, or at a third province\'s, are refused, never re-served', async () => {
    clock.advance(60_000);
    const signer = await activeSigner(js.deps, { kind: 'authority', id: 'nanjing' });
    const squat = async (url: string) =>
      signCompact(
        signer,
        buildStatusListCredential({
          url,
          issuer: { id: NANJING, name: '南京市市场监督管理局' },
          purpose: 'revocation',
          encodedList: await encodeStatusList(new Bitstring(131_072)),
          issuedAt: new Date(clock.now()),
          validUntil: new Date(clock.now() + 86_400_000),
          ttlMs: 300_000,
        }),
        'vc+jwt',
        'vc',
      );
    const anhuiUrl = 'https://ah.test/status/hefei/revocation/1';
    const squatting = [
      { url: revocationUrl, jws: await squat(revocationUrl) },
      { url: anhuiUrl, jws: await squat(anhuiUrl) },
    ];
    rewriteFirst = (bundle) => ({ ...bundle, statusLists: [...bundle.statusLists, ...squatting.map((p) => ({ ...p, fetchedAt: bundle.generatedAt }))] });
    const report = await refresh();
    rewriteFirst = undefined;
    expect(report.refused.filter((r: string) => r.includes('ERR_ISSUER_OUT_OF_SCOPE'))).toHaveLength(2);
    expect((await zj.store.db.select().from(peerPieces)).map((p) => p.jws)).not.toContain(squatting[0]!.jws);
    // Nor served if stored before this check existed.
    await zj.store.commit([
      pieceUpsert(zj.store, {
        key: statusPieceKey(NANJING, revocationUrl),
        peerId: jsAnchorId,
        kind: 'status-list',
        url: revocationUrl,
        jws: squatting[0]!.jws,
        sequence: null,
        issuer: NANJING,
        kid: signer.kid,
        signedAt: clock.now(),
        expiresAt: clock.now() + 86_400_000,
        receivedAt: clock.now(),
      }),
    ]);
    const bundle = await bundleOf(zj);
    expect(bundle.statusLists.map((s) => s.jws)).not.toContain(squatting[0]!.jws);
    expect(await hangzhouAfterNanjing(bundle)).toBe('VALID');
  });

  it('a manifest "of Nanjing" attesting Hangzhou\'s list at version 2,000,000,000 is refused, never re-served', async () => {
    clock.advance(60_000);
    const signer = await activeSigner(js.deps, { kind: 'authority', id: 'nanjing' });
    const after = { size: 131_072, set: Uint32Array.from([]) };
    const manifest = await signStatusPatch(
      signer,
      await buildStatusPatch({
        issuer: NANJING,
        base: `${ZJ}/status/`,
        issuedAt: new Date(clock.now()),
        changed: [],
        unchanged: [{ url: revocationUrl, version: 2_000_000_000, list: after }],
      }),
    );
    const copy = encodeStatusCopy(revocationUrl, after);
    rewritePatches = (bundle) => ({ ...bundle, statusCopies: [...(bundle.statusCopies ?? []), { jws: manifest, fetchedAt: bundle.generatedAt, lists: [copy] }] });
    const report = await refresh();
    rewritePatches = undefined;
    expect(report.refused.join(' ')).toContain('ERR_ISSUER_OUT_OF_SCOPE');
    expect((await zj.store.db.select().from(peerStatus)).map((r) => r.jws)).not.toContain(manifest);
    // Nor served if stored before this check existed.
    const at = clock.now();
    const row = { peerId: jsAnchorId, issuer: NANJING, jws: manifest, signedAt: at, receivedAt: at, firstReceivedAt: at };
    await zj.store.commit([
      zj.store.db.insert(peerStatus).values({ ...row, key: `copy:${NANJING} ${revocationUrl}`, kind: 'copy', url: revocationUrl, copyJson: JSON.stringify(copy) }),
      zj.store.db.insert(peerStatus).values({ ...row, key: 'patch:squatting', kind: 'patch', url: null, copyJson: null }),
    ]);
    const bundle = await bundleOf(zj, '?patches=1');
    expect([...(bundle.statusCopies ?? []), ...(bundle.statusPatches ?? [])].map((g) => g.jws)).not.toContain(manifest);
    expect(await hangzhouAfterNanjing(bundle)).toBe('VALID');
  });

  // Runs after a refused piece: the next fetch must be a full one, not `since=null` (which the peer refuses with 400 for good).
  it("after a refused piece, Nanjing's next revocation still reaches Zhejiang's inspectors in the patch protocol", async () => {
    const licence = await issue(js);
    clock.advance(60_000);
    await bundleOf(js, '?patches=1');
    await refresh();
    const options = { anchors: await anchorOf(zj), now: clock.now() };
    expect((await verify(licence.credential, await bundleOf(zj, '?patches=1'), options)).verdict).toBe('VALID');
    expect((await js.call('POST', `/v1/licences/${licence.id}/revoke`, { body: { reason: 'penalty' } })).status).toBe(200);
    clock.advance(60_000);
    await bundleOf(js, '?patches=1'); // Jiangsu signs its tail
    const report = await refresh();
    expect(report.stored.statusPatches).toBeGreaterThan(0);
    expect((await verify(licence.credential, await bundleOf(zj, '?patches=1'), { ...options, now: clock.now() })).verdict).toBe('REVOKED');
  });
});

describe("Jiangsu's patch-protocol answers that are slow, huge or redirect", () => {
  it('change nothing stored', async () => {
    await refresh();
    const before = JSON.stringify(await zj.store.db.select().from(peerStatus).orderBy(peerStatus.key));
    const answers: Array<[string, (request: Request) => Promise<Response>]> = [
      ['redirect', async () => new Response(null, { status: 302, headers: { Location: 'https://evil.test/verifier-bundle?patches=1' } })],
      ['too big', async () => new Response(new Uint8Array(70 * 1024 * 1024), { status: 200, headers: { 'Elicence-Bundle-Form': 'patches' } })],
      ['slow', (request) => new Promise((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason)))],
    ];
    for (const [name, answer] of answers) {
      answerPatches = answer;
      clock.advance(1000);
      const report = await refresh();
      expect(report.stored.statusPatches ?? 0, name).toBe(0);
      const rows = (await zj.store.db.select().from(peerStatus).orderBy(peerStatus.key)).filter((r) => r.kind !== 'sync');
      expect(JSON.stringify(rows), name).toBe(JSON.stringify(JSON.parse(before).filter((r: { kind: string }) => r.kind !== 'sync')));
      const peer = await json(zj.call('GET', `/v1/trust/anchors/${enc(jsAnchorId)}`));
      expect(peer.sync.lastError, name).toContain('status patches');
    }
    answerPatches = undefined;
  });
});

describe("Jiangsu's operator replays Nanjing's older status data to undo a revocation", () => {
  it('the older W3C lists, copies and patches leave the revocation in what Zhejiang re-serves', async () => {
    const licence = await issue(js);
    clock.advance(60_000);
    await refresh();
    const [oldFirst, oldPatches] = [await bundleOf(js), await bundleOf(js, '?patches=1')];
    clock.advance(60_000);
    expect((await js.call('POST', `/v1/licences/${licence.id}/revoke`, { body: { reason: 'penalty' } })).status).toBe(200);
    await bundleOf(js); // Jiangsu signs its lists and its tail now
    await bundleOf(js, '?patches=1');
    clock.advance(60_000);
    await refresh();
    const options = { anchors: await anchorOf(zj), now: clock.now() };
    expect((await verify(licence.credential, await bundleOf(zj), options)).verdict).toBe('REVOKED');
    expect((await verify(licence.credential, await bundleOf(zj, '?patches=1'), options)).verdict).toBe('REVOKED');

    // Jiangsu answers with what it served before the revocation, in both protocols.
    clock.advance(60_000);
    rewriteFirst = (bundle) => ({ ...bundle, statusLists: oldFirst.statusLists });
    rewritePatches = (bundle) => ({ ...bundle, statusCopies: oldPatches.statusCopies ?? [], statusPatches: oldPatches.statusPatches ?? [] });
    await refresh();
    rewriteFirst = rewritePatches = undefined;
    const after = { ...options, now: clock.now() };
    expect((await verify(licence.credential, await bundleOf(zj), after)).verdict).toBe('REVOKED');
    expect((await verify(licence.credential, await bundleOf(zj, '?patches=1'), after)).verdict).toBe('REVOKED');
  });
});

describe("Zhejiang's operator narrows Jiangsu's scope", () => {
  it("Nanjing's stored status data leaves the bundle at once, in both protocols, before any refresh", async () => {
    const nanjingUrls = (bundle: VerifierBundle) => [
      ...bundle.statusLists.filter((s) => payloadOf(s.jws).issuer.id === NANJING),
      ...(bundle.statusCopies ?? []).flatMap((g) => g.lists).filter((l) => l.url.startsWith(`${JS}/`)),
    ];
    expect(nanjingUrls(await bundleOf(zj)).length).toBeGreaterThan(0);
    expect(nanjingUrls(await bundleOf(zj, '?patches=1')).length).toBeGreaterThan(0);
    // Wuxi (3202) only: Nanjing (320100) is outside.
    await json(zj.call('PATCH', `/v1/trust/anchors/${enc(jsAnchorId)}`, { body: { scope: { issuerPrefixes: ['did:web:js.test:'], jurisdictions: ['3202'] } } }), 200);
    expect(nanjingUrls(await bundleOf(zj))).toEqual([]);
    expect(nanjingUrls(await bundleOf(zj, '?patches=1'))).toEqual([]);
    expect((await bundleOf(zj, '?patches=1')).statusPatches?.filter((p) => payloadOf(p.jws).issuer === NANJING)).toEqual([]);
  });
});
