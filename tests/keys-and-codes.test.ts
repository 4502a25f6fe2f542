/** The file key store (private keys on disk only, mode 0600, no path tricks) and GB 32100-2015 check characters. */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { creditCodeCheckCharacter, creditCodeProblem, isValidCreditCode } from '../src/core/credit-code.js';
import { ElicenceError } from '../src/core/errors.js';
import { createFileKeyStore } from '../src/node/file-key-store.js';
import { createTestContext } from './helpers/app.js';

describe('file key store', () => {
  test('writes private keys as 0600 files named by thumbprint, and signs from them after a restart', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'elicence-keys-')), 'keys');
    const store = createFileKeyStore(dir);
    for (const alg of ['EdDSA', 'ES256'] as const) {
      const { kid, publicJwk } = await store.generate(alg);
      expect(publicJwk).not.toHaveProperty('d');
      const file = join(dir, `${kid}.private.jwk`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('d');
      const reopened = createFileKeyStore(dir);
      const signer = await reopened.signer(kid);
      expect(signer).toMatchObject({ alg, kid });
      expect((await signer.sign(new TextEncoder().encode('x'))).length).toBe(64);
    }
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dir)).toHaveLength(2);
  });

  test('refuses kids that are not thumbprints (no path traversal) and unknown keys, with typed errors', async () => {
    const store = createFileKeyStore(join(mkdtempSync(join(tmpdir(), 'elicence-keys-')), 'keys'));
    for (const kid of ['../../etc/passwd', '..', 'a/b', '', `${'x'.repeat(43)}\u0000`]) {
      await expect(store.signer(kid)).rejects.toSatisfy((e) => e instanceof ElicenceError && e.code === 'ERR_NO_ACTIVE_KEY');
    }
    await expect(store.signer('A'.repeat(43))).rejects.toSatisfy((e) => e instanceof ElicenceError && e.code === 'ERR_NO_ACTIVE_KEY');
  });

  test('the database never holds a private key', async () => {
    const t = await createTestContext();
    await t.call('POST', '/v1/keys/rotate', { body: { alg: 'ES256' } });
    const tables = t.store.sqlite.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[];
    for (const { name } of tables) {
      expect(JSON.stringify(t.store.sqlite.prepare(`select * from "${name}"`).all()), name).not.toMatch(/\\?"d\\?"\s*:/);
    }
    t.close();
  });
});

describe('unified social credit code (GB 32100-2015)', () => {
  test.each(['91330100799655058B', '91440300708461136T', '911100001000044477', '91330106MA2CFX7K5Y'])('accepts %s', (code) => {
    expect(isValidCreditCode(code)).toBe(true);
  });

  test.each([
    ['91330100799655058C', 'check'],
    ['9133010079965505', 'length'],
    ['91330100799655058BB', 'length'],
    ['9133010079965505IB', 'characters'],
    ['91330100799655O58B', 'characters'],
    ['91a30100799655058B', 'characters'],
  ])('refuses %s (%s)', (code, problem) => {
    expect(creditCodeProblem(code)).toBe(problem);
  });

  test('exactly one check character completes any 17 valid characters; every other one is refused', () => {
    const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
    const symbol = fc.constantFrom(...alphabet.split(''));
    fc.assert(
      fc.property(
        fc.array(symbol, { minLength: 2, maxLength: 2 }),
        fc.array(fc.constantFrom(...'0123456789'.split('')), { minLength: 6, maxLength: 6 }),
        fc.array(symbol, { minLength: 9, maxLength: 9 }),
        (a, b, c) => {
          const first17 = [...a, ...b, ...c].join('');
          const check = creditCodeCheckCharacter(first17)!;
          expect(alphabet).toContain(check);
          for (const other of alphabet) expect(isValidCreditCode(first17 + other)).toBe(other === check);
        },
      ),
      { numRuns: 300 },
    );
  });
});
