/**
 * Loads modules as a verifier built before SM2SM3 joined the algorithm table would run them: the table
 * without that entry (src/core/algorithms.ts as it was, every other entry and rule unchanged). `load`
 * imports fresh copies of the modules under test; call `restore` afterwards.
 */
import { vi } from 'vitest';
import type * as Algorithms from '../../src/core/algorithms.js';

export interface WithoutSm2<T> {
  module: T;
  restore(): void;
}

const ALGORITHMS_MODULE = '../../src/core/algorithms.js';

export async function withoutSm2<T>(load: () => Promise<T>): Promise<WithoutSm2<T>> {
  vi.doMock(ALGORITHMS_MODULE, async (importOriginal) => {
    const actual = await importOriginal<typeof Algorithms>();
    const known = actual.ALGORITHMS.filter((a) => a.alg !== 'SM2SM3');
    const isSm2Key = (jwk: { kty?: unknown; crv?: unknown }) => jwk.kty === actual.SM2SM3.kty && jwk.crv === actual.SM2SM3.crv;
    const checkPublicJwk: typeof actual.checkPublicJwk = (jwk) => {
      const checked = actual.checkPublicJwk(jwk);
      // Private material is refused before the algorithm is looked up; otherwise an SM2 key is of no known algorithm.
      if (isSm2Key(jwk) && !(!checked.ok && checked.problem === 'private-member')) return { ok: false, problem: 'unknown-algorithm' };
      return checked;
    };
    return {
      ...actual,
      ALGORITHMS: known,
      SIGNING_ALGORITHMS: known.map((a) => a.alg),
      isSigningAlgorithm: (alg: unknown) => known.some((a) => a.alg === alg),
      algorithmNamed: (alg: unknown) => known.find((a) => a.alg === alg),
      algorithmForJwk: (jwk: { kty?: unknown; crv?: unknown }) => known.find((a) => a.kty === jwk.kty && a.crv === jwk.crv),
      checkPublicJwk,
    };
  });
  vi.resetModules();
  const restore = () => {
    vi.doUnmock(ALGORITHMS_MODULE);
    vi.resetModules();
  };
  try {
    return { module: await load(), restore };
  } catch (error) {
    restore();
    throw error;
  }
}
