/**
 * The JSON a licence is answered with, everywhere the API returns one. Single licences (issue, batch
 * items, get, lifecycle) carry their QR text (docs/qr-format.md); list pages leave it out, since a
 * page of 200 would cost 200 QR encodings (a client asks for the licence or its qr.png instead).
 */
import { encodeLicenceQr } from '../core/qr/index.js';
import type { LicenceRow } from '../services/issuance.js';
import { licenceView, type LicenceView } from '../services/licences.js';
import type { Services } from './env.js';

export async function licenceResponse(
  services: Services,
  row: LicenceRow,
  options: { qrText?: boolean } = {},
): Promise<LicenceView & { qrText?: string }> {
  const view = licenceView(row, services.config.publicUrl, services.clock.now());
  return options.qrText === false ? view : { ...view, qrText: encodeLicenceQr(row.jws) };
}
