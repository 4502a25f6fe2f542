/**
 * SM2SM3 inside workerd (the Worker runtime has no SM2 in WebCrypto; the table's pure-JS entry runs there):
 * the known-answer SM2 licence verifies, and an SM2 key from SIGNING_KEYS signs licences that verify.
 */
import { expect, test } from 'vitest';
import { base64url, fromBase64url, utf8 } from '../../src/core/encoding.js';
import { generateSigningJwk, importablePrivateJwk, publicJwk } from '../../src/core/jws-sign.js';
import { verifyJws } from '../../src/core/jws-verify.js';
import { parseWorkerConfig } from '../../src/worker/config.js';
import { createSecretKeyStore } from '../../src/worker/secret-key-store.js';
import sm2Licence from '../vectors/sm2-business-licence.json';
import sm2Key from '../vectors/sm2-test-key.json';

const POLICY = { typ: 'vc+jwt', cty: 'vc' } as const;

test('the known-answer SM2 licence verifies in workerd; one flipped bit does not', async () => {
  const key = { ...publicJwk(sm2Key.privateJwk), kid: sm2Key.kid };
  const decoded = await verifyJws(sm2Licence.jws, key, POLICY);
  expect(decoded.header).toEqual({ alg: 'SM2SM3', kid: sm2Key.kid, typ: 'vc+jwt', cty: 'vc' });
  const [h, p, s] = sm2Licence.jws.split('.') as [string, string, string];
  const signature = fromBase64url(s)!;
  signature[63]! ^= 1;
  await expect(verifyJws(`${h}.${p}.${base64url(signature)}`, key, POLICY)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE' });
});

test('an SM2 private JWK in SIGNING_KEYS is accepted and signs in workerd; a mismatched one is refused', async () => {
  const { privateJwk, kid } = await generateSigningJwk('SM2SM3');
  const env = { DB: {} as never, PUBLIC_URL: 'https://elicence.test', AUTHORITIES: [{ id: 'jiaxing', name: { zh: '嘉兴', en: 'Jiaxing' }, jurisdiction: '330400' }] };
  const config = parseWorkerConfig({ ...env, SIGNING_KEYS: JSON.stringify([{ owner: 'authority:jiaxing', privateJwk: importablePrivateJwk(privateJwk) }]) });
  const signer = await createSecretKeyStore(config.signingKeys).signer(kid);
  expect(signer.alg).toBe('SM2SM3');
  const input = `${base64url(utf8(JSON.stringify({ alg: 'SM2SM3', kid, typ: 'vc+jwt', cty: 'vc' })))}.${base64url(utf8('{"n":1}'))}`;
  const jws = `${input}.${base64url(await signer.sign(utf8(input)))}`;
  expect((await verifyJws(jws, { ...publicJwk(privateJwk), kid }, POLICY)).payload).toEqual({ n: 1 });

  const other = await generateSigningJwk('SM2SM3');
  const mismatched = parseWorkerConfig({
    ...env,
    SIGNING_KEYS: JSON.stringify([{ owner: 'authority:jiaxing', privateJwk: { ...importablePrivateJwk(other.privateJwk), d: privateJwk.d } }]),
  });
  await expect(createSecretKeyStore(mismatched.signingKeys).loaded()).rejects.toMatchObject({ code: 'ERR_NO_ACTIVE_KEY' });
});
