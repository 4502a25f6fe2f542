/**
 * Crash safety: the Node service is SIGKILLed in the middle of mixed load, restarted on the same data,
 * and must have kept every write it acknowledged: every licence answered 201 exists, is byte-identical
 * and verifies; every status change answered 200 is in the database and in the published status list;
 * no status-list index is used twice; the audit chain is intact.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { checkNoLostWrites, type LocalService, runMixedLoad, startLocalService, type TrackedLicence } from '../../scripts/load.js';
import { parseStatusListCredential } from '../../src/core/status-list.js';
import { openSqliteStore } from '../../src/node/sqlite-store.js';
import { verifyAuditChain } from '../../src/services/audit.js';

const TOKEN = 'elk_crash-test-token-0123456789';
const temp = mkdtempSync(join(tmpdir(), 'elicence-crash-'));
const env = { dataDir: join(temp, 'data'), keysDir: join(temp, 'keys'), token: TOKEN };
const running: LocalService[] = [];

afterAll(async () => {
  for (const service of running) {
    if (service.child.exitCode === null && service.child.signalCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
  }
  rmSync(temp, { recursive: true, force: true });
});

async function statusBitsAgree(url: string, licences: TrackedLicence[]): Promise<string[]> {
  const lists = new Map<string, Promise<{ get(i: number): boolean }>>();
  const listAt = (credentialUrl: string) => {
    const path = new URL(credentialUrl).pathname;
    let list = lists.get(path);
    if (!list) {
      list = fetch(url + path, { headers: { accept: 'application/json' } })
        .then((r) => r.json())
        .then(async (payload) => (await parseStatusListCredential(payload)).bits);
      lists.set(path, list);
    }
    return list;
  };
  const problems: string[] = [];
  for (const licence of licences) {
    const response = await fetch(`${url}/v1/licences/${licence.id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await response.json()) as { status: string; credentialStatus: { purpose: string; statusListCredential: string; statusListIndex: number }[] };
    for (const entry of body.credentialStatus) {
      const bit = (await listAt(entry.statusListCredential)).get(entry.statusListIndex);
      const expected = entry.purpose === 'revocation' ? body.status === 'revoked' : body.status === 'suspended';
      if (bit !== expected) problems.push(`${licence.id}: ${entry.purpose} bit ${bit} but status ${body.status}`);
    }
  }
  return problems;
}

describe('SIGKILL in the middle of load', () => {
  it('loses no acknowledged write and keeps indices unique and the audit chain intact', async () => {
    const first = await startLocalService(env);
    running.push(first);
    const stop = new AbortController();
    const loading = runMixedLoad({ url: first.url, token: TOKEN, seconds: 12, connections: 16, signal: stop.signal, requestTimeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    first.child.kill('SIGKILL');
    await first.exited;
    stop.abort();
    const report = await loading;

    // The run really was interrupted with work in flight and work acknowledged.
    expect(report.operations.issue.statuses['201'] ?? 0).toBeGreaterThan(50);
    expect((report.operations.suspend.statuses['200'] ?? 0) + (report.operations.revoke.statuses['200'] ?? 0)).toBeGreaterThan(10);
    expect(report.serverErrors).toBe(0);

    const uncertain = [...report.licences.values()].filter((l) => l.maybe).length;
    console.info(
      `crash: ${report.total} requests before/around the kill, ${report.licences.size} licences answered 201, ` +
        `${report.networkErrors} requests unanswered (${report.unansweredIssues} issues, ${uncertain} status changes in flight)`,
    );
    const second = await startLocalService(env);
    running.push(second);
    const lost = await checkNoLostWrites(second.url, TOKEN, report.licences.values());
    expect(lost.problems).toEqual([]);
    expect(lost.checked).toBe(report.licences.size);

    // The published lists agree with the statuses, for the licences whose status changed and a sample of the rest.
    const changed = [...report.licences.values()].filter((l) => l.state !== 'active' || l.maybe);
    const sample = [...report.licences.values()].filter((l) => l.state === 'active' && !l.maybe).slice(0, 50);
    expect(await statusBitsAgree(second.url, [...changed.slice(0, 300), ...sample])).toEqual([]);

    // And the restarted service takes writes again.
    const after = await runMixedLoad({ url: second.url, token: TOKEN, seconds: 1.5, connections: 4 });
    expect(after.serverErrors).toBe(0);
    expect(after.operations.issue.statuses['201'] ?? 0).toBeGreaterThan(0);
    second.child.kill('SIGTERM');
    await second.exited;

    const file = join(env.dataDir, 'elicence.db');
    const sqlite = new Database(file, { readonly: true });
    try {
      for (const [list, index] of [
        ['revocation_list_id', 'revocation_index'],
        ['suspension_list_id', 'suspension_index'],
      ] as const) {
        const reused = sqlite.prepare(`SELECT ${list} AS list, ${index} AS idx, COUNT(*) AS n FROM licences GROUP BY ${list}, ${index} HAVING n > 1`).all();
        expect(reused).toEqual([]);
      }
      const count = sqlite.prepare('SELECT COUNT(*) AS n FROM licences').get() as { n: number };
      expect(count.n).toBeGreaterThanOrEqual(report.licences.size);
    } finally {
      sqlite.close();
    }
    const store = openSqliteStore(file);
    try {
      const chain = await verifyAuditChain(store.db);
      expect(chain).toMatchObject({ ok: true });
    } finally {
      store.close();
    }
  }, 60_000);
});
