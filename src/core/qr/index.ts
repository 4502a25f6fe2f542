/** QR format EL1 for licence credentials: encode/decode a compact JWS to/from QR text (docs/qr-format.md). */
export {
  DEFAULT_MAX_INFLATED_BYTES,
  LICENCE_QR_MODE,
  LICENCE_QR_PREFIX,
  MAX_LICENCE_QR_TEXT_LENGTH,
  decodeLicenceQr,
  encodeLicenceQr,
  isLicenceQrText,
  licenceQrSegments,
  type DecodeLicenceQrOptions,
  type QrSegment,
} from './codec.js';
export { QR_DICTIONARY_ENTRIES, qrDictionaryBytes } from './dictionary.js';
