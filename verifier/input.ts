/**
 * What the inspector hands in: QR text (prefix `EL1:`), a compact JWS, or an enveloped credential id
 * (`data:application/vc+jwt,<jws>`). This is the single place the verifier reads the QR format.
 */
import { VC_JWT_ENVELOPE_PREFIX } from '../src/core/credential.js';
import { decodeLicenceQr, LICENCE_QR_PREFIX } from '../src/core/qr/index.js';

/**
 * The compact JWS carried by `text` (surrounding whitespace ignored). Throws the QR codec's errors.
 * Any valid DEFLATE stream is accepted (`canonical: false`): codes printed by another province's
 * encoder (zlib, say) must scan too, and the signature covers the JWS, not the QR spelling.
 */
export function jwsFromInput(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith(LICENCE_QR_PREFIX)) return decodeLicenceQr(trimmed, { canonical: false });
  if (trimmed.startsWith(VC_JWT_ENVELOPE_PREFIX)) return trimmed.slice(VC_JWT_ENVELOPE_PREFIX.length);
  return trimmed;
}
