/**
 * The importer's runtime-neutral part (src/import-core): the CSV reader the command line and the
 * console share, and the CSV it writes, where a cell that a spreadsheet would run as a formula is made
 * inert with a leading ' (the insider's attack: a register cell `=cmd|' /C calc'!A0` reaching a
 * colleague's Excel through the refused-rows download).
 */

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/core/canonical-json.js';
import { csvLine, inertCell, reportCsv, resultLines } from '../src/import-core/csv-out.js';
import { parseCsvText } from '../src/import-core/csv-parse.js';
import { decodeText } from '../src/import-core/decode-text.js';
import { rowIdempotencyKey } from '../src/import-core/idempotency.js';
import { readCsvText } from '../src/import-core/read-text.js';

describe('the CSV the importer writes', () => {
  it('prefixes every text cell that starts with = + - @ tab or CR, and nothing else', () => {
    for (const dangerous of ["=cmd|' /C calc'!A0", '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1']) {
      expect(inertCell(dangerous)).toBe(`'${dangerous}`);
    }
    for (const plain of ['杭州云栖', '91330106MA2CFX7K5Y', '2020-05-18', "'already", ' =1', '']) expect(inertCell(plain)).toBe(plain);
    // Numbers are numbers (row numbers, counts): never prefixed.
    expect(csvLine([-1, 2])).toBe('-1,2\r\n');
    expect(csvLine(['=HYPERLINK("http://evil","x")', 'ok'])).toBe(`"'=HYPERLINK(""http://evil"",""x"")",ok\r\n`);
  });

  it('a refused row whose cells hold formulas comes out inert in the report, parsed back as text', () => {
    const report = reportCsv([
      { rowNumber: 3, field: 'name', column: '=cmd', code: 'ERR_VALIDATION', message: "=cmd|' /C calc'!A0 is not valid" },
      { rowNumber: 2, field: 'creditCode', column: '统一社会信用代码', code: 'ERR_VALIDATION', message: '@evil' },
    ]);
    expect(report.startsWith('\uFEFFrow,field,column,code,message\r\n2,')).toBe(true);
    const cells = parseCsvText(report.slice(1), ',').flat();
    expect(cells).toContain("'=cmd");
    expect(cells).toContain("'=cmd|' /C calc'!A0 is not valid");
    expect(cells).toContain("'@evil");
    expect(cells.filter((c) => /^[=+\-@\t\r]/u.test(c))).toEqual([]);
    const results = resultLines([
      { rowNumber: 2, licenceId: 'id', creditCode: '+91', validFrom: '2026-01-01T00:00:00Z', validUntil: null, qrText: 'EL1:x', licenceIdentifier: '' },
    ]);
    expect(results).toBe("2,id,'+91,2026-01-01T00:00:00Z,,EL1:x,2026-01-01,长期,\r\n");
  });
});

describe('the CSV the importer reads', () => {
  it('reads quoted fields, doubled quotes, line breaks inside quotes, CRLF, LF and CR', () => {
    expect(parseCsvText('a,b\r\n"x, y","say ""hi"""\n"two\nlines",\rlast', ',')).toEqual([['a', 'b'], ['x, y', 'say "hi"'], ['two\nlines', ''], ['last']]);
    expect(parseCsvText('a,b\n\nc,d\n', ',')).toEqual([['a', 'b'], [''], ['c', 'd']]);
    expect(readCsvText('\n\na,b\n1,2\n', 'x.csv').rows).toEqual([{ rowNumber: 4, values: ['1', '2'] }]);
  });

  it('refuses a malformed file rather than guessing', () => {
    expect(() => readCsvText('a,b\n"open,1\n', 'x.csv')).toThrow(/not a well-formed CSV/);
    expect(() => readCsvText('a,b\n"x"y,1\n', 'x.csv')).toThrow(/closing quote/);
    expect(() => readCsvText('a,b\nx"y,1\n', 'x.csv')).toThrow(/opening quote/);
  });

  it('numbers rows as a spreadsheet does, skips blank rows and flags extra cells; tabs when the header has no commas', () => {
    const table = readCsvText('名称\t代码\n甲\t1\n\n乙\t2\t3\n', 'x.tsv');
    expect(table.header).toEqual(['名称', '代码']);
    expect(table.rows.map((r) => [r.rowNumber, r.values, r.problem?.code])).toEqual([
      [2, ['甲', '1'], undefined],
      [4, ['乙', '2'], 'ERR_VALIDATION'],
    ]);
  });

  it('decodes GB18030 with the Web standard decoder as the command line does with iconv-lite', () => {
    const gbk = new Uint8Array([0xc3, 0xfb, 0xb3, 0xc6]); // 名称 in GBK
    expect(decodeText(gbk, 'x.csv')).toEqual({ text: '名称', encoding: 'gb18030' });
    expect(() => decodeText(new Uint8Array([0x81, 0x20, 0xff]), 'x.csv')).toThrow(/neither valid UTF-8 nor GB18030/);
  });

  it("derives a row's key as before (SHA-256 of the scope and the item, now synchronous everywhere)", () => {
    const item = { type: 'BusinessLicence', subject: { name: '甲' }, validUntil: null };
    const expected = `imp1-${createHash('sha256')
      .update(canonicalJson({ scope: 'r.csv', item }))
      .digest('base64url')}`;
    expect(rowIdempotencyKey('r.csv', item)).toBe(expected);
  });
});
