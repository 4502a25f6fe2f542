/**
 * SM2 with SM3 (`SM2SM3`, docs/credential-format.md): the primitives against the standards' worked examples and
 * an OpenSSL 3 vector committed as bytes (tests/vectors/sm2-sm3.json), a live cross-check with OpenSSL in both
 * directions, the table entry's key handling, and the JWS rules that keep SM2 apart from the other algorithms.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import type { JWK } from 'jose';
import { sm2 } from 'sm-crypto-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { algorithmForJwk, checkPublicJwk, SM2SM3 } from '../src/core/algorithms.js';
import { base64url, concatBytes, fromBase64url, utf8 } from '../src/core/encoding.js';
import { generateSigningJwk, type JwsSigner, jwkThumbprint, signCompact, signerFromPrivateJwk } from '../src/core/jws-sign.js';
import { verifyJws } from '../src/core/jws-verify.js';
import { SM2_DEFAULT_SIGNER_ID, sm2Generate, sm2Signer, sm2Verifier, sm2Za, sm3Hash } from '../src/core/sm2.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors/sm2-sm3.json', import.meta.url), 'utf8'));
const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const POLICY = { typ: 'vc+jwt', cty: 'vc' } as const;
/** The profile's signer ID, written out here (not imported): OpenSSL must be told the spec's value. */
const DISTID = '1234567812345678';

const point = (x: string, y: string) => hexToBytes(`04${x}${y}`);
const scalar = (n: bigint) => hexToBytes(n.toString(16).padStart(64, '0'));
const flipBit = (bytes: Uint8Array, bit: number) => {
  const out = bytes.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
};

// ---- DER, as OpenSSL reads and writes SM2 keys and signatures ----

function derLength(n: number): Uint8Array {
  return n < 128 ? Uint8Array.of(n) : Uint8Array.of(0x81, n);
}
function der(tag: number, body: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(tag), derLength(body.length), body]);
}
function derInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0 && bytes[i + 1]! < 0x80) i++;
  const v = bytes.subarray(i);
  return der(0x02, v[0]! >= 0x80 ? concatBytes([Uint8Array.of(0), v]) : v);
}
/** r || s (64 bytes) as an ASN.1 SEQUENCE of two INTEGERs. */
function rawToDer(signature: Uint8Array): Uint8Array {
  return der(0x30, concatBytes([derInteger(signature.subarray(0, 32)), derInteger(signature.subarray(32))]));
}
/** An ASN.1 SEQUENCE of two INTEGERs as r || s (64 bytes). */
function derToRaw(signature: Uint8Array): Uint8Array {
  expect(signature[0]).toBe(0x30);
  const out = new Uint8Array(64);
  let at = 2;
  for (const slot of [0, 32]) {
    expect(signature[at]).toBe(0x02);
    const length = signature[at + 1]!;
    let value = signature.subarray(at + 2, at + 2 + length);
    while (value.length > 32 && value[0] === 0) value = value.subarray(1);
    out.set(value, slot + 32 - value.length);
    at += 2 + length;
  }
  expect(at).toBe(signature.length);
  return out;
}
const SM2_OID = hexToBytes('06082a811ccf5501822d');
const EC_PUBLIC_KEY_OID = hexToBytes('06072a8648ce3d0201');
function pem(label: string, bytes: Uint8Array): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(bytes).toString('base64')}\n-----END ${label}-----\n`;
}
function spkiPem(publicPoint: Uint8Array): string {
  return pem('PUBLIC KEY', der(0x30, concatBytes([der(0x30, concatBytes([EC_PUBLIC_KEY_OID, SM2_OID])), der(0x03, concatBytes([Uint8Array.of(0), publicPoint]))])));
}
/** SEC 1 ECPrivateKey with the SM2 curve named. */
function sec1Pem(d: Uint8Array, publicPoint: Uint8Array): string {
  const body = concatBytes([derInteger(Uint8Array.of(1)), der(0x04, d), der(0xa0, SM2_OID), der(0xa1, der(0x03, concatBytes([Uint8Array.of(0), publicPoint])))]);
  return pem('EC PRIVATE KEY', der(0x30, body));
}

// ---- OpenSSL ----

function openssl(args: string[], input?: Uint8Array): { status: number | null; stdout: Buffer; stderr: string } {
  const result = spawnSync('openssl', args, { input, maxBuffer: 1 << 20 });
  return { status: result.error ? null : result.status, stdout: result.stdout ?? Buffer.alloc(0), stderr: String(result.stderr ?? result.error ?? '') };
}
const opensslSm2 = (() => {
  const list = openssl(['list', '-signature-algorithms']);
  const sm3 = openssl(['dgst', '-sm3'], utf8('abc'));
  return list.status === 0 && /\bSM2\b/.test(list.stdout.toString()) && sm3.status === 0;
})();
if (!opensslSm2) {
  console.warn('sm2 OpenSSL cross-check: SKIPPED, `openssl` with SM2/SM3 (OpenSSL 3) is missing (apt-get install -y openssl; .ci/run installs it)');
}

// ---- SM3 ----

describe('SM3 (GB/T 32905-2016)', () => {
  it.each(vectors.sm3 as Array<{ source: string; message: string; digest: string }>)('$source', ({ message, digest }) => {
    expect(bytesToHex(sm3Hash(hexToBytes(message)))).toBe(digest);
  });
});

// ---- SM2 worked example and committed OpenSSL vector ----

describe('SM2 on the recommended curve, known answers', () => {
  const ex = vectors.sm2Example;
  const exPoint = point(ex.x, ex.y);
  const exMessage = hexToBytes(ex.message);

  it("the example: d gives the public key, Z_A and e are the standard's, and (r, s) verifies", () => {
    expect(new TextDecoder().decode(hexToBytes(ex.id))).toBe(DISTID);
    expect(SM2_DEFAULT_SIGNER_ID).toBe(DISTID);
    expect(sm2.getPublicKeyFromPrivateKey(ex.d)).toBe(`04${ex.x}${ex.y}`);
    expect(bytesToHex(sm2Za(exPoint))).toBe(ex.za);
    expect(bytesToHex(sm3Hash(concatBytes([sm2Za(exPoint), exMessage])))).toBe(ex.e);
    const verify = sm2Verifier(exPoint);
    expect(verify(hexToBytes(ex.r + ex.s), exMessage)).toBe(true);
    // Its signer (a fresh k each time) makes signatures the same verifier accepts.
    const sign = sm2Signer(hexToBytes(ex.d), exPoint);
    expect(verify(sign(exMessage), exMessage)).toBe(true);
  });

  it("the example: with the standard's k, the library signs exactly (r, s) over our e", () => {
    const x1 = BigInt(`0x${sm2.getPublicKeyFromPrivateKey(ex.k).slice(2, 66)}`);
    const e = sm3Hash(concatBytes([sm2Za(exPoint), exMessage]));
    const signature = sm2.doSignature(e, ex.d, { hash: false, pointPool: [{ k: BigInt(`0x${ex.k}`), x1 }] });
    expect(signature).toBe(ex.r + ex.s);
  });

  it('the committed OpenSSL 3 signature verifies (DER converted to r || s), and nothing near it does', () => {
    const o = vectors.openssl;
    const raw = derToRaw(hexToBytes(o.signatureDer));
    expect(bytesToHex(raw)).toBe(o.r + o.s);
    expect(bytesToHex(rawToDer(raw))).toBe(o.signatureDer);
    expect(sm2.getPublicKeyFromPrivateKey(o.d)).toBe(`04${o.x}${o.y}`);
    const verify = sm2Verifier(point(o.x, o.y));
    const message = hexToBytes(o.message);
    expect(verify(raw, message)).toBe(true);
    for (let bit = 0; bit < 512; bit += 7) expect(verify(flipBit(raw, bit), message), `signature bit ${bit}`).toBe(false);
    for (let bit = 0; bit < message.length * 8; bit += 5) expect(verify(raw, flipBit(message, bit)), `message bit ${bit}`).toBe(false);
    // The example's key does not verify OpenSSL's signature.
    expect(sm2Verifier(exPoint)(raw, message)).toBe(false);
  });

  it('refuses r or s outside [1, n-1] and signatures of any other length', () => {
    const verify = sm2Verifier(exPoint);
    const r = hexToBytes(ex.r);
    const s = hexToBytes(ex.s);
    for (const bad of [0n, N, N + 1n, 2n ** 256n - 1n]) {
      expect(verify(concatBytes([scalar(bad), s]), exMessage)).toBe(false);
      expect(verify(concatBytes([r, scalar(bad)]), exMessage)).toBe(false);
    }
    expect(verify(concatBytes([r, s, Uint8Array.of(0)]), exMessage)).toBe(false);
    expect(verify(concatBytes([r, s]).subarray(0, 63), exMessage)).toBe(false);
    expect(verify(rawToDer(concatBytes([r, s])), exMessage)).toBe(false);
  });

  it('any message and key: sign then verify; another message or key fails', () => {
    const a = sm2Generate();
    const b = sm2Generate();
    const signA = sm2Signer(a.privateKey, a.publicPoint);
    const verifyA = sm2Verifier(a.publicPoint);
    const verifyB = sm2Verifier(b.publicPoint);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 1, maxLength: 300 }), (message, other) => {
        const signature = signA(message);
        expect(signature).toHaveLength(64);
        expect(verifyA(signature, message)).toBe(true);
        expect(verifyB(signature, message)).toBe(false);
        if (bytesToHex(other) !== bytesToHex(message)) expect(verifyA(signature, other)).toBe(false);
      }),
      { numRuns: 40 },
    );
  });
});

// ---- OpenSSL, both directions ----

describe.skipIf(!opensslSm2)('cross-check with OpenSSL 3 (SM2 with distid 1234567812345678, SM3)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sm2-openssl-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, content: string | Uint8Array) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const opensslVerifies = (publicPoint: Uint8Array, message: Uint8Array, signature: Uint8Array) =>
    openssl([
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      file('pub.pem', spkiPem(publicPoint)),
      '-rawin',
      '-digest',
      'sm3',
      '-pkeyopt',
      `distid:${DISTID}`,
      '-in',
      file('message.bin', message),
      '-sigfile',
      file('signature.der', rawToDer(signature)),
    ]).status === 0;
  const opensslSigns = (keyPem: string, message: Uint8Array) => {
    const result = openssl([
      'pkeyutl',
      '-sign',
      '-inkey',
      file('key.pem', keyPem),
      '-rawin',
      '-digest',
      'sm3',
      '-pkeyopt',
      `distid:${DISTID}`,
      '-in',
      file('message.bin', message),
    ]);
    expect(result.status, result.stderr).toBe(0);
    return derToRaw(new Uint8Array(result.stdout));
  };

  it('SM3 digests agree with `openssl dgst -sm3`', () => {
    for (const message of [...vectors.sm3.map((v: { message: string }) => hexToBytes(v.message)), new Uint8Array(0), crypto.getRandomValues(new Uint8Array(1000))]) {
      const result = openssl(['dgst', '-sm3', '-binary'], message);
      expect(result.status, result.stderr).toBe(0);
      expect(bytesToHex(new Uint8Array(result.stdout))).toBe(bytesToHex(sm3Hash(message)));
    }
  });

  it('OpenSSL verifies what this project signs (a JWS signing input), and refuses it on another message', async () => {
    const { privateJwk } = await generateSigningJwk('SM2SM3');
    const signer = await signerFromPrivateJwk(privateJwk);
    const jws = await signCompact(signer, { name: '杭州云栖智算科技有限公司', n: 1 }, 'vc+jwt', 'vc');
    const [h, p, s] = jws.split('.') as [string, string, string];
    const publicPoint = concatBytes([Uint8Array.of(4), fromBase64url(String(privateJwk.x))!, fromBase64url(String(privateJwk.y))!]);
    expect(opensslVerifies(publicPoint, utf8(`${h}.${p}`), fromBase64url(s)!)).toBe(true);
    expect(opensslVerifies(publicPoint, utf8(`${h}.${p}x`), fromBase64url(s)!)).toBe(false);
  });

  it('this project verifies what OpenSSL signs, with a key OpenSSL made and with a key this project made', async () => {
    const generated = openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2']);
    expect(generated.status, generated.stderr).toBe(0);
    const spki = openssl(['pkey', '-pubout', '-outform', 'DER', '-in', file('generated.pem', generated.stdout)]);
    expect(spki.status, spki.stderr).toBe(0);
    const opensslPoint = new Uint8Array(spki.stdout).subarray(-65);
    const message = utf8('eyJhbGciOiJTTTJTTTMifQ.5p2t5bee');
    const fromOpenssl = opensslSigns(generated.stdout.toString(), message);
    expect(sm2Verifier(opensslPoint)(fromOpenssl, message)).toBe(true);
    expect(sm2Verifier(opensslPoint)(fromOpenssl, utf8('eyJhbGciOiJTTTJTTTMifQ.5p2t5bef'))).toBe(false);

    // Through the JWS verifier: a token OpenSSL signed with a key this project generated.
    const { privateJwk, publicJwk, kid } = await generateSigningJwk('SM2SM3');
    const ours = concatBytes([Uint8Array.of(4), fromBase64url(String(privateJwk.x))!, fromBase64url(String(privateJwk.y))!]);
    const signingInput = `${base64url(utf8(JSON.stringify({ alg: 'SM2SM3', kid, typ: 'vc+jwt', cty: 'vc' })))}.${base64url(utf8('{"n":1}'))}`;
    const signature = opensslSigns(sec1Pem(fromBase64url(String(privateJwk.d))!, ours), utf8(signingInput));
    const decoded = await verifyJws(`${signingInput}.${base64url(signature)}`, { ...publicJwk, kid }, POLICY);
    expect(decoded.payload).toEqual({ n: 1 });
  });

  it('OpenSSL verifies the committed SM2 licence (tests/vectors/sm2-business-licence.json) with the fixed key', () => {
    const licence = JSON.parse(readFileSync(new URL('./vectors/sm2-business-licence.json', import.meta.url), 'utf8'));
    const { privateJwk } = JSON.parse(readFileSync(new URL('./vectors/sm2-test-key.json', import.meta.url), 'utf8'));
    const [h, p, s] = (licence.jws as string).split('.') as [string, string, string];
    const publicPoint = concatBytes([Uint8Array.of(4), fromBase64url(privateJwk.x)!, fromBase64url(privateJwk.y)!]);
    expect(bytesToHex(publicPoint)).toBe(`04${vectors.sm2Example.x}${vectors.sm2Example.y}`);
    expect(opensslVerifies(publicPoint, utf8(`${h}.${p}`), fromBase64url(s)!)).toBe(true);
    expect(opensslVerifies(publicPoint, utf8(`${h}.${p}`), flipBit(fromBase64url(s)!, 100))).toBe(false);
  });

  it('without the distinguishing identifier OpenSSL 3 computes another Z_A: the profile needs distid', async () => {
    const { privateJwk } = await generateSigningJwk('SM2SM3');
    const signer = await signerFromPrivateJwk(privateJwk);
    const message = utf8('a.b');
    const publicPoint = concatBytes([Uint8Array.of(4), fromBase64url(String(privateJwk.x))!, fromBase64url(String(privateJwk.y))!]);
    const signature = await signer.sign(message);
    const result = openssl([
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      file('pub.pem', spkiPem(publicPoint)),
      '-rawin',
      '-digest',
      'sm3',
      '-in',
      file('message.bin', message),
      '-sigfile',
      file('signature.der', rawToDer(signature)),
    ]);
    expect(result.status).not.toBe(0);
    expect(opensslVerifies(publicPoint, message, signature)).toBe(true);
  });
});

// ---- the table entry ----

describe('the SM2SM3 table entry', () => {
  let key: { privateJwk: JWK; publicJwk: JWK; kid: string };
  beforeAll(async () => {
    key = await generateSigningJwk('SM2SM3');
  });

  it('generates {kty: EC, crv: SM2, x, y, d} with 32-byte members; kid is the RFC 7638 thumbprint over crv, kty, x, y', async () => {
    expect(Object.keys(key.privateJwk).sort()).toEqual(['crv', 'd', 'kty', 'x', 'y']);
    expect(key.privateJwk).toMatchObject({ kty: 'EC', crv: 'SM2' });
    for (const m of ['x', 'y', 'd'] as const) expect(fromBase64url(String(key.privateJwk[m]))).toHaveLength(32);
    expect(key.publicJwk).toEqual({ kty: 'EC', crv: 'SM2', x: key.privateJwk.x, y: key.privateJwk.y });
    const canonical = `{"crv":"SM2","kty":"EC","x":"${key.publicJwk.x}","y":"${key.publicJwk.y}"}`;
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(canonical) as BufferSource));
    expect(key.kid).toBe(base64url(digest));
    expect(await jwkThumbprint(key.privateJwk)).toBe(key.kid);
    expect(algorithmForJwk(key.publicJwk)).toBe(SM2SM3);
  });

  it('isPoint: the key is on the curve; a point moved off it, or P-256 coordinates, are not', () => {
    expect(SM2SM3.isPoint(key.publicJwk)).toBe(true);
    const y = fromBase64url(String(key.publicJwk.y))!;
    expect(SM2SM3.isPoint({ ...key.publicJwk, y: base64url(flipBit(y, 0)) })).toBe(false);
    expect(SM2SM3.isPoint({ ...key.publicJwk, x: base64url(new Uint8Array(32)), y: base64url(new Uint8Array(32)) })).toBe(false);
    const p256 = { x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
    expect(SM2SM3.isPoint({ ...key.publicJwk, ...p256 })).toBe(false);
  });

  it('checkPublicJwk: accepts it (and alg SM2SM3), refuses alg ES256 on it, private members and bad lengths', () => {
    expect(checkPublicJwk({ ...key.publicJwk, kid: key.kid, alg: 'SM2SM3', use: 'sig' })).toMatchObject({ ok: true, algorithm: SM2SM3, jwk: key.publicJwk });
    expect(checkPublicJwk({ ...key.publicJwk, alg: 'ES256' })).toEqual({ ok: false, problem: 'unknown-algorithm' });
    expect(checkPublicJwk({ ...key.privateJwk })).toEqual({ ok: false, problem: 'private-member' });
    expect(checkPublicJwk({ ...key.publicJwk, x: base64url(new Uint8Array(33)) })).toEqual({ ok: false, problem: 'bad-coordinates' });
    const { y: _y, ...noY } = key.publicJwk;
    expect(checkPublicJwk(noY)).toEqual({ ok: false, problem: 'bad-coordinates' });
  });

  it("importSigner refuses a d that is not the private half of x, y (no signing under another key's kid), and d outside [1, n-2]", async () => {
    const other = await generateSigningJwk('SM2SM3');
    // An insider holding its own d, presenting another authority's public key (and so its kid).
    await expect(signerFromPrivateJwk({ ...other.publicJwk, d: key.privateJwk.d! })).rejects.toThrow(/does not belong/);
    for (const d of [0n, N - 1n, N, 2n ** 256n - 1n]) {
      await expect(SM2SM3.importSigner({ ...key.publicJwk, d: base64url(scalar(d)) })).rejects.toThrow(/\[1, n-2\]/);
    }
    await expect(SM2SM3.importSigner({ ...key.publicJwk, d: base64url(new Uint8Array(31).fill(1)) })).rejects.toThrow(/32 bytes/);
    const signer = await signerFromPrivateJwk(key.privateJwk);
    expect(signer).toMatchObject({ alg: 'SM2SM3', kid: key.kid });
  });
});

// ---- JWS rules ----

describe('SM2SM3 tokens', () => {
  let sm: { signer: JwsSigner; publicJwk: JWK };
  let ed: { signer: JwsSigner; publicJwk: JWK };
  let ec: { signer: JwsSigner; publicJwk: JWK };
  const make = async (alg: 'EdDSA' | 'ES256' | 'SM2SM3') => {
    const { privateJwk, publicJwk, kid } = await generateSigningJwk(alg);
    return { signer: await signerFromPrivateJwk(privateJwk), publicJwk: { ...publicJwk, kid } };
  };
  beforeAll(async () => {
    [sm, ed, ec] = await Promise.all([make('SM2SM3'), make('EdDSA'), make('ES256')]);
  });
  /** A token with this header, signed by `by` (whatever the header claims). */
  const token = async (by: JwsSigner, header: Record<string, unknown>) => {
    const signingInput = `${base64url(utf8(JSON.stringify({ typ: 'vc+jwt', cty: 'vc', ...header })))}.${base64url(utf8('{"n":1}'))}`;
    return `${signingInput}.${base64url(await by.sign(utf8(signingInput)))}`;
  };

  it('sign and verify through the JWS layer; the header is {"alg":"SM2SM3",...}', async () => {
    const jws = await signCompact(sm.signer, { n: 1 }, 'vc+jwt', 'vc');
    expect(JSON.parse(new TextDecoder().decode(fromBase64url(jws.split('.')[0]!)))).toEqual({ alg: 'SM2SM3', kid: sm.signer.kid, typ: 'vc+jwt', cty: 'vc' });
    expect(fromBase64url(jws.split('.')[2]!)).toHaveLength(64);
    expect((await verifyJws(jws, sm.publicJwk, POLICY)).payload).toEqual({ n: 1 });
    await expect(verifyJws(jws, sm.publicJwk, { ...POLICY, algorithms: ['EdDSA', 'ES256'] })).rejects.toMatchObject({ code: 'ERR_JWS_ALGORITHM' });
  });

  it('an SM2 signature under a kid that names an Ed25519 key is refused, as is the reverse', async () => {
    const forged = await token(sm.signer, { alg: 'SM2SM3', kid: ed.signer.kid });
    await expect(verifyJws(forged, ed.publicJwk, POLICY)).rejects.toMatchObject({ code: 'ERR_JWS_ALGORITHM' });
    const reverse = await token(ed.signer, { alg: 'EdDSA', kid: sm.signer.kid });
    await expect(verifyJws(reverse, sm.publicJwk, POLICY)).rejects.toMatchObject({ code: 'ERR_JWS_ALGORITHM' });
  });

  it('SM2 and P-256 keys are both kty EC: an alg never crosses to the other curve', async () => {
    // SM2SM3 claimed for a P-256 key, ES256 claimed for an SM2 key, with genuine signatures of either.
    for (const by of [sm.signer, ec.signer]) {
      await expect(verifyJws(await token(by, { alg: 'SM2SM3', kid: ec.signer.kid }), ec.publicJwk, POLICY)).rejects.toMatchObject({ code: 'ERR_JWS_ALGORITHM' });
      await expect(verifyJws(await token(by, { alg: 'ES256', kid: sm.signer.kid }), sm.publicJwk, POLICY)).rejects.toMatchObject({ code: 'ERR_JWS_ALGORITHM' });
    }
    // The same coordinates relabelled as the other curve never verify the other's signatures.
    const relabelled = { ...ec.publicJwk, crv: 'SM2', kid: ec.signer.kid };
    await expect(verifyJws(await token(ec.signer, { alg: 'SM2SM3', kid: ec.signer.kid }), relabelled, POLICY)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE' });
  });

  it('one flipped bit anywhere in the signature, or one changed character of header or payload, fails', async () => {
    const jws = await signCompact(sm.signer, { name: '杭州', n: 1 }, 'vc+jwt', 'vc');
    const [h, p, s] = jws.split('.') as [string, string, string];
    const signature = fromBase64url(s)!;
    for (let bit = 0; bit < 512; bit++) {
      await expect(verifyJws(`${h}.${p}.${base64url(flipBit(signature, bit))}`, sm.publicJwk, POLICY), `bit ${bit}`).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE' });
    }
    for (let i = 0; i < p.length; i++) {
      const changed = p.slice(0, i) + (p[i] === 'A' ? 'B' : 'A') + p.slice(i + 1);
      await expect(verifyJws(`${h}.${changed}.${s}`, sm.publicJwk, POLICY), `payload ${i}`).rejects.toBeDefined();
    }
  });
});
