/**
 * The licence lifecycle through the HTTP API: every allowed and refused transition of the state
 * machine, amendment (supersede) in one commit, history from the audit log, scopes, and that a
 * refused request leaves licences, status lists and the audit log byte-identical.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { verifyAuditChain } from '../src/services/audit.js';
import { createAuthority } from '../src/services/authorities.js';
import { createToken } from '../src/services/tokens.js';
import { businessSubject, createTestContext, foodSubject, type TestContext } from './helpers/app.js';
import { freshCreditCode } from './shared/subjects.js';

interface Licence {
  id: string;
  status: string;
  statusReason: string | null;
  supersedes: string | null;
  supersededBy: string | null;
  credentialStatus: { purpose: string; statusListCredential: string; statusListIndex: number }[];
}

let t: TestContext;
beforeEach(async () => {
  t = await createTestContext();
});
afterEach(() => t.close());

async function issue(body: Record<string, unknown> = { type: 'BusinessLicence', subject: businessSubject() }): Promise<Licence> {
  const res = await t.call('POST', '/v1/licences', { body });
  expect(res.status).toBe(201);
  return (await res.json()) as Licence;
}

const reasonFor = { suspend: 'investigation', reinstate: 'remedied', revoke: 'cancelled' } as const;
type Action = keyof typeof reasonFor;

function act(id: string, action: Action, body: unknown = { reason: reasonFor[action] }, token?: string) {
  return t.call('POST', `/v1/licences/${id}/${action}`, { body, ...(token ? { token } : {}) });
}

/** Rows of the three tables a status change touches, exactly as stored. */
function snapshot(): string {
  const dump = (table: string) => t.store.sqlite.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all();
  return JSON.stringify({ licences: dump('licences'), statusLists: dump('status_lists'), audit: dump('audit_log') });
}

function listVersion(listId: string): number {
  return (t.store.sqlite.prepare('SELECT version FROM status_lists WHERE id = ?').get(listId) as { version: number }).version;
}

const listIdOf = (licence: Licence, purpose: string) => licence.credentialStatus.find((s) => s.purpose === purpose)!.statusListCredential.split('/status/')[1]!;

/** Puts a fresh licence into the named state through the API. */
async function licenceIn(state: 'active' | 'suspended' | 'revoked' | 'expired' | 'expired-suspended'): Promise<Licence> {
  const validUntil = state.startsWith('expired') ? new Date(t.clock.now() + 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined;
  const licence = await issue({ type: 'BusinessLicence', subject: businessSubject(), ...(validUntil ? { validUntil } : {}) });
  if (state === 'suspended' || state === 'expired-suspended') expect((await act(licence.id, 'suspend')).status).toBe(200);
  if (state === 'revoked') expect((await act(licence.id, 'revoke')).status).toBe(200);
  if (state.startsWith('expired')) t.clock.advance(120_000);
  return licence;
}

describe('state machine', () => {
  // [from, action, expected status after, or 409]
  const table: [Parameters<typeof licenceIn>[0], Action, string | 409][] = [
    ['active', 'suspend', 'suspended'],
    ['active', 'reinstate', 409],
    ['active', 'revoke', 'revoked'],
    ['suspended', 'suspend', 409],
    ['suspended', 'reinstate', 'active'],
    ['suspended', 'revoke', 'revoked'],
    ['revoked', 'suspend', 409],
    ['revoked', 'reinstate', 409],
    ['revoked', 'revoke', 409],
    ['expired', 'suspend', 409],
    ['expired', 'reinstate', 409],
    ['expired', 'revoke', 'revoked'],
    ['expired-suspended', 'suspend', 409],
    ['expired-suspended', 'reinstate', 409],
    ['expired-suspended', 'revoke', 'revoked'],
  ];

  it.each(table)('%s --%s--> %s', async (from, action, expected) => {
    const licence = await licenceIn(from);
    const before = snapshot();
    const res = await act(licence.id, action);
    if (expected === 409) {
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_ILLEGAL_TRANSITION');
      expect(snapshot()).toBe(before);
      return;
    }
    expect(res.status).toBe(200);
    const body = (await res.json()) as Licence;
    expect(body.status).toBe(expected);
    // `cancelled` is an alias accepted as input and stored as its code, `rescinded`.
    expect(body.statusReason).toBe(action === 'reinstate' ? null : action === 'revoke' ? 'rescinded' : reasonFor[action]);
    const stored = (await (await t.call('GET', `/v1/licences/${licence.id}`)).json()) as Licence;
    expect(stored.status).toBe(expected);
  });

  const amendTable: [Parameters<typeof licenceIn>[0], 201 | 409][] = [
    ['active', 201],
    ['suspended', 409],
    ['revoked', 409],
    ['expired', 409],
  ];
  it.each(amendTable)('amend from %s -> %s', async (from, expected) => {
    const licence = await licenceIn(from);
    const before = snapshot();
    const res = await t.call('POST', `/v1/licences/${licence.id}/amend`, { body: { subject: businessSubject({ name: '杭州示例科技（新）有限公司' }) } });
    expect(res.status).toBe(expected);
    if (expected === 409) {
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_ILLEGAL_TRANSITION');
      expect(snapshot()).toBe(before);
    }
  });
});

describe('list versions move with the bits they describe', () => {
  it('suspend and reinstate bump the suspension list, revoke the revocation list', async () => {
    const licence = await issue();
    const rev = listIdOf(licence, 'revocation');
    const sus = listIdOf(licence, 'suspension');
    expect([listVersion(rev), listVersion(sus)]).toEqual([0, 0]);
    await act(licence.id, 'suspend');
    expect([listVersion(rev), listVersion(sus)]).toEqual([0, 1]);
    await act(licence.id, 'reinstate');
    expect([listVersion(rev), listVersion(sus)]).toEqual([0, 2]);
    await act(licence.id, 'revoke');
    expect([listVersion(rev), listVersion(sus)]).toEqual([1, 2]);
  });

  it('revoking a suspended licence bumps both lists (its suspension bit clears)', async () => {
    const licence = await licenceIn('suspended');
    await act(licence.id, 'revoke');
    expect([listVersion(listIdOf(licence, 'revocation')), listVersion(listIdOf(licence, 'suspension'))]).toEqual([1, 2]);
  });
});

describe('amend', () => {
  it('issues a successor and revokes the old licence as superseded, linked both ways, in one commit', async () => {
    const old = await issue();
    const auditBefore = (t.store.sqlite.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n;
    const res = await t.call('POST', `/v1/licences/${old.id}/amend`, {
      body: { subject: businessSubject({ address: '浙江省杭州市西湖区文三路200号' }), note: '住所变更' },
    });
    expect(res.status).toBe(201);
    const amended = (await res.json()) as Licence & { credential: string; type: string };
    expect(amended.type).toBe('BusinessLicence');
    expect(amended.supersedes).toBe(old.id);
    const payload = JSON.parse(Buffer.from(amended.credential.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(payload['supersedes']).toBe(`urn:uuid:${old.id}`);
    const previous = (await (await t.call('GET', `/v1/licences/${old.id}`)).json()) as Licence;
    expect(previous).toMatchObject({ status: 'revoked', statusReason: 'superseded', supersededBy: amended.id });
    expect(listVersion(listIdOf(old, 'revocation'))).toBe(1);
    // One issuance entry for the successor and one revocation entry for the old licence.
    expect((t.store.sqlite.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n).toBe(auditBefore + 2);
    expect(await verifyAuditChain(t.store.db)).toMatchObject({ ok: true });
  });

  it('keeps the type, validates the subject, and refuses superseded as a revocation reason', async () => {
    const old = await issue();
    const before = snapshot();
    const bad = await t.call('POST', `/v1/licences/${old.id}/amend`, { body: { subject: businessSubject({ creditCode: '91330106MA2CFX7K5B' }) } });
    expect(bad.status).toBe(400);
    const typed = await t.call('POST', `/v1/licences/${old.id}/amend`, { body: { type: 'FoodBusinessLicence', subject: foodSubject() } });
    expect(typed.status).toBe(400);
    expect(((await typed.json()) as { error: { code: string } }).error.code).toBe('ERR_UNKNOWN_FIELD');
    const superseded = await act(old.id, 'revoke', { reason: 'superseded' });
    expect(superseded.status).toBe(400);
    expect(snapshot()).toBe(before);
  });
});

describe('history', () => {
  it('lists every event oldest first with action, time, actor, reason and note', async () => {
    const licence = await issue();
    t.clock.advance(1000);
    await act(licence.id, 'suspend', { reason: 'investigation', note: '群众举报，立案调查' });
    t.clock.advance(1000);
    await act(licence.id, 'reinstate', { reason: 'investigation_closed' });
    t.clock.advance(1000);
    const amend = await t.call('POST', `/v1/licences/${licence.id}/amend`, { body: { subject: businessSubject() } });
    const successor = (await amend.json()) as Licence;
    const res = await t.call('GET', `/v1/licences/${licence.id}/history`);
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as {
      items: { seq: number; action: string; at: string; actor: string; reason: string | null; note: string | null; supersededBy?: string }[];
    };
    expect(items.map((e) => [e.action, e.reason, e.note])).toEqual([
      ['licence.issued', null, null],
      ['licence.suspended', 'investigation', '群众举报，立案调查'],
      ['licence.reinstated', 'investigation_closed', null],
      ['licence.revoked', 'superseded', null],
    ]);
    expect(items[3]!.supersededBy).toBe(successor.id);
    expect(items.map((e) => e.at)).toEqual(['2026-06-01T00:00:00.000Z', '2026-06-01T00:00:01.000Z', '2026-06-01T00:00:02.000Z', '2026-06-01T00:00:03.000Z']);
    expect(items.every((e) => typeof e.actor === 'string' && e.actor.length > 0)).toBe(true);
    expect([...items].sort((a, b) => a.seq - b.seq)).toEqual(items);
    const next = (await (await t.call('GET', `/v1/licences/${successor.id}/history`)).json()) as { items: { action: string; supersedes?: string }[] };
    expect(next.items).toEqual([expect.objectContaining({ action: 'licence.issued', supersedes: licence.id })]);
  });
});

describe('refusals change nothing', () => {
  it.each([
    ['unknown reason', { reason: 'because' }],
    ['reason of another action', { reason: 'fraud' }],
    ['missing reason', {}],
    ['note too long', { reason: 'investigation', note: 'x'.repeat(501) }],
    ['unknown field', { reason: 'investigation', by: 'me' }],
    ['bad JSON', '{"reason": "investigation"'],
    ['not an object', '[]'],
  ])('%s', async (_name, body) => {
    const licence = await issue();
    const before = snapshot();
    const res = await act(licence.id, 'suspend', body);
    expect(res.status).toBe(400);
    expect(snapshot()).toBe(before);
  });

  it('no body at all is 400', async () => {
    const licence = await issue();
    const before = snapshot();
    const res = await t.app.request(`/v1/licences/${licence.id}/suspend`, { method: 'POST', headers: { Authorization: `Bearer ${t.token}` } });
    expect(res.status).toBe(400);
    expect(snapshot()).toBe(before);
  });

  it('a note of exactly 500 characters is accepted', async () => {
    const licence = await issue();
    expect((await act(licence.id, 'suspend', { reason: 'other', note: '注'.repeat(500) })).status).toBe(200);
  });

  it('unknown licence, another authority, wrong scope, wrong licence type', async () => {
    const licence = await issue();
    const before = snapshot();
    expect((await act('0193a5c0-7a00-7000-8000-000000000001', 'suspend')).status).toBe(404);

    await createAuthority(t.deps, { id: 'other-city', name: { zh: '他市', en: 'Other City' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'system');
    const other = await createToken(t.deps, { authorityId: 'other-city', name: 'other', actions: ['status', 'read', 'issue'] }, 'system');
    const readOnly = await createToken(t.deps, { authorityId: 'dev-city', name: 'read', actions: ['read', 'issue'] }, 'system');
    const foodOnly = await createToken(t.deps, { authorityId: 'dev-city', name: 'food', actions: ['status', 'read', 'issue'], licenceTypes: ['FoodBusinessLicence'] }, 'system');
    const tokensOnly = snapshot();
    expect(JSON.parse(tokensOnly).licences).toEqual(JSON.parse(before).licences);

    expect((await act(licence.id, 'suspend', undefined, other.token)).status).toBe(404);
    expect((await t.call('GET', `/v1/licences/${licence.id}/history`, { token: other.token })).status).toBe(404);
    expect((await act(licence.id, 'suspend', undefined, readOnly.token)).status).toBe(403);
    expect((await act(licence.id, 'suspend', undefined, foodOnly.token)).status).toBe(403);
    expect((await t.call('POST', `/v1/licences/${licence.id}/amend`, { body: { subject: businessSubject() }, token: foodOnly.token })).status).toBe(403);
    const statusOnly = await createToken(t.deps, { authorityId: 'dev-city', name: 'status', actions: ['status'] }, 'system');
    const afterTokens = snapshot();
    expect((await t.call('POST', `/v1/licences/${licence.id}/amend`, { body: { subject: businessSubject() }, token: statusOnly.token })).status).toBe(403);
    expect((await t.call('GET', `/v1/licences/${licence.id}/history`, { token: statusOnly.token })).status).toBe(403);
    expect(snapshot()).toBe(afterTokens);
    expect((await act(licence.id, 'suspend', undefined, statusOnly.token)).status).toBe(200);
  });

  it('a failing commit rolls back the licence, the list version and the audit entry together', async () => {
    const licence = await issue();
    const before = snapshot();
    // Sabotage the last statement of the commit (the audit insert): the whole change must vanish.
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    t.store.sqlite.exec(`CREATE TRIGGER no_more_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END;`);
    const res = await act(licence.id, 'revoke');
    expect(res.status).toBe(500);
    t.store.sqlite.exec('DROP TRIGGER no_more_audit');
    expect(quiet).toHaveBeenCalled();
    quiet.mockRestore();
    expect(snapshot()).toBe(before);
    expect((await act(licence.id, 'revoke')).status).toBe(200);
  });
});
