/**
 * Three deployments on loopback, each a separate process with its own database, keys and PUBLIC_URL:
 * a national root, Zhejiang (hosting Hangzhou) and Jiangsu (hosting Nanjing), federated through the
 * HTTP API only. Used by scripts/federation-demo.ts (a person runs it, docs/trust-anchor.md) and by
 * tests/federation-live.test.ts. Jiangsu can also run as the Worker under `wrangler dev` (local workerd
 * and D1), configured exactly as deployed (an `anchor:<id>` key in SIGNING_KEYS).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSigningJwk, importablePrivateJwk } from '../src/core/jws-sign.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const MAIN = join(ROOT, 'dist', 'node', 'main.js');

export interface ProvinceSpec {
  /** Short name used for folders and logs. */
  key: 'root' | 'zj' | 'js';
  anchorId: string;
  anchorName: { zh: string; en: string };
  /** GB/T 2260 code of the province (none for the national root). */
  jurisdiction?: string;
  authority: { id: string; name: { zh: string; en: string }; jurisdiction: string; creditCode: string };
}

export const PROVINCES: Record<ProvinceSpec['key'], ProvinceSpec> = {
  root: {
    key: 'root',
    anchorId: 'national',
    anchorName: { zh: '国家市场监督管理总局', en: 'State Administration for Market Regulation' },
    authority: { id: 'samr', name: { zh: '国家市场监督管理总局登记注册局', en: 'SAMR Registration Bureau' }, jurisdiction: '110000', creditCode: '11110000DC00000016' },
  },
  zj: {
    key: 'zj',
    anchorId: 'zhejiang',
    anchorName: { zh: '浙江省市场监督管理局', en: 'Zhejiang Administration for Market Regulation' },
    jurisdiction: '330000',
    authority: {
      id: 'hangzhou',
      name: { zh: '杭州市市场监督管理局', en: 'Hangzhou Administration for Market Regulation' },
      jurisdiction: '330100',
      creditCode: '11330100DC00000024',
    },
  },
  js: {
    key: 'js',
    anchorId: 'jiangsu',
    anchorName: { zh: '江苏省市场监督管理局', en: 'Jiangsu Administration for Market Regulation' },
    jurisdiction: '320000',
    authority: {
      id: 'nanjing',
      name: { zh: '南京市市场监督管理局', en: 'Nanjing Administration for Market Regulation' },
      jurisdiction: '320100',
      creditCode: '11320100DC00000033',
    },
  },
};

export interface Deployment {
  spec: ProvinceSpec;
  /** PUBLIC_URL, also where it listens. */
  url: string;
  /** A token with every scope (ELICENCE_DEV_TOKEN / BOOTSTRAP_TOKEN). */
  token: string;
  /** did:web namespace of everything this deployment hosts: `did:web:127.0.0.1%3A<port>:`. */
  prefix: string;
  authorityDid: string;
  /** Its data and key folders (Node), or its wrangler state (Worker). */
  dir: string;
  runtime: 'node' | 'worker';
  output(): string;
  /** Stops the process (SIGTERM, then SIGKILL); safe to call twice. */
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

/** did:web of a path under a loopback base URL (the port's colon percent-encoded, as did:web asks). */
export const didFor = (url: string, ...path: string[]) => ['did:web', encodeURIComponent(new URL(url).host), ...path].join(':');

function waitFor(child: ChildProcess, ready: RegExp, what: string, timeoutMs: number): { started: Promise<void>; output(): string; exited: Promise<number | null> } {
  let output = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const started = new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${what} did not start in ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        done();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`${what} exited with ${code} before it was ready:\n${output}`));
    });
  });
  return { started, output: () => output, exited };
}

function stopper(child: ChildProcess, exited: Promise<number | null>, group: boolean): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const kill = (signal: NodeJS.Signals) => {
      try {
        if (group) process.kill(-child.pid!, signal);
        else child.kill(signal);
      } catch {
        // already gone
      }
    };
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
}

/** Starts the built Node service (`npm run build` first) as its own process. */
export async function startNodeDeployment(spec: ProvinceSpec, baseDir: string, port: number, env: Record<string, string> = {}): Promise<Deployment> {
  const dir = join(baseDir, spec.key);
  const url = `http://127.0.0.1:${port}`;
  const token = `elk_federation-${spec.key}-token-0123456789abcdef`;
  const child = spawn(process.execPath, ['--enable-source-maps', MAIN], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      DATA_DIR: join(dir, 'data'),
      KEYS_DIR: join(dir, 'keys'),
      ELICENCE_DEV_TOKEN: token,
      ANCHOR_ID: spec.anchorId,
      ANCHOR_NAME_ZH: spec.anchorName.zh,
      ANCHOR_NAME_EN: spec.anchorName.en,
      ...(spec.jurisdiction ? { ANCHOR_JURISDICTION: spec.jurisdiction } : {}),
      AUTHORITY_ID: spec.authority.id,
      AUTHORITY_NAME_ZH: spec.authority.name.zh,
      AUTHORITY_NAME_EN: spec.authority.name.en,
      AUTHORITY_JURISDICTION: spec.authority.jurisdiction,
      AUTHORITY_CREDIT_CODE: spec.authority.creditCode,
      ...env,
    },
  });
  const watch = waitFor(child, /listening on http/, `${spec.key} (node dist/node/main.js)`, 30_000);
  await watch.started;
  return {
    spec,
    url,
    token,
    prefix: `${didFor(url)}:`,
    authorityDid: didFor(url, 'authorities', spec.authority.id),
    dir,
    runtime: 'node',
    output: watch.output,
    stop: stopper(child, watch.exited, false),
  };
}

/**
 * Starts the Worker under `wrangler dev` (local workerd, a local D1 of its own with the migrations
 * applied), configured as deployed: AUTHORITIES, PUBLIC_URL, the anchor's names, and SIGNING_KEYS
 * holding the authority's key and an `anchor:<id>` key, so the Worker is an anchor.
 */
export async function startWorkerDeployment(spec: ProvinceSpec, baseDir: string, port: number, options: { testScheduled?: boolean } = {}): Promise<Deployment> {
  const dir = join(baseDir, `${spec.key}-worker`);
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(ROOT, 'dist', 'worker-assets'), { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  const token = `elk_federation-${spec.key}-worker-token-0123456789`;
  const key = async (owner: string) => ({ owner, privateJwk: importablePrivateJwk((await generateSigningJwk('EdDSA')).privateJwk) });
  const keys = [await key(`authority:${spec.authority.id}`), await key(`anchor:${spec.anchorId}`)];
  const vars: Record<string, string> = {
    PUBLIC_URL: url,
    AUTHORITIES: JSON.stringify([spec.authority]),
    ANCHOR_NAME_ZH: spec.anchorName.zh,
    ANCHOR_NAME_EN: spec.anchorName.en,
    ...(spec.jurisdiction ? { ANCHOR_JURISDICTION: spec.jurisdiction } : {}),
    SIGNING_KEYS: JSON.stringify(keys),
    BOOTSTRAP_TOKEN: token,
  };
  const envFile = join(dir, 'worker.env');
  writeFileSync(
    envFile,
    `${Object.entries(vars)
      .map(([name, value]) => `${name}='${value}'`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );
  const persist = join(dir, 'state');
  const wranglerEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };
  const migrated = spawnSync('npx', ['wrangler', 'd1', 'migrations', 'apply', 'elicence', '--local', '--persist-to', persist], { cwd: ROOT, env: wranglerEnv, encoding: 'utf8' });
  if (migrated.status !== 0) throw new Error(`wrangler d1 migrations apply failed:\n${migrated.stdout}\n${migrated.stderr}`);
  const child = spawn(
    'npx',
    [
      'wrangler',
      'dev',
      '--local',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--persist-to',
      persist,
      '--env-file',
      envFile,
      '--show-interactive-dev-session=false',
      ...(options.testScheduled ? ['--test-scheduled'] : []),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: wranglerEnv },
  );
  const watch = waitFor(child, /Ready on/, `${spec.key} (wrangler dev)`, 90_000);
  await watch.started;
  return {
    spec,
    url,
    token,
    prefix: `${didFor(url)}:`,
    authorityDid: didFor(url, 'authorities', spec.authority.id),
    dir,
    runtime: 'worker',
    output: watch.output,
    stop: stopper(child, watch.exited, true),
  };
}

/** One JSON call with the deployment's all-scope token; throws with the body unless the status is `expect`. */
export async function api<T = unknown>(d: Deployment, method: string, path: string, body?: unknown, expect = method === 'POST' ? 201 : 200): Promise<T> {
  const response = await fetch(`${d.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${d.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status !== expect) throw new Error(`${method} ${d.url}${path}: expected ${expect}, got ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function anchorDocument(d: Deployment): Promise<{ anchorId: string; keys: object[] }> {
  const response = await fetch(`${d.url}/.well-known/trust-anchor.json`);
  if (!response.ok) throw new Error(`${d.url}/.well-known/trust-anchor.json: ${response.status}`);
  return (await response.json()) as { anchorId: string; keys: object[] };
}

/**
 * Step 1: the root registers both provinces (each for its own namespace and province code); Zhejiang
 * registers Jiangsu with scope 32, business licences only, Jiangsu's DID prefix. `jsBundleUrl` lets
 * Zhejiang fetch Jiangsu's bundle through another URL (the live test's attacker proxy).
 */
export async function federate(root: Deployment, zj: Deployment, js: Deployment, options: { jsBundleUrl?: string } = {}): Promise<void> {
  const peer = async (d: Deployment, jurisdictions: string[], licenceTypes?: string[], bundleUrl = `${d.url}/verifier-bundle`) => ({
    id: (await anchorDocument(d)).anchorId,
    name: d.spec.anchorName,
    jwksUrl: `${d.url}/.well-known/trust-anchor.json`,
    bundleUrl,
    scope: { issuerPrefixes: [d.prefix], jurisdictions, ...(licenceTypes ? { licenceTypes } : {}) },
  });
  await api(root, 'POST', '/v1/trust/anchors', await peer(zj, ['33']));
  await api(root, 'POST', '/v1/trust/anchors', await peer(js, ['32']));
  await api(zj, 'POST', '/v1/trust/anchors', await peer(js, ['32'], ['BusinessLicence'], options.jsBundleUrl));
}

/** Makes `at` fetch, check and store `peer`'s bundle now (POST /v1/trust/anchors/{id}/refresh). */
export interface RefreshAnswer {
  outcome: 'updated' | 'not-modified' | 'failed';
  stored: { trustLists: number; statusLists: number };
  unchanged: number;
  ignored: number;
  refused: string[];
  /** On a 502: the error body. */
  error?: { code: string; message: string };
}

export async function refresh(at: Deployment, peer: Deployment, expect = 200): Promise<RefreshAnswer> {
  const id = (await anchorDocument(peer).catch(() => undefined))?.anchorId ?? didFor(peer.url, 'anchors', peer.spec.anchorId);
  return api<RefreshAnswer>(at, 'POST', `/v1/trust/anchors/${encodeURIComponent(id)}/refresh`, undefined, expect);
}
