/**
 * The verifier bundle endpoints: public and token paths, every piece verifying on its own signature,
 * a bundle the offline verifier accepts, and incremental refresh (304 on If-None-Match, `since`
 * returning only the pieces that changed).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBundle, type VerifierBundle } from '../src/core/bundle.js';
import { VC_JWT_CTY, VC_JWT_TYP } from '../src/core/credential.js';
import { verifyJws } from '../src/core/jws-verify.js';
import { verifyTrustList } from '../src/core/trust-list.js';
import { verify } from '../verifier/index.js';
import { businessSubject, createTestContext, type TestContext } from './helpers/app.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

async function bundle(headers: Record<string, string> = {}, query = '') {
  const response = await t.call('GET', `/verifier-bundle${query}`, { token: null, headers });
  return { response, body: response.status === 200 ? ((await response.json()) as VerifierBundle) : undefined };
}

async function anchors() {
  return (await (await t.call('GET', '/.well-known/trust-anchor.json', { token: null })).json()) as { keys: object[] };
}

async function issue(): Promise<{ id: string; credential: string }> {
  const response = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; credential: string };
}

describe('verifier bundle', () => {
  it('is public at /verifier-bundle and token-guarded at /v1/verifier-bundle, with the same pieces', async () => {
    await issue();
    const open = await bundle();
    expect(open.response.status).toBe(200);
    expect((await t.call('GET', '/v1/verifier-bundle', { token: null })).status).toBe(401);
    const agency = await t.call('GET', '/v1/verifier-bundle');
    expect(agency.status).toBe(200);
    const body = (await agency.json()) as VerifierBundle;
    expect(body.trustLists.map((p) => p.jws)).toEqual(open.body!.trustLists.map((p) => p.jws));
    expect(body.statusLists.map((p) => p.jws)).toEqual(open.body!.statusLists.map((p) => p.jws));
    expect(agency.headers.get('etag')).toBe(open.response.headers.get('etag'));
    expect(open.response.headers.get('elicence-bundle')).toBe('full');
  });

  it('carries pieces that each verify on their own signature, and the offline verifier accepts it', async () => {
    const licence = await issue();
    const { body } = await bundle();
    const parsed = parseBundle(JSON.stringify(body));
    expect(parsed.trustLists).toHaveLength(1);
    expect(parsed.statusLists.map((s) => s.url.replace(/^.*\/status\//, '')).sort()).toEqual(['dev-city/revocation/1', 'dev-city/suspension/1']);
    const now = t.clock.now();
    const list = await verifyTrustList(parsed.trustLists[0]!.jws, { anchors: await anchors(), now });
    const dev = [...list.authorities.values()][0]!;
    for (const piece of parsed.statusLists) {
      const decoded = await verifyJws(piece.jws, (header) => dev.keys.get(header.kid)?.jwk, { typ: VC_JWT_TYP, cty: VC_JWT_CTY });
      expect(decoded.payload.id).toBe(piece.url);
      expect(Date.parse(piece.fetchedAt)).toBeLessThanOrEqual(now);
    }
    const result = await verify(licence.credential, body, { anchors: await anchors(), now });
    expect(result.verdict).toBe('VALID');
  });

  it('answers 304 to If-None-Match while nothing changed, and a new ETag after a change', async () => {
    const licence = await issue();
    const first = await bundle();
    const etag = first.response.headers.get('etag')!;
    expect(etag).toMatch(/^W\/"/);
    t.clock.advance(10_000);
    const same = await bundle({ 'If-None-Match': etag });
    expect(same.response.status).toBe(304);
    expect(same.response.headers.get('etag')).toBe(etag);
    expect((await t.call('POST', `/v1/licences/${licence.id}/revoke`, { body: { reason: 'fraud' } })).status).toBe(200);
    const changed = await bundle({ 'If-None-Match': etag });
    expect(changed.response.status).toBe(200);
    expect(changed.response.headers.get('etag')).not.toBe(etag);
    const result = await verify(licence.credential, changed.body, { anchors: await anchors(), now: t.clock.now() });
    expect(result.verdict).toBe('REVOKED');
  });

  it('with since, returns only the pieces signed since then, to merge into the previous bundle', async () => {
    t.close();
    // Status lists valid for an hour, so none is re-signed for age during the test.
    t = await createTestContext({ config: { statusListTtlMs: 3_600_000 } });
    const licence = await issue();
    await bundle(); // signs the status lists
    t.clock.advance(90_000);
    const first = (await bundle()).body!;
    t.clock.advance(90_000);
    const nothing = await bundle({}, `?since=${first.generatedAt}`);
    expect(nothing.response.headers.get('elicence-bundle')).toBe('delta');
    expect(nothing.body!.trustLists).toEqual([]);
    expect(nothing.body!.statusLists).toEqual([]);
    expect(nothing.response.headers.get('etag')).toBe((await bundle()).response.headers.get('etag'));

    expect((await t.call('POST', `/v1/licences/${licence.id}/suspend`, { body: { reason: 'investigation' } })).status).toBe(200);
    const delta = (await bundle({}, `?since=${first.generatedAt}`)).body!;
    expect(delta.trustLists).toEqual([]);
    expect(delta.statusLists.map((s) => s.url)).toEqual([first.statusLists.find((s) => s.url.includes('/suspension/'))!.url]);

    // Merged (newest piece per URL), the verifier sees the suspension.
    const merged: VerifierBundle = {
      ...delta,
      trustLists: first.trustLists,
      statusLists: [...first.statusLists.filter((s) => !delta.statusLists.some((d) => d.url === s.url)), ...delta.statusLists],
    };
    expect((await verify(licence.credential, merged, { anchors: await anchors(), now: t.clock.now() })).verdict).toBe('SUSPENDED');
    expect((await bundle({}, '?since=yesterday')).response.status).toBe(400);
  });
});
