/**
 * Where an authority's unified social credit code comes from: AUTHORITY_CREDIT_CODE for `npm start`'s
 * authority, `creditCode` in the Worker's AUTHORITIES. A valid code is required to create an authority
 * and to issue; an authority from before credit codes gets the configured one once; a different code
 * than the one stored is refused, since its licence identifiers carry it.
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/app/deps.js';
import { generateSigningJwk, importablePrivateJwk } from '../src/core/jws-sign.js';
import { loadNodeConfig } from '../src/node/config.js';
import { openSqliteStore } from '../src/node/sqlite-store.js';
import { bootstrap } from '../src/services/bootstrap.js';
import { parseWorkerConfig, WorkerConfigError } from '../src/worker/config.js';
import { provisionWorker } from '../src/worker/provision.js';
import { createSecretKeyStore } from '../src/worker/secret-key-store.js';
import { manualClock } from './helpers/app.js';
import { createMemoryKeyStore } from './helpers/memory-key-store.js';

const CODE = '11330200DC0000004F';

describe('Node: AUTHORITY_CREDIT_CODE', () => {
  it('goes with AUTHORITY_ID and must be a valid code', () => {
    expect(loadNodeConfig({ AUTHORITY_ID: 'ningbo-amr', AUTHORITY_CREDIT_CODE: CODE }).authority).toMatchObject({ id: 'ningbo-amr', creditCode: CODE });
    expect(() => loadNodeConfig({ AUTHORITY_CREDIT_CODE: CODE })).toThrow(/need AUTHORITY_ID/);
    expect(() => loadNodeConfig({ AUTHORITY_ID: 'ningbo-amr', AUTHORITY_CREDIT_CODE: '11330200DC00000040' })).toThrow(/AUTHORITY_CREDIT_CODE/);
    // The development authority has its own (made-up, valid) code.
    expect(loadNodeConfig({}).authority).toBeUndefined();
  });

  it('a first start without it refuses to create the authority; a later start sets it once', async () => {
    const store = openSqliteStore(':memory:');
    try {
      const deps = { store, keys: createMemoryKeyStore(), clock: manualClock(), config: defaultConfig('https://elicence.test') };
      const ningbo = { id: 'ningbo-amr', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200' };
      await expect(bootstrap(deps, { authority: ningbo })).rejects.toMatchObject({ code: 'ERR_VALIDATION', field: 'creditCode' });
      expect(store.sqlite.prepare('SELECT count(*) AS n FROM authorities').get()).toEqual({ n: 0 });
      const created = await bootstrap(deps, { authority: { ...ningbo, creditCode: CODE } });
      expect(created.authorities[0]?.creditCode).toBe(CODE);
      // A restart with another code does not change it: identifiers carry the first.
      await expect(bootstrap(deps, { authority: { ...ningbo, creditCode: '11330100DC00000011' } })).rejects.toMatchObject({ code: 'ERR_CONFLICT' });
      expect((await bootstrap(deps, { authority: ningbo })).withoutCreditCode).toBeUndefined();
    } finally {
      store.close();
    }
  });
});

describe('Workers: creditCode in AUTHORITIES', () => {
  const env = (authorities: unknown[], keys: unknown[]) => ({
    DB: {} as never,
    PUBLIC_URL: 'https://elicence.test',
    AUTHORITIES: JSON.stringify(authorities),
    SIGNING_KEYS: JSON.stringify(keys),
  });
  const jiaxing = { id: 'jiaxing', name: { zh: '嘉兴', en: 'Jiaxing' }, jurisdiction: '330400' };

  it('is optional, and checked when given', () => {
    expect(parseWorkerConfig(env([jiaxing], [])).authorities[0]).not.toHaveProperty('creditCode');
    expect(parseWorkerConfig(env([{ ...jiaxing, creditCode: CODE }], [])).authorities[0]?.creditCode).toBe(CODE);
    expect(() => parseWorkerConfig(env([{ ...jiaxing, creditCode: '11330200DC00000040' }], []))).toThrow(WorkerConfigError);
    expect(() => parseWorkerConfig(env([{ ...jiaxing, creditCode: '11330200DC00000040' }], []))).toThrow(/AUTHORITIES at 0\.creditCode/);
  });

  it('provisioning sets it on an authority that has none, once (audited); another code is refused', async () => {
    const store = openSqliteStore(':memory:');
    try {
      const { privateJwk } = await generateSigningJwk('EdDSA');
      const keys = [{ owner: 'authority:jiaxing', privateJwk: importablePrivateJwk(privateJwk) }];
      const deps = { store, keys: createMemoryKeyStore(), clock: manualClock(), config: defaultConfig('https://elicence.test') };
      const provision = async (authority: Record<string, unknown>) => {
        const config = parseWorkerConfig(env([authority], keys));
        return provisionWorker({ ...deps, config: config.app }, createSecretKeyStore(config.signingKeys), config);
      };
      await provision(jiaxing);
      const code = () => store.sqlite.prepare("SELECT credit_code AS c FROM authorities WHERE id = 'jiaxing'").get();
      expect(code()).toEqual({ c: null });
      await provision({ ...jiaxing, creditCode: CODE });
      expect(code()).toEqual({ c: CODE });
      await provision({ ...jiaxing, creditCode: CODE });
      expect(store.sqlite.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'authority.creditCodeSet'").get()).toEqual({ n: 1 });
      await expect(provision({ ...jiaxing, creditCode: '11330100DC00000011' })).rejects.toThrow(/which its licence identifiers carry/);
      expect(code()).toEqual({ c: CODE });
    } finally {
      store.close();
    }
  });
});
