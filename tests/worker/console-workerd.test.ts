/**
 * The agency console on the Worker entry inside workerd, with D1: the first admin from the
 * BOOTSTRAP_ADMIN_PASSWORD secret, the forced password change, issuing through the form, finding the
 * licence by two characters of its name (the bigram index on D1), and password hashes that stay
 * within what Workers allows (PBKDF2, at most 100,000 iterations).
 */
import { env, SELF } from 'cloudflare:test';
import { expect, test } from 'vitest';
import { ConsoleClient } from '../helpers/console-client.js';

const NEW_PASSWORD = 'workerd-own-password-1';

test('sign in, change the first password, issue through the form, find it by two characters, on D1', async () => {
  const user = new ConsoleClient((url, init) => SELF.fetch(url, init), env.PUBLIC_URL);
  const first = await user.signIn('admin', env.BOOTSTRAP_ADMIN_PASSWORD);
  expect(first.location).toBe('/console/password');
  const changed = await user.submit('/console/password', { current: env.BOOTSTRAP_ADMIN_PASSWORD, password: NEW_PASSWORD, repeat: NEW_PASSWORD });
  expect(changed.location).toBe('/console/password?done=1');

  const form = await user.page('/console/issue/FoodBusinessLicence');
  expect(form.status).toBe(200);
  const key = /name="idempotencyKey" value="([^"]+)"/.exec(form.html)![1]!;
  const issued = await user.submit('/console/issue/FoodBusinessLicence', {
    'f.licenceNumber': 'JY13301060099999',
    'f.operatorName': '杭州湖畔小馆餐饮有限公司',
    'f.creditCode': '91330100MA27Y1F3XC',
    'f.legalRepresentative': '李四',
    'f.premisesAddress': '浙江省杭州市上城区解放路88号',
    'f.mainBusinessFormat': '餐饮服务经营者（小型餐馆）',
    'f.businessItems': '热食类食品制售\n冷食类食品制售',
    validFrom: '',
    validUntil: '',
    idempotencyKey: key,
  });
  const id = /\/console\/licences\/([0-9a-f-]{36})/.exec(issued.location ?? '')?.[1];
  expect(id, issued.html.slice(0, 500)).toBeDefined();
  expect(issued.html).toContain('杭州湖畔小馆餐饮有限公司');

  const found = await user.page(`/console/licences?q=${encodeURIComponent('湖畔')}`);
  expect(found.html).toContain(`/console/licences/${id}`);
  const card = await user.page(`/console/licences/${id}/card?format=a5`);
  expect(card.html).toContain('@page{size:A5 portrait');

  const db = env.DB as { prepare(q: string): { all(): Promise<{ results: Record<string, unknown>[] }> } };
  const hashes = (await db.prepare('select password_hash from staff_accounts').all()).results.map((r) => String(r['password_hash']));
  expect(hashes.length).toBeGreaterThan(0);
  for (const hash of hashes) {
    const iterations = Number(/^pbkdf2-sha256:i=(\d+):/.exec(hash)?.[1]);
    expect(iterations).toBeLessThanOrEqual(100_000);
  }
  const staffEntries = (await db.prepare("select count(*) as n from audit_log where staff_id is not null and action = 'licence.issued'").all()).results[0]!;
  expect(Number(staffEntries['n'])).toBe(1);

  // Administration on D1: the keys with what each signed, an API token created (shown once) and revoked.
  const admin = await user.page('/console/admin');
  expect(admin.status).toBe(200);
  expect(admin.html).toMatch(/<td>1<\/td><td>1<\/td>/);
  await user.page('/console/tokens');
  const created = await user.submit('/console/tokens', { name: 'workerd program', actions: ['read'] });
  const token = /id="new-token">([^<]+)</.exec(created.html)?.[1];
  expect(token, created.html.slice(0, 500)).toMatch(/^elk_/);
  expect((await SELF.fetch(`${env.PUBLIC_URL}/v1/keys`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
  const tokenId = (await db.prepare("select subject_id from audit_log where action = 'token.created' and staff_id is not null").all()).results[0]!['subject_id'];
  await user.submit(`/console/tokens/${String(tokenId)}/revoke`, {});
  expect((await SELF.fetch(`${env.PUBLIC_URL}/v1/keys`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
});
