/**
 * Private keys from the SIGNING_KEYS secret. Workers have no disk to keep a generated key on, so
 * `generate` (creating an authority or rotating a key through the API) is refused with a typed error:
 * the operator adds the key to the secret and redeploys, and the Worker registers its public half.
 */
import type { KeyStore } from '../app/deps.js';
import { ElicenceError } from '../core/errors.js';
import { type JwsSigner, signerFromPrivateJwk } from '../core/jws-sign.js';
import type { ConfiguredKey } from './config.js';

export interface SecretKeyStore extends KeyStore {
  /** Every configured key with its thumbprint, in the order the secret lists them. */
  loaded(): Promise<(ConfiguredKey & { kid: string; signer: JwsSigner })[]>;
}

export function createSecretKeyStore(keys: readonly ConfiguredKey[]): SecretKeyStore {
  let imported: Promise<(ConfiguredKey & { kid: string; signer: JwsSigner })[]> | undefined;
  const loaded = () => {
    imported ??= Promise.all(
      keys.map(async (key, index) => {
        try {
          const signer = await signerFromPrivateJwk(key.privateJwk);
          return { ...key, kid: signer.kid, signer };
        } catch (cause) {
          // Never echo the JWK: it is the secret.
          throw new ElicenceError('ERR_NO_ACTIVE_KEY', `SIGNING_KEYS[${index}] is not a usable private JWK of a known algorithm`, { cause });
        }
      }),
    );
    imported.catch(() => (imported = undefined));
    return imported;
  };
  return {
    loaded,
    async generate() {
      throw new ElicenceError(
        'ERR_KEY_GENERATION_UNSUPPORTED',
        'this deployment reads its signing keys from the SIGNING_KEYS Worker secret and cannot create keys: ' +
          'generate one with `npm run elicence -- keygen authority:<id>`, add it to SIGNING_KEYS with `wrangler secret put SIGNING_KEYS`, and redeploy',
      );
    },
    async signer(kid) {
      const key = (await loaded()).find((k) => k.kid === kid);
      if (!key) throw new ElicenceError('ERR_NO_ACTIVE_KEY', `private key ${kid} is not in the SIGNING_KEYS secret`);
      return key.signer;
    },
  };
}
