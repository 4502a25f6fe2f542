/**
 * The patch protocol end to end against the service (docs/trust-list.md, "Bundle sync"): a client syncs,
 * licences are revoked, suspended and reinstated, and the next sync is a delta of patches (no full
 * lists) whose application gives exactly the lists the service now serves at each licence's
 * statusListCredential URL; after a day the cut moves the client's copies; a client that missed more
 * than 7 days, or whose patch chain would be larger than the lists, gets full copies; a client whose copy
 * a patch cannot bring up to date asks for just those lists.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBundle, type VerifierBundle } from '../src/core/bundle.js';
import { fromBase64url, fromUtf8 } from '../src/core/encoding.js';
import { decodeStatusList } from '../src/core/status-list.js';
import { setIndicesOf } from '../src/core/status-set.js';
import { resolveStatus, statusSources } from '../src/core/trust/status-state.js';
import { acceptTrustLists } from '../src/core/trust-list.js';
import { cutDueAuthorities } from '../src/services/status-cuts.js';
import { mergeBundlesReport, verify } from '../verifier/index.js';
import { businessSubject, createTestContext, type TestContext } from './helpers/app.js';

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function anchors() {
  return (await (await t.call('GET', '/.well-known/trust-anchor.json', { token: null })).json()) as { anchorId: string; keys: object[] };
}

async function sync(since?: string): Promise<{ kind: string | null; bundle: VerifierBundle; text: string }> {
  const response = await t.call('GET', `/verifier-bundle?patches=1${since ? `&since=${encodeURIComponent(since)}` : ''}`, { token: null });
  expect(response.status).toBe(200);
  expect(response.headers.get('elicence-bundle-form')).toBe('patches');
  const text = await response.text();
  return { kind: response.headers.get('elicence-bundle'), bundle: parseBundle(text), text };
}

async function issue(): Promise<{ id: string; credential: string }> {
  const response = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; credential: string };
}

async function change(id: string, action: 'revoke' | 'suspend' | 'reinstate', reason?: string) {
  const body = reason ? { reason } : action === 'reinstate' ? { reason: 'remedied' } : {};
  const response = await t.call('POST', `/v1/licences/${id}/${action}`, { body });
  expect(response.status, await response.clone().text()).toBe(200);
}

/** The set bits of every list as the service serves it now (the W3C list at each URL). */
async function served(urls: string[]): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const url of urls) {
    const response = await t.call('GET', new URL(url).pathname, { token: null, headers: { Accept: 'application/json' } });
    const credential = (await response.json()) as { credentialSubject: { encodedList: string } };
    out[url] = [...setIndicesOf(await decodeStatusList(credential.credentialSubject.encodedList))];
  }
  return out;
}

/** The set bits of every list as the client's bundle brings them up to date. */
async function held(bundle: VerifierBundle, urls: string[]): Promise<Record<string, number[]>> {
  const view = await acceptTrustLists(bundle.trustLists, { anchors: await anchors(), now: t.clock.now() });
  const issuer = view.lists[0]!.authorities.keys().next().value!;
  const sources = statusSources(bundle);
  const out: Record<string, number[]> = {};
  for (const url of urls) {
    const resolved = await resolveStatus(sources, view, { url, issuerId: issuer });
    expect(resolved.ok, JSON.stringify(resolved)).toBe(true);
    if (resolved.ok) out[url] = [...resolved.list.set];
  }
  return out;
}

const listUrls = (credential: string): string[] => {
  const payload = JSON.parse(fromUtf8(fromBase64url(credential.split('.')[1]!)!)) as { credentialStatus: Array<{ statusListCredential: string }> };
  return payload.credentialStatus.map((s) => s.statusListCredential);
};

describe('bundle sync with status patches', () => {
  it('a client in sync gets a delta of patches whose application gives exactly the lists served', async () => {
    const [a, b, c] = [await issue(), await issue(), await issue()];
    const urls = listUrls(a.credential);
    const first = await sync();
    expect(first.kind).toBe('full');
    expect(first.bundle.statusLists).toEqual([]);
    expect(first.bundle.statusCopies!.flatMap((g) => g.lists.map((l) => l.url)).sort()).toEqual([...urls].sort());
    expect(first.text).toContain('"jwsParts"');
    const options = { anchors: await anchors(), now: t.clock.now() };
    expect((await verify(a.credential, first.bundle, options)).verdict).toBe('VALID');

    t.clock.advance(5 * 60_000);
    await change(a.id, 'revoke', 'penalty');
    await change(b.id, 'suspend', 'investigation');
    await change(c.id, 'suspend', 'investigation');
    await change(c.id, 'reinstate');
    const delta = await sync(first.bundle.generatedAt);
    expect(delta.kind).toBe('delta');
    expect(delta.bundle.statusLists).toEqual([]);
    expect(delta.bundle.statusCopies ?? []).toEqual([]);
    // The tail since the cut (and the first cut's patch, signed within the minute `since` reaches back).
    expect(delta.bundle.statusPatches!.length).toBeGreaterThanOrEqual(1);
    expect(delta.bundle.statusPatches!.length).toBeLessThanOrEqual(2);
    const now = { ...options, now: t.clock.now() };
    const merged = await mergeBundlesReport(first.bundle, delta.bundle, now);
    expect(merged.refetch).toEqual([]);
    expect(await held(merged.bundle, urls)).toEqual(await served(urls));
    const revoked = await verify(a.credential, merged.bundle, now);
    expect(revoked).toMatchObject({ verdict: 'REVOKED', reason: 'penalty' });
    expect((await verify(b.credential, merged.bundle, now)).verdict).toBe('SUSPENDED');
    expect((await verify(c.credential, merged.bundle, now)).verdict).toBe('VALID');

    // A day later the cut: the next delta carries the cut patch, and the copies move to it.
    t.clock.advance(DAY);
    expect(await cutDueAuthorities(t.deps)).toEqual(['dev-city']);
    await change(b.id, 'reinstate');
    const next = await sync(delta.bundle.generatedAt);
    expect(next.kind).toBe('delta');
    expect(next.bundle.statusPatches!.length).toBe(2); // the cut and the new tail
    const after = await mergeBundlesReport(merged.bundle, next.bundle, { ...options, now: t.clock.now() });
    expect(after.refetch).toEqual([]);
    expect(await held(after.bundle, urls)).toEqual(await served(urls));
    expect((await verify(b.credential, after.bundle, { ...options, now: t.clock.now() })).verdict).toBe('VALID');
    // Stored: one group of copies (attested by the cut), the tail and nothing else.
    expect(after.bundle.statusCopies).toHaveLength(1);
    expect(after.bundle.statusPatches).toHaveLength(1);
  });

  it('a client that missed more than 7 days, or whose chain outweighs the lists, gets full copies', async () => {
    const a = await issue();
    const first = await sync();
    for (let day = 0; day < 8; day++) {
      t.clock.advance(DAY);
      await change(a.id, day % 2 === 0 ? 'suspend' : 'reinstate', day % 2 === 0 ? 'investigation' : undefined);
      await cutDueAuthorities(t.deps);
    }
    const late = await sync(first.bundle.generatedAt);
    expect(late.kind).toBe('full');
    expect(late.bundle.statusCopies).toHaveLength(1);

    // Three days behind: three cut patches would outweigh this small authority's two copies.
    const threeDaysAgo = new Date(t.clock.now() - 3 * DAY + 120_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const behind = await sync(threeDaysAgo);
    expect(behind.kind).toBe('delta');
    expect(behind.bundle.statusCopies).toHaveLength(1);
    expect(behind.bundle.statusCopies![0]!.lists).toHaveLength(2);
    expect(behind.bundle.statusPatches ?? []).toEqual([]);
    // One day behind: the cut patch, not the lists.
    const oneDayAgo = new Date(t.clock.now() - DAY + 120_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const recent = await sync(oneDayAgo);
    expect(recent.bundle.statusCopies ?? []).toEqual([]);
    expect(recent.bundle.statusPatches).toHaveLength(1);
  });

  it('a client whose copy a patch cannot bring up to date asks for just that list', async () => {
    const a = await issue();
    const urls = listUrls(a.credential);
    const first = await sync();
    // The client lost its revocation copy and kept an outdated suspension copy from another bundle.
    t.clock.advance(DAY);
    await change(a.id, 'suspend', 'investigation');
    await cutDueAuthorities(t.deps);
    t.clock.advance(DAY);
    await change(a.id, 'reinstate');
    await cutDueAuthorities(t.deps);
    const options = { anchors: await anchors(), now: t.clock.now() };
    const lastCut = await sync(new Date(t.clock.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    const report = await mergeBundlesReport(first.bundle, lastCut.bundle, options);
    expect(report.refetch).toEqual([urls[1]]);
    const response = await t.call('POST', '/verifier-bundle/lists', { token: null, body: { urls: report.refetch } });
    expect(response.status).toBe(200);
    const copies = parseBundle(await response.text());
    expect(copies.statusCopies!.flatMap((g) => g.lists.map((l) => l.url))).toEqual([urls[1]]);
    const repaired = await mergeBundlesReport(report.bundle, copies, options);
    expect(repaired.refetch).toEqual([]);
    expect(await held(repaired.bundle, urls)).toEqual(await served(urls));
    expect((await verify(a.credential, repaired.bundle, options)).verdict).toBe('VALID');
    // Bad requests: nothing but URLs, at most 10,000.
    expect((await t.call('POST', '/verifier-bundle/lists', { token: null, body: { urls: [] } })).status).toBe(400);
    expect((await t.call('POST', '/verifier-bundle/lists', { token: null, body: { lists: urls } })).status).toBe(400);
  });
});
