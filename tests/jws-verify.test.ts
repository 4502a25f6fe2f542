import fc from 'fast-check';
import type { JWK } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { base64url, fromBase64url, utf8 } from '../src/core/encoding.js';
import { generateSigningJwk, type JwsSigner, signCompact, signerFromPrivateJwk } from '../src/core/jws-sign.js';
import { decodeJws, type JwsPolicy, verifyJws, verifyJwsSignature } from '../src/core/jws-verify.js';
import { findDuplicateKey, parseStrictJson } from '../src/core/strict-json.js';
import { type NobleOnly, withoutWebCryptoCurves } from './helpers/noble-only.js';

const POLICY: JwsPolicy = { typ: 'vc+jwt', cty: 'vc' };
const PAYLOAD = { iss: 'did:web:example', name: '杭州云栖智算科技有限公司', n: 1 };

interface TestKey {
  signer: JwsSigner;
  publicJwk: JWK;
}

let ed: TestKey;
let ec: TestKey;
let other: TestKey;

async function key(alg: 'EdDSA' | 'ES256'): Promise<TestKey> {
  const { privateJwk, publicJwk, kid } = await generateSigningJwk(alg);
  return { signer: await signerFromPrivateJwk(privateJwk), publicJwk: { ...publicJwk, kid } };
}

beforeAll(async () => {
  ed = await key('EdDSA');
  ec = await key('ES256');
  other = await key('EdDSA');
});

let noble: NobleOnly<typeof import('../src/core/jws-verify.js')> | undefined;
afterEach(() => {
  noble?.restore();
  noble = undefined;
});

/** jws-verify as a runtime without these curves in WebCrypto loads it (the pure-JS fallback verifies). */
async function nobleVerifier() {
  noble = await withoutWebCryptoCurves(() => import('../src/core/jws-verify.js'));
  return noble.module;
}

/** Signs arbitrary header and payload text, so each test breaks exactly one rule with a valid signature. */
async function rawToken(k: TestKey, header: string | object, payload: string | object = PAYLOAD): Promise<string> {
  const h = base64url(utf8(typeof header === 'string' ? header : JSON.stringify(header)));
  const p = base64url(utf8(typeof payload === 'string' ? payload : JSON.stringify(payload)));
  const signature = await k.signer.sign(utf8(`${h}.${p}`));
  return `${h}.${p}.${base64url(signature)}`;
}

const header = (k: TestKey, extra: Record<string, unknown> = {}) => ({ alg: k.signer.alg, kid: k.signer.kid, typ: 'vc+jwt', cty: 'vc', ...extra });

async function expectCode(run: () => Promise<unknown> | unknown, code: string): Promise<void> {
  await expect(Promise.resolve().then(run)).rejects.toMatchObject({ code });
}

describe('verifyJws accepts good tokens', () => {
  it.each(['EdDSA', 'ES256'] as const)('%s via WebCrypto and via @noble/curves', async (alg) => {
    const k = alg === 'EdDSA' ? ed : ec;
    const jws = await signCompact(k.signer, PAYLOAD, 'vc+jwt', 'vc');
    const decoded = await verifyJws(jws, k.publicJwk, POLICY);
    expect(decoded.header).toEqual({ alg, kid: k.signer.kid, typ: 'vc+jwt', cty: 'vc' });
    expect(decoded.payload).toEqual(PAYLOAD);
    const fallback = await nobleVerifier();
    await expect(fallback.verifyJws(jws, k.publicJwk, POLICY)).resolves.toBeDefined();
    await expectCode(() => fallback.verifyJws(`${jws.slice(0, -3)}${jws.slice(-3) === 'AAA' ? 'BAA' : 'AAA'}`, k.publicJwk, POLICY), 'ERR_JWS_SIGNATURE');
    expect(noble!.refused()).toBeGreaterThan(0);
  });

  it('accepts every WebCrypto ES256 signature with the noble fallback (high s included)', async () => {
    const fallback = await nobleVerifier();
    for (let i = 0; i < 24; i++) {
      const jws = await signCompact(ec.signer, { i }, 'vc+jwt', 'vc');
      await expect(fallback.verifyJws(jws, ec.publicJwk, POLICY)).resolves.toBeDefined();
    }
    expect(noble!.refused()).toBeGreaterThan(0);
  });

  it('takes the key from the caller only, resolved by kid', async () => {
    const jws = await signCompact(ed.signer, PAYLOAD, 'vc+jwt', 'vc');
    await expect(verifyJws(jws, (h) => (h.kid === ed.signer.kid ? ed.publicJwk : undefined), POLICY)).resolves.toBeDefined();
    await expectCode(() => verifyJws(jws, () => undefined, POLICY), 'ERR_JWS_SIGNATURE');
    await expectCode(() => verifyJws(jws, { ...other.publicJwk, kid: ed.signer.kid }, POLICY), 'ERR_JWS_SIGNATURE');
  });
});

describe('verifyJws strictness', () => {
  it('needs exactly three non-empty parts', async () => {
    const jws = await rawToken(ed, header(ed));
    const [h, p, s] = jws.split('.');
    for (const bad of [`${h}.${p}`, `${jws}.${s}`, `${h}..${s}`, `${h}.${p}.`, '', '..', 'abc']) {
      await expectCode(() => verifyJws(bad, ed.publicJwk, POLICY), 'ERR_JWS_MALFORMED');
    }
  });

  it('refuses trailing garbage, whitespace, padding and non-canonical base64url', async () => {
    const jws = await rawToken(ed, header(ed));
    const [h, p, s] = jws.split('.') as [string, string, string];
    const lastFlipped = s.slice(0, -1) + String.fromCharCode(s.charCodeAt(s.length - 1) + 1); // stray low bits
    for (const bad of [`${jws} `, `${jws}\n`, ` ${jws}`, `${jws}=`, `${jws}==`, `${jws}x`, `${h}.${p}.${lastFlipped}`, `${h}.${p.replace(/-/g, '+')}.${s}`, `${h}=.${p}.${s}`]) {
      await expect(verifyJws(bad, ed.publicJwk, POLICY)).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_JWS_(MALFORMED|SIGNATURE)$/) });
    }
    await expectCode(() => verifyJws(`${jws}x`, ed.publicJwk, POLICY), 'ERR_JWS_MALFORMED');
  });

  it('refuses headers and payloads that are not JSON objects or not UTF-8', async () => {
    await expectCode(async () => verifyJws(await rawToken(ed, 'not json'), ed.publicJwk, POLICY), 'ERR_JWS_MALFORMED');
    await expectCode(async () => verifyJws(await rawToken(ed, JSON.stringify([header(ed)])), ed.publicJwk, POLICY), 'ERR_JWS_MALFORMED');
    await expectCode(async () => verifyJws(await rawToken(ed, header(ed), '"just a string"'), ed.publicJwk, POLICY), 'ERR_JWS_MALFORMED');
    await expectCode(async () => verifyJws(await rawToken(ed, header(ed), '{"a":1} trailing'), ed.publicJwk, POLICY), 'ERR_JWS_MALFORMED');
    const h = base64url(utf8(JSON.stringify(header(ed))));
    const p = base64url(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])); // {"\xff":1}
    const s = base64url(await ed.signer.sign(utf8(`${h}.${p}`)));
    await expectCode(() => verifyJws(`${h}.${p}.${s}`, ed.publicJwk, POLICY), 'ERR_JWS_MALFORMED');
  });

  it('refuses duplicate JSON keys in header and payload, escaped spellings included', async () => {
    const h = JSON.stringify(header(ed));
    await expectCode(async () => verifyJws(await rawToken(ed, h.replace('{', '{"typ":"vc+jwt",')), ed.publicJwk, POLICY), 'ERR_JSON_DUPLICATE_KEY');
    await expectCode(async () => verifyJws(await rawToken(ed, header(ed), '{"n":1,"\\u006e":2}'), ed.publicJwk, POLICY), 'ERR_JSON_DUPLICATE_KEY');
    await expectCode(async () => verifyJws(await rawToken(ed, header(ed), '{"a":{"b":1,"b":1}}'), ed.publicJwk, POLICY), 'ERR_JSON_DUPLICATE_KEY');
  });

  it.each([['none'], ['HS256'], ['RS256'], ['ES384'], ['Ed25519'], ['eddsa'], [''], [null]])('refuses alg %j', async (alg) => {
    await expectCode(async () => verifyJws(await rawToken(ed, header(ed, { alg })), ed.publicJwk, POLICY), 'ERR_JWS_ALGORITHM');
  });

  it('refuses a missing alg and an algorithm the caller did not allow', async () => {
    const { alg: _alg, ...noAlg } = header(ed);
    await expectCode(async () => verifyJws(await rawToken(ed, noAlg), ed.publicJwk, POLICY), 'ERR_JWS_ALGORITHM');
    await expectCode(async () => verifyJws(await rawToken(ec, header(ec)), ec.publicJwk, { ...POLICY, algorithms: ['EdDSA'] }), 'ERR_JWS_ALGORITHM');
  });

  it('refuses an alg that does not match the key type', async () => {
    // An ES256 header over a token whose kid names an Ed25519 key: never verified with the wrong primitive.
    const jws = await rawToken(ed, header(ed, { alg: 'ES256' }));
    await expectCode(() => verifyJws(jws, ed.publicJwk, POLICY), 'ERR_JWS_ALGORITHM');
  });

  it.each(['jwk', 'jku', 'x5u', 'x5c', 'x5t', 'crit', 'b64', 'zip', 'nonce'])('refuses header member %s', async (member) => {
    await expectCode(async () => verifyJws(await rawToken(ed, header(ed, { [member]: member === 'jwk' ? ed.publicJwk : 'x' })), ed.publicJwk, POLICY), 'ERR_JWS_HEADER');
  });

  it('pins typ and cty per call and needs a kid', async () => {
    await expectCode(async () => verifyJws(await rawToken(ed, header(ed, { typ: 'JWT' })), ed.publicJwk, POLICY), 'ERR_JWS_HEADER');
    await expectCode(async () => verifyJws(await rawToken(ed, header(ed, { typ: undefined })), ed.publicJwk, POLICY), 'ERR_JWS_HEADER');
    await expectCode(async () => verifyJws(await rawToken(ed, header(ed, { cty: 'json' })), ed.publicJwk, POLICY), 'ERR_JWS_HEADER');
    await expectCode(async () => verifyJws(await rawToken(ed, header(ed, { cty: undefined })), ed.publicJwk, POLICY), 'ERR_JWS_HEADER');
    await expectCode(async () => verifyJws(await rawToken(ed, header(ed)), ed.publicJwk, { typ: 'vc+jwt' }), 'ERR_JWS_HEADER');
    await expectCode(async () => verifyJws(await rawToken(ed, header(ed, { kid: undefined })), ed.publicJwk, POLICY), 'ERR_JWS_HEADER');
    await expectCode(async () => verifyJws(await rawToken(ed, header(ed, { kid: 7 })), ed.publicJwk, POLICY), 'ERR_JWS_HEADER');
    await expectCode(async () => verifyJws(await rawToken(ed, header(ed)), { ...ed.publicJwk, kid: 'another' }, POLICY), 'ERR_JWS_HEADER');
  });

  it('refuses signatures of the wrong length and flipped bits', async () => {
    const jws = await rawToken(ed, header(ed));
    const [h, p, s] = jws.split('.') as [string, string, string];
    const sig = fromBase64url(s)!;
    await expectCode(() => verifyJws(`${h}.${p}.${base64url(sig.subarray(0, 63))}`, ed.publicJwk, POLICY), 'ERR_JWS_SIGNATURE');
    await expectCode(() => verifyJws(`${h}.${p}.${base64url(new Uint8Array([...sig, 0]))}`, ed.publicJwk, POLICY), 'ERR_JWS_SIGNATURE');
    for (const bit of [0, 100, 511]) {
      const flipped = sig.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      await expectCode(() => verifyJws(`${h}.${p}.${base64url(flipped)}`, ed.publicJwk, POLICY), 'ERR_JWS_SIGNATURE');
    }
  });

  it('caps the token length', async () => {
    const jws = await rawToken(ed, header(ed), { pad: 'x'.repeat(2000) });
    expect(() => decodeJws(jws, { ...POLICY, maxLength: 1000 })).toThrow(expect.objectContaining({ code: 'ERR_JWS_MALFORMED' }));
  });

  it('refuses unusable keys with a typed error', async () => {
    const jws = await rawToken(ed, header(ed));
    const decoded = decodeJws(jws, POLICY);
    await expectCode(() => verifyJwsSignature(decoded, { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }), 'ERR_JWS_SIGNATURE');
    await expectCode(() => verifyJwsSignature(decoded, { kty: 'RSA', n: 'AQAB', e: 'AQAB' }), 'ERR_JWS_ALGORITHM');
  });
});

describe('strict base64url and JSON', () => {
  it('encodes and decodes exactly as a reference implementation (Node Buffer, canonical spellings only)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(base64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
        expect(fromBase64url(base64url(bytes))).toEqual(bytes);
      }),
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'AQgw_-+/=. é0zZ'.split('')), maxLength: 12 }), (text) => {
        const ours = fromBase64url(text);
        const decoded = /^[A-Za-z0-9_-]*$/.test(text) ? Buffer.from(text, 'base64url') : undefined;
        const reference = decoded && decoded.toString('base64url') === text ? new Uint8Array(decoded) : undefined;
        expect(ours === undefined).toBe(reference === undefined);
        if (ours && reference) expect(ours).toEqual(reference);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds duplicate keys only where they are keys', () => {
    expect(findDuplicateKey('{"a":1,"b":{"a":2},"c":[{"a":1},{"a":1}]}')).toBeUndefined();
    expect(findDuplicateKey('{"a":"{\\"a\\":1,\\"a\\":2}","b":"\\"a\\""}')).toBeUndefined();
    expect(findDuplicateKey('{"a":1,"b":2,"a":3}')).toBe('a');
    expect(findDuplicateKey('[{"x":[1,{"k":1,"k":2}]}]')).toBe('k');
    expect(findDuplicateKey('{"__proto__":1,"__proto__":2}')).toBe('__proto__');
    expect(findDuplicateKey('{"\\ud83d\\ude00":1,"😀":2}')).toBe('😀');
  });

  it('agrees with JSON.parse on every valid document and never misses a duplicate it planted', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (value, key) => {
        const text = JSON.stringify(value);
        expect(parseStrictJson(text)).toEqual(JSON.parse(text));
        const k = JSON.stringify(key);
        expect(findDuplicateKey(`{${k}:${text},${k}:1}`)).toBe(key);
      }),
      { numRuns: 500 },
    );
  });

  it('gives typed errors', () => {
    expect(() => parseStrictJson('{')).toThrow(expect.objectContaining({ code: 'ERR_BAD_JSON' }));
    expect(() => parseStrictJson('{', 'ERR_JWS_MALFORMED')).toThrow(expect.objectContaining({ code: 'ERR_JWS_MALFORMED' }));
    expect(() => parseStrictJson('{"a":1,"a":1}')).toThrow(expect.objectContaining({ code: 'ERR_JSON_DUPLICATE_KEY', field: 'a' }));
  });
});
