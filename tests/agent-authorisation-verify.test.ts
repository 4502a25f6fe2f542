/**
 * Agent authorisations (授权用证, the issue 24 contract) at an offline verifier: one answer with the
 * company, the licence, the agent, the matters and the period; VALID only when the licence, the
 * authorisation and the live proof all hold. The insider's attacks: signed by another authority (one
 * trusted for another type, one of another province, one not listed), for another company's licence
 * (status lists of another authority), beyond the licence's validity, shown statically or replayed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { signCompact } from '../src/core/jws-sign.js';
import { formatLicenceIdentifier } from '../src/core/licence-identifier.js';
import { encodeLicenceQr } from '../src/core/qr/index.js';
import { type CheckName, MESSAGES, reasonOf, type VerifyResult, verify } from '../verifier/index.js';
import { type AgentAuthorisationInput, agentAuthorisation, type DeviceKey, liveQrAt, makeDeviceKey, statusEntry } from './fixtures/live.js';
import {
  type Authority,
  BUSINESS_SUBJECT,
  DAY,
  type Key,
  makeKey,
  makeWorld,
  NOW,
  REVOKED_INDEX,
  SUSPENDED_INDEX,
  signTrustListFor,
  statusUrl,
  type World,
  creditCode as worldCreditCode,
} from './fixtures/world.js';

let w: World;
let agentDevice: DeviceKey;
let otherDevice: DeviceKey;

const check = (result: VerifyResult, name: CheckName) => result.checks.find((c) => c.name === name)!;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

interface Overrides extends Partial<Omit<AgentAuthorisationInput, 'status'>> {
  issuerAuthority?: Authority;
  key?: Key;
  /** The authority whose lists the licence entries point at (default: the issuer). */
  licenceLists?: Authority;
  ownIndex?: number;
  licenceRevocationIndex?: number;
  licenceSuspensionIndex?: number;
  payload?: (credential: Record<string, unknown>) => void;
}

/** An authorisation of Hangzhou's business licence for agent 李四, signed by Hangzhou's current key. */
function signAuthorisation(overrides: Overrides = {}): Promise<string> {
  const issuer = overrides.issuerAuthority ?? w.hangzhou;
  const lists = overrides.licenceLists ?? issuer;
  const credential = agentAuthorisation({
    issuer: overrides.issuer ?? { id: issuer.id, name: issuer.name.zh },
    validFrom: overrides.validFrom ?? iso(NOW - DAY),
    validUntil: overrides.validUntil ?? iso(NOW + 100 * DAY),
    licence: overrides.licence ?? {
      id: 'urn:uuid:0195a1b2-7c00-7d41-9a6e-3f5b2c8d1e07',
      identifier: 'YYZZ11330100DC00000024000001234501P',
      type: 'BusinessLicence',
      validUntil: '2031-01-01T00:00:00Z',
    },
    company: overrides.company ?? { name: BUSINESS_SUBJECT.name, creditCode: BUSINESS_SUBJECT.creditCode },
    agent: overrides.agent ?? { name: '李四', idNumberMasked: '3301**********1234' },
    matters: overrides.matters ?? ['tax-filing', 'permit_renewal'],
    status: [
      statusEntry('revocation', overrides.ownIndex ?? 60_001, statusUrl(issuer, 'revocation')),
      statusEntry('revocation', overrides.licenceRevocationIndex ?? 94_567, statusUrl(lists, 'revocation')),
      statusEntry('suspension', overrides.licenceSuspensionIndex ?? 1_234, statusUrl(lists, 'suspension')),
    ],
    device: overrides.device ?? agentDevice.publicJwk,
    iat: overrides.iat ?? Math.floor((NOW - DAY) / 1000),
  });
  overrides.payload?.(credential);
  const key = overrides.key ?? issuer.keys[issuer.keys.length - 1]!;
  return signCompact(key.signer, credential, 'vc+jwt', 'vc');
}

const live = async (jws: string, now = NOW) => verify(await liveQrAt(jws, agentDevice, now), w.bundle, w.options({ now }));

beforeAll(async () => {
  w = await makeWorld();
  agentDevice = await makeDeviceKey();
  otherDevice = await makeDeviceKey();
});

describe('an agent authorisation shown live from the agent’s phone', () => {
  it('VALID, with the company, the licence, the agent, the matters and the period', async () => {
    const result = await live(await signAuthorisation());
    expect(result.verdict).toBe('VALID');
    expect(result.presentation).toBe('live');
    expect(result.licence).toBeUndefined();
    expect(result.authorisation).toMatchObject({
      company: { name: '杭州云栖智算科技有限公司', creditCode: BUSINESS_SUBJECT.creditCode },
      licence: { identifier: 'YYZZ11330100DC00000024000001234501P', type: { code: 'BusinessLicence', name: { zh: '营业执照' } }, validUntil: '2031-01-01T00:00:00Z' },
      agent: { name: '李四', idNumberMasked: '3301**********1234' },
      matters: ['tax-filing', 'permit_renewal'],
      period: { validFrom: '2026-05-31T00:00:00Z', validUntil: '2026-09-09T00:00:00Z', firstDay: '2026-05-31', lastDay: '2026-09-09' },
      issuer: { id: w.hangzhou.id, jurisdiction: '330100' },
    });
    expect(check(result, 'typeAuthorised').message).toContain('BusinessLicence');
    // All three entries were read: its own, the licence's revocation and suspension.
    expect(check(result, 'revocation').message).toMatch(/authorisation's own bit 60001 is clear.*licence's bit 94567 is clear/);
  });

  it('"all" matters, and a licence without expiry', async () => {
    const result = await live(await signAuthorisation({ matters: 'all', licence: { id: 'urn:uuid:1', identifier: 'X', type: 'BusinessLicence' } }));
    expect(result.verdict).toBe('VALID');
    expect(result.authorisation!.matters).toBe('all');
    expect(result.authorisation!.licence.validUntil).toBeUndefined();
  });
});

describe('shown other than live: INVALID with ERR_PRESENTATION_NOT_LIVE', () => {
  it('static: EL1, the JWS', async () => {
    const jws = await signAuthorisation();
    for (const input of [encodeLicenceQr(jws), jws]) {
      const result = await verify(input, w.bundle, w.options());
      expect(result.verdict).toBe('INVALID');
      expect(result.presentation).toBe('static');
      expect(check(result, 'presentation')).toMatchObject({ result: 'fail', code: 'ERR_PRESENTATION_NOT_LIVE' });
      expect(reasonOf(result, 'zh')).toBe(MESSAGES.zh.code.ERR_PRESENTATION_NOT_LIVE);
    }
  });

  it('attack: a screenshot of the live QR replayed 3 minutes later, or a proof made for later', async () => {
    const jws = await signAuthorisation();
    const qr = await liveQrAt(jws, agentDevice, NOW);
    const replayed = await verify(qr, w.bundle, w.options({ now: NOW + 180_000 }));
    expect(replayed.verdict).toBe('INVALID');
    expect(check(replayed, 'presentation').code).toBe('ERR_PRESENTATION_NOT_LIVE');
    const ahead = await verify(await liveQrAt(jws, agentDevice, NOW + 600_000), w.bundle, w.options());
    expect(check(ahead, 'presentation').code).toBe('ERR_PRESENTATION_NOT_LIVE');
  });

  it('attack: the authorisation shown with another device’s proof', async () => {
    const result = await verify(await liveQrAt(await signAuthorisation(), otherDevice, NOW), w.bundle, w.options());
    expect(result.verdict).toBe('INVALID');
    expect(result.presentation).toBe('proofFailed');
    expect(check(result, 'presentation').code).toBe('ERR_PROOF_INVALID');
  });
});

describe('who may sign it', () => {
  it('attack: an authority trusted for another type only (Ningbo: food licences) cannot authorise for a business licence', async () => {
    const result = await live(await signAuthorisation({ issuerAuthority: w.ningbo }));
    expect(result.verdict).toBe('UNTRUSTED_ISSUER');
    expect(check(result, 'typeAuthorised').code).toBe('ERR_TYPE_NOT_AUTHORISED');
    // It may for its own type.
    const food = await live(
      await signAuthorisation({ issuerAuthority: w.ningbo, licence: { id: 'urn:uuid:2', identifier: 'Y', type: 'FoodBusinessLicence', validUntil: '2031-01-01T00:00:00Z' } }),
    );
    expect(food.verdict).toBe('VALID');
  });

  it('attack: another province’s authority (Nanjing) authorising for a Hangzhou licence: INVALID, naming the foreign status list', async () => {
    const result = await live(await signAuthorisation({ issuerAuthority: w.nanjing, licenceLists: w.hangzhou }));
    expect(result.verdict).toBe('INVALID');
    expect(check(result, 'revocation')).toMatchObject({ result: 'fail', code: 'ERR_STATUS_ISSUER_MISMATCH' });
    expect(check(result, 'revocation').message).toContain(`issued by ${w.hangzhou.id}`);
    // Nanjing is federated for business licences only: a food licence authorisation is refused outright.
    const food = await live(await signAuthorisation({ issuerAuthority: w.nanjing, licence: { id: 'urn:uuid:3', identifier: 'Z', type: 'FoodBusinessLicence' } }));
    expect(food.verdict).toBe('UNTRUSTED_ISSUER');
  });

  it('attack: an authority on no trust list, or a listed DID with a key of its own', async () => {
    const rogueKey = await makeKey();
    const unlisted = { ...w.hangzhou, id: 'did:web:elicence.zj.example:authorities:rogue', keys: [rogueKey] };
    expect((await live(await signAuthorisation({ issuerAuthority: unlisted }))).verdict).toBe('UNTRUSTED_ISSUER');
    const forged = await live(await signAuthorisation({ key: rogueKey }));
    expect(forged.verdict).toBe('UNTRUSTED_ISSUER');
    expect(check(forged, 'keyValid').code).toBe('ERR_KEY_UNKNOWN');
  });

  it('attack: an authorisation for another company’s licence (its status entries in another authority’s lists): INVALID', async () => {
    const result = await live(await signAuthorisation({ licenceLists: w.wenzhou }));
    expect(result.verdict).toBe('INVALID');
    expect(check(result, 'revocation').code).toBe('ERR_STATUS_ISSUER_MISMATCH');
    expect(check(result, 'suspension').code).toBe('ERR_STATUS_ISSUER_MISMATCH');
    expect(check(result, 'suspension').message).toContain(statusUrl(w.wenzhou, 'suspension'));
  });
});

describe('the licence it names is its issuer’s', () => {
  it('attack: a trusted authority authorising for another authority’s licence (the identifier names the other authority): INVALID', async () => {
    const hangzhouCode = worldCreditCode('11330100MB0000001');
    const wenzhouCode = worldCreditCode('11330300MB0000002');
    const listed = [{ ...w.hangzhou, creditCode: hangzhouCode }, w.ningbo, { ...w.wenzhou, creditCode: wenzhouCode }];
    const list = await signTrustListFor(w.zhejiang, { sequence: 8, federate: [{ anchor: w.jiangsu, jurisdictions: ['32'], licenceTypes: ['BusinessLicence'] }] }, listed);
    const bundle = w.bundleWith({ trustLists: [list, w.jiangsuList] });
    const naming = (authorityCode: string) => ({
      id: 'urn:uuid:0195a1b2-7c00-7d41-9a6e-3f5b2c8d1e07',
      identifier: formatLicenceIdentifier({ typeCode: 'YYZZ', authorityCode, serial: 12_345, version: 1 }),
      type: 'BusinessLicence',
      validUntil: '2031-01-01T00:00:00Z',
    });
    const check1 = async (jws: string) => verify(await liveQrAt(jws, agentDevice, NOW), bundle, w.options());
    const foreign = await check1(await signAuthorisation({ licence: naming(wenzhouCode) }));
    expect(foreign.verdict).toBe('INVALID');
    expect(check(foreign, 'typeAuthorised')).toMatchObject({ result: 'fail', code: 'ERR_AUTHORISATION_FOREIGN_LICENCE' });
    expect((await check1(await signAuthorisation({ licence: naming(hangzhouCode) }))).verdict).toBe('VALID');
  });
});

describe('status: the licence’s entries and its own', () => {
  it('the licence revoked: REVOKED with the licence’s code', async () => {
    const result = await live(await signAuthorisation({ licenceRevocationIndex: REVOKED_INDEX }));
    expect(result.verdict).toBe('REVOKED');
    expect(check(result, 'revocation').code).toBe('ERR_LICENCE_REVOKED');
  });

  it('the licence suspended: SUSPENDED', async () => {
    const result = await live(await signAuthorisation({ licenceSuspensionIndex: SUSPENDED_INDEX }));
    expect(result.verdict).toBe('SUSPENDED');
  });

  it('the authorisation revoked: REVOKED, naming the authorisation, no legal reason', async () => {
    const result = await live(await signAuthorisation({ ownIndex: REVOKED_INDEX }));
    expect(result.verdict).toBe('REVOKED');
    expect(check(result, 'revocation')).toMatchObject({ code: 'ERR_AUTHORISATION_REVOKED' });
    expect(result.reason).toBeUndefined();
    expect(reasonOf(result, 'en')).toBe(MESSAGES.en.code.ERR_AUTHORISATION_REVOKED);
  });
});

describe('its period', () => {
  it('attack: valid beyond the licence’s validity (forged or mis-issued): INVALID, also while both are current', async () => {
    const result = await live(
      await signAuthorisation({ validUntil: '2031-06-01T00:00:00Z', licence: { id: 'urn:uuid:4', identifier: 'W', type: 'BusinessLicence', validUntil: '2026-12-01T00:00:00Z' } }),
    );
    expect(result.verdict).toBe('INVALID');
    expect(check(result, 'validityWindow')).toMatchObject({ result: 'fail', code: 'ERR_AUTHORISATION_PERIOD' });
  });

  it('attack: longer than one calendar year: INVALID; exactly one year is fine', async () => {
    const from = Date.parse('2026-03-01T00:00:00Z');
    const tooLong = await live(await signAuthorisation({ validFrom: iso(from), validUntil: iso(Date.parse('2027-03-01T00:00:01Z')) }));
    expect(check(tooLong, 'validityWindow').code).toBe('ERR_AUTHORISATION_PERIOD');
    expect((await live(await signAuthorisation({ validFrom: iso(from), validUntil: '2027-03-01T00:00:00Z' }))).verdict).toBe('VALID');
  });

  it('expired, not yet valid, and the licence expired', async () => {
    expect((await live(await signAuthorisation({ validFrom: iso(NOW - 10 * DAY), validUntil: iso(NOW - DAY) }))).verdict).toBe('EXPIRED');
    expect((await live(await signAuthorisation({ validFrom: iso(NOW + DAY), validUntil: iso(NOW + 10 * DAY) }))).verdict).toBe('NOT_YET_VALID');
    const licenceOver = await live(
      await signAuthorisation({
        validFrom: iso(NOW - 10 * DAY),
        validUntil: iso(NOW - DAY),
        licence: { id: 'urn:uuid:5', identifier: 'V', type: 'BusinessLicence', validUntil: iso(NOW - DAY) },
      }),
    );
    expect(licenceOver.verdict).toBe('EXPIRED');
  });
});

describe('its shape', () => {
  it('malformed authorisations are INVALID naming the field', async () => {
    const cases: Array<[string, (c: Record<string, unknown>) => void]> = [
      ['cnf', (c) => delete c.cnf],
      ['credentialSubject.matters', (c) => ((c.credentialSubject as Record<string, unknown>).matters = ['bad code!'])],
      ['credentialSubject.matters', (c) => ((c.credentialSubject as Record<string, unknown>).matters = Array.from({ length: 51 }, (_, i) => `m${i}`))],
      ['credentialSubject.company.creditCode', (c) => ((c.credentialSubject as Record<string, Record<string, unknown>>).company!.creditCode = '91330106MA2H3K7X10')],
      ['credentialStatus', (c) => (c.credentialStatus = (c.credentialStatus as unknown[]).slice(1))],
      ['credentialStatus', (c) => (c.credentialStatus = [...(c.credentialStatus as unknown[])].reverse())],
      ['validUntil', (c) => delete c.validUntil],
    ];
    for (const [field, change] of cases) {
      const result = await live(await signAuthorisation({ payload: change }));
      expect(result.verdict, field).toBe('INVALID');
      expect(check(result, 'format').code, field).toBe('ERR_INVALID_CREDENTIAL');
      expect(check(result, 'format').message, field).toBeTruthy();
    }
  });
});

describe('what the command line shows', () => {
  it('the company, licence, agent, matters and period, and how it was shown, in both languages', async () => {
    const { formatHuman } = await import('../src/cli/verifier/format.js');
    const result = await live(await signAuthorisation());
    const context = { colour: false, now: NOW, maxStatusAgeSeconds: 86_400, source: 'argument' };
    const zh = formatHuman(result, { ...context, lang: 'zh' });
    for (const text of [
      '授权用证',
      '杭州云栖智算科技有限公司',
      '李四',
      '3301**********1234',
      'tax-filing、permit_renewal',
      '2026-05-31 – 2026-09-09',
      '实时出示',
      '二维码生成时间',
    ]) {
      expect(zh).toContain(text);
    }
    const en = formatHuman(await verify(await signAuthorisation(), w.bundle, w.options()), { ...context, lang: 'en' });
    expect(en).toContain('INVALID');
    expect(en).toContain('ERR_PRESENTATION_NOT_LIVE');
    expect(en).toContain('STATIC (static)');
  });
});
