/**
 * The built Node runtime (scripts/build-node.ts -> dist/node/) runs without tsx: the command line's
 * dispatcher and exit codes, and the service started as `npm start` starts it, serving the API and
 * the web app, encoding QR texts on its worker thread, syncing and verifying with the built CLI, and
 * stopping cleanly. Everything here runs `node dist/node/...` with no loader.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNode, NODE_OUT_DIR } from '../scripts/build-node.js';
import { buildVerifierApp, DEFAULT_VERIFIER_OUT_DIR } from '../scripts/build-verifier.js';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(NODE_OUT_DIR, 'cli.js');
const MAIN = join(NODE_OUT_DIR, 'main.js');
const TOKEN = 'elk_built-service-test-token-0123456789';

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elicence-built-'));
  await buildNode({ quiet: true });
  // `npm test` builds the web app first (pretest); a run of this file alone may need it.
  if (!existsSync(join(DEFAULT_VERIFIER_OUT_DIR, 'index.html'))) await buildVerifierApp({ quiet: true });
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', LANG: 'en_GB.UTF-8', XDG_STATE_HOME: join(dir, 'xdg-state'), ...env },
    timeout: 30_000,
  });
}

describe('built command line (node dist/node/cli.js)', () => {
  it('has a build of the service, the worker thread and the command line, with no TypeScript left to load', () => {
    for (const file of ['main.js', 'cli.js', 'qr-worker-thread.js']) expect(existsSync(join(NODE_OUT_DIR, file))).toBe(true);
    for (const file of ['main.js', 'cli.js', 'qr-worker-thread.js']) expect(readFileSync(join(NODE_OUT_DIR, file), 'utf8')).not.toMatch(/\.ts['"]\)/);
  });

  it('prints its usage for --help and exits 0; an unknown command exits 64', () => {
    const help = cli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stderr).toContain('usage: npm run elicence -- <command>');
    expect(help.stderr).toContain('verify <qr|jws|image>');
    const unknown = cli(['no-such-command']);
    expect(unknown.status).toBe(64);
  });

  it('loads a command on demand: verify without its options is a usage error (64), missing files exit 66', () => {
    const usage = cli(['verify', 'EL1:ABC']);
    expect(usage.status).toBe(64);
    expect(usage.stderr).toContain('--anchors');
    const missing = cli(['verify', 'EL1:ABC', '--bundle', join(dir, 'no-bundle.json'), '--anchors', join(dir, 'no-anchors.json')]);
    expect(missing.status).toBe(66);
    expect(missing.stderr).toContain('ERR_FILE_NOT_FOUND');
  });
});

interface Service {
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): string;
}

function startBuiltService(dataDir: string, keysDir: string): Promise<Service> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', MAIN], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, KEYS_DIR: keysDir, ELICENCE_DEV_TOKEN: TOKEN, PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`built service did not start in 30 s:\n${output}`));
    }, 30_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child, exited, output: () => output });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`built service exited with ${code} before listening:\n${output}`));
    });
  });
}

describe('built service (node dist/node/main.js)', () => {
  let service: Service | undefined;

  afterAll(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
  });

  it('serves the API and the web app, issues with QR texts from its worker thread, and stops on SIGTERM', async () => {
    const dataDir = join(dir, 'data');
    service = await startBuiltService(dataDir, join(dir, 'keys'));
    const { url } = service;

    expect((await fetch(`${url}/openapi.json`)).status).toBe(200);
    // dist/verifier/ found from the bundle (../../dist/verifier/ relative to dist/node/).
    const page = await fetch(`${url}/verify/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');

    const issued = await fetch(`${url}/v1/licences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'idempotency-key': 'built-1' },
      body: readFileSync(join(ROOT, 'docs/examples/business-licence.json')),
    });
    expect(issued.status).toBe(201);
    const licence = (await issued.json()) as { qrText: string };
    expect(licence.qrText).toMatch(/^EL1:/);

    // The built CLI against the built service: pin the anchor, sync a bundle, verify offline.
    const anchors = join(dir, 'anchors.json');
    writeFileSync(anchors, await (await fetch(`${url}/.well-known/trust-anchor.json`)).text());
    const bundle = join(dir, 'bundle.json');
    const sync = cli(['sync', url, '--anchors', anchors, '--out', bundle]);
    expect(sync.stderr).toBe('');
    expect(sync.status).toBe(0);
    const valid = cli(['verify', licence.qrText, '--bundle', bundle, '--anchors', anchors, '--json']);
    expect(valid.status).toBe(0);
    expect((JSON.parse(valid.stdout) as { verdict: string }).verdict).toBe('VALID');
    const invalid = cli(['verify', 'EL1:NOT-A-LICENCE', '--bundle', bundle, '--anchors', anchors, '--json']);
    expect(invalid.status).toBe(15);

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    // A built service must never fall back to encoding on its main thread (qr-worker.ts warns if it does).
    expect(service.output()).not.toContain('QR worker thread did not start');

    // The built audit command opens the same database (migrations found from a CLI chunk).
    const audit = cli(['audit', 'verify'], { DATA_DIR: dataDir });
    expect(audit.stderr).toBe('');
    expect(audit.status).toBe(0);
  }, 120_000);
});
