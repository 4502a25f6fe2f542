/**
 * Published status lists through `GET /status/...`: bits decoded independently (node:zlib, raw byte
 * arithmetic) after revoke / suspend / reinstate, the all-zero known answer, random round trips, the
 * signature against the authority's JWKS key, Accept negotiation, ETag / 304, Cache-Control,
 * validity window and ttl, rebuild only on change or half-ttl, and visibility of a change at once.
 */

import { gunzipSync } from 'node:zlib';
import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthority } from '../src/services/authorities.js';
import { publishedStatusList, statusListIdsOf } from '../src/services/status-publishing.js';
import { createToken } from '../src/services/tokens.js';
import { businessSubject, createTestContext, TEST_PUBLIC_URL, type TestContext } from './helpers/app.js';
import { freshCreditCode } from './shared/subjects.js';

const ALL_ZERO_131072 = 'uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA';
const VC_JWT = 'application/vc+jwt';

interface Licence {
  id: string;
  credentialStatus: { purpose: 'revocation' | 'suspension'; statusListCredential: string; statusListIndex: number }[];
}
interface ListCredential {
  id: string;
  type: string[];
  issuer: { id: string };
  validFrom: string;
  validUntil: string;
  credentialSubject: { id: string; type: string; statusPurpose: string; encodedList: string; ttl: number };
}

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

async function issue(): Promise<Licence> {
  const res = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } });
  expect(res.status).toBe(201);
  return (await res.json()) as Licence;
}

async function act(id: string, action: 'suspend' | 'reinstate' | 'revoke', reason: string) {
  const res = await t.call('POST', `/v1/licences/${id}/${action}`, { body: { reason } });
  expect(res.status).toBe(200);
}

const slotOf = (licence: Licence, purpose: 'revocation' | 'suspension') => {
  const entry = licence.credentialStatus.find((s) => s.purpose === purpose)!;
  return { path: new URL(entry.statusListCredential).pathname, index: entry.statusListIndex };
};

/** GET a list as unsigned JSON. */
async function fetchJson(path: string): Promise<ListCredential> {
  const res = await t.app.request(path, { headers: { Accept: 'application/json' } });
  expect(res.status).toBe(200);
  return (await res.json()) as ListCredential;
}

/** The raw bitstring bytes, decoded without the project's own decoder. */
function rawBits(encodedList: string): Buffer {
  expect(encodedList[0]).toBe('u');
  return gunzipSync(Buffer.from(encodedList.slice(1), 'base64url'));
}

/** Bit `index`, most significant bit of byte 0 first (Bitstring Status List v1.0). */
const bitAt = (bytes: Buffer, index: number) => ((bytes[index >> 3]! >> (7 - (index & 7))) & 1) === 1;

const setBits = (bytes: Buffer): number[] => {
  const out: number[] = [];
  for (let i = 0; i < bytes.length * 8; i++) if (bitAt(bytes, i)) out.push(i);
  return out;
};

describe('bits of the published lists', () => {
  it('a fresh list reproduces the all-zero known answer, 131,072 entries', async () => {
    const licence = await issue();
    for (const purpose of ['revocation', 'suspension'] as const) {
      const credential = await fetchJson(slotOf(licence, purpose).path);
      expect(credential.credentialSubject.encodedList).toBe(ALL_ZERO_131072);
      expect(rawBits(credential.credentialSubject.encodedList).length).toBe(131_072 / 8);
    }
  });

  it('revoke: the revocation bit is set at the licence index and nowhere else', async () => {
    const licence = await issue();
    const { path, index } = slotOf(licence, 'revocation');
    expect(setBits(rawBits((await fetchJson(path)).credentialSubject.encodedList))).toEqual([]);
    await act(licence.id, 'revoke', 'fraud');
    const bytes = rawBits((await fetchJson(path)).credentialSubject.encodedList);
    expect(setBits(bytes)).toEqual([index]);
    expect(bytes[index >> 3]).toBe(0x80 >> (index & 7));
    // The suspension list is untouched.
    expect(setBits(rawBits((await fetchJson(slotOf(licence, 'suspension').path)).credentialSubject.encodedList))).toEqual([]);
  });

  it('suspend then reinstate: the suspension bit is set, then cleared', async () => {
    const licence = await issue();
    const { path, index } = slotOf(licence, 'suspension');
    await act(licence.id, 'suspend', 'investigation');
    expect(setBits(rawBits((await fetchJson(path)).credentialSubject.encodedList))).toEqual([index]);
    await act(licence.id, 'reinstate', 'investigation_closed');
    expect(setBits(rawBits((await fetchJson(path)).credentialSubject.encodedList))).toEqual([]);
    expect((await fetchJson(path)).credentialSubject.encodedList).toBe(ALL_ZERO_131072);
  });

  it('revoking a suspended licence sets its revocation bit and clears its suspension bit', async () => {
    const licence = await issue();
    await act(licence.id, 'suspend', 'investigation');
    await act(licence.id, 'revoke', 'cancelled');
    expect(setBits(rawBits((await fetchJson(slotOf(licence, 'revocation').path)).credentialSubject.encodedList))).toEqual([slotOf(licence, 'revocation').index]);
    expect(setBits(rawBits((await fetchJson(slotOf(licence, 'suspension').path)).credentialSubject.encodedList))).toEqual([]);
  });

  it('bit order at the edges: index 0 is the top bit of byte 0, index 131,071 the low bit of the last byte', async () => {
    const [a, b] = [await issue(), await issue()];
    // Move the two licences to the edge slots (a fixture edit: allocation is random by design).
    const move = t.store.sqlite.prepare('UPDATE licences SET revocation_index = ? WHERE id = ?');
    move.run(0, a.id);
    move.run(131_071, b.id);
    await act(a.id, 'revoke', 'cancelled');
    await act(b.id, 'revoke', 'cancelled');
    const bytes = rawBits((await fetchJson(slotOf(a, 'revocation').path)).credentialSubject.encodedList);
    expect(bytes[0]).toBe(0x80);
    expect(bytes[bytes.length - 1]).toBe(0x01);
    expect(setBits(bytes)).toEqual([0, 131_071]);
  });

  it('round trips at random indices: the published bits are exactly the revoked and suspended licences', async () => {
    const issued: Licence[] = [];
    for (let i = 0; i < 40; i++) issued.push(await issue());
    const revoked = issued.filter((_, i) => i % 3 === 0);
    const suspended = issued.filter((_, i) => i % 3 === 1);
    for (const l of revoked) await act(l.id, 'revoke', 'cancelled');
    for (const l of suspended) await act(l.id, 'suspend', 'non_compliance');
    const revBits = setBits(rawBits((await fetchJson(slotOf(issued[0]!, 'revocation').path)).credentialSubject.encodedList));
    const susBits = setBits(rawBits((await fetchJson(slotOf(issued[0]!, 'suspension').path)).credentialSubject.encodedList));
    expect(revBits).toEqual(revoked.map((l) => slotOf(l, 'revocation').index).sort((x, y) => x - y));
    expect(susBits).toEqual(suspended.map((l) => slotOf(l, 'suspension').index).sort((x, y) => x - y));
  });
});

describe('the signed list', () => {
  it('is a vc+jwt signed by the authority key published in the JWKS, with the same payload as the JSON', async () => {
    const licence = await issue();
    await act(licence.id, 'revoke', 'cancelled');
    const { path, index } = slotOf(licence, 'revocation');
    const res = await t.app.request(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(VC_JWT);
    const jws = await res.text();
    const header = decodeProtectedHeader(jws);
    expect(header).toMatchObject({ typ: 'vc+jwt', cty: 'vc', alg: 'EdDSA' });
    const jwks = (await (await t.app.request('/.well-known/jwks.json')).json()) as { keys: (JWK & { kid: string })[] };
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    expect(jwk).toBeDefined();
    const { payload } = await compactVerify(jws, await importJWK(jwk!, 'EdDSA'));
    const credential = JSON.parse(new TextDecoder().decode(payload)) as ListCredential;
    expect(credential).toEqual(await fetchJson(path));
    expect(credential.id).toBe(`${TEST_PUBLIC_URL}${path}`);
    expect(credential.type).toEqual(['VerifiableCredential', 'BitstringStatusListCredential']);
    expect(credential.issuer.id).toBe('did:web:elicence.test:authorities:dev-city');
    expect(credential.credentialSubject).toMatchObject({ type: 'BitstringStatusList', statusPurpose: 'revocation', ttl: t.deps.config.statusListTtlMs });
    expect(bitAt(rawBits(credential.credentialSubject.encodedList), index)).toBe(true);
    // A flipped signature byte fails.
    const tampered = `${jws.slice(0, -4)}${jws.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    await expect(compactVerify(tampered, await importJWK(jwk!, 'EdDSA'))).rejects.toThrow();
  });

  it('carries validFrom = signing time, validUntil = validFrom + validity, and the refresh ttl', async () => {
    const licence = await issue();
    t.clock.set('2026-06-01T08:00:00.750Z');
    const credential = await fetchJson(slotOf(licence, 'revocation').path);
    expect(credential.validFrom).toBe('2026-06-01T08:00:00Z');
    // Valid long enough for an offline inspector to use yesterday's lists; refetch advised after ttl.
    expect(Date.parse(credential.validUntil) - Date.parse(credential.validFrom)).toBe(t.deps.config.statusListValidityMs);
    expect(credential.credentialSubject.ttl).toBe(t.deps.config.statusListTtlMs);
  });

  it('is served for other authorities with their own key, and 404 for a list that does not exist', async () => {
    await createAuthority(t.deps, { id: 'ningbo', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'system');
    const token = await createToken(t.deps, { authorityId: 'ningbo', name: 'nb', actions: ['issue'] }, 'system');
    const res = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() }, token: token.token });
    const licence = (await res.json()) as Licence;
    const path = slotOf(licence, 'revocation').path;
    expect(path).toBe('/status/ningbo/revocation/1');
    expect((await fetchJson(path)).issuer.id).toBe('did:web:elicence.test:authorities:ningbo');
    expect(await statusListIdsOf(t.store.db, 'ningbo')).toEqual(['ningbo/revocation/1', 'ningbo/suspension/1']);
    expect(await statusListIdsOf(t.store.db)).toEqual(['ningbo/revocation/1', 'ningbo/suspension/1']);
    await issue();
    expect(await statusListIdsOf(t.store.db)).toEqual(['dev-city/revocation/1', 'dev-city/suspension/1', 'ningbo/revocation/1', 'ningbo/suspension/1']);
    for (const missing of ['/status/ningbo/revocation/2', '/status/nowhere/revocation/1', '/status/ningbo/other/1']) {
      const r = await t.app.request(missing);
      expect(r.status).toBe(404);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('ERR_NOT_FOUND');
    }
    expect(await publishedStatusList(t.deps, 'ningbo/revocation/2')).toBeUndefined();
  });
});

describe('HTTP semantics', () => {
  it('negotiates on Accept: vc+jwt by default, JSON or JSON-LD on request', async () => {
    const { path } = slotOf(await issue(), 'revocation');
    const cases: [string | undefined, string][] = [
      [undefined, VC_JWT],
      ['*/*', VC_JWT],
      [VC_JWT, VC_JWT],
      ['application/json', 'application/json; charset=utf-8'],
      ['application/ld+json', 'application/ld+json; charset=utf-8'],
      ['application/json;q=0.5, application/vc+jwt', VC_JWT],
      ['application/vc+jwt;q=0.2, application/ld+json;q=0.9', 'application/ld+json; charset=utf-8'],
      ['text/html', VC_JWT],
    ];
    for (const [accept, contentType] of cases) {
      const res = await t.app.request(path, accept ? { headers: { Accept: accept } } : {});
      expect(res.status, String(accept)).toBe(200);
      expect(res.headers.get('content-type'), String(accept)).toBe(contentType);
      expect(res.headers.get('vary')).toContain('Accept');
      const body = await res.text();
      if (contentType === VC_JWT) expect(body.split('.')).toHaveLength(3);
      else expect((JSON.parse(body) as ListCredential).credentialSubject.type).toBe('BitstringStatusList');
    }
  });

  it('sends a strong ETag per representation, answers If-None-Match with 304, and must-revalidate caching', async () => {
    const licence = await issue();
    const { path } = slotOf(licence, 'revocation');
    const signed = await t.app.request(path);
    const etag = signed.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(signed.headers.get('cache-control')).toBe('public, max-age=0, must-revalidate');
    const json = await t.app.request(path, { headers: { Accept: 'application/json' } });
    const jsonEtag = json.headers.get('etag')!;
    expect(jsonEtag).not.toBe(etag);

    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await t.app.request(path, { headers: { 'If-None-Match': inm } });
      expect(res.status, inm).toBe(304);
      expect(await res.text()).toBe('');
      expect(res.headers.get('etag')).toBe(etag);
    }
    expect((await t.app.request(path, { headers: { 'If-None-Match': jsonEtag } })).status).toBe(200);
    expect((await t.app.request(path, { headers: { 'If-None-Match': jsonEtag, Accept: 'application/json' } })).status).toBe(304);

    // After a change the old validator no longer matches.
    await act(licence.id, 'revoke', 'cancelled');
    const changed = await t.app.request(path, { headers: { 'If-None-Match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });
});

describe('rebuilding', () => {
  it('serves the cached publication until the version moves, and shows a change on the very next GET', async () => {
    const [a, b] = [await issue(), await issue()];
    const { path } = slotOf(a, 'suspension');
    const first = await t.app.request(path);
    const firstEtag = first.headers.get('etag');
    // Unchanged: the same bytes, even 60 s later (well within half the 5-minute ttl).
    t.clock.advance(60_000);
    expect((await t.app.request(path)).headers.get('etag')).toBe(firstEtag);
    // A change 1 ms later is visible on the next GET, within the same clock second.
    t.clock.advance(1);
    await act(b.id, 'suspend', 'holder_request');
    const after = await t.app.request(path, { headers: { Accept: 'application/json' } });
    const credential = (await after.json()) as ListCredential;
    expect(bitAt(rawBits(credential.credentialSubject.encodedList), slotOf(b, 'suspension').index)).toBe(true);
    const row = t.store.sqlite.prepare('SELECT version, published_version FROM status_lists WHERE id = ?').get(path.slice('/status/'.length)) as {
      version: number;
      published_version: number;
    };
    expect(row.published_version).toBe(row.version);
  });

  it('re-signs once half the validity has passed, even without a change', async () => {
    const { path } = slotOf(await issue(), 'revocation');
    const ttl = t.deps.config.statusListValidityMs;
    const first = (await fetchJson(path)).validFrom;
    t.clock.advance(ttl / 2 - 1000);
    expect((await fetchJson(path)).validFrom).toBe(first);
    t.clock.advance(1000);
    const renewed = await fetchJson(path);
    expect(renewed.validFrom).not.toBe(first);
    expect(Date.parse(renewed.validUntil)).toBe(Date.parse(renewed.validFrom) + ttl);
  });

  it('concurrent GETs after a change all get the same publication, cached under the current version', async () => {
    const licence = await issue();
    const { path, index } = slotOf(licence, 'revocation');
    await fetchJson(path);
    await act(licence.id, 'revoke', 'fraud');
    const responses = await Promise.all(Array.from({ length: 16 }, () => t.app.request(path)));
    const etags = new Set(responses.map((r) => r.headers.get('etag')));
    expect(etags.size).toBe(1);
    const published = await publishedStatusList(t.deps, path.slice('/status/'.length));
    expect(published!.etag).toBe([...etags][0]);
    expect(bitAt(rawBits((published!.credential as unknown as ListCredential).credentialSubject.encodedList), index)).toBe(true);
    expect(published).toMatchObject({ authorityId: 'dev-city', purpose: 'revocation', url: `${TEST_PUBLIC_URL}${path}` });
  });

  it('a stale rebuild never overwrites a newer cached publication', async () => {
    const licence = await issue();
    const listId = slotOf(licence, 'revocation').path.slice('/status/'.length);
    await act(licence.id, 'revoke', 'fraud');
    const current = await publishedStatusList(t.deps, listId);
    // Pretend a slow process publishes version 0 now: the conditional write must refuse it.
    const read = () =>
      t.store.sqlite.prepare('SELECT published_version, published_jws FROM status_lists WHERE id = ?').get(listId) as { published_version: number; published_jws: string };
    expect(read().published_version).toBe(1);
    t.store.sqlite.prepare('UPDATE status_lists SET version = 0 WHERE id = ?').run(listId);
    await publishedStatusList(t.deps, listId); // rebuilds for "version 0": not cached over version 1
    expect(read()).toEqual({ published_version: 1, published_jws: current!.jws });
  });
});
