/** Password hashing per runtime: the stored form, verification by the stored parameters, and the Workers ceiling. */
import { describe, expect, it } from 'vitest';
import { loadNodeConfig } from '../../src/node/config.js';
import {
  hashPassword,
  NODE_PASSWORD_HASHING,
  needsRehash,
  storedHashing,
  verifyPassword,
  WORKER_PASSWORD_HASHING,
  WORKERS_MAX_PBKDF2_ITERATIONS,
} from '../../src/services/passwords.js';
import { parseWorkerConfig } from '../../src/worker/config.js';

const workerEnv = {
  DB: {} as never,
  PUBLIC_URL: 'https://elicence.test',
  AUTHORITIES: JSON.stringify([{ id: 'dev-city', name: { zh: '开发市', en: 'Dev City' }, jurisdiction: '330100' }]),
};

describe('password hashing', () => {
  it('stores scheme:params:salt:hash and verifies with the stored parameters, whatever the policy is now', async () => {
    const pbkdf2 = await hashPassword('correct horse 电池', { scheme: 'pbkdf2-sha256', iterations: 1000 });
    expect(pbkdf2).toMatch(/^pbkdf2-sha256:i=1000:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]{43}$/);
    const scrypt = await hashPassword('correct horse 电池', { scheme: 'scrypt', N: 1024, r: 8, p: 1 });
    expect(scrypt).toMatch(/^scrypt:N=1024,r=8,p=1:/);
    for (const stored of [pbkdf2, scrypt]) {
      expect(await verifyPassword('correct horse 电池', stored)).toBe(true);
      expect(await verifyPassword('correct horse 电 池', stored)).toBe(false);
    }
    // Unicode is normalised (NFC) before hashing: the same password typed either way.
    expect(await verifyPassword('cafe\u0301', await hashPassword('caf\u00e9', { scheme: 'pbkdf2-sha256', iterations: 1000 }))).toBe(true);
    expect(needsRehash(pbkdf2, { scheme: 'pbkdf2-sha256', iterations: 1000 })).toBe(false);
    expect(needsRehash(pbkdf2, NODE_PASSWORD_HASHING)).toBe(true);
    expect(needsRehash(scrypt, NODE_PASSWORD_HASHING)).toBe(true);
  });

  it('refuses unreadable or absurd stored parameters instead of hashing for ever', async () => {
    for (const stored of [
      '',
      'md5:x:y:z',
      'pbkdf2-sha256:i=999999999:AAAAAAAAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'scrypt:N=3,r=8,p=1:AAAAAAAAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA',
    ]) {
      expect(await verifyPassword('x', stored)).toBe(false);
      expect(storedHashing(stored)).toBeUndefined();
    }
  });

  it('Node hashes with PBKDF2-SHA-256 at 600,000 iterations', () => {
    const config = loadNodeConfig({});
    expect(config.app.passwordHashing).toEqual({ scheme: 'pbkdf2-sha256', iterations: 600_000 });
  });

  it('the Workers path never asks for more than 100,000 PBKDF2 iterations (Workers refuses more in production)', async () => {
    const config = parseWorkerConfig(workerEnv);
    expect(config.app.passwordHashing).toEqual(WORKER_PASSWORD_HASHING);
    const policy = config.app.passwordHashing!;
    expect(policy.scheme).toBe('pbkdf2-sha256');
    if (policy.scheme === 'pbkdf2-sha256') expect(policy.iterations).toBeLessThanOrEqual(WORKERS_MAX_PBKDF2_ITERATIONS);
    expect(WORKERS_MAX_PBKDF2_ITERATIONS).toBe(100_000);
    // What it stores says so too.
    expect(storedHashing(await hashPassword('a-worker-password', policy))).toEqual({ scheme: 'pbkdf2-sha256', iterations: 100_000 });
  });
});
