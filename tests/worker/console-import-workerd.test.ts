/**
 * The console's import on the Worker entry inside workerd, with D1: the import page's own code
 * (src/console/client/import-session.ts, runtime-neutral) reads and checks a register and sends it to
 * POST /console/import/batch in small batches; the same file sent again is recognised row by row
 * (each batch is its own request, so a long import never has to fit one Worker request).
 */
import { env, SELF } from 'cloudflare:test';
import { expect, test } from 'vitest';
import { batchSender, checkRegister, readRegister, sendRegister } from '../../src/console/client/import-session.js';
import { BUSINESS_LICENCE } from '../../src/core/licence-types.js';
import { generateRegister, toCsv } from '../fixtures/import/register.js';
import { ConsoleClient } from '../helpers/console-client.js';

const NEW_PASSWORD = 'workerd-import-password-1';

test('imports a register through the console batch endpoint on D1, and recognises it when sent again', async () => {
  const user = new ConsoleClient((url, init) => SELF.fetch(url, init), env.PUBLIC_URL);
  const first = await user.signIn('admin', env.BOOTSTRAP_ADMIN_PASSWORD);
  expect(first.location).toBe('/console/password');
  await user.submit('/console/password', { current: env.BOOTSTRAP_ADMIN_PASSWORD, password: NEW_PASSWORD, repeat: NEW_PASSWORD });
  const page = await user.page('/console/import');
  expect(page.status).toBe(200);
  const csrf = /"csrf":"([^"]+)"/.exec(page.html)![1]!;
  const sender = batchSender(`${env.PUBLIC_URL}/console/import/batch`, { 'X-CSRF-Token': csrf, cookie: user.cookieHeader(), origin: env.PUBLIC_URL }, ((
    url: string,
    init: RequestInit,
  ) => SELF.fetch(url, init)) as typeof fetch);
  const register = generateRegister(30, { badCount: 2 });
  const bytes = new TextEncoder().encode(toCsv(register));
  const check = async () => checkRegister('register.csv', await readRegister({ name: 'register.csv', bytes }), BUSINESS_LICENCE, { now: Date.now(), defaultValidityDays: 1825 });
  const once = await sendRegister(await check(), sender, { batchSize: 7 });
  expect(once).toMatchObject({ done: 28, newRows: 28, alreadyIssued: 0, refusedByService: 0 });
  expect(once.results.every((r) => r.qrText.startsWith('EL1'))).toBe(true);
  const again = await sendRegister(await check(), sender, { batchSize: 10 });
  expect(again).toMatchObject({ done: 28, newRows: 0, alreadyIssued: 28 });
  expect(again.results.map((r) => r.licenceId)).toEqual(once.results.map((r) => r.licenceId));
  const db = env.DB as { prepare(q: string): { all(): Promise<{ results: Record<string, unknown>[] }> } };
  const count = (await db.prepare("select count(*) as n from licences where type = 'BusinessLicence'").all()).results[0]!;
  expect(Number(count['n'])).toBe(28);
});
