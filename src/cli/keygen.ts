/**
 * `npm run elicence -- keygen authority:<id>|anchor:<id> [EdDSA|ES256]`: prints a new private signing
 * key as one SIGNING_KEYS entry, for operators of the Worker (which cannot generate keys itself). Run
 * it on a trusted machine and add the printed object to the JSON array of the SIGNING_KEYS secret. Its
 * public half and kid go to stderr, for the record. Exit 0, or 64 on bad usage.
 */
import { generateSigningJwk, type SigningAlgorithm } from '../core/jws-sign.js';
import { importable } from '../worker/secret-key-store.js';

const USAGE = 'usage: npm run elicence -- keygen authority:<id>|anchor:<id> [EdDSA|ES256]';

export async function run(args: string[]): Promise<number> {
  const [owner, alg = 'EdDSA'] = args;
  if (!owner || !/^(authority|anchor):[a-z0-9][a-z0-9-]{1,62}$/.test(owner) || (alg !== 'EdDSA' && alg !== 'ES256')) {
    console.error(USAGE);
    return 64;
  }
  const { privateJwk, publicJwk, kid } = await generateSigningJwk(alg as SigningAlgorithm);
  console.error(`kid ${kid}\npublic ${JSON.stringify(publicJwk)}`);
  console.log(JSON.stringify({ owner, privateJwk: importable(privateJwk) }));
  return 0;
}
