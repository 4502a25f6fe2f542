/** A console test world: the app with cheap password hashing, and an admin, a supervisor and a clerk of dev-city. */
import { createAccount, ensureFirstAdmin, type Role } from '../../src/services/accounts.js';
import type { PasswordHashing } from '../../src/services/passwords.js';
import { createTestContext, type TestContext } from '../helpers/app.js';
import { ConsoleClient } from '../helpers/console-client.js';

/** Test-only: 1,000 iterations keep a sign-in at about a millisecond (the runtimes' policies are tested apart). */
export const TEST_HASHING: PasswordHashing = { scheme: 'pbkdf2-sha256', iterations: 1000 };
export const FIRST_PASSWORD = 'first-password-1';
export const OWN_PASSWORD = 'my-own-password-22';

export interface ConsoleWorld {
  t: TestContext;
  /** A browser-less user of the console on this app. */
  client(origin?: string): ConsoleClient;
  /** Creates an account (first password FIRST_PASSWORD) and returns a client signed in with its own password. */
  signedIn(role: Role, login?: string, authorityId?: string): Promise<ConsoleClient>;
}

export async function consoleWorld(options: { origin?: string; fetch?: typeof fetch } = {}): Promise<ConsoleWorld> {
  const t = await createTestContext({ config: { passwordHashing: TEST_HASHING }, ...(options.fetch ? { fetch: options.fetch } : {}) });
  await ensureFirstAdmin(t.deps, 'dev-city', FIRST_PASSWORD);
  const client = (origin = options.origin ?? 'http://127.0.0.1:8787') => new ConsoleClient((url, init) => Promise.resolve(t.app.request(url, init)), origin);
  let n = 0;
  return {
    t,
    client,
    async signedIn(role, login = `${role}${++n}`, authorityId = 'dev-city') {
      if (!(role === 'admin' && login === 'admin')) await createAccount(t.deps, { authorityId, login, name: `${role} ${n}`, role, password: FIRST_PASSWORD }, 'system');
      const user = client();
      const first = await user.signIn(login, FIRST_PASSWORD);
      if (first.location !== '/console/password') throw new Error(`first sign-in of ${login}: ${first.status} ${first.location}`);
      const changed = await user.submit('/console/password', { current: FIRST_PASSWORD, password: OWN_PASSWORD, repeat: OWN_PASSWORD });
      if (changed.location !== '/console/password?done=1') throw new Error(`password change of ${login}: ${changed.status}`);
      return user;
    },
  };
}

export const idempotencyKeyOf = (html: string) => /name="idempotencyKey" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** Form fields of a business licence. */
export function businessFields(creditCode: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'f.creditCode': creditCode,
    'f.name': '杭州云栖智算科技有限公司',
    'f.entityType': '有限责任公司（自然人投资或控股）',
    'f.legalRepresentative': '王建国',
    'f.registeredCapital': '1000万元人民币',
    'f.establishedOn': '2019-04-18',
    'f.address': '浙江省杭州市西湖区云栖小镇88号',
    'f.businessScope': '技术服务、技术开发、技术咨询',
    validFrom: '',
    validUntil: '',
    ...overrides,
  };
}

/** Issues a business licence through the console form; returns the licence id. */
export async function issueThroughConsole(user: ConsoleClient, fields: Record<string, string>): Promise<string> {
  const form = await user.page('/console/issue/BusinessLicence');
  const res = await user.submit('/console/issue/BusinessLicence', { ...fields, idempotencyKey: idempotencyKeyOf(form.html) });
  const id = /\/console\/licences\/([0-9a-f-]{36})/.exec(res.location ?? '')?.[1];
  if (!id) throw new Error(`issue: ${res.status} ${res.html.slice(0, 2000)}`);
  return id;
}
