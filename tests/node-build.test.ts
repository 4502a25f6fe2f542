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

describe('SM2SM3 in the built runtime (file keys, QR worker thread, built CLI)', () => {
  let service: Service | undefined;

  afterAll(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
  });

  it('keygen authority:<id> SM2SM3 prints an SM2 private JWK for SIGNING_KEYS', () => {
    const generated = cli(['keygen', 'authority:jiaxing', 'SM2SM3']);
    expect(generated.status).toBe(0);
    const entry = JSON.parse(generated.stdout) as { owner: string; privateJwk: Record<string, string> };
    expect(entry.owner).toBe('authority:jiaxing');
    expect(Object.keys(entry.privateJwk).sort()).toEqual(['crv', 'd', 'kty', 'x', 'y']);
    expect(entry.privateJwk).toMatchObject({ kty: 'EC', crv: 'SM2' });
    expect(generated.stderr).toMatch(/^kid [A-Za-z0-9_-]{43}\npublic \{"kty":"EC","crv":"SM2","x":"[^"]+","y":"[^"]+"\}\n$/);
  });

  it('rotates an authority from Ed25519 to SM2: both licences verify offline with the built CLI; a flipped byte does not', async () => {
    const dataDir = join(dir, 'sm2-data');
    const keysDir = join(dir, 'sm2-keys');
    service = await startBuiltService(dataDir, keysDir);
    const { url } = service;
    const call = (path: string, body: unknown, key: string) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const example = readFileSync(join(ROOT, 'docs/examples/business-licence.json'), 'utf8');
    const before = (await (await call('/v1/licences', example, 'sm2-before')).json()) as { credential: string; qrText: string };
    const rotated = await call('/v1/keys/rotate', { alg: 'SM2SM3' }, 'sm2-rotate');
    expect(rotated.status).toBe(201);
    const key = (await rotated.json()) as { kid: string; alg: string };
    expect(key.alg).toBe('SM2SM3');
    // The private half is a file in KEYS_DIR, and only there.
    expect(JSON.parse(readFileSync(join(keysDir, `${key.kid}.private.jwk`), 'utf8'))).toMatchObject({ kty: 'EC', crv: 'SM2', d: expect.any(String) });
    const after = (await (await call('/v1/licences', example.replace('"91330106MA2CFX7K5Y"', '"91330106MA2H3K7X1L"'), 'sm2-after')).json()) as {
      credential: string;
      qrText: string;
    };
    expect(JSON.parse(Buffer.from(after.credential.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'SM2SM3', kid: key.kid });
    expect(after.qrText).toMatch(/^EL1:/);

    const anchors = join(dir, 'sm2-anchors.json');
    writeFileSync(anchors, await (await fetch(`${url}/.well-known/trust-anchor.json`)).text());
    const bundle = join(dir, 'sm2-bundle.json');
    const sync = cli(['sync', url, '--anchors', anchors, '--out', bundle]);
    expect(sync.stderr).toBe('');
    expect(sync.status).toBe(0);
    for (const licence of [before, after]) {
      const verified = cli(['verify', licence.qrText, '--bundle', bundle, '--anchors', anchors, '--json']);
      expect(verified.stderr).toBe('');
      expect((JSON.parse(verified.stdout) as { verdict: string }).verdict).toBe('VALID');
      expect(verified.status).toBe(0);
    }
    const [h, p, s] = after.credential.split('.') as [string, string, string];
    const signature = Buffer.from(s, 'base64url');
    signature[5]! ^= 0x80;
    const flipped = cli(['verify', `${h}.${p}.${signature.toString('base64url')}`, '--bundle', bundle, '--anchors', anchors, '--json']);
    expect(flipped.status).toBe(15);

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    expect(service.output()).not.toContain('QR worker thread did not start');
  }, 120_000);
});
