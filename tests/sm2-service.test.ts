/**
 * SM2SM3 in the service and its runtimes: an authority created with SM2, rotation from Ed25519 to SM2 (old
 * licences keep verifying), the anchor signing its trust list with SM2, what the JWKS and did.json publish,
 * the command-line verifier on an SM2 licence's QR image, the file key store, keygen, and the Worker's
 * SIGNING_KEYS (private keys never leave the stores).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as keygen } from '../src/cli/keygen.js';
import { type CliIo, run as cliVerify } from '../src/cli/verify.js';
import { base64url, fromBase64url, fromUtf8, utf8 } from '../src/core/encoding.js';
import { generateSigningJwk, importablePrivateJwk, jwkThumbprint, publicJwk } from '../src/core/jws-sign.js';
import { verifyJws } from '../src/core/jws-verify.js';
import { createFileKeyStore } from '../src/node/file-key-store.js';
import { createAuthority } from '../src/services/authorities.js';
import { DEV_ANCHOR_ID } from '../src/services/dev-setup.js';
import { createActiveKey } from '../src/services/keys.js';
import { ACTIONS, createToken } from '../src/services/tokens.js';
import { parseWorkerConfig } from '../src/worker/config.js';
import { createSecretKeyStore } from '../src/worker/secret-key-store.js';
import { type VerifierBundle, type VerifyResult, verify } from '../verifier/index.js';
import { businessSubject, createTestContext, type TestContext } from './helpers/app.js';
import { freshCreditCode } from './shared/subjects.js';

let t: TestContext;
let dir: string;

interface Issued {
  id: string;
  credential: string;
  qrText: string;
}

const headerOf = (jws: string) => JSON.parse(fromUtf8(fromBase64url(jws.split('.')[0]!)!)) as { alg: string; kid: string };

async function issue(token = t.token, subject = businessSubject()): Promise<Issued> {
  const response = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject }, token });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as Issued;
}

async function offline(): Promise<{ bundle: VerifierBundle; anchors: { anchorId: string; keys: JWK[] } }> {
  const bundle = (await (await t.call('GET', '/verifier-bundle', { token: null })).json()) as VerifierBundle;
  const anchors = (await (await t.call('GET', '/.well-known/trust-anchor.json', { token: null })).json()) as { anchorId: string; keys: JWK[] };
  return { bundle, anchors };
}

async function offlineVerdict(jws: string): Promise<VerifyResult> {
  const { bundle, anchors } = await offline();
  return verify(jws, bundle, { anchors, now: t.clock.now() + 60_000 });
}

async function vcApiVerified(jws: string): Promise<boolean> {
  const response = await t.call('POST', '/credentials/verify', {
    body: { verifiableCredential: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: 'EnvelopedVerifiableCredential', id: `data:application/vc+jwt,${jws}` } },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { verified: boolean }).verified;
}

beforeAll(async () => {
  t = await createTestContext();
  dir = mkdtempSync(join(tmpdir(), 'sm2-service-'));
});
afterAll(() => {
  t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('an authority created with SM2SM3', () => {
  let token: string;
  let kid: string;

  it('gets an SM2 key: listed with alg SM2SM3, published in the JWKS and its did.json, kid = RFC 7638 thumbprint', async () => {
    await createAuthority(
      t.deps,
      { id: 'jiaxing', name: { zh: '嘉兴市市场监督管理局', en: 'Jiaxing AMR' }, jurisdiction: '330400', creditCode: freshCreditCode(), alg: 'SM2SM3' },
      'test',
    );
    token = (await createToken(t.deps, { authorityId: 'jiaxing', name: 'sm2', actions: [...ACTIONS] }, 'test')).token;
    const keys = (await (await t.call('GET', '/v1/keys', { token })).json()) as { items: Array<{ kid: string; alg: string; status: string; publicJwk: JWK }> };
    expect(keys.items).toHaveLength(1);
    const [key] = keys.items;
    expect(key).toMatchObject({ alg: 'SM2SM3', status: 'active', publicJwk: { kty: 'EC', crv: 'SM2' } });
    expect(Object.keys(key!.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    kid = key!.kid;
    expect(await jwkThumbprint(key!.publicJwk)).toBe(kid);

    const jwks = (await (await t.call('GET', '/.well-known/jwks.json', { token: null })).json()) as { keys: JWK[] };
    expect(jwks.keys).toContainEqual({ ...key!.publicJwk, kid, alg: 'SM2SM3', use: 'sig' });
    const did = (await (await t.call('GET', '/authorities/jiaxing/did.json', { token: null })).json()) as {
      id: string;
      verificationMethod: Array<{ id: string; publicKeyJwk: JWK }>;
    };
    expect(did.verificationMethod).toContainEqual(expect.objectContaining({ id: `${did.id}#${kid}`, publicKeyJwk: { ...key!.publicJwk, kid, alg: 'SM2SM3', use: 'sig' } }));
    for (const published of [...jwks.keys, ...did.verificationMethod.map((m) => m.publicKeyJwk)]) expect(published).not.toHaveProperty('d');
  });

  it('joins the anchor register as a hosted authority: its licences verify offline', async () => {
    const registered = await t.call('POST', '/v1/trust/authorities', {
      body: { id: 'did:web:elicence.test:authorities:jiaxing', name: { zh: '嘉兴市市场监督管理局', en: 'Jiaxing AMR' }, jurisdiction: '330400', licenceTypes: ['BusinessLicence'] },
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    expect(((await registered.json()) as { keys: Array<{ jwk: JWK }> }).keys[0]!.jwk).toMatchObject({ kty: 'EC', crv: 'SM2' });
    const licence = await issue(token, businessSubject({ name: '嘉兴另一科技有限公司' }));
    for (const input of [licence.credential, licence.qrText]) expect((await offlineVerdict(input)).verdict).toBe('VALID');
  });

  // The VC API applies the trust rules: the authority is on the trust list (the test above) first.
  it('issues SM2SM3 licences that the service itself verifies (VC API); a flipped byte does not', async () => {
    const licence = await issue(token, businessSubject({ name: '嘉兴示例科技有限公司' }));
    expect(headerOf(licence.credential)).toMatchObject({ alg: 'SM2SM3', kid });
    expect(licence.qrText).toMatch(/^EL1:/);
    expect(await vcApiVerified(licence.credential)).toBe(true);
    const [h, p, s] = licence.credential.split('.') as [string, string, string];
    const sig = fromBase64url(s)!;
    sig[40]! ^= 0x10;
    expect(await vcApiVerified(`${h}.${p}.${base64url(sig)}`)).toBe(false);
  });
});

describe('an anchor taking in a remote SM2 authority (inline JWKS)', () => {
  const remote = (jwks: unknown) => ({
    id: 'did:web:elicence.remote.example:authorities:shaoxing',
    name: { zh: '绍兴市市场监督管理局', en: 'Shaoxing AMR' },
    jurisdiction: '330600',
    licenceTypes: ['BusinessLicence'],
    validFrom: '2025-01-01T00:00:00Z',
    jwks,
  });

  it('refuses an SM2 key off the curve, under another alg, with a wrong kid or with d; accepts the real one', async () => {
    const { privateJwk, publicJwk: pub, kid } = await generateSigningJwk('SM2SM3');
    const y = fromBase64url(String(pub.y))!;
    y[31]! ^= 1;
    const offCurve = { ...pub, y: base64url(y) };
    const cases: Array<[unknown, string, string, RegExp?]> = [
      [{ keys: [{ ...offCurve, kid: await jwkThumbprint(offCurve) }] }, 'ERR_JWKS_INVALID', 'jwks.keys[0]', /not a point on the curve/],
      [{ keys: [{ ...pub, kid, alg: 'ES256' }] }, 'ERR_JWKS_INVALID', 'jwks.keys[0].alg'],
      [{ keys: [{ ...pub, kid: 'my-sm2-key' }] }, 'ERR_JWKS_INVALID', 'jwks.keys[0].kid'],
      [{ keys: [{ ...privateJwk, kid }] }, 'ERR_JWKS_PRIVATE_KEY', 'jwks.keys[0].d'],
    ];
    for (const [jwks, code, field, message] of cases) {
      const response = await t.call('POST', '/v1/trust/authorities', { body: remote(jwks) });
      expect(response.status, JSON.stringify(jwks).slice(0, 100)).toBe(400);
      expect(((await response.json()) as { error: unknown }).error).toMatchObject({ code, field, ...(message ? { message: expect.stringMatching(message) } : {}) });
    }
    const accepted = await t.call('POST', '/v1/trust/authorities', { body: remote({ keys: [{ ...pub, kid, alg: 'SM2SM3', use: 'sig' }] }) });
    expect(accepted.status).toBe(201);
    expect(((await accepted.json()) as { keys: Array<{ kid: string; jwk: JWK }> }).keys).toEqual([
      expect.objectContaining({ kid, jwk: expect.objectContaining({ kty: 'EC', crv: 'SM2' }) }),
    ]);
  });
});

describe('rotation from Ed25519 to SM2', () => {
  let before: Issued;
  let after: Issued;

  it('POST /v1/keys/rotate {alg: SM2SM3}: new licences are SM2, the old Ed25519 ones keep verifying (service and offline)', async () => {
    before = await issue();
    expect(headerOf(before.credential).alg).toBe('EdDSA');
    t.clock.advance(60_000);
    const rotated = await t.call('POST', '/v1/keys/rotate', { body: { alg: 'SM2SM3' } });
    expect(rotated.status).toBe(201);
    const key = (await rotated.json()) as { kid: string; alg: string; publicJwk: JWK };
    expect(key).toMatchObject({ alg: 'SM2SM3', publicJwk: { kty: 'EC', crv: 'SM2' } });
    t.clock.advance(60_000);
    after = await issue(t.token, businessSubject({ name: '杭州轮换科技有限公司' }));
    expect(headerOf(after.credential)).toEqual(expect.objectContaining({ alg: 'SM2SM3', kid: key.kid }));
    for (const licence of [before, after]) {
      expect(await vcApiVerified(licence.credential)).toBe(true);
      expect((await offlineVerdict(licence.credential)).verdict).toBe('VALID');
    }
    const jwks = (await (await t.call('GET', '/.well-known/jwks.json', { token: null })).json()) as { keys: Array<{ kid: string; alg: string }> };
    expect(
      jwks.keys
        .filter((k) => k.kid === headerOf(before.credential).kid || k.kid === key.kid)
        .map((k) => k.alg)
        .sort(),
    ).toEqual(['EdDSA', 'SM2SM3']);
  });

  it('the anchor rotates to SM2 too: its next trust list is SM2-signed, and every licence still verifies', async () => {
    const anchorKey = await createActiveKey(t.deps, { kind: 'anchor', id: DEV_ANCHOR_ID }, 'SM2SM3', 'test');
    const published = await t.call('POST', '/v1/trust/lists', { body: {} });
    expect(published.status, await published.clone().text()).toBe(201);
    const list = await (await t.call('GET', '/trust-list', { token: null })).text();
    expect(headerOf(list)).toMatchObject({ alg: 'SM2SM3', kid: anchorKey.kid });
    const { anchors } = await offline();
    expect(anchors.keys).toContainEqual(expect.objectContaining({ kid: anchorKey.kid, kty: 'EC', crv: 'SM2', alg: 'SM2SM3' }));
    for (const licence of [before, after]) expect((await offlineVerdict(licence.credential)).verdict).toBe('VALID');
    // Pinning only the anchor's SM2 key is enough for the SM2-signed list.
    const { bundle } = await offline();
    const onlySm2 = { anchorId: anchors.anchorId, keys: anchors.keys.filter((k) => k.kid === anchorKey.kid) };
    expect((await verify(after.credential, bundle, { anchors: onlySm2, now: t.clock.now() + 60_000 })).verdict).toBe('VALID');
  });

  it('the command-line verifier reads the SM2 licence from its QR image: VALID (exit 0); one flipped byte INVALID (exit 15)', async () => {
    const { bundle, anchors } = await offline();
    const bundleFile = join(dir, 'bundle.json');
    const anchorsFile = join(dir, 'anchors.json');
    writeFileSync(bundleFile, JSON.stringify(bundle));
    writeFileSync(anchorsFile, JSON.stringify(anchors));
    const png = await t.call('GET', `/v1/licences/${after.id}/qr.png`);
    expect(png.headers.get('content-type')).toMatch(/^image\/png/);
    const pngFile = join(dir, 'sm2.png');
    writeFileSync(pngFile, Buffer.from(await png.arrayBuffer()));
    const runCli = async (input: string) => {
      let out = '';
      const io: CliIo = {
        stdout: (text) => {
          out += text;
        },
        stderr: (text) => {
          out += text;
        },
        env: { LANG: 'en_GB.UTF-8', XDG_STATE_HOME: join(dir, 'xdg-state') },
        fetch: globalThis.fetch.bind(globalThis),
        readStdin: async () => new Uint8Array(0),
        cwd: dir,
        colour: false,
        now: () => t.clock.now() + 60_000,
      };
      const code = await cliVerify([input, '--bundle', bundleFile, '--anchors', anchorsFile, '--json'], 'verify', io);
      return { code, result: JSON.parse(out) as VerifyResult };
    };
    const valid = await runCli(pngFile);
    expect(valid.code).toBe(0);
    expect(valid.result.verdict).toBe('VALID');
    expect(valid.result.checks.find((c) => c.name === 'algorithm')!.message).toMatch(/^SM2SM3/);
    const [h, p, s] = after.credential.split('.') as [string, string, string];
    const sig = fromBase64url(s)!;
    sig[0]! ^= 1;
    const flipped = await runCli(`${h}.${p}.${base64url(sig)}`);
    expect(flipped.code).toBe(15);
    expect(flipped.result.verdict).toBe('INVALID');
  });
});

describe('SM2 private keys in the key stores and keygen', () => {
  it('the file key store generates SM2 keys (file mode 0600) and signs with the core signer; the key never leaves the file', async () => {
    const keysDir = join(dir, 'keys');
    const store = createFileKeyStore(keysDir);
    const { kid, publicJwk: pub } = await store.generate('SM2SM3');
    expect(pub).toEqual({ kty: 'EC', crv: 'SM2', x: expect.any(String), y: expect.any(String) });
    const file = join(keysDir, `${kid}.private.jwk`);
    expect(readdirSync(keysDir)).toEqual([`${kid}.private.jwk`]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as JWK;
    expect(stored).toMatchObject({ kty: 'EC', crv: 'SM2', x: pub.x, y: pub.y });
    expect(fromBase64url(String(stored.d))).toHaveLength(32);
    // A second store on the same folder (a restart) signs with it.
    const signer = await createFileKeyStore(keysDir).signer(kid);
    expect(signer).toMatchObject({ alg: 'SM2SM3', kid });
    expect(Object.keys(signer).sort()).toEqual(['alg', 'kid', 'sign']);
    const input = 'eyJhbGciOiJTTTJTTTMifQ.e30';
    const jws = `${input}.${base64url(await signer.sign(utf8(input)))}`;
    expect(fromBase64url(jws.split('.')[2]!)).toHaveLength(64);
    // Verified as a token would be: decodeJws needs a full header, so check the signature directly.
    const { SM2SM3 } = await import('../src/core/algorithms.js');
    expect(await (await SM2SM3.importVerifier(pub))(fromBase64url(jws.split('.')[2]!)!, utf8(input))).toBe(true);
  });

  it("a file holding someone else's public key with its own d is refused (no signing under another kid)", async () => {
    const keysDir = join(dir, 'keys-forged');
    const store = createFileKeyStore(keysDir);
    const victim = await generateSigningJwk('SM2SM3');
    const insider = await generateSigningJwk('SM2SM3');
    writeFileSync(join(keysDir, `${victim.kid}.private.jwk`), JSON.stringify({ ...victim.publicJwk, d: insider.privateJwk.d }), { mode: 0o600 });
    await expect(store.signer(victim.kid)).rejects.toThrow(/does not belong/);
  });

  it('keygen authority:<id> SM2SM3 prints a SIGNING_KEYS entry the Worker accepts, signs with, and never echoes', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((text: string) => void out.push(text));
    const error = vi.spyOn(console, 'error').mockImplementation((text: string) => void err.push(text));
    try {
      expect(await keygen(['authority:jiaxing', 'SM2SM3'])).toBe(0);
      expect(await keygen(['authority:jiaxing', 'SM2'])).toBe(64);
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
    expect(err[1]).toContain('SM2SM3');
    const entry = JSON.parse(out[0]!) as { owner: string; privateJwk: JWK };
    expect(entry.owner).toBe('authority:jiaxing');
    expect(Object.keys(entry.privateJwk).sort()).toEqual(['crv', 'd', 'kty', 'x', 'y']);
    expect(entry.privateJwk).toMatchObject({ kty: 'EC', crv: 'SM2' });
    const kid = await jwkThumbprint(entry.privateJwk);
    expect(err[0]).toContain(`kid ${kid}`);
    expect(err[0]).not.toContain(String(entry.privateJwk.d));

    const env = {
      DB: {} as never,
      PUBLIC_URL: 'https://elicence.test',
      AUTHORITIES: JSON.stringify([{ id: 'jiaxing', name: { zh: '嘉兴', en: 'Jiaxing' }, jurisdiction: '330400' }]),
    };
    const config = parseWorkerConfig({ ...env, SIGNING_KEYS: JSON.stringify([entry]) });
    const store = createSecretKeyStore(config.signingKeys);
    const [loaded] = await store.loaded();
    expect(loaded).toMatchObject({ kid, owner: { kind: 'authority', id: 'jiaxing' } });
    const signer = await store.signer(kid);
    expect(signer.alg).toBe('SM2SM3');
    const input = `${base64url(utf8(JSON.stringify({ alg: 'SM2SM3', kid, typ: 'vc+jwt', cty: 'vc' })))}.${base64url(utf8('{"n":1}'))}`;
    const jws = `${input}.${base64url(await signer.sign(utf8(input)))}`;
    expect((await verifyJws(jws, { ...publicJwk(entry.privateJwk), kid }, { typ: 'vc+jwt', cty: 'vc' })).payload).toEqual({ n: 1 });

    // An SM2 private JWK whose d does not match its x, y: refused at load, and the message carries no key material.
    const other = await generateSigningJwk('SM2SM3');
    const mismatched = parseWorkerConfig({
      ...env,
      SIGNING_KEYS: JSON.stringify([{ owner: 'authority:jiaxing', privateJwk: { ...importablePrivateJwk(other.privateJwk), d: entry.privateJwk.d } }]),
    });
    const refused = createSecretKeyStore(mismatched.signingKeys).loaded();
    await expect(refused).rejects.toMatchObject({ code: 'ERR_NO_ACTIVE_KEY', message: 'SIGNING_KEYS[0] is not a usable private JWK of a known algorithm' });
    await refused.catch((e: Error) => expect(JSON.stringify({ message: e.message })).not.toContain(String(entry.privateJwk.d)));
    // A key of no known curve is refused when the configuration is parsed.
    expect(() => parseWorkerConfig({ ...env, SIGNING_KEYS: JSON.stringify([{ owner: 'authority:jiaxing', privateJwk: { ...entry.privateJwk, crv: 'SM9' } }]) })).toThrow(/SM2SM3/);
  });
});
