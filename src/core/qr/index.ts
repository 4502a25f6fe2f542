/** QR formats: EL1 for licence credentials (a compact JWS to/from QR text) and EL2 for live presentations (docs/qr-format.md). */
export {
  DEFAULT_MAX_INFLATED_BYTES,
  type DecodeLicenceQrOptions,
  decodeLicenceQr,
  encodeLicenceQr,
  isLicenceQrText,
  LICENCE_QR_MODE,
  LICENCE_QR_PREFIX,
  licenceQrSegments,
  MAX_LICENCE_QR_TEXT_LENGTH,
  type QrSegment,
} from './codec.js';
export { QR_DICTIONARY_ENTRIES, qrDictionaryBytes } from './dictionary.js';
/** QR format EL2 for live presentations of bound credentials (docs/qr-format.md, section 11). */
export {
  createLiveQr,
  DEFAULT_MAX_LIVE_INFLATED_BYTES,
  type DecodeLiveQrOptions,
  decodeLiveQr,
  encodeLiveQr,
  isLiveQrText,
  LIVE_PROOF_BYTES,
  LIVE_PROOF_DOMAIN,
  LIVE_QR_PREFIX,
  LIVE_SLOT_SECONDS,
  type LiveProofSigner,
  type LiveQr,
  liveProofMessage,
  liveQrSegments,
  liveSlotMidpointMs,
  liveSlotOf,
  MAX_LIVE_QR_TEXT_LENGTH,
  verifyLiveProof,
} from './live.js';
export { LIVE_QR_DICTIONARY_ADDITIONS, LIVE_QR_DICTIONARY_ENTRIES, liveQrDictionaryBytes } from './live-dictionary.js';
