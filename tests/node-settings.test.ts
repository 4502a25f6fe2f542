/**
 * `npm start` and the CLI read the same settings (the environment over `.env`, else the project's
 * data/ and keys/): `audit verify`, `trust` and `token` find the database the service uses without
 * re-exporting DATA_DIR. A restart on an existing database says how to get a token when the first one
 * was lost, and `token create` makes one that the service accepts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNodeConfig, nodeEnvironment, PROJECT_DIR } from '../src/node/config.js';
import { openSqliteStore } from '../src/node/sqlite-store.js';
import { authenticate } from '../src/services/tokens.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let dir: string;
let envFile: string;
/** The environment of a shell that exported nothing of ours. */
const bareEnv = () => {
  const env = { ...process.env };
  for (const key of ['DATA_DIR', 'KEYS_DIR', 'ELICENCE_ENV_FILE', 'ELICENCE_DEV_TOKEN', 'PORT', 'PUBLIC_URL']) delete env[key];
  return env;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'elicence-settings-'));
  mkdirSync(join(dir, 'conf'));
  envFile = join(dir, 'conf', 'elicence.env');
  // Relative paths in the file are relative to the file's folder.
  writeFileSync(envFile, '# settings shared by npm start and the CLI\nDATA_DIR=../data\nKEYS_DIR=../keys\nPORT=0\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('settings', () => {
  it('defaults to the project folder, and reads the settings file beneath the environment', () => {
    const plain = loadNodeConfig(bareEnv());
    expect(plain.dataDir).toBe(join(PROJECT_DIR, 'data'));
    expect(plain.keysDir).toBe(join(PROJECT_DIR, 'keys'));
    const fromFile = loadNodeConfig(nodeEnvironment({ ...bareEnv(), ELICENCE_ENV_FILE: envFile }));
    expect(fromFile.dataDir).toBe(join(dir, 'data'));
    expect(fromFile.keysDir).toBe(join(dir, 'keys'));
    expect(fromFile.port).toBe(0);
    const overridden = loadNodeConfig(nodeEnvironment({ ...bareEnv(), ELICENCE_ENV_FILE: envFile, DATA_DIR: join(dir, 'elsewhere') }));
    expect(overridden.dataDir).toBe(join(dir, 'elsewhere'));
  });
});

describe('npm start, then the CLI, with the same settings and nothing re-exported', () => {
  const env = () => ({ ...bareEnv(), ELICENCE_ENV_FILE: envFile, HOST: '127.0.0.1' });
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: env(), encoding: 'utf8', timeout: 60_000 });

  /** Starts the service (tsx), returns everything it printed once it listens, and stops it. */
  const startAndStop = () =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/node/main.ts'], { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`service did not start:\n${output}`));
      }, 60_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/listening on/.test(output) && /API docs/.test(output)) {
          clearTimeout(timer);
          child.once('exit', () => resolve(output));
          child.kill('SIGTERM');
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (!/listening on/.test(output)) reject(new Error(`service exited with ${code}:\n${output}`));
      });
    });

  it('audit verify and token create find the service database; a restart says how to replace a lost token', async () => {
    const first = await startAndStop();
    expect(first).toContain('token (shown once)');
    expect(first).toContain(join(dir, 'data', 'elicence.db'));

    const audit = cli(['audit', 'verify']);
    expect(audit.stderr).toBe('');
    expect(audit.stdout).toContain(`audit log intact`);
    expect(audit.stdout).toContain(join(dir, 'data', 'elicence.db'));
    const trust = cli(['trust', 'list']);
    expect(trust.status).toBe(0);
    expect(trust.stdout).toContain('dev-city');

    const second = await startAndStop();
    expect(second).not.toContain('token (shown once)');
    expect(second).toContain('npm run elicence -- token create --authority dev-city');

    const created = cli(['token', 'create', '--authority', 'dev-city', '--actions', 'issue,read', '--name', 'replacement']);
    expect(created.status).toBe(0);
    const token = created.stdout.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^elk_/);
    const store = openSqliteStore(join(dir, 'data', 'elicence.db'));
    try {
      const principal = await authenticate(store.db, token);
      expect(principal).toMatchObject({ authorityId: 'dev-city' });
      expect([...principal!.actions].sort()).toEqual(['issue', 'read']);
    } finally {
      store.close();
    }
    expect(cli(['token', 'create', '--actions', 'fly']).status).toBe(64);
    expect(cli(['token', 'create', '--authority', 'nowhere']).status).toBe(1);
  }, 180_000);
});
