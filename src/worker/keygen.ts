/**
 * Prints a new private signing key as one SIGNING_KEYS entry, for operators of the Worker (which
 * cannot generate keys itself). Run on a trusted machine with Node:
 *   npx tsx src/worker/keygen.ts authority:hangzhou-amr [EdDSA|ES256]
 * and add the printed object to the JSON array of the SIGNING_KEYS secret. Its public half and kid
 * go to stderr, for the record.
 */
import { importable } from './secret-key-store.js';
import { generateSigningJwk, type SigningAlgorithm } from '../core/jws-sign.js';

const [owner, alg = 'EdDSA'] = process.argv.slice(2);
if (!owner || !/^(authority|anchor):[a-z0-9][a-z0-9-]{1,62}$/.test(owner) || (alg !== 'EdDSA' && alg !== 'ES256')) {
  console.error('usage: npx tsx src/worker/keygen.ts authority:<id>|anchor:<id> [EdDSA|ES256]');
  process.exit(2);
}
const { privateJwk, publicJwk, kid } = await generateSigningJwk(alg as SigningAlgorithm);
console.error(`kid ${kid}\npublic ${JSON.stringify(publicJwk)}`);
console.log(JSON.stringify({ owner, privateJwk: importable(privateJwk) }));
