/**
 * Test harness: the real app on an in-memory SQLite database, an in-memory key store and a clock the
 * test controls, bootstrapped with a known development token.
 */
import { type App, createApp } from '../../src/app/app.js';
import type { AssetSource } from '../../src/app/deps.js';
import { type AppConfig, type AppDeps, type Clock, defaultConfig } from '../../src/app/deps.js';
import { openSqliteStore, type SqliteStore } from '../../src/node/sqlite-store.js';
import { createDistAssetSource, createHolderAssetSource, DEFAULT_API_DOCS_DIST } from '../../src/node/verifier-assets.js';
import type { NewAuthority } from '../../src/services/authorities.js';
import { bootstrap } from '../../src/services/bootstrap.js';
import { freshCreditCode } from '../shared/subjects.js';
import { createMemoryKeyStore } from './memory-key-store.js';

/** dist/verifier/, or VERIFIER_DIST_DIR as it is when a file is asked for. */
const lazyDistAssets = (): AssetSource => ({ read: (path) => createDistAssetSource().read(path) });

export const TEST_PUBLIC_URL = 'https://elicence.test';
export const DEV_TOKEN = 'elk_test-development-token-with-every-scope';

export interface ManualClock extends Clock {
  set(ms: number | string): void;
  advance(ms: number): void;
}

export function manualClock(start: number | string = '2026-06-01T00:00:00Z'): ManualClock {
  let now = typeof start === 'string' ? Date.parse(start) : start;
  return {
    now: () => now,
    set: (ms) => {
      now = typeof ms === 'string' ? Date.parse(ms) : ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

export interface TestContext {
  app: App;
  deps: AppDeps;
  store: SqliteStore;
  clock: ManualClock;
  keys: ReturnType<typeof createMemoryKeyStore>;
  token: string;
  /** app.request with JSON body and bearer token filled in. */
  call(method: string, path: string, options?: { body?: unknown; token?: string | null; headers?: Record<string, string> }): Promise<Response>;
  close(): void;
}

export async function createTestContext(
  options: { config?: Partial<AppConfig>; clock?: ManualClock; filename?: string; fetch?: typeof fetch; authority?: NewAuthority } = {},
): Promise<TestContext> {
  const store = openSqliteStore(options.filename ?? ':memory:');
  const keys = createMemoryKeyStore();
  const clock = options.clock ?? manualClock();
  // The verifier app's files are read per request, so tests that build it elsewhere set VERIFIER_DIST_DIR first.
  const deps: AppDeps = {
    store,
    keys,
    clock,
    config: { ...defaultConfig(TEST_PUBLIC_URL), ...options.config },
    verifierAssets: lazyDistAssets(),
    holderAssets: { read: (path) => createHolderAssetSource().read(path) },
    apiDocsAssets: createDistAssetSource(DEFAULT_API_DOCS_DIST),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
  const setup = await bootstrap(deps, { devToken: DEV_TOKEN, ...(options.authority ? { authority: options.authority } : {}) });
  const app = createApp(deps);
  const token = setup.token ?? DEV_TOKEN;
  return {
    app,
    deps,
    store,
    clock,
    keys,
    token,
    async call(method, path, { body, token: bearer = token, headers = {} } = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (bearer !== null) (init.headers as Record<string, string>)['Authorization'] = `Bearer ${bearer}`;
      if (body !== undefined) {
        (init.headers as Record<string, string>)['Content-Type'] ??= 'application/json';
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
      }
      return app.request(path, init);
    },
    close: () => store.close(),
  };
}

/** The credit code of the documented example (docs/examples/business-licence.json). */
export const EXAMPLE_CREDIT_CODE = '91330106MA2CFX7K5Y';

/**
 * A realistic business licence subject with a fresh valid credit code each time (a business has one
 * active business licence: a second for the same holder is refused), unless `overrides` names one.
 */
export function businessSubject(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    creditCode: freshCreditCode(),
    name: '杭州示例科技有限公司',
    entityType: '有限责任公司（自然人投资或控股）',
    legalRepresentative: '张三',
    registeredCapital: '500万元人民币',
    establishedOn: '2020-05-18',
    address: '浙江省杭州市西湖区文三路100号',
    businessScope: '一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发；信息系统集成服务。',
    ...overrides,
  };
}

export function foodSubject(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    licenceNumber: 'JY13301060012345',
    operatorName: '杭州味道餐饮管理有限公司',
    creditCode: '91330100MA27Y1F3XC',
    legalRepresentative: '李四',
    premisesAddress: '浙江省杭州市上城区解放路88号一楼',
    mainBusinessFormat: '餐饮服务经营者（小型餐馆）',
    businessItems: ['热食类食品制售', '冷食类食品制售'],
    ...overrides,
  };
}

/**
 * What a registered licence type declares besides its schema: a catalogue code (here the capitals of
 * its code: TaxiOperatorLicence -> TOL), its number field (the credit code) and its holder-name field.
 */
export function typeDeclarations(code: string, holderNameField: string): { catalogueCode: string; numberField: string; holderNameField: string } {
  return { catalogueCode: code.replace(/[^A-Z0-9]/g, '').slice(0, 10), numberField: 'creditCode', holderNameField };
}

/**
 * Authorises `type` for the development authority in the trust register, as an anchor operator does
 * before that authority may issue a newly registered type.
 */
export async function authoriseType(t: TestContext, type: string): Promise<void> {
  const did = encodeURIComponent(`did:web:${new URL(TEST_PUBLIC_URL).host}:authorities:dev-city`);
  const entry = (await (await t.call('GET', `/v1/trust/authorities/${did}`)).json()) as { licenceTypes: string[] };
  const res = await t.call('PATCH', `/v1/trust/authorities/${did}`, { body: { licenceTypes: [...new Set([...entry.licenceTypes, type])] } });
  if (res.status !== 200) throw new Error(`authorising ${type}: ${res.status} ${await res.text()}`);
}
