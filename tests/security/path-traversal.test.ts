/**
 * Path traversal in every file-backed option: the file key store's kid -> path mapping, the verifier
 * CLI's --bundle / --anchors / --out, the audit CLI's --data-dir and the trust CLI's --jwks-file.
 * `../` paths, symlinks, directories and NUL bytes give clear typed errors (or a usage exit code),
 * never a read outside what was given and never a file's content echoed back.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run as auditCli } from '../../src/cli/audit.js';
import { readJwksFile } from '../../src/cli/trust.js';
import { type CliIo, run as verifierCli } from '../../src/cli/verify.js';
import { ElicenceError } from '../../src/core/errors.js';
import { createFileKeyStore } from '../../src/node/file-key-store.js';

const root = mkdtempSync(join(tmpdir(), 'elicence-traversal-'));
const work = join(root, 'work');
const outside = join(root, 'outside');
mkdirSync(work);
mkdirSync(outside);
const SECRET = 'TOP-SECRET-CONTENT-do-not-echo';
writeFileSync(join(outside, 'secret.txt'), SECRET);
writeFileSync(join(outside, 'jwks.json'), JSON.stringify({ keys: [] }));
symlinkSync(join(outside, 'jwks.json'), join(work, 'link-to-outside.json'));
symlinkSync(outside, join(work, 'link-to-dir'));
mkdirSync(join(work, 'a-directory'));

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('file key store: kid -> path', () => {
  it('refuses every kid that is not a thumbprint, before touching the file system', async () => {
    const keysDir = join(root, 'keys');
    const store = createFileKeyStore(keysDir);
    const { kid } = await store.generate('EdDSA');
    expect(readdirSync(keysDir)).toEqual([`${kid}.private.jwk`]);
    const bad = ['../outside/secret', `../${kid}`, `${kid}/../../x`, `${kid.slice(0, 42)}\0`, 'a\0b', '', '..', `/etc/passwd`, `${kid}.private.jwk`, `${'.'.repeat(43)}`];
    for (const candidate of bad) {
      const error = await store.signer(candidate).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect([candidate, error instanceof ElicenceError && error.code]).toEqual([candidate, 'ERR_NO_ACTIVE_KEY']);
    }
    // The genuine key still works.
    expect((await store.signer(kid)).kid).toBe(kid);
  });
});

describe('trust CLI --jwks-file', () => {
  const refused = (path: string) => {
    try {
      readJwksFile(path, work);
      return 'read';
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(SECRET);
      return (error as Error).message.startsWith('--jwks-file') ? 'refused' : `unexpected: ${(error as Error).message}`;
    }
  };

  it('refuses ../ out of the working directory, symlinks leading out, directories, NUL bytes and missing files', () => {
    expect(refused(relative(work, join(outside, 'jwks.json')))).toBe('refused');
    expect(refused('link-to-outside.json')).toBe('refused');
    expect(refused('link-to-dir/jwks.json')).toBe('refused');
    expect(refused('a-directory')).toBe('refused');
    expect(refused('jwks.json\0.png')).toBe('refused');
    expect(refused('')).toBe('refused');
    expect(refused('missing.json')).toBe('refused');
  });

  it('reads an absolute path the operator gave on purpose, and a file inside the working directory', () => {
    expect(readJwksFile(join(outside, 'jwks.json'), work).document).toEqual({ keys: [] });
    writeFileSync(join(work, 'local.json'), JSON.stringify({ keys: [] }));
    expect(readJwksFile('local.json', work).document).toEqual({ keys: [] });
  });
});

describe('audit CLI --data-dir', () => {
  it('gives a usage or failure exit code for NUL bytes, files and missing directories, and creates nothing', async () => {
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    for (const dir of [`${work}\0x`, join(outside, 'secret.txt'), join(work, '../nowhere'), join(work, 'link-to-dir')]) {
      const code = await auditCli(['verify', '--data-dir', dir], 'audit', io);
      expect([dir, code === 1 || code === 64]).toEqual([dir, true]);
    }
    expect(existsSync(join(root, 'nowhere'))).toBe(false);
    expect(existsSync(join(outside, 'elicence.db'))).toBe(false);
    expect(lines.join('\n')).not.toContain(SECRET);
  });
});

describe('verifier CLI --bundle / --anchors / --out', () => {
  const capture = () => {
    const out: string[] = [];
    const io: CliIo = {
      stdout: (t) => void out.push(t),
      stderr: (t) => void out.push(t),
      env: {},
      fetch: () => Promise.reject(new Error('no network in this test')),
      readStdin: () => Promise.resolve(new Uint8Array()),
      cwd: work,
      colour: false,
      now: () => Date.parse('2026-06-01T00:00:00Z'),
    };
    return { io, text: () => out.join('') };
  };
  const paths = ['a-directory', 'link-to-dir', 'nul\0byte.json', '../outside/secret.txt', 'missing.json', ''];

  it('refuses every bad --bundle and --anchors with a non-zero exit and no echo of file content', async () => {
    for (const option of ['--bundle', '--anchors']) {
      for (const path of paths) {
        const { io, text } = capture();
        const other = option === '--bundle' ? ['--anchors', 'link-to-outside.json'] : ['--bundle', 'link-to-outside.json'];
        const code = await verifierCli(['EL1:123', option, path, ...other], 'verify', io);
        expect([option, path, code !== 0 && code !== 70]).toEqual([option, path, true]);
        expect(text()).not.toContain(SECRET);
        expect(text()).not.toContain('    at '); // a typed error, not a stack trace
      }
    }
  });

  it('refuses a bad --out before any network access', async () => {
    for (const path of ['nul\0byte.json', '', 'a-directory']) {
      const { io, text } = capture();
      const code = await verifierCli(['http://127.0.0.1:9/verifier-bundle', '--anchors', join(outside, 'jwks.json'), '--out', path], 'sync', io);
      expect([path, code !== 0 && code !== 70]).toEqual([path, true]);
      expect(text()).not.toContain('    at ');
    }
    expect(readdirSync(join(work, 'a-directory'))).toEqual([]);
  });
});
