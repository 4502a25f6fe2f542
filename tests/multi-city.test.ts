/**
 * Cross-city acceptance end to end, over real HTTP on loopback: a Zhejiang deployment (trust anchor,
 * hosting Hangzhou 330100 and Ningbo 330200) and a Jiangsu deployment (its own anchor, hosting Nanjing
 * 320100). A Hangzhou licence verifies offline with the bundle fetched from Ningbo's side; a key
 * rotation in Hangzhou keeps old licences valid; withdrawing Hangzhou at the anchor makes its licences
 * untrusted after the bundle refresh; a Nanjing licence verifies once the inspector also pins the
 * Jiangsu anchor and merges its bundle (federation by pinning, docs/trust-anchor.md).
 */

import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app/app.js';
import { type AppConfig, type AppDeps, defaultConfig } from '../src/app/deps.js';
import type { VerifierBundle } from '../src/core/bundle.js';
import { creditCodeCheckCharacter } from '../src/core/credit-code.js';
import { fromBase64url, fromUtf8 } from '../src/core/encoding.js';
import { signCompact } from '../src/core/jws-sign.js';
import { openSqliteStore } from '../src/node/sqlite-store.js';
import { authorityDid, createAuthority } from '../src/services/authorities.js';
import { bootstrap } from '../src/services/bootstrap.js';
import type { AnchorSettings } from '../src/services/ports.js';
import { ACTIONS, createToken } from '../src/services/tokens.js';
import { type VerifyResult, verify } from '../verifier/index.js';
import { businessSubject, manualClock } from './helpers/app.js';
import { createMemoryKeyStore } from './helpers/memory-key-store.js';
import { freshCreditCode } from './shared/subjects.js';

const clock = manualClock('2026-06-01T00:00:00Z');

interface Instance {
  base: string;
  deps: AppDeps;
  adminToken: string;
  tokens: Record<string, string>;
  server: ServerType;
  close(): void;
}

async function startInstance(publicUrl: string, anchor: AnchorSettings, cities: Array<{ id: string; zh: string; en: string; jurisdiction: string }>): Promise<Instance> {
  const store = openSqliteStore(':memory:');
  const config = { ...defaultConfig(publicUrl), anchor } as AppConfig;
  const deps: AppDeps = { store, keys: createMemoryKeyStore(), clock, config };
  const setup = await bootstrap(deps);
  const tokens: Record<string, string> = {};
  for (const city of cities) {
    await createAuthority(deps, { id: city.id, name: { zh: city.zh, en: city.en }, jurisdiction: city.jurisdiction, creditCode: freshCreditCode() }, 'test');
    tokens[city.id] = (await createToken(deps, { authorityId: city.id, name: city.id, actions: [...ACTIONS] }, 'test')).token;
  }
  const app = createApp(deps);
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    deps,
    adminToken: setup.token!,
    tokens,
    server,
    close: () => {
      server.close();
      store.close();
    },
  };
}

async function http(instance: Instance, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  return fetch(`${instance.base}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
}

async function ok<T>(response: Promise<Response>, status = 200): Promise<T> {
  const r = await response;
  if (r.status !== status) throw new Error(`${r.url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

const headerOf = (jws: string) => JSON.parse(fromUtf8(fromBase64url(jws.split('.')[0]!)!)) as { kid: string };
const payloadOf = (jws: string) => JSON.parse(fromUtf8(fromBase64url(jws.split('.')[1]!)!)) as Record<string, unknown>;
const check = (result: VerifyResult, name: string) => result.checks.find((c) => c.name === name)!;
const creditCode = (first17: string) => first17 + creditCodeCheckCharacter(first17)!;
const merge = (a: VerifierBundle, b: VerifierBundle): VerifierBundle => ({
  ...a,
  trustLists: [...a.trustLists, ...b.trustLists],
  statusLists: [...a.statusLists, ...b.statusLists],
});

let zj: Instance;
let js: Instance;

beforeAll(async () => {
  zj = await startInstance('https://zj.example', { name: { zh: '浙江省市场监督管理局', en: 'Zhejiang Administration for Market Regulation' }, jurisdiction: '330000' }, [
    { id: 'hangzhou', zh: '杭州市市场监督管理局', en: 'Hangzhou AMR', jurisdiction: '330100' },
    { id: 'ningbo', zh: '宁波市市场监督管理局', en: 'Ningbo AMR', jurisdiction: '330200' },
  ]);
  js = await startInstance('https://js.example', { name: { zh: '江苏省市场监督管理局', en: 'Jiangsu Administration for Market Regulation' }, jurisdiction: '320000' }, [
    { id: 'nanjing', zh: '南京市市场监督管理局', en: 'Nanjing AMR', jurisdiction: '320100' },
  ]);
});
afterAll(() => {
  zj?.close();
  js?.close();
});

const HANGZHOU = authorityDid('https://zj.example', 'hangzhou');
const NINGBO = authorityDid('https://zj.example', 'ningbo');
const NANJING = authorityDid('https://js.example', 'nanjing');
const TYPES = ['BusinessLicence', 'FoodBusinessLicence'];

async function issue(instance: Instance, city: string, creditCode = freshCreditCode()): Promise<string> {
  const body = await ok<{ credential: string }>(
    http(instance, 'POST', '/v1/licences', { token: instance.tokens[city]!, body: { type: 'BusinessLicence', subject: businessSubject({ creditCode }) } }),
    201,
  );
  return body.credential;
}

describe('two cities, one anchor, a second province', () => {
  let pinned: { keys: object[] };
  let licenceA: string;
  let licenceB: string;
  let bundleB: VerifierBundle;
  let etagB: string;

  async function bundleFromCityB(ifNoneMatch?: string): Promise<{ status: number; bundle?: VerifierBundle; etag: string }> {
    const response = await http(zj, 'GET', '/v1/verifier-bundle', { token: zj.tokens.ningbo!, ...(ifNoneMatch ? { headers: { 'If-None-Match': ifNoneMatch } } : {}) });
    return { status: response.status, etag: response.headers.get('etag')!, ...(response.status === 200 ? { bundle: (await response.json()) as VerifierBundle } : {}) };
  }

  it('the anchor registers both cities (Hangzhou from its did:web document over HTTP, Ningbo as hosted) and publishes', async () => {
    const hz = await ok<{ keys: Array<{ kid: string }>; source: string }>(
      http(zj, 'POST', '/v1/trust/authorities', {
        token: zj.adminToken,
        body: {
          id: HANGZHOU,
          name: { zh: '杭州市市场监督管理局', en: 'Hangzhou AMR' },
          jurisdiction: '330100',
          licenceTypes: TYPES,
          jwksUrl: `${zj.base}/authorities/hangzhou/did.json`,
        },
      }),
      201,
    );
    expect(hz.keys).toHaveLength(1);
    expect(hz.source).toBe('hosted:hangzhou');
    await ok(
      http(zj, 'POST', '/v1/trust/authorities', {
        token: zj.adminToken,
        body: { id: NINGBO, name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', licenceTypes: TYPES },
      }),
      201,
    );
    const published = await ok<{ sequence: number }>(http(zj, 'POST', '/v1/trust/lists', { token: zj.adminToken, body: {} }), 201);
    expect(published.sequence).toBe(2); // #1 was the development list
    pinned = await ok(http(zj, 'GET', '/.well-known/trust-anchor.json'));
  });

  it("a licence issued in Hangzhou verifies offline with the bundle fetched from Ningbo's side", async () => {
    licenceA = await issue(zj, 'hangzhou');
    licenceB = await issue(zj, 'ningbo', creditCode('91330203MA2AB12C3'));
    const fetched = await bundleFromCityB();
    expect(fetched.status).toBe(200);
    bundleB = fetched.bundle!;
    etagB = fetched.etag;
    const result = await verify(licenceA, bundleB, { anchors: pinned, now: clock.now() });
    expect(result.verdict).toBe('VALID');
    expect(result.licence?.issuer).toMatchObject({ id: HANGZHOU, jurisdiction: '330100' });
    expect(result.trustLists).toEqual([expect.objectContaining({ anchorId: 'did:web:zj.example:anchors:dev-anchor', sequence: 2 })]);
  });

  it('after a key rotation in Hangzhou, old licences still verify and new ones use the new key', async () => {
    const oldKid = headerOf(licenceA).kid;
    clock.advance(60_000);
    const rotated = await ok<{ kid: string }>(http(zj, 'POST', '/v1/keys/rotate', { token: zj.tokens.hangzhou!, body: {} }), 201);
    clock.advance(10 * 60_000);
    const newer = await issue(zj, 'hangzhou');
    expect(headerOf(newer).kid).toBe(rotated.kid);
    expect(rotated.kid).not.toBe(oldKid);

    const refreshed = await bundleFromCityB(etagB);
    expect(refreshed.status).toBe(200); // the anchor followed the hosted key, so the trust list changed
    bundleB = refreshed.bundle!;
    etagB = refreshed.etag;
    const now = clock.now();
    expect((await verify(licenceA, bundleB, { anchors: pinned, now })).verdict).toBe('VALID');
    expect((await verify(newer, bundleB, { anchors: pinned, now })).verdict).toBe('VALID');

    // The rotated-out key cannot vouch for anything dated after the rotation (plus the overlap).
    const forged = await signCompact(await zj.deps.keys.signer(oldKid), payloadOf(newer), 'vc+jwt', 'vc');
    const refused = await verify(forged, bundleB, { anchors: pinned, now });
    expect(refused.verdict).toBe('UNTRUSTED_ISSUER');
    expect(check(refused, 'keyValid').code).toBe('ERR_KEY_NOT_VALID_AT_IAT');
  });

  it('withdrawing Hangzhou at the anchor makes its licences untrusted after the bundle refresh', async () => {
    const oldBundle = bundleB;
    await ok(http(zj, 'POST', `/v1/trust/authorities/${encodeURIComponent(HANGZHOU)}/withdraw`, { token: zj.adminToken, body: { reason: 'test' } }));
    const published = await ok<{ sequence: number }>(http(zj, 'POST', '/v1/trust/lists', { token: zj.adminToken, body: {} }), 201);
    const refreshed = await bundleFromCityB(etagB);
    expect(refreshed.status).toBe(200);
    bundleB = refreshed.bundle!;
    const now = clock.now();

    const result = await verify(licenceA, bundleB, { anchors: pinned, now });
    expect(result.verdict).toBe('UNTRUSTED_ISSUER');
    expect(check(result, 'issuerListed').code).toBe('ERR_ISSUER_WITHDRAWN');
    expect((await verify(licenceB, bundleB, { anchors: pinned, now })).verdict).toBe('VALID');

    // An inspector that remembers the newest sequence refuses the older bundle's list (no rollback).
    const sequences = { 'did:web:zj.example:anchors:dev-anchor': published.sequence };
    const replayed = await verify(licenceA, oldBundle, { anchors: pinned, now, trustListSequences: sequences });
    expect(replayed.verdict).toBe('UNTRUSTED_ISSUER');
    expect(check(replayed, 'trustList').code).toBe('ERR_TRUST_LIST_REPLAYED');
  });

  it('a Nanjing licence (another province) verifies once the inspector also pins the Jiangsu anchor and merges its bundle', async () => {
    await ok(
      http(js, 'POST', '/v1/trust/authorities', {
        token: js.adminToken,
        body: { id: NANJING, name: { zh: '南京市市场监督管理局', en: 'Nanjing AMR' }, jurisdiction: '320100', licenceTypes: TYPES },
      }),
      201,
    );
    const licenceJ = await issue(js, 'nanjing', creditCode('91320102MA1MD4E5F'));
    const jsBundle = await ok<VerifierBundle>(http(js, 'GET', '/verifier-bundle'));
    const jsAnchor = await ok<{ keys: object[] }>(http(js, 'GET', '/.well-known/trust-anchor.json'));
    const now = clock.now();

    const zhejiangOnly = await verify(licenceJ, bundleB, { anchors: pinned, now });
    expect(zhejiangOnly.verdict).toBe('UNTRUSTED_ISSUER');
    expect(check(zhejiangOnly, 'issuerListed').code).toBe('ERR_ISSUER_NOT_LISTED');
    // Jiangsu's list in the bundle is not enough: its key is not pinned.
    const unpinned = await verify(licenceJ, merge(bundleB, jsBundle), { anchors: pinned, now });
    expect(unpinned.verdict).toBe('UNTRUSTED_ISSUER');

    // Two anchors pinned: each trust-anchor.json binds its keys to its own anchor id.
    const both = [pinned, jsAnchor];
    const merged = merge(bundleB, jsBundle);
    const federated = await verify(licenceJ, merged, { anchors: both, now });
    expect(federated.verdict).toBe('VALID');
    expect(federated.licence?.issuer).toMatchObject({ id: NANJING, jurisdiction: '320100' });
    expect((await verify(licenceB, merged, { anchors: both, now })).verdict).toBe('VALID');
    expect((await verify(licenceA, merged, { anchors: both, now })).verdict).toBe('UNTRUSTED_ISSUER');
  });
});
