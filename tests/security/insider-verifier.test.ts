/**
 * Insider attacks on the offline verifier: each attacker holds a genuine key of some party (an
 * authority of one province, a federated anchor, an agent's or a holder's device) and tries to make the
 * verifier say more than that key allows. Each test asserts the safe answer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, type VerifierBundle } from '../../src/core/bundle.js';
import { signCompact } from '../../src/core/jws-sign.js';
import { formatLicenceIdentifier } from '../../src/core/licence-identifier.js';
import { buildStatusPatch, signStatusPatch } from '../../src/core/status-patch.js';
import { encodeStatusCopy, type SparseStatusList } from '../../src/core/status-set.js';
import { type CheckName, mergeBundles, type VerifyResult, verify } from '../../verifier/index.js';
import { agentAuthorisation, type DeviceKey, liveQrAt, makeDeviceKey, statusEntry } from '../fixtures/live.js';
import {
  BUSINESS_SUBJECT,
  DAY,
  issueLicence,
  licenceCredential,
  makeWorld,
  NOW,
  REVOKED_INDEX,
  signStatusList,
  signTrustListFor,
  statusUrl,
  type World,
  creditCode as worldCreditCode,
} from '../fixtures/world.js';

let w: World;
let agentDevice: DeviceKey;
const FETCHED = new Date(NOW - 60_000).toISOString();
const check = (result: VerifyResult, name: CheckName) => result.checks.find((c) => c.name === name)!;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

beforeAll(async () => {
  w = await makeWorld();
  agentDevice = await makeDeviceKey();
});

function bundleOf(parts: Partial<Pick<VerifierBundle, 'statusLists' | 'statusPatches' | 'statusCopies' | 'statusReasons'>> & { trustLists?: string[] }): VerifierBundle {
  return buildBundle({
    generatedAt: new Date(NOW - 60_000),
    trustLists: (parts.trustLists ?? [w.zhejiangList, w.jiangsuList]).map((jws) => ({ jws, fetchedAt: FETCHED })),
    statusLists: parts.statusLists ?? w.statusLists,
    statusPatches: parts.statusPatches ?? [],
    statusCopies: parts.statusCopies ?? [],
    statusReasons: parts.statusReasons ?? [],
  });
}

/** What a front end persists after a verdict (CLI state, web IndexedDB), as the options of the next scan. */
function seenAfter(result: VerifyResult): { statusListsSeen: Record<string, number>; statusVersionsSeen: Record<string, number> } {
  const statusListsSeen: Record<string, number> = {};
  const statusVersionsSeen: Record<string, number> = {};
  for (const l of result.statusLists) {
    statusListsSeen[l.seenKey] = Math.max(statusListsSeen[l.seenKey] ?? 0, l.issuedAt);
    if (l.version !== undefined) statusVersionsSeen[l.seenKey] = Math.max(statusVersionsSeen[l.seenKey] ?? 0, l.version);
  }
  return { statusListsSeen, statusVersionsSeen };
}

describe('an agent authorisation for another authority’s licence', () => {
  const hangzhouCode = () => worldCreditCode('11330100MB0000001');
  const wenzhouCode = () => worldCreditCode('11330300MB0000002');
  let bundle: VerifierBundle;

  beforeAll(async () => {
    const listed = [{ ...w.hangzhou, creditCode: hangzhouCode() }, w.ningbo, { ...w.wenzhou, creditCode: wenzhouCode() }];
    const list = await signTrustListFor(w.zhejiang, { sequence: 8, federate: [{ anchor: w.jiangsu, jurisdictions: ['32'], licenceTypes: ['BusinessLicence'] }] }, listed);
    bundle = bundleOf({ trustLists: [list, w.jiangsuList] });
  });

  /** Hangzhou (holding its own key) authorises agent 李四 for the licence named by `identifier`, on Hangzhou's own lists. */
  const authorise = (identifier: string) =>
    signCompact(
      w.hangzhou.keys[1]!.signer,
      agentAuthorisation({
        issuer: { id: w.hangzhou.id, name: w.hangzhou.name.zh },
        validFrom: iso(NOW - DAY),
        validUntil: iso(NOW + 100 * DAY),
        licence: { id: 'urn:uuid:0195a1b2-7c00-7d41-9a6e-3f5b2c8d1e07', identifier, type: 'BusinessLicence', validUntil: '2031-01-01T00:00:00Z' },
        company: { name: BUSINESS_SUBJECT.name, creditCode: BUSINESS_SUBJECT.creditCode },
        agent: { name: '李四', idNumberMasked: '3301**********1234' },
        matters: 'all',
        status: [
          statusEntry('revocation', 60_001, statusUrl(w.hangzhou, 'revocation')),
          statusEntry('revocation', 94_567, statusUrl(w.hangzhou, 'revocation')),
          statusEntry('suspension', 1_234, statusUrl(w.hangzhou, 'suspension')),
        ],
        device: agentDevice.publicJwk,
        iat: Math.floor((NOW - DAY) / 1000),
      }),
      'vc+jwt',
      'vc',
    );
  const live = async (jws: string) => verify(await liveQrAt(jws, agentDevice, NOW), bundle, w.options());

  it('attack: Wenzhou’s licence identifier with its check character changed (shows as Wenzhou’s licence): INVALID', async () => {
    const wenzhouLicence = formatLicenceIdentifier({ typeCode: 'YYZZ', authorityCode: wenzhouCode(), serial: 12_345, version: 1 });
    const last = wenzhouLicence.at(-1)!;
    const mistyped = wenzhouLicence.slice(0, -1) + (last === '0' ? '1' : '0');
    const result = await live(await authorise(mistyped));
    expect(result.verdict).toBe('INVALID');
    expect(check(result, 'typeAuthorised').code).toBe('ERR_AUTHORISATION_FOREIGN_LICENCE');
  });

  it('attack: Wenzhou’s licence identifier with a trailing space or in lower case: INVALID', async () => {
    const wenzhouLicence = formatLicenceIdentifier({ typeCode: 'YYZZ', authorityCode: wenzhouCode(), serial: 12_345, version: 1 });
    for (const disguised of [`${wenzhouLicence} `, wenzhouLicence.toLowerCase(), `\u200b${wenzhouLicence}`]) {
      const result = await live(await authorise(disguised));
      expect(result.verdict, JSON.stringify(disguised)).toBe('INVALID');
    }
  });

  it('its own licence still verifies', async () => {
    const own = formatLicenceIdentifier({ typeCode: 'YYZZ', authorityCode: hangzhouCode(), serial: 12_345, version: 1 });
    expect((await live(await authorise(own))).verdict).toBe('VALID');
  });
});

describe('status data of another authority’s list URL', () => {
  const wenzhouRevocation = () => statusUrl(w.wenzhou, 'revocation');
  const empty = (): SparseStatusList => ({ size: 131_072, set: new Uint32Array(0) });

  it('attack: Hangzhou signs a newer, all-clear list (and a patch) under Wenzhou’s revocation URL: Wenzhou’s revoked licence stays REVOKED', async () => {
    const revoked = await issueLicence(w.wenzhou, { revocationIndex: REVOKED_INDEX });
    const hangzhouKey = w.hangzhou.keys[1]!;
    const clearList = await signStatusList(w.hangzhou, 'revocation', { key: hangzhouKey, url: wenzhouRevocation(), issuedAt: NOW - 60_000, version: 99 });
    // A Hangzhou patch with a copy of Wenzhou's list (cleared) at a high version.
    const payload = await buildStatusPatch({
      issuer: w.hangzhou.id,
      base: `${w.wenzhou.publicUrl}/status/`,
      issuedAt: new Date(NOW - 60_000),
      changed: [],
      unchanged: [{ url: wenzhouRevocation(), version: 1_000, list: empty() }],
    });
    const patch = await signStatusPatch(hangzhouKey.signer, payload);
    const bundle = bundleOf({
      statusLists: [...w.statusLists, { url: wenzhouRevocation(), jws: clearList, fetchedAt: FETCHED }],
      statusCopies: [{ jws: patch, fetchedAt: FETCHED, lists: [encodeStatusCopy(wenzhouRevocation(), empty())] }],
      statusPatches: [{ jws: patch, fetchedAt: FETCHED }],
    });
    const result = await verify(revoked, bundle, w.options());
    expect(result.verdict).toBe('REVOKED');
    // And after a merge (what a device stores and applies later), still Wenzhou's own list.
    const merged = await mergeBundles(w.bundle, bundle, w.options());
    expect((await verify(revoked, merged, w.options())).verdict).toBe('REVOKED');
  });

  it('attack: Hangzhou signs a patch in Wenzhou’s name (its own key): refused, never VALID', async () => {
    const licence = await issueLicence(w.wenzhou, { revocationIndex: 77 });
    const payload = await buildStatusPatch({
      issuer: w.wenzhou.id,
      base: `${w.wenzhou.publicUrl}/status/`,
      issuedAt: new Date(NOW - 60_000),
      changed: [],
      unchanged: [{ url: wenzhouRevocation(), version: 5, list: empty() }],
    });
    const patch = await signStatusPatch(w.hangzhou.keys[1]!.signer, payload);
    // Only the patch and its copy: no genuine Wenzhou revocation list.
    const statusLists = w.statusLists.filter((l) => l.url !== wenzhouRevocation());
    const bundle = bundleOf({ statusLists, statusCopies: [{ jws: patch, fetchedAt: FETCHED, lists: [encodeStatusCopy(wenzhouRevocation(), empty())] }] });
    const result = await verify(licence, bundle, w.options());
    expect(result.verdict).toBe('STATUS_UNKNOWN');
    expect(check(result, 'revocation').result).toBe('fail');
  });

  it('attack: a licence naming its own list under a URL differing by case, trailing slash, query or fragment: never VALID', async () => {
    const url = statusUrl(w.hangzhou, 'revocation');
    const variants = [`${url}/`, `${url}?v=1`, `${url}#list`, url.replace('https://elicence', 'https://ELICENCE'), url.replace('/1', '/%31'), url.replace('https', 'http')];
    for (const variant of variants) {
      const credential = licenceCredential(w.hangzhou, { revocationIndex: REVOKED_INDEX });
      (credential.credentialStatus as Array<{ statusListCredential: string }>)[0]!.statusListCredential = variant;
      const jws = await signCompact(w.hangzhou.keys[0]!.signer, credential, 'vc+jwt', 'vc');
      const result = await verify(jws, w.bundle, w.options());
      expect(result.verdict, variant).toBe('STATUS_UNKNOWN');
      expect(check(result, 'revocation').code, variant).toBe('ERR_STATUS_LIST_MISSING');
    }
  });

  it('attack: Nanjing (federated) publishes its own copy under Wenzhou’s URL at a huge version; one scan of a Nanjing licence must not hide Wenzhou’s revocations afterwards', async () => {
    const nanjingKey = w.nanjing.keys[0]!;
    const payload = await buildStatusPatch({
      issuer: w.nanjing.id,
      base: `${w.wenzhou.publicUrl}/status/`,
      issuedAt: new Date(NOW - 60_000),
      changed: [],
      unchanged: [{ url: wenzhouRevocation(), version: 1_000_000_000, list: empty() }],
    });
    const patch = await signStatusPatch(nanjingKey.signer, payload);
    const bundle = bundleOf({ statusCopies: [{ jws: patch, fetchedAt: FETCHED, lists: [encodeStatusCopy(wenzhouRevocation(), empty())] }] });
    // A Nanjing licence whose revocation entry names Wenzhou's URL.
    const credential = licenceCredential(w.nanjing);
    (credential.credentialStatus as Array<{ statusListCredential: string }>)[0]!.statusListCredential = wenzhouRevocation();
    const nanjingLicence = await signCompact(nanjingKey.signer, credential, 'vc+jwt', 'vc');
    const first = await verify(nanjingLicence, bundle, w.options());
    const seen = seenAfter(first);
    // Later, at the same device: Wenzhou's revoked licence and a valid one.
    const revoked = await issueLicence(w.wenzhou, { revocationIndex: REVOKED_INDEX });
    const valid = await issueLicence(w.wenzhou, { revocationIndex: 77 });
    expect((await verify(revoked, bundle, w.options(seen))).verdict).toBe('REVOKED');
    expect((await verify(valid, bundle, w.options(seen))).verdict).toBe('VALID');
  });
});

describe('foreign status data is never VALID', () => {
  it('only another authority’s lists under the licence’s URLs: STATUS_UNKNOWN', async () => {
    const hangzhouKey = w.hangzhou.keys[1]!;
    const lists = await Promise.all(
      (['revocation', 'suspension'] as const).map(async (purpose) => ({
        url: statusUrl(w.wenzhou, purpose),
        jws: await signStatusList(w.hangzhou, purpose, { key: hangzhouKey, url: statusUrl(w.wenzhou, purpose) }),
        fetchedAt: FETCHED,
      })),
    );
    const licence = await issueLicence(w.wenzhou, { revocationIndex: 77 });
    const result = await verify(licence, bundleOf({ statusLists: lists }), w.options());
    expect(result.verdict).toBe('STATUS_UNKNOWN');
  });
});
