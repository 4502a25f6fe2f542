/**
 * SM2 digital signatures with SM3 hashing (GB/T 32918.2-2016, GB/T 32905-2016) on the recommended 256-bit
 * curve (GB/T 32918.5), as this project's JOSE profile `SM2SM3` (docs/credential-format.md): the message
 * digest is e = SM3(Z_A || M) with the default signer ID "1234567812345678" (ENTL 0x0080), and a signature
 * is r || s, 32 bytes each, not DER. The arithmetic and SM3 are sm-crypto-v2's (built on @noble/curves and
 * @noble/hashes); this module adds what the standard requires around them (key and signature ranges, the
 * key pair's consistency) and byte interfaces. The algorithm table loads it on first use of an SM2 key,
 * so builds that never meet one (the web app's first load) do not parse it.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { sm2, sm3 } from 'sm-crypto-v2';
import { concatBytes } from './encoding.js';

/** The default distinguishing identifier of GB/T 32918.2 (and GM/T 0009), used for Z_A. */
export const SM2_DEFAULT_SIGNER_ID = '1234567812345678';
/** Order of the recommended curve's base point. */
const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;

/** SM3 of `data` (32 bytes). */
export function sm3Hash(data: Uint8Array): Uint8Array {
  return hexToBytes(sm3(data));
}

function uncompressedHex(publicPoint: Uint8Array): string {
  if (publicPoint.length !== 65 || publicPoint[0] !== 4) throw new TypeError('an SM2 public key is a 65-byte uncompressed point');
  return bytesToHex(publicPoint);
}

/** Z_A = SM3(ENTL || ID || a || b || Gx || Gy || xA || yA) with the default signer ID. */
export function sm2Za(publicPoint: Uint8Array): Uint8Array {
  return new Uint8Array(sm2.getZ(uncompressedHex(publicPoint), SM2_DEFAULT_SIGNER_ID));
}

function onCurve(publicHex: string): boolean {
  try {
    return sm2.verifyPublicKey(publicHex);
  } catch {
    return false; // the library throws on a point off the curve
  }
}

/** Signature bytes (r || s) as two scalars, or undefined unless both are in [1, n-1] (GB/T 32918.2, B1-B2). */
function scalars(signature: Uint8Array): string | undefined {
  if (signature.length !== 64) return undefined;
  const hex = bytesToHex(signature);
  const r = BigInt(`0x${hex.slice(0, 64)}`);
  const s = BigInt(`0x${hex.slice(64)}`);
  return r >= 1n && r < N && s >= 1n && s < N ? hex : undefined;
}

/**
 * A verifier for one public key (a 65-byte uncompressed point), Z_A computed once. Returns false for any
 * signature that does not verify, for out-of-range r or s, and for every signature when the point is not
 * on the curve; throws only on a malformed point encoding.
 */
export function sm2Verifier(publicPoint: Uint8Array): (signature: Uint8Array, data: Uint8Array) => boolean {
  const publicHex = uncompressedHex(publicPoint);
  if (!onCurve(publicHex)) return () => false;
  const za = sm2Za(publicPoint);
  const point = sm2.precomputePublicKey(publicHex, 4);
  return (signature, data) => {
    const hex = scalars(signature);
    if (hex === undefined) return false;
    const e = sm3Hash(concatBytes([za, data]));
    return sm2.doVerifySignature(e, hex, point, { hash: false });
  };
}

/**
 * A signer for a private key `d` (32 bytes) whose public key is `publicPoint`: refuses (TypeError) a `d`
 * outside [1, n-2] or one that is not the private half of that point, so a key file can never make
 * signatures under someone else's kid.
 */
export function sm2Signer(privateKey: Uint8Array, publicPoint: Uint8Array): (data: Uint8Array) => Uint8Array {
  const publicHex = uncompressedHex(publicPoint);
  if (privateKey.length !== 32) throw new TypeError('an SM2 private key is 32 bytes');
  const dHex = bytesToHex(privateKey);
  const d = BigInt(`0x${dHex}`);
  if (d < 1n || d > N - 2n) throw new TypeError('an SM2 private key is in [1, n-2]');
  if (sm2.getPublicKeyFromPrivateKey(dHex) !== publicHex) throw new TypeError('the SM2 private key does not belong to the public key given with it');
  const za = sm2Za(publicPoint);
  return (data) => hexToBytes(sm2.doSignature(sm3Hash(concatBytes([za, data])), dHex, { hash: false }));
}

/** A fresh key pair: `d` in [1, n-2] from the platform CSPRNG, and its public point (uncompressed). */
export function sm2Generate(): { privateKey: Uint8Array; publicPoint: Uint8Array } {
  for (;;) {
    const pair = sm2.generateKeyPairHex();
    const d = BigInt(`0x${pair.privateKey}`);
    if (d >= 1n && d <= N - 2n) return { privateKey: hexToBytes(pair.privateKey), publicPoint: hexToBytes(pair.publicKey) };
  }
}
