/**
 * The trust-anchor service over HTTP: the development anchor lists the development authority, lists
 * are signed by the published anchor keys, sequences only grow, lists expire, register changes (and
 * hosted key rotations) reach the next list, and the admin API checks scope, role and input.
 */

import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateSigningJwk } from '../src/core/jws-sign.js';
import { type TrustListPayload, verifyTrustList } from '../src/core/trust-list.js';
import { signingKeys } from '../src/db/schema.js';
import { authorityDid } from '../src/services/authorities.js';
import { createToken } from '../src/services/tokens.js';
import { DEFAULT_TRUST_LIST_TTL_MS } from '../src/services/trust/anchor.js';
import { ROTATION_OVERLAP_MS } from '../src/services/trust/hosted-keys.js';
import { createTestContext, TEST_PUBLIC_URL, type TestContext } from './helpers/app.js';

const DEV_DID = authorityDid(TEST_PUBLIC_URL, 'dev-city');
const path = (did: string, rest = '') => `/v1/trust/authorities/${encodeURIComponent(did)}${rest}`;

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

async function anchors(ctx = t) {
  const response = await ctx.call('GET', '/.well-known/trust-anchor.json', { token: null });
  expect(response.status).toBe(200);
  return (await response.json()) as { keys: Array<Record<string, unknown>> };
}

async function latestJws(ctx = t): Promise<string> {
  const response = await ctx.call('GET', '/trust-list', { token: null });
  expect(response.status).toBe(200);
  return response.text();
}

async function publish(body?: unknown) {
  const response = await t.call('POST', '/v1/trust/lists', body === undefined ? {} : { body });
  expect(response.status).toBe(201);
  return (await response.json()) as { sequence: number; issuedAt: string; expiresAt: string; jws: string };
}

async function payloadOf(jws: string): Promise<TrustListPayload> {
  return (await verifyTrustList(jws, { anchors: await anchors(), now: t.clock.now() })).payload;
}

async function newPublicJwks() {
  const { publicJwk, kid } = await generateSigningJwk('EdDSA');
  return { jwks: { keys: [{ ...publicJwk, kid, use: 'sig', alg: 'EdDSA' }] }, kid };
}

const NINGBO = 'did:web:nb.example:authorities:ningbo';
const ningbo = (extra: Record<string, unknown>) => ({
  id: NINGBO,
  name: { zh: '宁波市市场监督管理局', en: 'Ningbo Administration for Market Regulation' },
  jurisdiction: '330200',
  licenceTypes: ['BusinessLicence'],
  ...extra,
});

describe('development anchor', () => {
  it('publishes a first list naming the development authority, signed by the key in trust-anchor.json', async () => {
    const jwks = await anchors();
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');

    const response = await t.call('GET', '/trust-list', { token: null });
    expect(response.headers.get('content-type')).toBe('application/jwt');
    const list = await verifyTrustList(await response.text(), { anchors: jwks, now: t.clock.now() });
    expect(list.sequence).toBe(1);
    expect(list.anchorId).toBe('did:web:elicence.test:anchors:dev-anchor');
    const dev = list.authorities.get(DEV_DID)!;
    expect(dev.status).toBe('active');
    expect(dev.jurisdiction).toBe('330100');
    expect([...dev.licenceTypes].sort()).toEqual(['BusinessLicence', 'FoodBusinessLicence']);
    const [devKey] = await t.store.db.select().from(signingKeys).where(eq(signingKeys.ownerId, 'dev-city'));
    expect([...dev.keys.keys()]).toEqual([devKey!.kid]);
  });

  it('serves the JSON payload by Accept, with its own ETag, and 304 on If-None-Match', async () => {
    const jwt = await t.call('GET', '/trust-list', { token: null });
    const json = await t.call('GET', '/trust-list', { token: null, headers: { Accept: 'application/json' } });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    const payload = (await json.json()) as TrustListPayload;
    expect(payload.sequence).toBe(1);
    const etag = jwt.headers.get('etag')!;
    expect(etag).not.toBe(json.headers.get('etag'));
    const again = await t.call('GET', '/trust-list', { token: null, headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    // Serving does not publish: the same list comes back while nothing changed.
    expect(await latestJws()).toBe(await jwt.text());
  });
});

describe('publishing', () => {
  it('grows the sequence strictly, sets issue time and expiry, and verifiers refuse an older or expired list', async () => {
    const first = await latestJws();
    t.clock.advance(1000);
    const second = await publish();
    const third = await publish({ ttlSeconds: 3600 });
    expect([second.sequence, third.sequence]).toEqual([2, 3]);
    expect(Date.parse(second.expiresAt) - Date.parse(second.issuedAt)).toBe(DEFAULT_TRUST_LIST_TTL_MS);
    expect(Date.parse(third.expiresAt) - Date.parse(third.issuedAt)).toBe(3600_000);
    expect(Date.parse(third.issuedAt)).toBeGreaterThanOrEqual(Date.parse(second.issuedAt));

    const history = (await (await t.call('GET', '/v1/trust/lists')).json()) as { items: Array<{ sequence: number }> };
    expect(history.items.map((i) => i.sequence)).toEqual([3, 2, 1]);
    expect(await latestJws()).toBe(third.jws);

    const jwks = await anchors();
    await expect(verifyTrustList(first, { anchors: jwks, now: t.clock.now(), minSequence: 3 })).rejects.toMatchObject({ code: 'ERR_TRUST_LIST_REPLAYED' });
    const beyond = Date.parse(third.expiresAt) + 86_400_000 + 1000;
    await expect(verifyTrustList(third.jws, { anchors: jwks, now: beyond })).rejects.toMatchObject({ code: 'ERR_TRUST_LIST_EXPIRED' });
    // Inside the one-day grace period it is still accepted, marked as such.
    expect((await verifyTrustList(third.jws, { anchors: jwks, now: Date.parse(third.expiresAt) + 1000 })).inGrace).toBe(true);
  });

  it('republishes by itself once the latest list is past half its lifetime', async () => {
    await publish({ ttlSeconds: 3600 });
    t.clock.advance(29 * 60_000);
    expect((await payloadOf(await latestJws())).sequence).toBe(2);
    t.clock.advance(2 * 60_000);
    const fresh = await payloadOf(await latestJws());
    expect(fresh.sequence).toBe(3);
    expect(Date.parse(fresh.expiresAt) - Date.parse(fresh.issuedAt)).toBe(DEFAULT_TRUST_LIST_TTL_MS);
  });

  it('makes a withdrawal effective in the next list, not before', async () => {
    const before = await publish();
    const withdrawn = await t.call('POST', path(DEV_DID, '/withdraw'), { body: { reason: 'merged into another bureau' } });
    expect(withdrawn.status).toBe(200);
    expect(((await withdrawn.json()) as { status: string }).status).toBe('withdrawn');
    // Already published lists do not change.
    expect((await payloadOf(before.jws)).authorities[0]!.status).toBe('active');
    const history = (await (await t.call('GET', '/v1/trust/lists')).json()) as { items: Array<{ sequence: number }> };
    expect(history.items[0]!.sequence).toBe(before.sequence);
    const next = await publish();
    expect(next.sequence).toBe(before.sequence + 1);
    expect((await payloadOf(next.jws)).authorities.find((a) => a.id === DEV_DID)!.status).toBe('withdrawn');
    // Withdrawal is final.
    const reinstate = await t.call('POST', path(DEV_DID, '/reinstate'));
    expect(reinstate.status).toBe(409);
    expect(((await reinstate.json()) as { error: { code: string } }).error.code).toBe('ERR_ILLEGAL_TRANSITION');
  });

  it('suspends and reinstates; withdraws one key out of the next list', async () => {
    expect((await t.call('POST', path(DEV_DID, '/suspend'))).status).toBe(200);
    expect((await payloadOf((await publish()).jws)).authorities[0]!.status).toBe('suspended');
    expect((await t.call('POST', path(DEV_DID, '/reinstate'))).status).toBe(200);
    const [devKey] = await t.store.db.select().from(signingKeys).where(eq(signingKeys.ownerId, 'dev-city'));
    const response = await t.call('POST', path(DEV_DID, `/keys/${devKey!.kid}/withdraw`), { body: { reason: 'compromised' } });
    expect(response.status).toBe(200);
    const listed = (await payloadOf((await publish()).jws)).authorities[0]!;
    expect(listed.status).toBe('active');
    expect(listed.keys).toEqual([]);
    expect((await t.call('POST', path(DEV_DID, `/keys/${devKey!.kid}/withdraw`))).status).toBe(409);
    expect((await t.call('POST', path(DEV_DID, '/keys/nope/withdraw'))).status).toBe(404);
  });

  it('follows a hosted authority key rotation: both keys listed, the old one closing at the rotation', async () => {
    const first = await payloadOf(await latestJws());
    t.clock.advance(60_000);
    const rotated = await t.call('POST', '/v1/keys/rotate', { body: {} });
    expect(rotated.status).toBe(201);
    const newKid = ((await rotated.json()) as { kid: string }).kid;
    const rotatedAt = t.clock.now();
    // The register changed (a hosted key), so the next GET publishes without an explicit publish.
    const next = await payloadOf(await latestJws());
    expect(next.sequence).toBe(first.sequence + 1);
    const keys = next.authorities[0]!.keys;
    expect(keys.map((k) => k.jwk.kid)).toEqual([first.authorities[0]!.keys[0]!.jwk.kid, newKid]);
    expect(Date.parse(keys[0]!.validUntil!)).toBe(rotatedAt + ROTATION_OVERLAP_MS);
    expect(keys[1]!.validUntil).toBeUndefined();
    const register = (await (await t.call('GET', path(DEV_DID))).json()) as { keys: Array<{ kid: string }>; source: string };
    expect(register.keys.map((k) => k.kid)).toContain(newKid);
    expect(register.source).toBe('hosted:dev-city');
  });
});

describe('admin API guards', () => {
  it('needs a token with the admin scope', async () => {
    expect((await t.call('GET', '/v1/trust/authorities', { token: null })).status).toBe(401);
    const reader = await createToken(t.deps, { authorityId: 'dev-city', name: 'reader', actions: ['read', 'issue'] }, 'test');
    const response = await t.call('POST', '/v1/trust/lists', { token: reader.token, body: {} });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('ERR_FORBIDDEN');
  });

  it('needs the deployment to be a trust anchor; public anchor endpoints are 404 there', async () => {
    await t.store.db
      .update(signingKeys)
      .set({ status: 'retired' })
      .where(and(eq(signingKeys.ownerKind, 'anchor')));
    const admin = await t.call('GET', '/v1/trust/authorities');
    expect(admin.status).toBe(403);
    expect(((await admin.json()) as { error: { code: string; message: string } }).error.message).toMatch(/not a trust anchor/);
    expect((await t.call('GET', '/trust-list', { token: null })).status).toBe(404);
    expect((await t.call('GET', '/.well-known/trust-anchor.json', { token: null })).status).toBe(404);
    // The bundle still carries what this deployment hosts (status lists), with no trust list.
    const bundle = (await (await t.call('GET', '/verifier-bundle', { token: null })).json()) as { trustLists: unknown[] };
    expect(bundle.trustLists).toEqual([]);
  });
});

describe('adding authorities', () => {
  async function add(body: unknown) {
    const response = await t.call('POST', '/v1/trust/authorities', { body });
    return { status: response.status, body: (await response.json()) as { error?: { code: string; field?: string }; keys?: Array<{ kid: string; validFrom: string }> } };
  }

  it('adds from an inline JWKS and lists it in the next list with the given window', async () => {
    const { jwks, kid } = await newPublicJwks();
    const created = await add(ningbo({ jwks, validFrom: '2025-01-01T00:00:00Z' }));
    expect(created.status).toBe(201);
    expect(created.body.keys).toEqual([expect.objectContaining({ kid, validFrom: '2025-01-01T00:00:00Z' })]);
    const listed = (await payloadOf((await publish()).jws)).authorities.find((a) => a.id === NINGBO)!;
    expect(listed).toMatchObject({ jurisdiction: '330200', status: 'active', licenceTypes: ['BusinessLicence'] });
    expect(listed.keys[0]!.jwk.kid).toBe(kid);
    expect((await add(ningbo({ jwks }))).status).toBe(409);
    const updated = await t.call('PATCH', path(NINGBO), { body: { licenceTypes: ['BusinessLicence', 'FoodBusinessLicence'] } });
    expect(((await updated.json()) as { licenceTypes: string[] }).licenceTypes).toEqual(['BusinessLicence', 'FoodBusinessLicence']);
  });

  it('refuses bad input with typed errors and stores nothing', async () => {
    const { jwks } = await newPublicJwks();
    const { privateJwk } = await generateSigningJwk('ES256');
    const rsa = { keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB' }] };
    const cases: Array<[unknown, string, string | RegExp]> = [
      [ningbo({ jwks, jurisdiction: '330299x' }), 'ERR_VALIDATION', 'jurisdiction'],
      [ningbo({ jwks, jurisdiction: '990200' }), 'ERR_VALIDATION', 'jurisdiction'],
      [ningbo({ jwks, jurisdiction: '330012' }), 'ERR_VALIDATION', 'jurisdiction'],
      [ningbo({ jwks, id: 'https://nb.example' }), 'ERR_VALIDATION', 'id'],
      [ningbo({ jwks, licenceTypes: ['Business Licence'] }), 'ERR_VALIDATION', 'licenceTypes[0]'],
      [ningbo({ jwks: { keys: [privateJwk] } }), 'ERR_JWKS_PRIVATE_KEY', 'jwks.keys[0].d'],
      [ningbo({ jwks: { keys: [jwks.keys[0], { ...privateJwk }] } }), 'ERR_JWKS_PRIVATE_KEY', 'jwks.keys[1].d'],
      [ningbo({ jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }), 'ERR_JWKS_PRIVATE_KEY', 'jwks.keys[0].k'],
      [ningbo({ jwks: rsa }), 'ERR_JWKS_INVALID', 'jwks.keys[0]'],
      [ningbo({ jwks: { keys: [] } }), 'ERR_JWKS_INVALID', 'jwks'],
      [ningbo({ jwks: { nothing: true } }), 'ERR_JWKS_INVALID', 'jwks'],
      [ningbo({ jwks: { keys: [{ ...jwks.keys[0], kid: 'my-key-1' }] } }), 'ERR_JWKS_INVALID', 'jwks.keys[0].kid'],
      [ningbo({ jwks: { keys: [{ ...jwks.keys[0], x: 'AAAA' }] } }), 'ERR_JWKS_INVALID', 'jwks.keys[0]'],
      [ningbo({ jwks: { keys: [{ ...jwks.keys[0], alg: 'ES256' }] } }), 'ERR_JWKS_INVALID', 'jwks.keys[0].alg'],
      [ningbo({}), 'ERR_VALIDATION', 'jwks'],
      [ningbo({ jwks, jwksUrl: 'https://nb.example/jwks.json' }), 'ERR_VALIDATION', 'jwksUrl'],
      [ningbo({ jwksUrl: 'http://nb.example/jwks.json' }), 'ERR_VALIDATION', 'jwksUrl'],
      [ningbo({ jwksUrl: 'file:///etc/passwd' }), 'ERR_VALIDATION', 'jwksUrl'],
    ];
    for (const [body, code, field] of cases) {
      const result = await add(body);
      expect(result.status, JSON.stringify(body).slice(0, 120)).toBe(400);
      expect(result.body.error).toMatchObject({ code, field });
    }
    const register = (await (await t.call('GET', '/v1/trust/authorities')).json()) as { items: Array<{ id: string }> };
    expect(register.items.map((i) => i.id)).toEqual([DEV_DID]);
  });

  describe('from a URL', () => {
    let server: ServerType;
    let base: string;
    let served: unknown;
    afterAll(() => server?.close());

    it('fetches a JWKS (or did:web document), and reports an unreachable or broken source', async () => {
      server = serve({
        fetch: (req) => (new URL(req.url).pathname === '/jwks.json' ? Response.json(served) : new Response('no', { status: 404 })),
        port: 0,
        hostname: '127.0.0.1',
      });
      await new Promise((resolve) => server.once('listening', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const { jwks, kid } = await newPublicJwks();
      served = { '@context': ['https://www.w3.org/ns/did/v1'], id: NINGBO, verificationMethod: [{ id: `${NINGBO}#${kid}`, type: 'JsonWebKey2020', publicKeyJwk: jwks.keys[0] }] };
      const created = await add(ningbo({ jwksUrl: `${base}/jwks.json` }));
      expect(created.status).toBe(201);
      expect(created.body.keys!.map((k) => k.kid)).toEqual([kid]);

      const missing = await add(ningbo({ id: `${NINGBO}2`, jwksUrl: `${base}/missing.json` }));
      expect(missing.body.error).toMatchObject({ code: 'ERR_JWKS_FETCH_FAILED', field: 'jwksUrl' });
      served = { keys: [(await generateSigningJwk()).privateJwk] };
      const leaked = await add(ningbo({ id: `${NINGBO}3`, jwksUrl: `${base}/jwks.json` }));
      expect(leaked.body.error).toMatchObject({ code: 'ERR_JWKS_PRIVATE_KEY' });
      // A source answering with a flood is cut off at the size limit, not buffered whole.
      served = { keys: [], padding: 'x'.repeat(2 * 1024 * 1024) };
      const flood = await add(ningbo({ id: `${NINGBO}4`, jwksUrl: `${base}/jwks.json` }));
      expect(flood.body.error).toMatchObject({ code: 'ERR_JWKS_INVALID', field: 'jwksUrl' });
      expect(JSON.stringify(flood.body)).toContain('larger than');

      // A remote rotation: refresh re-reads the URL; the old key's window closes, the new one opens.
      const rotated = await newPublicJwks();
      served = rotated.jwks;
      t.clock.advance(60_000);
      const refreshed = await t.call('POST', path(NINGBO, '/keys/refresh'), { body: {} });
      expect(refreshed.status).toBe(200);
      const keys = ((await refreshed.json()) as { keys: Array<{ kid: string; validUntil: string | null }> }).keys;
      expect(keys).toEqual([expect.objectContaining({ kid, validUntil: expect.any(String) }), expect.objectContaining({ kid: rotated.kid, validUntil: null })]);
    });
  });
});
