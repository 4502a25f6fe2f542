/**
 * The migrations of the national e-licence profile on a database the service made before them
 * (tests/fixtures/migration/before-gbt.sql: made by commit a65b342, four licences, one suspended, one
 * revoked, one amended, a published trust list). Everything stored survives the table rebuild of
 * `licences` and `holder_slots` (nullable valid_until); a start-up then gives the development authority
 * its credit code and the built-in types their declarations; old licences read, list, verify offline
 * and show metadata; amending one gives it an identifier; new licences get the next serials.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app/app.js';
import { defaultConfig } from '../src/app/deps.js';
import { parseLicenceIdentifier } from '../src/core/licence-identifier.js';
import { openSqliteStore, type SqliteStore } from '../src/node/sqlite-store.js';
import { bootstrap } from '../src/services/bootstrap.js';
import { verify } from '../verifier/index.js';
import { DEV_TOKEN, manualClock } from './helpers/app.js';
import { createMemoryKeyStore } from './helpers/memory-key-store.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/migration/${name}`, import.meta.url), 'utf8');
const { keys: privateKeys, licences: old } = JSON.parse(fixture('before-gbt-keys.json')) as {
  keys: JWK[];
  licences: { amended: string; superseded: string; suspended: string; revoked: string };
};
// Every migration in the journal runs over the old database, not only the ones this test was written with.
const journal = JSON.parse(readFileSync(new URL('../migrations/meta/_journal.json', import.meta.url), 'utf8')) as {
  entries: unknown[];
};

let dir: string;
let store: SqliteStore;
let before: Record<string, unknown>[];
let call: (method: string, path: string, body?: unknown) => Promise<Response>;
const clock = manualClock('2026-06-02T00:00:00Z');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elicence-migrate-gbt-'));
  const file = join(dir, 'before.db');
  const raw = new Database(file);
  raw.exec(fixture('before-gbt.sql'));
  before = raw.prepare('SELECT * FROM licences ORDER BY id').all() as Record<string, unknown>[];
  expect(raw.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get()).toEqual({ n: 4 });
  raw.close();
  // Opening migrates (0004 adds columns and the serials table, 0005 rebuilds two tables).
  store = openSqliteStore(file);
  const keys = createMemoryKeyStore();
  for (const jwk of privateKeys) await keys.importPrivateJwk(jwk);
  const deps = { store, keys, clock, config: defaultConfig('https://elicence.test') };
  const started = await bootstrap(deps, { devToken: DEV_TOKEN });
  expect(started.created).toBe(false);
  expect(started.withoutCreditCode).toBeUndefined();
  const app = createApp(deps);
  call = async (method, path, body) =>
    app.request(path, { method, headers: { Authorization: `Bearer ${DEV_TOKEN}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
});

afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('migrating a database from before licence identifiers', () => {
  it('keeps every licence row as it was; the new columns are empty; valid_until and holder slots survive the rebuild', () => {
    const after = store.sqlite.prepare('SELECT * FROM licences ORDER BY id').all() as Record<string, unknown>[];
    expect(after).toEqual(before.map((row) => ({ ...row, licence_identifier: null })));
    expect(after.every((row) => typeof row['valid_until'] === 'number')).toBe(true);
    expect(store.sqlite.prepare('SELECT count(*) AS n FROM holder_slots').get()).toEqual({ n: 2 });
    const columns = (table: string) => (store.sqlite.prepare(`PRAGMA table_info(${table})`).all() as { name: string; notnull: number }[]).map((c) => [c.name, c.notnull]);
    expect(columns('licences')).toContainEqual(['valid_until', 0]);
    expect(columns('holder_slots')).toContainEqual(['valid_until', 0]);
    expect(store.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get()).toEqual({ n: journal.entries.length });
  });

  it('the start-up gives the development authority its credit code and the built-in types their declarations', () => {
    expect(store.sqlite.prepare("SELECT credit_code AS c FROM authorities WHERE id = 'dev-city'").get()).toEqual({ c: '11330100DC00000011' });
    expect(store.sqlite.prepare('SELECT code, catalogue_code AS c, number_field AS n, holder_name_field AS h FROM licence_types ORDER BY code').all()).toEqual([
      { code: 'BusinessLicence', c: 'YYZZ', n: 'creditCode', h: 'name' },
      { code: 'FoodBusinessLicence', c: 'SPJY', n: 'licenceNumber', h: 'operatorName' },
    ]);
    const audit = store.sqlite.prepare("SELECT action FROM audit_log WHERE action = 'authority.creditCodeSet'").all();
    expect(audit).toHaveLength(1);
  });

  it('old licences read with their status and no identifier; their metadata comes from the type and the authority', async () => {
    const read = async (id: string) => (await (await call('GET', `/v1/licences/${id}`)).json()) as { status: string; licenceIdentifier: string | null; validUntil: string | null };
    expect(await read(old.amended)).toMatchObject({ status: 'active', licenceIdentifier: null });
    expect(await read(old.suspended)).toMatchObject({ status: 'suspended', licenceIdentifier: null });
    expect(await read(old.revoked)).toMatchObject({ status: 'revoked' });
    expect((await read(old.superseded)).status).toBe('revoked');
    const metadata = (await (await call('GET', `/v1/licences/${old.amended}/metadata`)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ name: '营业执照', typeCode: 'YYZZ', identifier: null, number: '91330106MA2CFX7K5Y', issuerCode: '11330100DC00000011', validTo: '2031-05-31' });
    const active = (await (await call('GET', '/v1/licences?status=active')).json()) as { items: { id: string }[] };
    expect(active.items.map((l) => l.id)).toEqual([old.amended]);
  });

  it('old licences still verify offline with a bundle that now lists the credit code', async () => {
    const bundle = await (await call('GET', '/verifier-bundle')).json();
    const anchors = await (await call('GET', '/.well-known/trust-anchor.json')).json();
    const jws = (store.sqlite.prepare('SELECT jws FROM licences WHERE id = ?').get(old.amended) as { jws: string }).jws;
    const result = await verify(jws, bundle, { anchors, now: clock.now() });
    expect(result.verdict).toBe('VALID');
    expect(result.licence).not.toHaveProperty('identifier');
  });

  it('amending an old licence gives it an identifier; new licences take the next serials', async () => {
    const amended = await call('POST', `/v1/licences/${old.amended}/amend`, { subjectPatch: { address: '浙江省杭州市西湖区文三路300号' } });
    expect(amended.status).toBe(201);
    const licence = (await amended.json()) as { licenceIdentifier: string };
    expect(parseLicenceIdentifier(licence.licenceIdentifier, 'x')).toEqual({ typeCode: 'YYZZ', authorityCode: '11330100DC00000011', serial: 1, version: 1 });
    const fresh = await call('POST', '/v1/licences', {
      type: 'FoodBusinessLicence',
      subject: {
        licenceNumber: 'JY13301060099999',
        operatorName: '迁移后新餐饮有限公司',
        creditCode: '91330106MA2CFX7K5Y',
        legalRepresentative: '王五',
        premisesAddress: '浙江省杭州市',
        mainBusinessFormat: '餐饮服务经营者（小型餐馆）',
        businessItems: ['热食类食品制售'],
      },
      validUntil: null,
    });
    expect(fresh.status).toBe(201);
    expect(parseLicenceIdentifier(((await fresh.json()) as { licenceIdentifier: string }).licenceIdentifier, 'x')).toMatchObject({ typeCode: 'SPJY', serial: 1 });
  });
});
