/**
 * This phone's device key: WebCrypto ECDSA P-256, generated non-extractable (the private key can sign
 * but can never be read out, not even by this app), kept in IndexedDB as CryptoKey objects. The server
 * gets the public JWK only; the live QR's proof is signed here every 30 s (docs/qr-format.md §11).
 */

import { qrMatrix, qrSvg } from '../../app/qr-image.js';
import { createLiveQr } from '../../core/qr/live.js';

export async function createDeviceKeys(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
}

/** The public half as the server wants it: kty, crv, x, y and nothing else. */
export async function publicJwkOf(keys: CryptoKeyPair): Promise<{ kty: 'EC'; crv: 'P-256'; x: string; y: string }> {
  const jwk = await crypto.subtle.exportKey('jwk', keys.publicKey);
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! };
}

/** The EL2 text of a bound credential for the slot of `now`, with its proof signed by this phone's key. */
export function liveQrText(jws: string, keys: CryptoKeyPair, now = Date.now()): Promise<string> {
  return createLiveQr(jws, async (message) => new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, message as BufferSource)), { now });
}

/** The QR image (SVG) of any text: EL2 drawn with its alphanumeric + numeric segments, level M. */
export function qrSvgOf(text: string, title: string): string {
  return qrSvg(qrMatrix(text, 'M'), { title });
}
