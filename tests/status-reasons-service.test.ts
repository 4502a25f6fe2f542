/**
 * Status reasons from the service side: the revoke API takes the legal act (and the old values as
 * aliases), stores and audits the code, publishes a signed reasons document next to each revocation
 * list, serves it, puts it in the verifier bundle, and what an offline verifier opens from the bundle
 * says which act it was, for old licences too, and nothing when the document is stale or forged by
 * another trusted authority. Also the migration of stored reasons and `/credentials/verify`'s reason.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBundle, type VerifierBundle } from '../src/core/bundle.js';
import { issuerKeysFromView, openStatusReasons, revocationReasonOf, signStatusReasons } from '../src/core/status-reasons.js';
import { acceptTrustLists, openStatusList } from '../src/core/trust-list.js';
import { MIGRATIONS_FOLDER } from '../src/node/sqlite-store.js';
import { authorityDid, createAuthority } from '../src/services/authorities.js';
import { activeSigner } from '../src/services/keys.js';
import { createToken } from '../src/services/tokens.js';
import { publishTrustList } from '../src/services/trust/publishing.js';
import { registerAuthority } from '../src/services/trust/register-edits.js';
import { MESSAGES } from '../verifier/messages.js';
import { businessSubject, createTestContext, foodSubject, TEST_PUBLIC_URL, type TestContext } from './helpers/app.js';
import { freshCreditCode } from './shared/subjects.js';

interface Licence {
  id: string;
  status: string;
  statusReason: string | null;
  credential: string;
  credentialStatus: { purpose: 'revocation' | 'suspension'; statusListCredential: string; statusListIndex: number }[];
}

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

async function issue(type = 'BusinessLicence', subject = type === 'BusinessLicence' ? businessSubject() : foodSubject()): Promise<Licence> {
  const res = await t.call('POST', '/v1/licences', { body: { type, subject } });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Licence;
}

const revoke = (id: string, reason: string) => t.call('POST', `/v1/licences/${id}/revoke`, { body: { reason } });
const revocation = (licence: Licence) => licence.credentialStatus.find((s) => s.purpose === 'revocation')!;

async function bundle(): Promise<VerifierBundle> {
  const res = await t.call('GET', '/verifier-bundle', { token: null });
  expect(res.status).toBe(200);
  return parseBundle(await res.text());
}

const anchors = async () => (await (await t.call('GET', '/.well-known/trust-anchor.json', { token: null })).json()) as { keys: object[] };

/** What an offline verifier can say from a bundle alone: the reason of a revoked licence's index. */
async function offlineReason(b: VerifierBundle, licence: Licence, reasonsJws?: string): Promise<string> {
  const view = await acceptTrustLists(b.trustLists, { anchors: await anchors(), now: t.clock.now() });
  const slot = revocation(licence);
  const piece = b.statusLists.find((s) => s.url === slot.statusListCredential)!;
  const opened = await openStatusList(piece.jws, view);
  if (!opened.ok) throw opened.error;
  const jws = reasonsJws ?? b.statusReasons?.find((r) => r.url === `${slot.statusListCredential}/reasons`)?.jws;
  const reasons = jws === undefined ? undefined : await openStatusReasons(jws, opened.list, issuerKeysFromView(view, opened.list.issuerId));
  return revocationReasonOf(reasons, slot.statusListIndex);
}

describe('the revoke API: legal acts and their aliases', () => {
  it.each([
    ['penalty', 'penalty'],
    ['rescinded', 'rescinded'],
    ['deregistered', 'deregistered'],
    ['other', 'other'],
    ['fraud', 'rescinded'],
    ['cancelled', 'rescinded'],
    ['holder_request', 'deregistered'],
  ])('reason %s is stored, audited and published as %s', async (given, code) => {
    const licence = await issue();
    const res = await revoke(licence.id, given);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Licence).statusReason).toBe(code);
    const history = (await (await t.call('GET', `/v1/licences/${licence.id}/history`)).json()) as { items: { action: string; reason: string | null }[] };
    expect(history.items.at(-1)).toMatchObject({ action: 'licence.revoked', reason: code });
    const audit = t.store.sqlite.prepare("SELECT content_json FROM audit_log WHERE action = 'licence.revoked' AND subject_id = ?").get(licence.id) as { content_json: string };
    // The record keeps what the caller sent beside the code it stands for.
    expect(JSON.parse(audit.content_json)).toMatchObject(given === code ? { reason: code } : { reason: code, requestedReason: given });
    expect(await offlineReason(await bundle(), licence)).toBe(code);
  });

  it('refuses superseded (only an amendment sets it) and unknown reasons, changing nothing', async () => {
    const licence = await issue();
    for (const reason of ['superseded', 'suspended', 'unspecified', 'revoked', 'FRAUD']) {
      const res = await revoke(licence.id, reason);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string; field: string } }).error).toMatchObject({ code: 'ERR_VALIDATION', field: 'reason' });
    }
    expect(((await (await t.call('GET', `/v1/licences/${licence.id}`)).json()) as Licence).status).toBe('active');
  });
});

describe('the reasons document next to each revocation list', () => {
  it('is served beside the list, signed with the same key, for the exact version and bits of the list', async () => {
    const [a, b, c] = [await issue(), await issue('FoodBusinessLicence'), await issue()];
    expect((await revoke(a.id, 'penalty')).status).toBe(200);
    expect((await revoke(b.id, 'holder_request')).status).toBe(200);
    const path = revocation(a).statusListCredential.slice(TEST_PUBLIC_URL.length);
    const res = await t.call('GET', `${path}/reasons`, { token: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/status-reasons\+jwt/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=0, must-revalidate');
    const jws = await res.text();
    const header = JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8'));
    const list = await (await t.call('GET', path, { token: null, headers: { Accept: 'application/vc+jwt' } })).text();
    const listHeader = JSON.parse(Buffer.from(list.split('.')[0]!, 'base64url').toString('utf8'));
    expect(header).toEqual({ alg: 'EdDSA', kid: listHeader.kid, typ: 'status-reasons+jwt' });
    const payload = (await (await t.call('GET', `${path}/reasons`, { token: null, headers: { Accept: 'application/json' } })).json()) as Record<string, unknown>;
    const listJson = (await (await t.call('GET', path, { token: null, headers: { Accept: 'application/json' } })).json()) as { credentialSubject: { version: number } };
    expect(payload).toMatchObject({
      type: 'BitstringStatusReasons',
      statusListCredential: revocation(a).statusListCredential,
      count: 2,
      statusListVersion: listJson.credentialSubject.version,
    });
    expect(listJson.credentialSubject.version).toBe(2);
    const etag = res.headers.get('etag')!;
    expect((await t.call('GET', `${path}/reasons`, { token: null, headers: { 'If-None-Match': etag } })).status).toBe(304);
    // Suspension lists have none; unknown lists neither.
    const suspension = a.credentialStatus.find((s) => s.purpose === 'suspension')!.statusListCredential.slice(TEST_PUBLIC_URL.length);
    expect((await t.call('GET', `${suspension}/reasons`, { token: null })).status).toBe(404);
    expect((await t.call('GET', '/status/nowhere/revocation/1/reasons', { token: null })).status).toBe(404);

    const b1 = await bundle();
    expect(b1.statusReasons?.map((r) => r.url)).toEqual([`${revocation(a).statusListCredential}/reasons`]);
    expect(await offlineReason(b1, a)).toBe('penalty');
    expect(await offlineReason(b1, b)).toBe('deregistered');

    // The list moves on: c is rescinded. The old document is stale for the new list (reason
    // unspecified, the verdict is the list's), and the new one says both.
    expect((await revoke(c.id, 'rescinded')).status).toBe(200);
    const b2 = await bundle();
    expect(await offlineReason(b2, c, b1.statusReasons![0]!.jws)).toBe('unspecified');
    expect(await offlineReason(b2, a, b1.statusReasons![0]!.jws)).toBe('unspecified');
    expect(await offlineReason(b2, c)).toBe('rescinded');
    expect(await offlineReason(b2, a)).toBe('penalty');
    // No document at all: unspecified too.
    expect(await offlineReason({ ...b2, statusReasons: [] }, c)).toBe('unspecified');
  });

  it('an amendment publishes superseded for the old licence', async () => {
    const old = await issue();
    const res = await t.call('POST', `/v1/licences/${old.id}/amend`, { body: { subjectPatch: { address: '浙江省杭州市西湖区文三路200号' } } });
    expect(res.status).toBe(201);
    expect(await offlineReason(await bundle(), old)).toBe('superseded');
  });

  it('a document for this list signed by another authority the anchor trusts is refused (reason unspecified)', async () => {
    const victim = await issue();
    expect((await revoke(victim.id, 'penalty')).status).toBe(200);
    // Ningbo is hosted here and listed by the same anchor: its key is trusted, but only for Ningbo.
    await createAuthority(t.deps, { id: 'ningbo-amr', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
    const ningboDid = authorityDid(TEST_PUBLIC_URL, 'ningbo-amr');
    await registerAuthority(t.deps, { id: ningboDid, name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', licenceTypes: ['BusinessLicence'] }, 'test');
    await publishTrustList(t.deps, 'test');
    const b = await bundle();
    const view = await acceptTrustLists(b.trustLists, { anchors: await anchors(), now: t.clock.now() });
    expect(view.accept({ issuerId: ningboDid, kid: (await activeSigner(t.deps, { kind: 'authority', id: 'ningbo-amr' })).kid, issuedAt: t.clock.now() }).ok).toBe(true);
    const genuine = b.statusReasons![0]!;
    const payload = JSON.parse(Buffer.from(genuine.jws.split('.')[1]!, 'base64url').toString('utf8'));
    const ningbo = await activeSigner(t.deps, { kind: 'authority', id: 'ningbo-amr' });
    // Ningbo re-signs Hangzhou's genuine payload with a kinder reason, as itself and naming itself.
    const kinder = { ...payload, encodedReasons: 'ugA' }; // superseded (100) instead of penalty (001)
    expect(await offlineReason(b, victim, await signStatusReasons(ningbo, kinder))).toBe('unspecified');
    expect(await offlineReason(b, victim, await signStatusReasons(ningbo, { ...kinder, issuer: ningboDid }))).toBe('unspecified');
    expect(await offlineReason(b, victim)).toBe('penalty');
    // The same payload signed by Hangzhou itself would be believed: the key alone made the difference.
    const own = await activeSigner(t.deps, { kind: 'authority', id: 'dev-city' });
    expect(await offlineReason(b, victim, await signStatusReasons(own, kinder))).toBe('superseded');
  });
});

describe('/credentials/verify', () => {
  it('says which legal act revoked a licence hosted here', async () => {
    const licence = await issue();
    const verify = async () => {
      const res = await t.call('POST', '/credentials/verify', {
        token: null,
        body: {
          verifiableCredential: {
            '@context': ['https://www.w3.org/ns/credentials/v2'],
            type: 'EnvelopedVerifiableCredential',
            id: `data:application/vc+jwt,${licence.credential}`,
          },
        },
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { verified: boolean; reason?: string; errors: { code: string }[] };
    };
    expect(await verify()).not.toHaveProperty('reason');
    expect((await t.call('POST', `/v1/licences/${licence.id}/suspend`, { body: { reason: 'investigation' } })).status).toBe(200);
    expect(await verify()).toMatchObject({ verified: false, reason: 'suspended' });
    expect((await revoke(licence.id, 'fraud')).status).toBe(200);
    const result = await verify();
    expect(result).toMatchObject({ verified: false, reason: 'rescinded' });
    expect(result.errors.map((e) => e.code)).toEqual(['ERR_REVOKED']);
  });
});

describe('the card says which legal act, in the catalogue words', () => {
  it.each([
    ['penalty', '已吊销'],
    ['rescinded', '已撤销'],
    ['deregistered', '已注销'],
    ['fraud', '已撤销'],
  ])('revoked with %s: %s, with the words of verifier/messages.ts', async (reason, zh) => {
    const licence = await issue();
    expect((await revoke(licence.id, reason)).status).toBe(200);
    const html = await (await t.call('GET', `/v1/licences/${licence.id}/card`)).text();
    expect(html).toContain(`<span class="zh">${zh}</span> REVOKED`);
    const code = reason === 'fraud' ? 'rescinded' : reason;
    expect(html).toContain(MESSAGES.zh.reason[code as 'penalty'].detail);
    expect(html).toContain(MESSAGES.en.reason[code as 'penalty'].title);
  });

  it('a superseded licence is not shown as taken away: 已换发, and who replaced it', async () => {
    const old = await issue();
    const amended = (await (await t.call('POST', `/v1/licences/${old.id}/amend`, { body: { subjectPatch: { name: '杭州新名称科技有限公司' } } })).json()) as Licence;
    const html = await (await t.call('GET', `/v1/licences/${old.id}/card`)).text();
    expect(html).toContain('<span class="zh">已换发</span> REVOKED');
    expect(html).toContain(MESSAGES.zh.reason.superseded.detail);
    expect(html).toContain(amended.id);
    expect(html).not.toContain('已吊销');
  });
});

describe('migration of stored reasons', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('maps fraud and cancelled to rescinded and holder_request to deregistered for revoked licences only, and claims holder slots', async () => {
    dir = mkdtempSync(join(tmpdir(), 'elicence-migrate-'));
    // The migrations as they were before this change: 0000 only.
    const before = join(dir, 'before');
    mkdirSync(join(before, 'meta'), { recursive: true });
    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    const firstOnly = { ...journal, entries: journal.entries.slice(0, 1) };
    writeFileSync(join(before, 'meta/_journal.json'), JSON.stringify(firstOnly));
    copyFileSync(join(MIGRATIONS_FOLDER, `${journal.entries[0]!.tag}.sql`), join(before, `${journal.entries[0]!.tag}.sql`));
    const sqlite = new Database(join(dir, 'old.db'));
    migrate(drizzle(sqlite), { migrationsFolder: before });
    sqlite
      .prepare(
        "INSERT INTO licence_types (code, name_zh, name_en, schema_version, schema_json, built_in, created_at) VALUES ('BusinessLicence', '营业执照', 'Business licence', '1.0', '{}', 1, 0)",
      )
      .run();
    const insert = sqlite.prepare(
      `INSERT INTO licences (id, authority_id, type, holder_credit_code, status, status_reason, valid_from, valid_until, issued_at, updated_at, kid, jws,
        revocation_list_id, revocation_index, suspension_list_id, suspension_index) VALUES (?, 'a', 'BusinessLicence', ?, ?, ?, 0, ?, 0, 0, 'k', 'x', 'a/revocation/1', ?, 'a/suspension/1', ?)`,
    );
    const rows: [string, string, string, string | null, number][] = [
      ['r1', 'H1', 'revoked', 'fraud', 9e12],
      ['r2', 'H2', 'revoked', 'cancelled', 9e12],
      ['r3', 'H3', 'revoked', 'holder_request', 9e12],
      ['r4', 'H4', 'revoked', 'superseded', 9e12],
      ['r5', 'H5', 'revoked', 'other', 9e12],
      ['s1', 'H6', 'suspended', 'holder_request', 9e12],
      ['a1', 'H7', 'active', null, 9e12],
      ['a2', 'H7', 'active', null, 8e12], // an older duplicate from before the rule: the later-ending one holds the slot
    ];
    for (const [i, [id, holder, status, reason, until]] of rows.entries()) insert.run(id, holder, status, reason, until, i, i);
    sqlite.close();

    const t2 = await createTestContext({ filename: join(dir, 'old.db') });
    try {
      const reasons = t2.store.sqlite.prepare('SELECT id, status_reason AS reason FROM licences ORDER BY id').all();
      expect(reasons).toEqual([
        { id: 'a1', reason: null },
        { id: 'a2', reason: null },
        { id: 'r1', reason: 'rescinded' },
        { id: 'r2', reason: 'rescinded' },
        { id: 'r3', reason: 'deregistered' },
        { id: 'r4', reason: 'superseded' },
        { id: 'r5', reason: 'other' },
        { id: 's1', reason: 'holder_request' },
      ]);
      expect(t2.store.sqlite.prepare("SELECT unique_per_holder AS u FROM licence_types WHERE code = 'BusinessLicence'").get()).toEqual({ u: 1 });
      expect(t2.store.sqlite.prepare('SELECT holder_credit_code AS h, licence_id AS id FROM holder_slots ORDER BY h').all()).toEqual([
        { h: 'H6', id: 's1' },
        { h: 'H7', id: 'a1' },
      ]);
    } finally {
      t2.close();
    }
  });
});

describe('tokens stay scoped', () => {
  it('a token without the status scope cannot revoke, whatever the reason', async () => {
    const licence = await issue();
    const readOnly = (await createToken(t.deps, { authorityId: 'dev-city', name: 'read', actions: ['read'] }, 'test')).token;
    const res = await t.call('POST', `/v1/licences/${licence.id}/revoke`, { body: { reason: 'penalty' }, token: readOnly });
    expect(res.status).toBe(403);
  });
});
