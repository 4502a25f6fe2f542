/** QR format EL1 for licence credentials: encode/decode a compact JWS to/from QR text (docs/qr-format.md). */
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
