/**
 * The hash-chained audit log: issuance and status changes are chained; an edit, a deletion or a
 * re-hashed row made behind the service's back (raw SQL) is caught, through `verifyAuditChain` and
 * through the `audit verify` CLI module on a file database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../src/cli/audit.js';
import { entryHash, verifyAuditChain } from '../src/services/audit.js';
import { businessSubject, createTestContext, type TestContext } from './helpers/app.js';

interface AuditRow {
  seq: number;
  at: number;
  authority_id: string | null;
  actor: string;
  action: string;
  subject_id: string | null;
  content_json: string;
  prev_hash: string;
  hash: string;
}

let dir: string;
let t: TestContext;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elicence-audit-'));
  t = await createTestContext({ filename: join(dir, 'elicence.db') });
  for (let i = 0; i < 3; i++) {
    const res = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } });
    const { id } = (await res.json()) as { id: string };
    if (i === 0) expect((await t.call('POST', `/v1/licences/${id}/suspend`, { body: { reason: 'investigation', note: '抽查' } })).status).toBe(200);
    if (i === 1) expect((await t.call('POST', `/v1/licences/${id}/revoke`, { body: { reason: 'fraud' } })).status).toBe(200);
  }
});
afterEach(() => {
  t.close();
  rmSync(dir, { recursive: true, force: true });
});

const rows = () => t.store.sqlite.prepare('SELECT * FROM audit_log ORDER BY seq').all() as AuditRow[];
const seqOf = (action: string) => rows().find((r) => r.action === action)!.seq;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, 'audit', { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('audit chain', () => {
  it('records issuance and status changes and verifies intact', async () => {
    const actions = rows().map((r) => r.action);
    expect(actions.filter((a) => a === 'licence.issued')).toHaveLength(3);
    expect(actions).toContain('licence.suspended');
    expect(actions).toContain('licence.revoked');
    const result = await verifyAuditChain(t.store.db);
    expect(result).toMatchObject({ ok: true, entries: rows().length });
    const { code, out } = await cli(['verify', '--data-dir', dir]);
    expect(code).toBe(0);
    expect(out).toContain(`${rows().length} entries`);
  });

  it('catches an edited reason (content) at that entry', async () => {
    const seq = seqOf('licence.revoked');
    const row = rows().find((r) => r.seq === seq)!;
    t.store.sqlite.prepare('UPDATE audit_log SET content_json = ? WHERE seq = ?').run(row.content_json.replace('"fraud"', '"cancelled"'), seq);
    expect(await verifyAuditChain(t.store.db)).toMatchObject({ ok: false, firstBrokenSeq: seq, entries: seq - 1 });
    const { code, err } = await cli(['verify', '--data-dir', dir]);
    expect(code).toBe(1);
    expect(err).toContain(`entry #${seq}`);
  });

  it('catches an edited time or actor', async () => {
    const seq = seqOf('licence.suspended');
    t.store.sqlite.prepare('UPDATE audit_log SET at = at + 1 WHERE seq = ?').run(seq);
    expect(await verifyAuditChain(t.store.db)).toMatchObject({ ok: false, firstBrokenSeq: seq });
  });

  it('catches a row re-hashed to match its new content: the next entry no longer links', async () => {
    const seq = seqOf('licence.suspended');
    const row = rows().find((r) => r.seq === seq)!;
    const content = row.content_json.replace('"investigation"', '"holder_request"');
    const hash = entryHash({
      seq,
      at: row.at,
      authorityId: row.authority_id,
      actor: row.actor,
      action: row.action,
      subjectId: row.subject_id,
      contentJson: content,
      prevHash: row.prev_hash,
    });
    t.store.sqlite.prepare('UPDATE audit_log SET content_json = ?, hash = ? WHERE seq = ?').run(content, hash, seq);
    expect(await verifyAuditChain(t.store.db)).toMatchObject({ ok: false, firstBrokenSeq: seq + 1 });
    const { code, err } = await cli(['verify', '--data-dir', dir]);
    expect(code).toBe(1);
    expect(err).toContain(`entry #${seq + 1}`);
  });

  it('catches a deleted entry', async () => {
    const seq = seqOf('licence.revoked');
    t.store.sqlite.prepare('DELETE FROM audit_log WHERE seq = ?').run(seq - 1);
    expect(await verifyAuditChain(t.store.db)).toMatchObject({ ok: false, firstBrokenSeq: seq - 1 });
    expect((await cli(['verify', '--data-dir', dir])).code).toBe(1);
  });

  it('a recorded head catches the newest entries being cut off, which the chain alone cannot show', async () => {
    const head = (await (await t.call('GET', '/v1/audit/head')).json()) as { seq: number; hash: string; at: string };
    const last = rows().at(-1)!;
    expect(head).toEqual({ seq: last.seq, hash: last.hash, at: new Date(last.at).toISOString() });
    expect((await cli(['verify', '--data-dir', dir, '--expect-head', `${head.seq}:${head.hash}`])).code).toBe(0);
    // Someone with database access removes the last two entries: the rest of the chain still links...
    t.store.sqlite.prepare('DELETE FROM audit_log WHERE seq > ?').run(head.seq - 2);
    expect(await verifyAuditChain(t.store.db)).toMatchObject({ ok: true });
    expect((await cli(['verify', '--data-dir', dir])).code).toBe(0);
    // ...but not to the head recorded outside the database.
    const cut = await cli(['verify', '--data-dir', dir, '--expect-head', `${head.seq}:${head.hash}`]);
    expect(cut.code).toBe(1);
    expect(cut.err).toContain(`#${head.seq} is gone`);
    expect((await cli(['verify', '--data-dir', dir, '--expect-head', 'latest'])).code).toBe(64);
    const readOnly = (await t.call('POST', '/v1/tokens', { body: { name: 'reader', actions: ['read'] } }).then((r) => r.json())) as { token: string };
    expect((await t.call('GET', '/v1/audit/head', { token: readOnly.token })).status).toBe(403);
  });

  it('the CLI honours DATA_DIR, refuses a missing database and bad usage', async () => {
    const previous = process.env['DATA_DIR'];
    process.env['DATA_DIR'] = dir;
    try {
      expect((await cli(['verify'])).code).toBe(0);
    } finally {
      if (previous === undefined) delete process.env['DATA_DIR'];
      else process.env['DATA_DIR'] = previous;
    }
    const empty = mkdtempSync(join(tmpdir(), 'elicence-audit-empty-'));
    try {
      const missing = await cli(['verify', '--data-dir', empty]);
      expect(missing.code).toBe(1);
      expect(missing.err).toContain('no database');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    expect((await cli([])).code).toBe(64);
    expect((await cli(['check'])).code).toBe(64);
    expect((await cli(['verify', '--bogus'])).code).toBe(64);
  });
});
