/**
 * The console's holder access (docs/holder-app.md): a clerk's licence page offers the button; pressing
 * it (a CSRF-checked form) creates the holder code and shows it once on a printable notice whose QR
 * reads back (jsQR, an independent decoder) to the holder link; pressing it again rotates the code.
 * Without the CSRF token nothing is created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holderAccess } from '../../src/db/schema.js';
import { parseHolderCode } from '../../src/services/holder-access.js';
import { readSvgWithJsQr } from '../helpers/qr-read.js';
import { freshCreditCode } from '../shared/subjects.js';
import { businessFields, type ConsoleWorld, consoleWorld, issueThroughConsole } from './harness.js';

let world: ConsoleWorld;

beforeAll(async () => {
  world = await consoleWorld();
});
afterAll(() => world.t.close());

const decodeEntities = (text: string) =>
  text
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');

function noticeOf(html: string): { link: string; code: string; qrLink: string | undefined } {
  const link = decodeEntities(/class="code holder-link">([^<]+)</.exec(html)?.[1] ?? '');
  const code = decodeEntities(/class="code holder-code">([^<]+)</.exec(html)?.[1] ?? '');
  const src = decodeEntities(/<img src="(data:image\/svg\+xml;charset=utf-8,[^"]+)"/.exec(html)?.[1] ?? '');
  const svg = decodeURIComponent(src.slice(src.indexOf(',') + 1));
  return { link, code, qrLink: svg ? readSvgWithJsQr(svg) : undefined };
}

async function exchange(code: string): Promise<number> {
  const res = await world.t.app.request('/holder/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) });
  return res.status;
}

describe('console: holder access and its notice', () => {
  it('a clerk creates the code from the licence page; the notice shows it once, with the link as a QR; again rotates it', async () => {
    const clerk = await world.signedIn('clerk');
    const creditCode = freshCreditCode();
    const id = await issueThroughConsole(clerk, businessFields(creditCode));
    const page = await clerk.page(`/console/licences/${id}`);
    expect(page.html).toContain(`action="/console/licences/${id}/holder-access"`);

    // No CSRF token: refused, nothing created.
    const forged = await clerk.post(`/console/licences/${id}/holder-access`, {}, { csrf: null });
    expect(forged.status).toBe(403);
    expect((await world.t.store.db.select().from(holderAccess)).filter((r) => r.holderCreditCode === creditCode)).toEqual([]);

    await clerk.page(`/console/licences/${id}`);
    const first = await clerk.submit(`/console/licences/${id}/holder-access`, {});
    expect(first.status).toBe(200);
    const notice = noticeOf(first.html);
    expect(notice.link).toMatch(/^https:\/\/elicence\.test\/holder\/#c=dev-city\./);
    expect(notice.qrLink).toBe(notice.link);
    const code = parseHolderCode(notice.code)!.canonical;
    expect(decodeURIComponent(notice.link.split('#c=')[1]!)).toBe(code);
    expect(await exchange(notice.code)).toBe(201);

    await clerk.page(`/console/licences/${id}`);
    const second = await clerk.submit(`/console/licences/${id}/holder-access`, {});
    const again = noticeOf(second.html);
    expect(again.code).not.toBe(notice.code);
    expect(second.html).toContain('已重新生成');
    expect(await exchange(notice.code)).toBe(401);
    expect(await exchange(again.code)).toBe(201);
    const audit = world.t.store.sqlite.prepare('SELECT action, staff_id FROM audit_log WHERE subject_id = ? ORDER BY seq').all(`urn:uscc:${creditCode}`) as {
      action: string;
      staff_id: string | null;
    }[];
    expect(audit.map((a) => a.action)).toEqual(['holder-access.created', 'holder-access.rotated']);
    expect(audit.every((a) => a.staff_id !== null)).toBe(true);
  });
});
