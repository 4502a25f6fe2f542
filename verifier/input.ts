/**
 * What the inspector hands in: QR text (prefix `EL1:`, or `EL2:` for a live presentation), a compact
 * JWS, or an enveloped credential id (`data:application/vc+jwt,<jws>`). This is the single place the
 * verifier reads the QR formats.
 */
import { VC_JWT_ENVELOPE_PREFIX } from '../src/core/credential.js';
import { decodeLicenceQr, decodeLiveQr, LICENCE_QR_PREFIX, LIVE_QR_PREFIX } from '../src/core/qr/index.js';

export interface Presented {
  jws: string;
  /** The device's proof of a live presentation (EL2), not yet checked. */
  live?: { slot: number; signature: Uint8Array };
}

/**
 * The compact JWS carried by `text` (surrounding whitespace ignored), and the live proof when the text
 * is EL2. Throws the QR codecs' errors. Any valid DEFLATE stream is accepted (`canonical: false`): codes
 * printed by another province's encoder (zlib, say) must scan too, and the signatures cover the JWS
 * (and, for EL2, the slot), not the QR spelling.
 */
export function presentedFromInput(text: string): Presented {
  const trimmed = text.trim();
  if (trimmed.startsWith(LIVE_QR_PREFIX)) {
    const { jws, slot, signature } = decodeLiveQr(trimmed, { canonical: false });
    return { jws, live: { slot, signature } };
  }
  if (trimmed.startsWith(LICENCE_QR_PREFIX)) return { jws: decodeLicenceQr(trimmed, { canonical: false }) };
  if (trimmed.startsWith(VC_JWT_ENVELOPE_PREFIX)) return { jws: trimmed.slice(VC_JWT_ENVELOPE_PREFIX.length) };
  return { jws: trimmed };
}

/** The compact JWS carried by `text` (any live proof dropped). */
export function jwsFromInput(text: string): string {
  return presentedFromInput(text).jws;
}
