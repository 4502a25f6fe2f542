/**
 * Bulk import: header mapping (Chinese, English, --map), cell normalisation, CSV in UTF-8
 * and GB18030, XLSX and JSONL; a generated 10,000-row register with 40 bad rows whose report names
 * exactly those rows; a run over HTTP killed (SIGKILL) part-way and run again, ending with each good
 * row issued exactly once, which a --local re-run then recognises without issuing anything; and a
 * local run stopped by an injected failure, then resumed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app/app.js';
import { type AppDeps, defaultConfig, systemClock } from '../src/app/deps.js';
import type { ElicenceError } from '../src/core/errors.js';
import { BUSINESS_LICENCE, FOOD_BUSINESS_LICENCE } from '../src/core/licence-types.js';
import { decodeLicenceQr } from '../src/core/qr/index.js';
import { parseCalendarDate, parseValidityInstant, splitList } from '../src/import/cell-values.js';
import { foldHeader, mapColumns, readHeaderMap } from '../src/import/columns.js';
import { offlineIssuer } from '../src/import/issuers.js';
import { localIssuer } from '../src/import/local-issuer.js';
import { runImport } from '../src/import/run-import.js';
import { createFileKeyStore } from '../src/node/file-key-store.js';
import { openSqliteStore, type SqliteStore } from '../src/node/sqlite-store.js';
import { bootstrap } from '../src/services/bootstrap.js';
import { EN_HEADER, generateRegister, toCsv } from './fixtures/import/register.js';
import { freshCreditCode } from './shared/subjects.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'tests/fixtures/import');
const TOKEN = 'elk_import-test-token-with-every-scope';

const readCsvFile = (path: string) => parseCsv(readFileSync(path, 'utf8'), { bom: true, columns: true }) as Record<string, string>[];

interface Deployment {
  dir: string;
  env: NodeJS.ProcessEnv;
  store: SqliteStore;
  url: string;
  count(): number;
  close(): Promise<void>;
}

/** A Node deployment in a temporary directory (file database and keys, as `npm start` has them), served on 127.0.0.1. */
async function startDeployment(): Promise<Deployment> {
  const dir = mkdtempSync(join(tmpdir(), 'elicence-import-'));
  const env = { DATA_DIR: join(dir, 'data'), KEYS_DIR: join(dir, 'keys') };
  const { mkdirSync } = await import('node:fs');
  mkdirSync(env.DATA_DIR, { recursive: true });
  const store = openSqliteStore(join(env.DATA_DIR, 'elicence.db'));
  const deps: AppDeps = { store, keys: createFileKeyStore(env.KEYS_DIR), clock: systemClock, config: defaultConfig('http://localhost:8787') };
  await bootstrap(deps, { devToken: TOKEN });
  const server = serve({ fetch: createApp(deps).fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    dir,
    env,
    store,
    url,
    count: () => (store.sqlite.prepare('SELECT count(*) AS n FROM licences').get() as { n: number }).n,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('column mapping', () => {
  it('maps Chinese titles, English titles and field names, folding width, case and spacing', () => {
    const zh = ['统一社会信用代码', '名称', '类型', '法定代表人', '注册资本', '成立日期', '住所', '经营范围', '有效期自', '有效期至'];
    expect(mapColumns(zh, BUSINESS_LICENCE).map((t) => (t.kind === 'field' ? t.field : t.kind))).toEqual([
      'creditCode',
      'name',
      'entityType',
      'legalRepresentative',
      'registeredCapital',
      'establishedOn',
      'address',
      'businessScope',
      'validFrom',
      'validUntil',
    ]);
    expect(mapColumns(EN_HEADER, BUSINESS_LICENCE).map((t) => (t.kind === 'field' ? t.field : t.kind))).toEqual([
      'creditCode',
      'name',
      'entityType',
      'legalRepresentative',
      'registeredCapital',
      'establishedOn',
      'address',
      'businessScope',
      'validFrom',
      'validUntil',
    ]);
    const food = mapColumns(['许可证编号', '经营者名称', 'CREDIT CODE ', '法定代表人(负责人)', 'premises_address', '主体业态', '经营项目*'], FOOD_BUSINESS_LICENCE, {
      'CREDIT CODE': 'creditCode',
    });
    expect(food.map((t) => (t.kind === 'field' ? t.field : t.kind))).toEqual([
      'licenceNumber',
      'operatorName',
      'creditCode',
      'legalRepresentative',
      'premisesAddress',
      'mainBusinessFormat',
      'businessItems',
    ]);
    // The bracketed part of a title may be left out.
    expect(mapColumns(['许可证编号', '经营者名称', '统一社会信用代码', '法定代表人', '经营场所', '主体业态', '经营项目'], FOOD_BUSINESS_LICENCE)[3]).toEqual({
      kind: 'field',
      field: 'legalRepresentative',
    });
    expect(foldHeader('　Legal  Representative：')).toBe('legalrepresentative');
  });

  it('uses a --map file for other headers and refuses unknown, doubled and missing columns, naming each', async () => {
    const map = await readHeaderMap(join(FIXTURES, 'business-custom-map.json'));
    const header = readFileSync(join(FIXTURES, 'business-custom-headers.csv'), 'utf8').split('\n')[0]!.split(',');
    const targets = mapColumns(header, BUSINESS_LICENCE, map);
    expect(targets[8]).toEqual({ kind: 'ignore' });
    expect(targets[9]).toEqual({ kind: 'validFrom' });
    expect(targets[7]).toEqual({ kind: 'field', field: 'businessScope' });

    const error = (() => {
      try {
        mapColumns(['统一社会信用代码', 'creditCode', '名称', '备注'], BUSINESS_LICENCE);
      } catch (e) {
        return e as ElicenceError;
      }
      throw new Error('expected ERR_IMPORT_COLUMNS');
    })();
    expect(error.code).toBe('ERR_IMPORT_COLUMNS');
    const problems = error.details as string[];
    expect(problems).toContain('unknown column "备注"');
    expect(problems).toContain('columns "统一社会信用代码" and "creditCode" both map to creditCode');
    expect(problems.some((p) => p.startsWith('no column for required field businessScope'))).toBe(true);
    expect(() => mapColumns(['x'], BUSINESS_LICENCE, { x: 'notAField' })).toThrow(/not a field of BusinessLicence/);
  });
});

describe('cell values', () => {
  it('reads the date spellings registers use and refuses impossible dates', () => {
    for (const text of ['2020-05-18', '2020/5/18', '2020.5.18', '2020年5月18日', '２０２０年５月１８日', '20200518', ' 2020 - 05 - 18 ']) {
      expect(parseCalendarDate(text, 'd')).toBe('2020-05-18');
    }
    expect(parseCalendarDate(new Date(Date.UTC(2020, 4, 18)), 'd')).toBe('2020-05-18');
    for (const bad of ['2020-02-30', '2020年13月1日', '长期', '18/05/2020', '']) {
      expect(() => parseCalendarDate(bad, 'd')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_DATE', field: 'd' }));
    }
  });

  it('reads a date-only validity as 00:00 China Standard Time and keeps a full date-time as given', () => {
    expect(parseValidityInstant('2020年5月18日', 'validFrom')).toEqual({ text: '2020-05-18T00:00:00+08:00', ms: Date.parse('2020-05-17T16:00:00Z') });
    expect(parseValidityInstant('2030-01-01T12:00:00Z', 'validUntil').text).toBe('2030-01-01T12:00:00Z');
  });

  it('splits list cells on 、 ; ； ， and keeps JSON arrays', () => {
    expect(splitList('热食类食品制售、冷食类食品制售；预包装食品销售，散装食品销售; 保健食品销售')).toEqual([
      '热食类食品制售',
      '冷食类食品制售',
      '预包装食品销售',
      '散装食品销售',
      '保健食品销售',
    ]);
    expect(splitList(['a ', 'b'])).toEqual(['a', 'b']);
  });
});

describe('file formats, locally issued', () => {
  let deployment: Deployment;
  beforeAll(async () => {
    deployment = await startDeployment();
  });
  afterAll(() => deployment.close());

  async function importLocal(file: string, type: string, extra: Partial<Parameters<typeof runImport>[0]> = {}) {
    const issuer = await localIssuer({ env: deployment.env });
    try {
      return await runImport({ file, type, issuer, reportPath: join(deployment.dir, 'report.csv'), outPath: join(deployment.dir, 'out.csv'), ...extra });
    } finally {
      await issuer.close();
    }
  }

  it('imports a UTF-8 CSV with a BOM and Chinese headers; a GB18030 copy gives the same licences without issuing again', async () => {
    const before = deployment.count();
    const summary = await importLocal(join(FIXTURES, 'business-zh.csv'), 'BusinessLicence');
    expect(summary).toMatchObject({ format: 'csv', encoding: 'utf-8', rows: 3, goodRows: 2, badRows: 1, issuedRows: 2 });
    expect(readCsvFile(summary.reportPath)).toEqual([
      { row: '4', field: 'creditCode', column: '统一社会信用代码', code: 'ERR_CREDIT_CODE', message: expect.stringContaining('check character') },
    ]);
    const results = readCsvFile(summary.outPath!);
    expect(results.map((r) => r['row'])).toEqual(['2', '3']);
    expect(results[0]!['validFrom']).toBe('2020-05-17T16:00:00.000Z');
    // The QR text carries the very JWS the database holds.
    const jws = (deployment.store.sqlite.prepare('SELECT jws FROM licences WHERE id = ?').get(results[0]!['licenceId']) as { jws: string }).jws;
    expect(decodeLicenceQr(results[0]!['qrText']!)).toBe(jws);
    expect(deployment.count()).toBe(before + 2);

    const gbk = join(deployment.dir, 'business-zh.csv');
    writeFileSync(gbk, iconv.encode(readFileSync(join(FIXTURES, 'business-zh.csv'), 'utf8').replace(/^\uFEFF/u, ''), 'gbk'));
    const again = await importLocal(gbk, 'BusinessLicence');
    expect(again).toMatchObject({ encoding: 'gb18030', goodRows: 2, issuedRows: 2 });
    expect(readCsvFile(again.outPath!).map((r) => r['licenceId'])).toEqual(results.map((r) => r['licenceId']));
    expect(deployment.count()).toBe(before + 2);

    writeFileSync(gbk, Buffer.from([0x80, 0xff, 0xff, 0x2c, 0x0a]));
    await expect(importLocal(gbk, 'BusinessLicence')).rejects.toMatchObject({ code: 'ERR_IMPORT_ENCODING' });
  });

  it('imports with a --map file for other headers', async () => {
    const summary = await importLocal(join(FIXTURES, 'business-custom-headers.csv'), 'BusinessLicence', {
      map: await readHeaderMap(join(FIXTURES, 'business-custom-map.json')),
    });
    expect(summary).toMatchObject({ goodRows: 1, badRows: 0, issuedRows: 1 });
  });

  it('imports an XLSX workbook with date cells, number cells and rich text', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('登记册');
    sheet.addRow(['Unified social credit code', 'Name', 'Entity type', 'Legal representative', 'Registered capital', 'Date established', 'Address', 'Business scope', '有效期至']);
    sheet.addRow([
      '91330106MA2CFX7K75',
      { richText: [{ text: '杭州示例' }, { text: '科技有限公司' }] },
      '有限责任公司',
      '张三',
      500,
      new Date(Date.UTC(2020, 4, 18)),
      '杭州市西湖区',
      '技术开发',
      new Date(Date.UTC(2040, 4, 17)),
    ]);
    sheet.addRow([]);
    sheet.addRow(['91330100MA27Y1F3XC', '杭州味道', '有限责任公司', '李四', '100万元', '2019年3月1日', '杭州市上城区', '餐饮管理', new Date(Date.UTC(2020, 0, 1))]);
    const file = join(deployment.dir, 'register.xlsx');
    await workbook.xlsx.writeFile(file);
    const summary = await importLocal(file, 'BusinessLicence');
    expect(summary).toMatchObject({ format: 'xlsx', rows: 2, goodRows: 1, badRows: 1, expiredRows: 1, issuedRows: 1 });
    expect(readCsvFile(summary.reportPath)).toEqual([expect.objectContaining({ row: '4', field: 'validUntil', code: 'ERR_LICENCE_EXPIRED' })]);
    const [result] = readCsvFile(summary.outPath!);
    // 有效期至 2040-05-17 is the last valid day: validUntil is 00:00 China Standard Time of the day after.
    expect(result).toMatchObject({ row: '2', validUntil: '2040-05-17T16:00:00.000Z' });
    const jws = (deployment.store.sqlite.prepare('SELECT jws FROM licences WHERE id = ?').get(result!['licenceId']) as { jws: string }).jws;
    const subject = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')).credentialSubject;
    expect(subject).toMatchObject({ name: '杭州示例科技有限公司', registeredCapital: '500', establishedOn: '2020-05-18' });
  });

  it('reports a JSONL line nested thousands of levels deep as ERR_JSON_TOO_DEEP, and imports the rest', async () => {
    const lines = readFileSync(join(FIXTURES, 'food.jsonl'), 'utf8').split('\n').filter(Boolean);
    const deep = `{"licenceNumber":"JY1","operatorName":${'{"a":'.repeat(20_000)}"x"${'}'.repeat(20_000)}}`;
    const file = join(mkdtempSync(join(tmpdir(), 'import-deep-')), 'deep.jsonl');
    writeFileSync(file, `${[lines[0], deep, lines[1]].join('\n')}\n`);
    const summary = await importLocal(file, 'FoodBusinessLicence', { dryRun: true });
    expect(summary).toMatchObject({ format: 'jsonl', goodRows: 2 });
    expect(summary.problems.map((p) => [p.rowNumber, p.code])).toEqual([[2, 'ERR_JSON_TOO_DEEP']]);
  });

  it('imports JSONL food licences with list fields as arrays or text, reporting bad lines by line number', async () => {
    const summary = await importLocal(join(FIXTURES, 'food.jsonl'), 'FoodBusinessLicence');
    expect(summary).toMatchObject({ format: 'jsonl', goodRows: 2, issuedRows: 2 });
    const report = readCsvFile(summary.reportPath);
    expect(report.map((r) => [r['row'], r['field'], r['code']])).toEqual([
      ['4', 'licenceNumber', 'ERR_VALIDATION'],
      ['4', 'businessItems', 'ERR_VALIDATION'],
      ['5', 'row', 'ERR_BAD_JSON'],
    ]);
    const [, second] = readCsvFile(summary.outPath!);
    const jws = (deployment.store.sqlite.prepare('SELECT jws FROM licences WHERE id = ?').get(second!['licenceId']) as { jws: string }).jws;
    const subject = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')).credentialSubject;
    expect(subject.businessItems).toEqual(['预包装食品销售', '散装食品销售', '保健食品销售']);
  });

  it('长期 in 有效期至 issues a licence without expiry; the results carry 长期 and the licence identifier, the same on a re-run', async () => {
    const header = '统一社会信用代码,名称,类型,法定代表人,注册资本,成立日期,住所,经营范围,有效期自,有效期至';
    const row = (code: string, name: string, until: string) =>
      `${code},${name},有限责任公司（自然人独资）,张三,10万元人民币,2020-01-01,浙江省杭州市西湖区某路1号,技术服务。,2026-01-01,${until}`;
    const [forever, dated, wrong] = [freshCreditCode(), freshCreditCode(), freshCreditCode()];
    const file = join(deployment.dir, 'long-term.csv');
    writeFileSync(
      file,
      `${[header, row(forever, '杭州长期有限公司', '长期'), row(dated, '杭州定期有限公司', '2045-12-31'), row(wrong, '杭州写错有限公司', '长期有效')].join('\n')}\n`,
    );
    const first = await importLocal(file, 'BusinessLicence');
    expect(first).toMatchObject({ goodRows: 2, badRows: 1, issuedRows: 2 });
    const [problem] = readCsvFile(first.reportPath);
    expect(problem).toMatchObject({ row: '4', field: 'validUntil', code: 'ERR_INVALID_DATE' });
    expect(problem!['message']).toContain('长期');
    const results = readCsvFile(first.outPath!);
    expect(results.map((r) => [r['creditCode'], r['validUntil'], r['lastDay']])).toEqual([
      [forever, '', '长期'],
      [dated, '2045-12-31T16:00:00.000Z', '2045-12-31'],
    ]);
    for (const r of results) expect(r['licenceIdentifier']).toMatch(/^YYZZ[0-9A-Z]{31}$/);
    const jws = deployment.store.sqlite.prepare('SELECT jws, valid_until AS v FROM licences WHERE id = ?').get(results[0]!['licenceId']) as { jws: string; v: number | null };
    expect(jws.v).toBeNull();
    expect('validUntil' in JSON.parse(Buffer.from(jws.jws.split('.')[1]!, 'base64url').toString('utf8'))).toBe(false);
    // Run again: nothing new, the same licences and identifiers.
    const again = await importLocal(file, 'BusinessLicence');
    expect(again).toMatchObject({ issuedRows: 2, alreadyIssuedRows: 2 });
    expect(readCsvFile(again.outPath!).map((r) => [r['licenceId'], r['licenceIdentifier']])).toEqual(results.map((r) => [r['licenceId'], r['licenceIdentifier']]));
  });

  it('resumes after an injected failure: the re-run issues each row exactly once', async () => {
    const register = generateRegister(1200, { seed: 7 });
    const file = join(deployment.dir, 'resume.csv');
    writeFileSync(file, toCsv(register));
    const before = deployment.count();
    await expect(
      importLocal(file, 'BusinessLicence', {
        batchSize: 100,
        afterBatch: (done) => {
          if (done >= 300) throw new Error('injected crash');
        },
      }),
    ).rejects.toThrow('injected crash');
    const afterCrash = deployment.count() - before;
    expect(afterCrash).toBeGreaterThanOrEqual(300);
    expect(afterCrash).toBeLessThan(1200);
    const summary = await importLocal(file, 'BusinessLicence', { batchSize: 100 });
    expect(summary.issuedRows).toBe(1200);
    expect(deployment.count() - before).toBe(1200);
    expect(new Set(readCsvFile(summary.outPath!).map((r) => r['licenceId'])).size).toBe(1200);
  });
});

describe('a 10,000-row register with 40 bad rows', () => {
  const register = generateRegister(10_000, { badCount: 40 });
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'elicence-import-10k-'));
    file = join(dir, 'register-10k.csv');
    writeFileSync(file, toCsv(register));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a dry run reports exactly the bad rows, each for its reason, and issues nothing', async () => {
    const summary = await runImport({ file, type: 'BusinessLicence', issuer: offlineIssuer(), dryRun: true, reportPath: join(dir, 'dry-report.csv') });
    expect(summary).toMatchObject({ rows: 10_000, goodRows: 9_960, badRows: 40, expiredRows: 10, outPath: undefined });
    const report = readCsvFile(summary.reportPath);
    expect(new Set(report.map((r) => Number(r['row'])))).toEqual(new Set(register.bad.keys()));
    const expectedCode = { 'check-character': 'ERR_CREDIT_CODE', 'missing-field': 'ERR_VALIDATION', 'bad-date': 'ERR_INVALID_DATE', expired: 'ERR_LICENCE_EXPIRED' };
    for (const r of report) expect(r['code']).toBe(expectedCode[register.bad.get(Number(r['row']))!]);
  });

  it('killed part-way over HTTP and run again, issues each good row exactly once; a --local re-run issues nothing more', async () => {
    const deployment = await startDeployment();
    try {
      const results = join(dir, 'results.csv');
      const report = join(dir, 'report.csv');
      const child = (killAtFraction?: number) =>
        new Promise<{ code: number | null; signal: NodeJS.Signals | null; killedAt?: number }>((resolve, reject) => {
          const proc = spawn(
            process.execPath,
            [
              '--import',
              'tsx',
              'src/cli/main.ts',
              'import',
              file,
              '--type',
              'BusinessLicence',
              '--server',
              deployment.url,
              '--token',
              TOKEN,
              '--batch-size',
              '250',
              '--report',
              report,
              '--out',
              results,
            ],
            { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
          );
          let killedAt: number | undefined;
          let stderr = '';
          proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
            stderr += chunk;
            const done = [...stderr.matchAll(/issuing: (\d+)\/(\d+)/gu)].map((m) => Number(m[1]) / Number(m[2]));
            if (killAtFraction !== undefined && killedAt === undefined && done.some((f) => f >= killAtFraction && f < 1)) {
              killedAt = deployment.count();
              proc.kill('SIGKILL');
            }
          });
          proc.on('error', reject);
          proc.on('exit', (code, signal) =>
            killedAt === undefined && signal ? reject(new Error(stderr)) : resolve({ code, signal, ...(killedAt === undefined ? {} : { killedAt }) }),
          );
        });

      const first = await child(0.3);
      expect(first.signal).toBe('SIGKILL');
      // Batches in flight when the importer died still complete on the server: wait for them.
      let settled = deployment.count();
      for (let previous = -1; previous !== settled; ) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        previous = settled;
        settled = deployment.count();
      }
      expect(settled).toBeGreaterThan(0);
      expect(settled).toBeLessThan(register.good.length);

      const second = await child();
      expect(second.code).toBe(1); // bad rows are in the report
      expect(deployment.count()).toBe(register.good.length);
      const rows = readCsvFile(results);
      expect(rows.map((r) => Number(r['row']))).toEqual(register.good);
      const ids = rows.map((r) => r['licenceId']!);
      expect(new Set(ids).size).toBe(register.good.length);
      const stored = new Set((deployment.store.sqlite.prepare('SELECT id FROM licences').all() as { id: string }[]).map((r) => r.id));
      expect(ids.every((id) => stored.has(id))).toBe(true);
      expect(new Set(readCsvFile(report).map((r) => Number(r['row'])))).toEqual(new Set(register.bad.keys()));

      // The same file against the same database directly: every row is recognised, nothing is issued.
      const issuer = await localIssuer({ env: deployment.env });
      try {
        const local = await runImport({ file, type: 'BusinessLicence', issuer, batchSize: 1000, reportPath: join(dir, 'local-report.csv'), outPath: join(dir, 'local.csv') });
        expect(local.issuedRows).toBe(register.good.length);
        expect(readCsvFile(local.outPath!).map((r) => r['licenceId'])).toEqual(ids);
      } finally {
        await issuer.close();
      }
      expect(deployment.count()).toBe(register.good.length);
    } finally {
      await deployment.close();
    }
  }, 600_000); // 10,000 licences over HTTP, twice: minutes on a loaded 2-core machine
});
