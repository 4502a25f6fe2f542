/**
 * Runs code as a runtime without Ed25519 / P-256 in WebCrypto would (some browsers): WebCrypto refuses
 * to import verification keys for those curves, so the algorithm table's pure-JS fallback verifies.
 * `load` imports a fresh copy of the modules under test (their key caches start empty).
 */
import { vi } from 'vitest';

export interface NobleOnly<T> {
  module: T;
  /** How many verification key imports WebCrypto refused (proof the fallback ran). */
  refused(): number;
  restore(): void;
}

export async function withoutWebCryptoCurves<T>(load: () => Promise<T>): Promise<NobleOnly<T>> {
  const subtle = globalThis.crypto.subtle;
  const original = subtle.importKey.bind(subtle) as (...args: unknown[]) => Promise<CryptoKey>;
  let refused = 0;
  const spy = vi.spyOn(subtle, 'importKey').mockImplementation(((...args: unknown[]) => {
    const algorithm = args[2] as string | { name: string };
    const usages = args[4] as string[];
    const name = typeof algorithm === 'string' ? algorithm : algorithm.name;
    if (usages.includes('verify') && (name === 'Ed25519' || name === 'ECDSA')) {
      refused++;
      return Promise.reject(new DOMException(`${name} is not supported`, 'NotSupportedError'));
    }
    return original(...args);
  }) as typeof subtle.importKey);
  vi.resetModules();
  try {
    return { module: await load(), refused: () => refused, restore: () => spy.mockRestore() };
  } catch (error) {
    spy.mockRestore();
    throw error;
  }
}
