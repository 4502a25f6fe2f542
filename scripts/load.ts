/**
 * `npm run load [-- --seconds 60 --connections 32 --max-requests 200000 --url http://127.0.0.1:8787 --token T --json]`
 *
 * Mixed agency traffic on loopback, then a lost-write check. Without `--url` it starts its own service
 * (`node --import tsx src/node/main.ts`, temp DATA_DIR/KEYS_DIR, PORT=0) and stops it afterwards.
 *
 * Operation weights (per request, drawn at random; a status change falls back to an issue when no
 * licence is free for it):
 *   issue 40  POST /v1/licences
 *   read  35  GET  /v1/licences/{id}
 *   suspend 15 POST /v1/licences/{id}/suspend   (an active licence nobody else is touching)
 *   revoke 10  POST /v1/licences/{id}/revoke    (an active or suspended one)
 * Each licence is held by one connection at a time, so the state the client last saw acknowledged is
 * the state the server must have. A request whose answer never arrived (a crash, a reset) leaves that
 * licence "uncertain": either its old or its new state is acceptable afterwards, nothing else.
 *
 * After the run (`checkNoLostWrites`): every licence answered 201 is read back, its credential must be
 * the exact JWS the client got and verify against GET /.well-known/jwks.json (jose), and its status
 * must be the last acknowledged one. Exit code 0 only with zero 5xx and zero lost writes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { creditCodeCheckCharacter } from '../src/core/credit-code.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const OPERATIONS = ['issue', 'read', 'suspend', 'revoke'] as const;
export type Operation = (typeof OPERATIONS)[number];
export const DEFAULT_WEIGHTS: Readonly<Record<Operation, number>> = { issue: 40, read: 35, suspend: 15, revoke: 10 };

type LicenceState = 'active' | 'suspended' | 'revoked';

export interface TrackedLicence {
  id: string;
  jws: string;
  /** Last state the server acknowledged with 2xx. */
  state: LicenceState;
  /** A state change was sent and its answer never arrived: this state is also acceptable. */
  maybe?: LicenceState;
  busy: boolean;
}

export interface OperationStats {
  count: number;
  statuses: Record<string, number>;
  networkErrors: number;
  latenciesMs: number[];
}

export interface LoadReport {
  seconds: number;
  connections: number;
  weights: Record<Operation, number>;
  total: number;
  requestsPerSecond: number;
  serverErrors: number;
  networkErrors: number;
  operations: Record<Operation, OperationStats>;
  licences: Map<string, TrackedLicence>;
  /** Issue requests whose answer never arrived: the licence may or may not exist. */
  unansweredIssues: number;
}

export interface LoadOptions {
  url: string;
  token: string;
  seconds: number;
  connections: number;
  maxRequests?: number;
  weights?: Record<Operation, number>;
  /** Stops the run early (e.g. the test that kills the server). */
  signal?: AbortSignal;
  /** Per-request timeout. */
  requestTimeoutMs?: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!LOOPBACK.has(host)) throw new Error(`load runs on loopback only; ${host} is not 127.0.0.1/localhost/::1`);
}

const CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** Differs per run, so runs against one database never reuse a holder. */
const RUN_SALT = Math.floor(Math.random() * 31 ** 3);

/** A valid credit code of its own for licence `n`: a business licence is one per holder. */
function creditCodeOf(n: number): string {
  let value = RUN_SALT * 31 ** 4 + (n % 31 ** 4);
  let digits = '';
  for (let i = 0; i < 7; i++) {
    digits = CODE_ALPHABET[value % 31]! + digits;
    value = Math.floor(value / 31);
  }
  const first17 = `91330106MA${digits}`;
  return first17 + creditCodeCheckCharacter(first17)!;
}

function subject(n: number): Record<string, unknown> {
  return {
    creditCode: creditCodeOf(n),
    name: `杭州负载测试科技有限公司${n}`,
    entityType: '有限责任公司（自然人投资或控股）',
    legalRepresentative: '张三',
    registeredCapital: '500万元人民币',
    establishedOn: '2020-05-18',
    address: '浙江省杭州市西湖区文三路100号',
    businessScope: '一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发；信息系统集成服务。',
  };
}

const emptyStats = (): OperationStats => ({ count: 0, statuses: {}, networkErrors: 0, latenciesMs: [] });

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Drives the mixed traffic until the time or request budget runs out (or `signal` aborts). */
export async function runMixedLoad(options: LoadOptions): Promise<LoadReport> {
  assertLoopback(options.url);
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const totalWeight = OPERATIONS.reduce((sum, op) => sum + weights[op], 0);
  const maxRequests = options.maxRequests ?? 200_000;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const operations = Object.fromEntries(OPERATIONS.map((op) => [op, emptyStats()])) as Record<Operation, OperationStats>;
  const licences = new Map<string, TrackedLicence>();
  const active: TrackedLicence[] = [];
  const suspended: TrackedLicence[] = [];
  const readable: TrackedLicence[] = [];
  const headers = { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' };
  let sent = 0;
  let serial = 0;
  let unansweredIssues = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const stopped = () => options.signal?.aborted === true || performance.now() >= deadline || sent >= maxRequests;

  const take = (pool: TrackedLicence[]): TrackedLicence | undefined => {
    // Random pick among free licences (swap-remove keeps it O(1)).
    for (let attempt = 0; attempt < 4 && pool.length > 0; attempt++) {
      const i = Math.floor(Math.random() * pool.length);
      const licence = pool[i]!;
      pool[i] = pool[pool.length - 1]!;
      pool.pop();
      if (!licence.busy) {
        licence.busy = true;
        return licence;
      }
    }
    return undefined;
  };

  const send = async (op: Operation, method: string, path: string, body?: unknown) => {
    const stats = operations[op];
    stats.count++;
    sent++;
    const t0 = performance.now();
    try {
      const response = await fetch(options.url + path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      stats.latenciesMs.push(performance.now() - t0);
      stats.statuses[response.status] = (stats.statuses[response.status] ?? 0) + 1;
      return { status: response.status, json: () => JSON.parse(text) as Record<string, unknown> };
    } catch {
      stats.networkErrors++;
      return undefined;
    }
  };

  const pick = (): Operation => {
    let r = Math.random() * totalWeight;
    for (const op of OPERATIONS) {
      r -= weights[op];
      if (r < 0) return op;
    }
    return 'issue';
  };

  const issue = async () => {
    const result = await send('issue', 'POST', '/v1/licences', { type: 'BusinessLicence', subject: subject(serial++) });
    if (!result) {
      unansweredIssues++;
      return;
    }
    if (result.status !== 201) return;
    const body = result.json();
    const licence: TrackedLicence = { id: String(body.id), jws: String(body.credential), state: 'active', busy: false };
    licences.set(licence.id, licence);
    active.push(licence);
    readable.push(licence);
  };

  const change = async (op: 'suspend' | 'revoke', licence: TrackedLicence) => {
    const target: LicenceState = op === 'suspend' ? 'suspended' : 'revoked';
    const reason = op === 'suspend' ? 'investigation' : 'cancelled';
    const result = await send(op, 'POST', `/v1/licences/${licence.id}/${op}`, { reason });
    if (!result) licence.maybe = target;
    else if (result.status === 200) licence.state = target;
    licence.busy = false;
    // Only a licence whose state is known for sure goes back into play.
    if (!licence.maybe) {
      if (licence.state === 'active') active.push(licence);
      else if (licence.state === 'suspended') suspended.push(licence);
    }
  };

  const worker = async () => {
    while (!stopped()) {
      const op = pick();
      if (op === 'read' && readable.length > 0) {
        const licence = readable[Math.floor(Math.random() * readable.length)]!;
        await send('read', 'GET', `/v1/licences/${licence.id}`);
      } else if (op === 'suspend') {
        const licence = take(active);
        await (licence ? change('suspend', licence) : issue());
      } else if (op === 'revoke') {
        const licence = Math.random() < 0.5 ? (take(suspended) ?? take(active)) : (take(active) ?? take(suspended));
        await (licence ? change('revoke', licence) : issue());
      } else {
        await issue();
      }
    }
  };

  await Promise.all(Array.from({ length: options.connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  const total = OPERATIONS.reduce((sum, op) => sum + operations[op].count, 0);
  let serverErrors = 0;
  let networkErrors = 0;
  for (const op of OPERATIONS) {
    operations[op].latenciesMs.sort((a, b) => a - b);
    networkErrors += operations[op].networkErrors;
    for (const [status, n] of Object.entries(operations[op].statuses)) if (Number(status) >= 500) serverErrors += n;
  }
  return { seconds, connections: options.connections, weights, total, requestsPerSecond: total / seconds, serverErrors, networkErrors, operations, licences, unansweredIssues };
}

export interface LostWriteCheck {
  checked: number;
  /** Licences answered 201 that are missing, altered, unverifiable or in a state the client never saw acknowledged. */
  problems: string[];
}

/** Reads every acknowledged licence back and checks credential, signature and status. */
export async function checkNoLostWrites(url: string, token: string, licences: Iterable<TrackedLicence>, concurrency = 16): Promise<LostWriteCheck> {
  const jwks = (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
  const keySet = createLocalJWKSet(jwks);
  const queue = [...licences];
  const problems: string[] = [];
  let checked = 0;
  const worker = async () => {
    for (let licence = queue.pop(); licence; licence = queue.pop()) {
      checked++;
      const response = await fetch(`${url}/v1/licences/${licence.id}`, { headers: { authorization: `Bearer ${token}` } });
      if (response.status !== 200) {
        problems.push(`${licence.id}: answered 201 but now ${response.status}`);
        await response.body?.cancel();
        continue;
      }
      const body = (await response.json()) as { credential: string; status: string };
      if (body.credential !== licence.jws) problems.push(`${licence.id}: credential differs from the one answered 201`);
      try {
        await compactVerify(body.credential, keySet, { algorithms: ['EdDSA', 'ES256'] });
      } catch (error) {
        problems.push(`${licence.id}: credential does not verify (${(error as Error).message})`);
      }
      const allowed = [licence.state, ...(licence.maybe ? [licence.maybe] : [])];
      if (!allowed.includes(body.status as LicenceState)) problems.push(`${licence.id}: status ${body.status}, acknowledged ${allowed.join(' or ')}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { checked, problems };
}

export interface LocalService {
  url: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  output(): string;
}

/** Starts `src/node/main.ts` on 127.0.0.1 with the given data and key directories. */
export function startLocalService(env: { dataDir: string; keysDir: string; token: string }, timeoutMs = 30_000): Promise<LocalService> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/node/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: env.dataDir, KEYS_DIR: env.keysDir, ELICENCE_DEV_TOKEN: env.token, PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stderr!.on('data', collect);
    child.stdout!.on('data', (chunk: Buffer) => {
      collect(chunk);
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child, exited, output: () => output });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening:\n${output}`));
    });
  });
}

export function formatReport(report: LoadReport, lost: LostWriteCheck | undefined): string {
  const round = (n: number) => n.toFixed(1);
  const lines = [
    `${report.total} requests in ${round(report.seconds)} s at ${report.connections} connections: ${round(report.requestsPerSecond)} req/s`,
    `weights ${OPERATIONS.map((op) => `${op} ${report.weights[op]}`).join(', ')}`,
    'operation  count   req/s   p50 ms  p99 ms  statuses            network errors',
  ];
  for (const op of OPERATIONS) {
    const s = report.operations[op];
    const statuses = Object.entries(s.statuses)
      .map(([k, v]) => `${k}:${v}`)
      .join(' ');
    lines.push(
      `${op.padEnd(9)}  ${String(s.count).padEnd(6)}  ${round(s.count / report.seconds).padEnd(6)}  ${round(percentile(s.latenciesMs, 50)).padEnd(6)}  ${round(percentile(s.latenciesMs, 99)).padEnd(6)}  ${statuses.padEnd(18)}  ${s.networkErrors}`,
    );
  }
  lines.push(`5xx: ${report.serverErrors}   network errors: ${report.networkErrors}`);
  if (lost) lines.push(`lost-write check: ${lost.checked} licences read back and verified, ${lost.problems.length} problems`, ...lost.problems.slice(0, 20).map((p) => `  ${p}`));
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      connections: { type: 'string', default: '32' },
      'max-requests': { type: 'string', default: '200000' },
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const maxRequests = Number(values['max-requests']);
  if (!(seconds > 0 && seconds <= 600) || !(Number.isInteger(connections) && connections >= 1 && connections <= 256) || !(maxRequests >= 1)) {
    console.error('--seconds must be in (0, 600], --connections in 1..256, --max-requests >= 1');
    return 64;
  }
  if ((values.url === undefined) !== (values.token === undefined)) {
    console.error('--url and --token go together');
    return 64;
  }
  let service: LocalService | undefined;
  let stopping = false;
  let temp: string | undefined;
  let url = values.url;
  let token = values.token;
  if (url === undefined) {
    temp = mkdtempSync(join(tmpdir(), 'elicence-load-'));
    token = `elk_load-test-token-${Math.random().toString(36).slice(2)}`;
    const started = await startLocalService({ dataDir: join(temp, 'data'), keysDir: join(temp, 'keys'), token });
    service = started;
    url = started.url;
    void started.exited.then((code) => {
      if (!stopping) console.error(`the service exited (${code}) during the run:\n${started.output().slice(-4000)}`);
    });
  }
  assertLoopback(url);
  try {
    const report = await runMixedLoad({ url, token: token!, seconds, connections, maxRequests });
    const lost = await checkNoLostWrites(url, token!, report.licences.values());
    if (values.json) {
      const { licences: _licences, ...rest } = report;
      const operations = Object.fromEntries(
        OPERATIONS.map((op) => {
          const { latenciesMs, ...s } = report.operations[op];
          return [op, { ...s, p50Ms: percentile(latenciesMs, 50), p99Ms: percentile(latenciesMs, 99) }];
        }),
      );
      console.log(JSON.stringify({ ...rest, operations, lostWrites: lost.problems.length, checked: lost.checked }, null, 2));
    } else {
      console.log(formatReport(report, lost));
    }
    return report.serverErrors === 0 && lost.problems.length === 0 && report.networkErrors === 0 ? 0 : 1;
  } finally {
    stopping = true;
    if (service) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    if (temp) rmSync(temp, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
