/** An in-memory key store for tests and throwaway instances (keys vanish with the process). */
import type { JWK } from 'jose';
import { ElicenceError } from '../../src/core/errors.js';
import { generateSigningJwk, type JwsSigner, signerFromPrivateJwk } from '../../src/core/jws-sign.js';
import type { KeyStore } from '../../src/services/ports.js';

export function createMemoryKeyStore(): KeyStore & { importPrivateJwk(jwk: JWK): Promise<string> } {
  const signers = new Map<string, JwsSigner>();
  return {
    async generate(alg) {
      const { privateJwk, publicJwk, kid } = await generateSigningJwk(alg);
      signers.set(kid, await signerFromPrivateJwk(privateJwk));
      return { kid, publicJwk };
    },
    async signer(kid) {
      const signer = signers.get(kid);
      if (!signer) throw new ElicenceError('ERR_NO_ACTIVE_KEY', `private key ${kid} is not in the key store`);
      return signer;
    },
    async importPrivateJwk(jwk) {
      const signer = await signerFromPrivateJwk(jwk);
      signers.set(signer.kid, signer);
      return signer.kid;
    },
  };
}
