/**
 * Private keys as JWK files under KEYS_DIR (`<kid>.private.jwk`, mode 0600). The directory is
 * gitignored; the database never sees these files' contents.
 */
import { createPrivateKey, type KeyObject, sign as nodeSign } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import type { KeyStore } from '../app/deps.js';
import type { SigningAlgorithm } from '../core/algorithms.js';
import { ElicenceError } from '../core/errors.js';
import { algorithmOfJwk, generateSigningJwk, importablePrivateJwk, type JwsSigner, jwkThumbprint, signerFromPrivateJwk } from '../core/jws-sign.js';

const KID = /^[A-Za-z0-9_-]{43}$/;

export function createFileKeyStore(directory: string): KeyStore {
  const signers = new Map<string, Promise<JwsSigner>>();
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const fileOf = (kid: string) => {
    // The kid is a SHA-256 thumbprint: anything else could walk out of the directory.
    if (!KID.test(kid)) throw new ElicenceError('ERR_NO_ACTIVE_KEY', 'not a key thumbprint', { field: 'kid' });
    return join(directory, `${kid}.private.jwk`);
  };
  return {
    async generate(alg) {
      const { privateJwk, publicJwk, kid } = await generateSigningJwk(alg);
      writeFileSync(fileOf(kid), JSON.stringify(privateJwk), { mode: 0o600, flag: 'wx' });
      return { kid, publicJwk };
    },
    signer(kid) {
      let signer = signers.get(kid);
      if (!signer) {
        signer = (async () => {
          let privateJwk: JWK;
          try {
            privateJwk = JSON.parse(readFileSync(fileOf(kid), 'utf8')) as JWK;
          } catch (cause) {
            throw new ElicenceError('ERR_NO_ACTIVE_KEY', `private key ${kid} is not in the key store`, { cause });
          }
          return nodeSigner(privateJwk);
        })();
        signer.catch(() => signers.delete(kid));
        signers.set(kid, signer);
      }
      return signer;
    },
  };
}

/**
 * node:crypto's digest and signature encoding per algorithm of the table that it signs natively. Not SM2SM3:
 * node:crypto imports no SM2 JWK and signs SM2 only with OpenSSL's default (empty) distinguishing ID, whose
 * Z_A differs from the profile's ("1234567812345678"), so the core signer (pure JS) signs SM2.
 */
const NODE_SIGNING: Partial<Record<SigningAlgorithm, { digest: string | null; dsaEncoding?: 'ieee-p1363' }>> = {
  EdDSA: { digest: null },
  ES256: { digest: 'sha256', dsaEncoding: 'ieee-p1363' },
};

/**
 * Signs with node:crypto's callback form, which runs on libuv's thread pool: the serving thread, the
 * bottleneck under load, stays free for other requests while signatures are made on the other core
 * (and a batch of a thousand signs in parallel). Cheaper than WebCrypto's promise machinery. An
 * algorithm node:crypto does not sign natively uses the core's signer.
 */
async function nodeSigner(privateJwk: JWK): Promise<JwsSigner> {
  const alg = algorithmOfJwk(privateJwk);
  const native = NODE_SIGNING[alg];
  if (!native) return signerFromPrivateJwk(privateJwk);
  const kid = await jwkThumbprint(privateJwk);
  const key: KeyObject = createPrivateKey({ key: importablePrivateJwk(privateJwk) as import('node:crypto').JsonWebKey, format: 'jwk' });
  const options = native.dsaEncoding ? { key, dsaEncoding: native.dsaEncoding } : key;
  const sign = (data: Uint8Array) =>
    new Promise<Uint8Array>((resolve, reject) => {
      nodeSign(native.digest, data, options, (error: Error | null, signature: Buffer) => (error ? reject(error) : resolve(new Uint8Array(signature))));
    });
  return { alg, kid, sign };
}
