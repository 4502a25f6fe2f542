/**
 * The console's page budget: renders every console page (an in-memory service with a licence of each
 * built-in type, an admin and a clerk) and measures what a browser loads for it, HTML + CSS + script,
 * gzipped. Run by scripts/build-console.ts (npm run build:console) and by tests/console/budget.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createApp } from '../src/app/app.js';
import { defaultConfig } from '../src/app/deps.js';
import { CONSOLE_IMPORT_SCRIPT, CONSOLE_SCRIPT, CONSOLE_STYLE } from '../src/console/assets.generated.js';
import { createFileKeyStore } from '../src/node/file-key-store.js';
import { openSqliteStore } from '../src/node/sqlite-store.js';
import { createAccount, ensureFirstAdmin } from '../src/services/accounts.js';
import { bootstrap } from '../src/services/bootstrap.js';
import { ConsoleClient } from '../tests/helpers/console-client.js';

export interface PageSize {
  page: string;
  htmlGzipBytes: number;
  totalGzipBytes: number;
}

const PASSWORD = 'budget-password-1';

export async function measureConsolePages(): Promise<PageSize[]> {
  const keysDir = mkdtempSync(join(tmpdir(), 'console-budget-'));
  const store = openSqliteStore(':memory:');
  try {
    const deps = {
      store,
      keys: createFileKeyStore(keysDir),
      clock: { now: () => Date.now() },
      config: { ...defaultConfig('http://127.0.0.1:8787'), passwordHashing: { scheme: 'pbkdf2-sha256' as const, iterations: 1000 } },
    };
    const setup = await bootstrap(deps);
    const authority = setup.authorities[0]!.id;
    await ensureFirstAdmin(deps, authority, PASSWORD);
    const app = createApp(deps);
    const client = new ConsoleClient((url, init) => Promise.resolve(app.request(url, init)));
    await client.signIn('admin', PASSWORD);
    await client.page('/console/password');
    await client.submit('/console/password', { current: PASSWORD, password: `${PASSWORD}-new`, repeat: `${PASSWORD}-new` });
    await createAccount(deps, { authorityId: authority, login: 'clerk', name: '窗口人员', role: 'clerk' }, 'system');

    const form = await client.page('/console/issue/BusinessLicence');
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(form.html)?.[1] ?? '';
    const issued = await client.submit('/console/issue/BusinessLicence', {
      'f.creditCode': '91330106MA2CFX7K5Y',
      'f.name': '杭州云栖智算科技有限公司',
      'f.entityType': '有限责任公司（自然人投资或控股）',
      'f.legalRepresentative': '王建国',
      'f.registeredCapital': '1000万元人民币',
      'f.establishedOn': '2019-04-18',
      'f.address': '浙江省杭州市西湖区云栖小镇88号',
      'f.businessScope': '技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发；信息系统集成服务。'.repeat(8),
      validFrom: '',
      validUntil: '',
      idempotencyKey: key,
    });
    const licence = /\/console\/licences\/([0-9a-f-]{36})/.exec(issued.location ?? '')?.[1] ?? '';

    const pages: Record<string, () => Promise<string>> = {
      'find (results)': async () => (await client.page('/console/licences?q=%E4%BA%91%E6%A0%96')).html,
      'issue: pick a type': async () => (await client.page('/console/issue')).html,
      'issue: business licence form': async () => (await client.page('/console/issue/BusinessLicence')).html,
      'issue: food business licence form': async () => (await client.page('/console/issue/FoodBusinessLicence')).html,
      licence: async () => (await client.page(`/console/licences/${licence}`)).html,
      'licence: amend': async () => (await client.page(`/console/licences/${licence}/amend`)).html,
      'licence: confirm revoke': async () => {
        await client.page(`/console/licences/${licence}`);
        return (await client.submit(`/console/licences/${licence}/revoke`, { reason: 'penalty', note: '' })).html;
      },
      'licence: A4 card': async () => (await client.page(`/console/licences/${licence}/card?format=a4`)).html,
      'staff accounts': async () => (await client.page('/console/accounts')).html,
      administration: async () => (await client.page('/console/admin')).html,
      'API tokens': async () => (await client.page('/console/tokens')).html,
      'my account': async () => (await client.page('/console/account')).html,
      password: async () => (await client.page('/console/password')).html,
      'not found': async () => (await client.page('/console/licences/00000000-0000-7000-8000-000000000000')).html,
      'import a register': async () => (await client.page('/console/import')).html,
      'sign-in': async () => (await new ConsoleClient((url, init) => Promise.resolve(app.request(url, init))).page('/console/sign-in')).html,
    };
    const style = gzipSync(CONSOLE_STYLE.body).length;
    const scripts = new Map([CONSOLE_SCRIPT, CONSOLE_IMPORT_SCRIPT].map((s) => [s.name, gzipSync(s.body).length]));
    const sizes: PageSize[] = [];
    for (const [page, fetch] of Object.entries(pages)) {
      const html = await fetch();
      const htmlGzipBytes = gzipSync(html).length;
      // The script the page loads (the import page has its own).
      const script = [...scripts].find(([name]) => html.includes(name))?.[1] ?? 0;
      sizes.push({ page, htmlGzipBytes, totalGzipBytes: htmlGzipBytes + style + script });
    }
    return sizes;
  } finally {
    store.close();
    rmSync(keysDir, { recursive: true, force: true });
  }
}
