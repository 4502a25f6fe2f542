/**
 * The console against the legal-status contract: how it reads an ERR_DUPLICATE_ACTIVE refusal, and (the
 * MERGED block) that it agrees with the API on one active licence per holder, amendment by merge patch,
 * `subject` in the licence view and the reason codes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { currentSubject, duplicateOf } from '../../src/console/legal-api.js';
import { REVOKE_REASONS, SUSPEND_REASONS } from '../../src/console/reasons.js';
import { ElicenceError, type ErrorCode } from '../../src/core/errors.js';
import { businessSubject, createTestContext, type TestContext } from '../helpers/app.js';
import { freshCreditCode } from './codes.js';
import { businessFields, consoleWorld, idempotencyKeyOf, issueThroughConsole } from './harness.js';

describe('the console side of the contract (this branch)', () => {
  it('reads the existing licence from an ERR_DUPLICATE_ACTIVE refusal, and nothing from other errors', () => {
    const id = '01a2357c-56f4-7e01-b734-ea30006c614e';
    const dup = (details: unknown, message = 'the holder already has an active licence') => new ElicenceError('ERR_DUPLICATE_ACTIVE' as ErrorCode, message, { details });
    expect(duplicateOf(dup({ licenceId: id }))).toBe(id);
    expect(duplicateOf(dup(undefined, `holder has active licence ${id}`))).toBeUndefined();
    expect(duplicateOf(new ElicenceError('ERR_CONFLICT', `licence ${id}`, { details: { licenceId: id } }))).toBeUndefined();
  });

  it('offers the legal reason codes of the contract', () => {
    expect(REVOKE_REASONS).toEqual(['penalty', 'rescinded', 'deregistered', 'other']);
    expect(SUSPEND_REASONS).toEqual(['investigation', 'non_compliance', 'holder_request', 'other']);
  });
});

describe('the console agrees with the legal-status API', () => {
  let t: TestContext;
  const merged = { uniquePerHolder: false, amendByPatch: false, subjectInView: false, reasonCodes: false };

  beforeAll(async () => {
    t = await createTestContext();
    const code = freshCreditCode();
    const issue = () => t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject({ creditCode: code }) } });
    const first = (await (await issue()).json()) as { id: string; subject?: unknown };
    const second = await issue();
    merged.uniquePerHolder = second.status === 409 && ((await second.json()) as { error: { code: string } }).error.code === 'ERR_DUPLICATE_ACTIVE';
    merged.subjectInView = first.subject !== undefined;
    const other = (await (await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject({ creditCode: freshCreditCode() }) } })).json()) as {
      id: string;
    };
    merged.amendByPatch = (await t.call('POST', `/v1/licences/${first.id}/amend`, { body: { subjectPatch: { address: '浙江省杭州市西湖区新址1号' } } })).status === 201;
    merged.reasonCodes = (await t.call('POST', `/v1/licences/${other.id}/revoke`, { body: { reason: 'penalty' } })).status === 200;
    t.close();
  });

  it('explains a second active business licence for the same holder, with a link to the existing one', async () => {
    expect(merged.uniquePerHolder).toBe(true);
    const w = await consoleWorld();
    try {
      const clerk = await w.signedIn('clerk');
      const code = freshCreditCode();
      const first = await issueThroughConsole(clerk, businessFields(code));
      const form = await clerk.page('/console/issue/BusinessLicence');
      const again = await clerk.submit('/console/issue/BusinessLicence', { ...businessFields(code), idempotencyKey: idempotencyKeyOf(form.html) });
      expect(again.status).toBe(409);
      expect(again.html).toContain('该持证主体已有一张有效的同类证照');
      expect(again.html).toContain(`href="/console/licences/${first}"`);
    } finally {
      w.t.close();
    }
  });

  it('the console amendment and the API merge-patch amendment agree', async () => {
    expect(merged.amendByPatch).toBe(true);
    const w = await consoleWorld();
    try {
      const clerk = await w.signedIn('clerk');
      const a = await issueThroughConsole(clerk, businessFields(freshCreditCode()));
      await clerk.page(`/console/licences/${a}/amend`);
      const done = await clerk.submit(`/console/licences/${a}/amend`, { patch: JSON.stringify({ address: '浙江省杭州市西湖区新址2号' }), confirm: '1' });
      const viaConsole = /\/console\/licences\/([0-9a-f-]{36})/.exec(done.location ?? '')![1]!;
      const b = await issueThroughConsole(clerk, businessFields(freshCreditCode()));
      const viaApi = (await (await w.t.call('POST', `/v1/licences/${b}/amend`, { body: { subjectPatch: { address: '浙江省杭州市西湖区新址2号' } } })).json()) as { id: string };
      const row = (id: string) => w.t.store.sqlite.prepare('SELECT jws FROM licences WHERE id = ?').get(id) as { jws: string };
      const { creditCode: _a, ...fromConsole } = currentSubject(row(viaConsole));
      const { creditCode: _b, ...fromApi } = currentSubject(row(viaApi.id));
      expect(fromConsole).toEqual(fromApi);
    } finally {
      w.t.close();
    }
  });

  it('the API’s `subject` of a licence is what the console reads from its credential', async () => {
    expect(merged.subjectInView).toBe(true);
    const w = await consoleWorld();
    try {
      const subject = businessSubject({ creditCode: freshCreditCode() });
      const res = (await (await w.t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject } })).json()) as { id: string; subject: unknown };
      const row = w.t.store.sqlite.prepare('SELECT jws FROM licences WHERE id = ?').get(res.id) as { jws: string };
      expect(res.subject).toEqual(currentSubject(row));
    } finally {
      w.t.close();
    }
  });

  it('the API accepts every reason code the console offers', async () => {
    expect(merged.reasonCodes).toBe(true);
    const w = await consoleWorld();
    try {
      for (const reason of REVOKE_REASONS) {
        const id = (
          (await (await w.t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject({ creditCode: freshCreditCode() }) } })).json()) as {
            id: string;
          }
        ).id;
        expect((await w.t.call('POST', `/v1/licences/${id}/revoke`, { body: { reason } })).status, reason).toBe(200);
      }
      for (const reason of SUSPEND_REASONS) {
        const id = (
          (await (await w.t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject({ creditCode: freshCreditCode() }) } })).json()) as {
            id: string;
          }
        ).id;
        expect((await w.t.call('POST', `/v1/licences/${id}/suspend`, { body: { reason } })).status, reason).toBe(200);
      }
    } finally {
      w.t.close();
    }
  });
});
