/**
 * `npm run elicence -- keygen authority:<id>|anchor:<id> [alg]` (an algorithm of src/core/algorithms.ts): prints a new private signing
 * key as one SIGNING_KEYS entry, for operators of the Worker (which cannot generate keys itself). Run
 * it on a trusted machine and add the printed object to the JSON array of the SIGNING_KEYS secret. Its
 * public half and kid go to stderr, for the record. Exit 0, or 64 on bad usage.
 */
import { DEFAULT_ALGORITHM, isSigningAlgorithm, SIGNING_ALGORITHMS } from '../core/algorithms.js';
import { generateSigningJwk, importablePrivateJwk } from '../core/jws-sign.js';

const USAGE = `usage: npm run elicence -- keygen authority:<id>|anchor:<id> [${SIGNING_ALGORITHMS.join('|')}]`;

export async function run(args: string[]): Promise<number> {
  const [owner, alg = DEFAULT_ALGORITHM] = args;
  if (!owner || !/^(authority|anchor):[a-z0-9][a-z0-9-]{1,62}$/.test(owner) || !isSigningAlgorithm(alg)) {
    console.error(USAGE);
    return 64;
  }
  const { privateJwk, publicJwk, kid } = await generateSigningJwk(alg);
  console.error(`kid ${kid}\npublic ${JSON.stringify(publicJwk)}`);
  console.log(JSON.stringify({ owner, privateJwk: importablePrivateJwk(privateJwk) }));
  return 0;
}
