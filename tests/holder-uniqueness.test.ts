/**
 * One active licence per holder where the law says so: a type declaring `uniquePerHolder`
 * (BusinessLicence) refuses a second active or suspended, unexpired licence for the same credit code
 * from the same authority with 409 ERR_DUPLICATE_ACTIVE naming the existing one, nothing stored. The
 * database decides under concurrency (holder_slots), also between two processes on one database file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/app/app.js';
import { BUSINESS_LICENCE } from '../src/core/licence-types.js';
import type { BatchItem, LicenceIssuer } from '../src/import/issuers.js';
import { runImport } from '../src/import/run-import.js';
import { openSqliteStore } from '../src/node/sqlite-store.js';
import { createAuthority } from '../src/services/authorities.js';
import type { KeyStore } from '../src/services/ports.js';
import { createToken } from '../src/services/tokens.js';
import { authoriseType, businessSubject, createTestContext, foodSubject, type TestContext, typeDeclarations } from './helpers/app.js';
import { freshCreditCode } from './shared/subjects.js';

interface Licence {
  id: string;
  status: string;
  validUntil: string;
}
interface ErrorBody {
  error: { code: string; message: string; field?: string; details?: unknown };
}

let t: TestContext;
let dir: string | undefined;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => {
  t.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const issue = (subject: Record<string, unknown>, extra: Record<string, unknown> = {}, token?: string) =>
  t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject, ...extra }, ...(token ? { token } : {}) });
const count = () => (t.store.sqlite.prepare('SELECT count(*) AS n FROM licences').get() as { n: number }).n;

async function issued(subject: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Licence> {
  const res = await issue(subject, extra);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as Licence;
}

async function expectDuplicate(res: Response, existingId: string, field = 'subject.creditCode'): Promise<void> {
  expect(res.status).toBe(409);
  const { error } = (await res.json()) as ErrorBody;
  expect(error).toMatchObject({ code: 'ERR_DUPLICATE_ACTIVE', field, details: { licenceId: existingId } });
  expect(error.message).toContain(existingId);
}

describe('one active licence per holder', () => {
  it('the types declare it: BusinessLicence true, FoodBusinessLicence false', async () => {
    const types = (await (await t.call('GET', '/v1/licence-types')).json()) as { items: { code: string; uniquePerHolder: boolean }[] };
    expect(Object.fromEntries(types.items.map((i) => [i.code, i.uniquePerHolder]))).toEqual({ BusinessLicence: true, FoodBusinessLicence: false });
  });

  it('a second active business licence for the holder is 409 naming the first, and nothing is stored', async () => {
    const subject = businessSubject();
    const first = await issued(subject);
    const before = count();
    const audit = (t.store.sqlite.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n;
    await expectDuplicate(await issue({ ...subject, name: '另一个名称' }), first.id);
    expect(count()).toBe(before);
    expect((t.store.sqlite.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n).toBe(audit);
    // Another holder, and food licences for the same holder, are fine.
    await issued(businessSubject());
    for (let i = 0; i < 2; i++) {
      const res = await t.call('POST', '/v1/licences', { body: { type: 'FoodBusinessLicence', subject: foodSubject({ creditCode: subject['creditCode'] }) } });
      expect(res.status).toBe(201);
    }
  });

  it('a suspended licence still holds the slot; a revoked or expired one does not', async () => {
    const subject = businessSubject();
    const first = await issued(subject, { validUntil: '2026-12-31' });
    expect((await t.call('POST', `/v1/licences/${first.id}/suspend`, { body: { reason: 'investigation' } })).status).toBe(200);
    await expectDuplicate(await issue(subject), first.id);
    expect((await t.call('POST', `/v1/licences/${first.id}/revoke`, { body: { reason: 'deregistered' } })).status).toBe(200);
    const second = await issued(subject, { validUntil: '2026-12-31' });
    await expectDuplicate(await issue(subject), second.id);
    // The last valid day is 2026-12-31 (China): at 2026-12-31T15:59:59Z it still holds the slot, a second later it has expired.
    t.clock.set('2026-12-31T15:59:59Z');
    await expectDuplicate(await issue(subject), second.id);
    t.clock.set('2026-12-31T16:00:00Z');
    const third = await issued(subject);
    expect(third.id).not.toBe(second.id);
  });

  it('another authority may issue to the same holder; the rule is per authority', async () => {
    const subject = businessSubject();
    await issued(subject);
    await createAuthority(t.deps, { id: 'ningbo-amr', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
    const ningbo = (await createToken(t.deps, { authorityId: 'ningbo-amr', name: 'ningbo', actions: ['issue'] }, 'test')).token;
    expect((await issue(subject, {}, ningbo)).status).toBe(201);
  });

  it('amend supersedes and issues without tripping the rule, and the successor then holds the slot', async () => {
    const subject = businessSubject();
    const first = await issued(subject);
    const res = await t.call('POST', `/v1/licences/${first.id}/amend`, { body: { subjectPatch: { address: '浙江省杭州市滨江区网商路699号' } } });
    expect(res.status, await res.clone().text()).toBe(201);
    const successor = (await res.json()) as Licence;
    await expectDuplicate(await issue(subject), successor.id);
    // Amending to another holder's credit code is refused if that holder has one.
    const other = await issued(businessSubject());
    const otherCode = ((await (await t.call('GET', `/v1/licences/${other.id}`)).json()) as { subject: { creditCode: string } }).subject.creditCode;
    await expectDuplicate(await t.call('POST', `/v1/licences/${successor.id}/amend`, { body: { subjectPatch: { creditCode: otherCode } } }), other.id);
    expect(((await (await t.call('GET', `/v1/licences/${successor.id}`)).json()) as Licence).status).toBe('active');
  });

  it('a batch reports it per item and stays all-or-nothing: against the database and within the batch', async () => {
    const taken = businessSubject();
    const existing = await issued(taken);
    const twice = businessSubject();
    const before = count();
    const res = await t.call('POST', '/v1/licences/batch', {
      body: {
        items: [
          { type: 'BusinessLicence', subject: businessSubject() },
          { type: 'BusinessLicence', subject: taken },
          { type: 'BusinessLicence', subject: twice },
          { type: 'BusinessLicence', subject: { ...twice, name: '重复' } },
        ],
      },
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as ErrorBody;
    expect(error.code).toBe('ERR_BATCH_FAILED');
    expect(count()).toBe(before);
    // Within the batch first (validation), then against the database once the batch itself is sound.
    expect(error.details).toEqual([expect.objectContaining({ index: 3, code: 'ERR_DUPLICATE_ACTIVE', field: 'items[3].subject.creditCode' })]);
    const again = await t.call('POST', '/v1/licences/batch', {
      body: {
        items: [
          { type: 'BusinessLicence', subject: businessSubject() },
          { type: 'BusinessLicence', subject: taken },
        ],
      },
    });
    expect(again.status).toBe(400);
    const second = ((await again.json()) as ErrorBody).error;
    expect(second.details).toEqual([expect.objectContaining({ index: 1, code: 'ERR_DUPLICATE_ACTIVE', field: 'items[1].subject.creditCode' })]);
    expect(second.message).toContain('nothing was issued');
    expect(JSON.stringify(second.details)).toContain(existing.id);
    expect(count()).toBe(before);
  });

  it('a registered type chooses; its choice is returned and enforced', async () => {
    const schema = {
      type: 'object',
      properties: { creditCode: { type: 'string' }, plate: { type: 'string' }, name: { type: 'string' } },
      required: ['creditCode', 'plate'],
      additionalProperties: false,
    };
    for (const [code, unique] of [
      ['TaxiOperatorLicence', true],
      ['ShopSignLicence', false],
    ] as const) {
      const res = await t.call('POST', '/v1/licence-types', {
        body: { code, name: { zh: code, en: code }, schemaVersion: '1', schema, uniquePerHolder: unique, ...typeDeclarations(code, 'name') },
      });
      expect(res.status).toBe(201);
      expect(((await res.json()) as { uniquePerHolder: boolean }).uniquePerHolder).toBe(unique);
      await authoriseType(t, code);
      const subject = { creditCode: freshCreditCode(), plate: '浙A12345' };
      const first = await t.call('POST', '/v1/licences', { body: { type: code, subject } });
      const second = await t.call('POST', '/v1/licences', { body: { type: code, subject } });
      expect([first.status, second.status]).toEqual(unique ? [201, 409] : [201, 201]);
    }
  });
});

describe('the race: the database decides', () => {
  it('many concurrent issues for one holder: exactly one wins, the rest are 409 naming it', async () => {
    const subject = businessSubject();
    const responses = await Promise.all(Array.from({ length: 24 }, (_, i) => issue({ ...subject, name: `并发公司${i}` })));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(23);
    const winner = (await responses.find((r) => r.status === 201)!.json()) as Licence;
    for (const r of responses.filter((r) => r.status === 409)) expect(((await r.json()) as ErrorBody).error.message).toContain(winner.id);
    expect(t.store.sqlite.prepare('SELECT count(*) AS n FROM licences WHERE holder_credit_code = ?').get(subject['creditCode'])).toEqual({ n: 1 });
  });

  it('two connections to one database file: the check passed on one while the other committed; the database refuses it', async () => {
    t.close();
    dir = mkdtempSync(join(tmpdir(), 'elicence-race-'));
    const file = join(dir, 'race.db');
    t = await createTestContext({ filename: file });
    // A second app on its own connection and its own in-process lock: only the database is shared.
    // Its signing waits at a gate, so its duplicate check runs before the first app commits and its
    // commit after: exactly the interleaving the check alone cannot catch.
    const store2 = openSqliteStore(file);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let signing!: () => void;
    const signingStarted = new Promise<void>((resolve) => {
      signing = resolve;
    });
    const keys2: KeyStore = {
      generate: (alg) => t.keys.generate(alg),
      async signer(kid) {
        const signer = await t.keys.signer(kid);
        return {
          alg: signer.alg,
          kid: signer.kid,
          async sign(input) {
            signing();
            await gate;
            return signer.sign(input);
          },
        };
      },
    };
    try {
      const app2 = createApp({ ...t.deps, store: store2, keys: keys2 });
      const subject = businessSubject();
      const send = (app: typeof t.app, name: string) =>
        app.request('/v1/licences', {
          method: 'POST',
          headers: { Authorization: `Bearer ${t.token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ type: 'BusinessLicence', subject: { ...subject, name } }),
        });
      const late = send(app2, '第二个连接');
      await signingStarted; // app2 checked: no live licence for the holder yet
      const first = await send(t.app, '第一个连接');
      expect(first.status).toBe(201);
      const winner = (await first.json()) as Licence;
      open();
      const second = await late;
      await expectDuplicate(second, winner.id);
      expect(t.store.sqlite.prepare('SELECT count(*) AS n FROM licences WHERE holder_credit_code = ?').get(subject['creditCode'])).toEqual({ n: 1 });
      expect(t.store.sqlite.prepare('SELECT licence_id AS id FROM holder_slots WHERE holder_credit_code = ?').all(subject['creditCode'])).toEqual([{ id: winner.id }]);
    } finally {
      open();
      store2.close();
    }
  });

  it('the primary key refuses a second live slot even when the check before it is skipped', () => {
    // What the issuing code relies on: a committed live slot makes a second claim fail in the database.
    const insert = t.store.sqlite.prepare(
      "INSERT INTO holder_slots (authority_id, type, holder_credit_code, licence_id, valid_until) VALUES ('dev-city', 'BusinessLicence', 'X', ?, 9e12)",
    );
    insert.run('a');
    expect(() => insert.run('b')).toThrow(/UNIQUE constraint failed/);
  });
});

describe('import reports it per row', () => {
  it('rows for a holder who already has an active business licence are refused with ERR_DUPLICATE_ACTIVE; the rest are issued', async () => {
    dir = mkdtempSync(join(tmpdir(), 'elicence-import-dup-'));
    const existing = businessSubject();
    const first = await issued(existing);
    const fresh = businessSubject();
    const header = 'creditCode,name,entityType,legalRepresentative,registeredCapital,establishedOn,address,businessScope,validUntil';
    const row = (s: Record<string, unknown>, name = String(s['name'])) =>
      [s['creditCode'], name, s['entityType'], s['legalRepresentative'], s['registeredCapital'], s['establishedOn'], s['address'], '技术开发', '2030-12-31'].join(',');
    const file = join(dir, 'register.csv');
    writeFileSync(file, `${[header, row(fresh), row(existing), row(fresh, '同一家的第二行')].join('\n')}\n`);
    const issuer: LicenceIssuer = {
      label: 'test app',
      maxBatchSize: 1000,
      concurrency: 1,
      defaultValidityDays: 1826,
      licenceType: async () => BUSINESS_LICENCE,
      async issueBatch(items: readonly BatchItem[]) {
        const res = await t.call('POST', '/v1/licences/batch', { body: { items } });
        const body = (await res.json()) as { items?: { id: string; credential: string; validFrom: string; validUntil: string }[]; alreadyIssued?: number } & Partial<ErrorBody>;
        if (res.status === 201) return { ok: true as const, licences: body.items!, alreadyIssued: body.alreadyIssued ?? 0 };
        return { ok: false as const, refused: (body.error!.details as { index: number; code: string; message: string; field?: string }[]) ?? [] };
      },
      async close() {},
    };
    const summary = await runImport({ file, type: 'BusinessLicence', issuer, now: () => t.clock.now() });
    expect(summary).toMatchObject({ rows: 3, issuedRows: 1, refusedByService: 2 });
    const report = summary.problems.map((p) => [p.rowNumber, p.field, p.code]);
    expect(report).toEqual(
      expect.arrayContaining([
        [3, 'creditCode', 'ERR_DUPLICATE_ACTIVE'],
        [4, 'creditCode', 'ERR_DUPLICATE_ACTIVE'],
      ]),
    );
    expect(summary.problems.find((p) => p.rowNumber === 3)!.message).toContain(first.id);
    expect(summary.problems.find((p) => p.rowNumber === 4)!.message).toContain('row 2 is a BusinessLicence for the same holder');
  });
});
