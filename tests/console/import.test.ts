/**
 * The console's import: the page (clerk and up), and POST /console/import/batch, the session-authenticated
 * twin of POST /v1/licences/batch, driven here by the page's own code (src/console/client/import-session.ts)
 * over app.request. The insider's attacks: a request without the session's CSRF token or from another
 * origin; a clerk limited to one licence type sending another; a clerk of another authority re-sending
 * this authority's row keys to obtain its licences; an anchor operator importing; formula cells in the
 * register reaching the downloaded CSVs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { batchSender, checkRegister, readRegister, refusedCsv, resultsCsv, sendRegister } from '../../src/console/client/import-session.js';
import { IMPORT_BATCH_PATH } from '../../src/console/routes.js';
import { BUSINESS_LICENCE } from '../../src/core/licence-types.js';
import { licences } from '../../src/db/schema.js';
import { readSource } from '../../src/import/source.js';
import { mapColumns } from '../../src/import-core/columns.js';
import { parseCsvText } from '../../src/import-core/csv-parse.js';
import { prepareRows } from '../../src/import-core/prepare-rows.js';
import { createAccount } from '../../src/services/accounts.js';
import { createAuthority } from '../../src/services/authorities.js';
import { generateRegister, toCsv } from '../fixtures/import/register.js';
import type { ConsoleClient } from '../helpers/console-client.js';
import { freshCreditCode } from './codes.js';
import { type ConsoleWorld, consoleWorld } from './harness.js';

let w: ConsoleWorld;
beforeEach(async () => {
  w = await consoleWorld();
});
afterEach(() => w.t.close());

const NOW = Date.parse('2026-06-01T00:00:00Z');
const encoder = new TextEncoder();

/** The page's sender, bound to this app and this signed-in user (cookie and CSRF token as the browser sends them). */
async function senderOf(user: ConsoleClient, options: { csrf?: string; origin?: string } = {}) {
  const page = await user.page('/console/import');
  expect(page.status).toBe(200);
  const data = JSON.parse(/<script type="application\/json" id="import-data">(.*?)<\/script>/s.exec(page.html)![1]!) as { csrf: string; batchSize: number };
  const fetchFn = (async (url: string, init: RequestInit) =>
    w.t.app.request(`${user.origin}${url}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), cookie: user.cookieHeader(), origin: options.origin ?? user.origin },
    })) as typeof fetch;
  return { data, sender: batchSender(IMPORT_BATCH_PATH, { 'X-CSRF-Token': options.csrf ?? data.csrf }, fetchFn) };
}

const countOf = (authorityId: string) => w.t.store.sqlite.prepare('SELECT count(*) AS n FROM licences WHERE authority_id = ?').get(authorityId) as { n: number };

async function checked(name: string, csv: string, bytes: Uint8Array = encoder.encode(csv)) {
  const table = await readRegister({ name, bytes });
  return checkRegister(name, table, BUSINESS_LICENCE, { now: NOW, defaultValidityDays: 1825 });
}

describe('the import page', () => {
  it('is for clerks, supervisors and admins; an anchor operator gets 403; the nav shows it; it loads only its own script', async () => {
    for (const role of ['clerk', 'supervisor', 'admin'] as const) {
      const user = await w.signedIn(role, role === 'admin' ? 'admin' : undefined);
      const page = await user.page('/console/import');
      expect(page.status, role).toBe(200);
      expect(page.html).toContain('id="import-file"');
      expect(page.html).toMatch(/src="\/console\/assets\/console-import-[0-9a-f]{12}\.js"/);
      expect(page.html).not.toMatch(/src="\/console\/assets\/console-[0-9a-f]{12}\.js"/);
      expect((await user.page('/console/licences')).html).toContain('href="/console/import"');
    }
    const anchor = await w.signedIn('anchor');
    expect((await anchor.page('/console/import')).status).toBe(403);
  });
});

describe('the page reads a register as the command line does', () => {
  it("CSV (UTF-8 and GBK) and XLSX give the CLI's rows, problems and idempotency keys", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-import-'));
    try {
      const register = generateRegister(40, { badCount: 4 });
      const csv = toCsv(register);
      const workbook = new ExcelJS.Workbook();
      const sheet = workbook.addWorksheet('登记簿');
      sheet.addRow(register.header);
      for (const row of register.rows) sheet.addRow(row.map((cell, i) => (i === 5 && /^\d{4}-\d{2}-\d{2}$/.test(cell) ? new Date(`${cell}T00:00:00Z`) : cell)));
      const files: Record<string, Uint8Array> = {
        'utf8.csv': encoder.encode(csv),
        'gbk.csv': new Uint8Array(iconv.encode(csv.replace(/^\uFEFF/u, ''), 'gbk')),
        'book.xlsx': new Uint8Array((await workbook.xlsx.writeBuffer()) as ArrayBuffer),
      };
      for (const [name, bytes] of Object.entries(files)) {
        writeFileSync(join(dir, name), bytes);
        const cliTable = await readSource(join(dir, name));
        const cli = prepareRows(cliTable, mapColumns(cliTable.header, BUSINESS_LICENCE), BUSINESS_LICENCE, { now: NOW, scope: name, defaultValidityDays: 1825 });
        const page = (await checked(name, '', bytes)).prepared;
        expect(
          page.good.map((r) => [r.rowNumber, r.idempotencyKey]),
          name,
        ).toEqual(cli.good.map((r) => [r.rowNumber, r.idempotencyKey]));
        expect(page.problems, name).toEqual(cli.problems);
        expect(page.good.length, name).toBe(36);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('POST /console/import/batch', () => {
  it('imports through the page code: report, results, resume recognises every row, counts exactly once', async () => {
    const clerk = await w.signedIn('clerk');
    const { sender } = await senderOf(clerk);
    const register = generateRegister(60, { badCount: 4 });
    const first = await checked('register.csv', toCsv(register));
    expect(first.prepared.good.length).toBe(56);
    expect(new Set(first.prepared.problems.map((p) => p.rowNumber))).toEqual(new Set(register.bad.keys()));
    const stop = new AbortController();
    const partial = await sendRegister(first, sender, {
      batchSize: 10,
      concurrency: 1,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.done >= 20) stop.abort();
      },
    });
    expect(partial.stopped).toBe(true);
    expect(partial.results.length).toBe(20);
    expect(countOf('dev-city').n).toBe(20);

    // The same file again: the 20 are recognised, the rest issued once.
    const again = await checked('register.csv', toCsv(register));
    const rest = await sendRegister(again, sender, { batchSize: 10 });
    expect(rest).toMatchObject({ stopped: false, done: 56, newRows: 36, alreadyIssued: 20, refusedByService: 0 });
    expect(countOf('dev-city').n).toBe(56);
    const results = parseCsvText(resultsCsv(rest.results).slice(1), ',');
    expect(results[0]).toEqual(['row', 'licenceId', 'creditCode', 'validFrom', 'validUntil', 'qrText', 'firstDay', 'lastDay', 'licenceIdentifier']);
    expect(results.length).toBe(57);
    expect(new Set(results.slice(1).map((r) => r[1])).size).toBe(56);
    expect(results.slice(1).every((r) => r[5]!.startsWith('EL1'))).toBe(true);
  });

  it('a row whose cells hold formulas is reported with the cells made inert in the refused-rows CSV', async () => {
    const register = generateRegister(3);
    register.rows[1]![1] = "=cmd|' /C calc'!A0";
    register.rows[1]![0] = '@SUM(1+1)*cmd|" /C calc"!A0';
    register.rows[2]![3] = '+HYPERLINK("http://evil.example","x")';
    register.rows[2]![5] = '-2+3';
    const check = await checked('formulas.csv', toCsv(register));
    expect(new Set(check.prepared.problems.map((p) => p.rowNumber))).toEqual(new Set([3, 4]));
    // A refusal by the service quoting the cell as it stands (the service's words are not under our control).
    const csv = refusedCsv(check, [{ rowNumber: 2, field: 'name', column: '名称', code: 'ERR_VALIDATION', message: "=cmd|' /C calc'!A0" }]);
    const cells = parseCsvText(csv.slice(1), ',').flat();
    expect(cells).toContain("'=cmd|' /C calc'!A0");
    expect(cells.filter((c) => /^[=+\-@\t\r]/u.test(c))).toEqual([]);
  });

  it('needs the session, its CSRF token in X-CSRF-Token and this origin; answers JSON errors', async () => {
    const clerk = await w.signedIn('clerk');
    const check = await checked('r.csv', toCsv(generateRegister(2)));
    const items = check.prepared.good.map((row) => ({ ...row.item, idempotencyKey: row.idempotencyKey }));
    const post = (headers: Record<string, string>) =>
      w.t.app.request(`${clerk.origin}${IMPORT_BATCH_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ items }) });
    const page = await clerk.page('/console/import');
    const csrf = /"csrf":"([^"]+)"/.exec(page.html)![1]!;
    const noSession = await post({ 'X-CSRF-Token': csrf });
    expect(noSession.status).toBe(401);
    expect(((await noSession.json()) as { error: { code: string } }).error.code).toBe('ERR_UNAUTHENTICATED');
    const noToken = await post({ cookie: clerk.cookieHeader() });
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as { error: { field: string } }).error.field).toBe('_csrf');
    expect((await post({ cookie: clerk.cookieHeader(), 'X-CSRF-Token': `${csrf.slice(0, -1)}${csrf.endsWith('x') ? 'y' : 'x'}` })).status).toBe(403);
    expect((await post({ cookie: clerk.cookieHeader(), 'X-CSRF-Token': csrf, origin: 'https://evil.example' })).status).toBe(403);
    // A form post cannot reach it either (no JSON, no token header).
    expect((await clerk.post(IMPORT_BATCH_PATH, { items: '[]' })).status).toBe(415);
    expect(countOf('dev-city').n).toBe(0);
    const ok = await post({ cookie: clerk.cookieHeader(), 'X-CSRF-Token': csrf, origin: clerk.origin });
    expect(ok.status).toBe(201);
    expect(countOf('dev-city').n).toBe(2);
    const bad = await w.t.app.request(`${clerk.origin}${IMPORT_BATCH_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: clerk.cookieHeader(), 'X-CSRF-Token': csrf },
      body: JSON.stringify({ items: [{ ...items[0], authorityId: 'ningbo' }] }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; field: string } }).error).toMatchObject({ code: 'ERR_UNKNOWN_FIELD', field: 'items[0].authorityId' });
  });

  it('a clerk limited to food licences cannot issue business licences through it; nothing is issued', async () => {
    await createAccount(
      w.t.deps,
      { authorityId: 'dev-city', login: 'foodclerk', name: '食品窗口', role: 'clerk', licenceTypes: ['FoodBusinessLicence'], password: 'first-password-1' },
      'system',
    );
    const user = w.client();
    await user.signIn('foodclerk', 'first-password-1');
    await user.submit('/console/password', { current: 'first-password-1', password: 'my-own-password-22', repeat: 'my-own-password-22' });
    const page = await user.page('/console/import');
    expect(page.html).toContain('FoodBusinessLicence');
    expect(page.html).not.toContain('"code":"BusinessLicence"');
    const { sender } = await senderOf(user);
    const check = await checked('r.csv', toCsv(generateRegister(3)));
    const sent = await sendRegister(check, sender, { batchSize: 10 });
    expect(sent.results).toEqual([]);
    expect(sent.refusedByService).toBe(3);
    expect(sent.refused.every((r) => r.code === 'ERR_FORBIDDEN')).toBe(true);
    expect(countOf('dev-city').n).toBe(0);
  });

  it("another authority's clerk re-sending this authority's row keys gets new licences of its own, never this authority's", async () => {
    const clerk = await w.signedIn('clerk');
    const register = toCsv(generateRegister(5));
    const mine = await sendRegister(await checked('r.csv', register), (await senderOf(clerk)).sender, { batchSize: 10 });
    expect(mine.newRows).toBe(5);
    await createAuthority(w.t.deps, { id: 'ningbo', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
    const other = await w.signedIn('clerk', 'ningbo-clerk', 'ningbo');
    const theirs = await sendRegister(await checked('r.csv', register), (await senderOf(other)).sender, { batchSize: 10 });
    expect(theirs.alreadyIssued).toBe(0);
    expect(theirs.newRows).toBe(5);
    const mineIds = new Set(mine.results.map((r) => r.licenceId));
    expect(theirs.results.some((r) => mineIds.has(r.licenceId))).toBe(false);
    const rows = await w.t.store.db.select({ authorityId: licences.authorityId }).from(licences).where(eq(licences.id, theirs.results[0]!.licenceId));
    expect(rows[0]!.authorityId).toBe('ningbo');
    expect(countOf('dev-city').n).toBe(5);
  });
});
