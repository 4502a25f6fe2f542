/**
 * The JSON a licence is answered with, everywhere the API returns one. Single licences (issue, batch
 * items, get, lifecycle) carry their QR text (docs/qr-format.md); list pages leave it out, since a
 * page of 200 would cost 200 QR encodings (a client asks for the licence or its qr.png instead).
 * QR texts are encoded by `deps.qrEncoder` when the runtime provides one (Node: a worker thread).
 */
import { encodeLicenceQr } from '../core/qr/index.js';
import type { LicenceRow } from '../services/issuance.js';
import { type LicenceView, licenceView } from '../services/licences.js';
import type { Services } from './env.js';

export type LicenceResponse = LicenceView & { qrText?: string };

async function qrTexts(services: Services, rows: readonly LicenceRow[]): Promise<string[]> {
  const jws = rows.map((row) => row.jws);
  return services.qrEncoder ? services.qrEncoder.encode(jws) : jws.map((j) => encodeLicenceQr(j));
}

export async function licenceResponse(services: Services, row: LicenceRow, options: { qrText?: boolean } = {}): Promise<LicenceResponse> {
  return (await licenceResponses(services, [row], options))[0]!;
}

/** Many licences at once: one round trip to the QR encoder for all of them. */
export async function licenceResponses(services: Services, rows: readonly LicenceRow[], options: { qrText?: boolean } = {}): Promise<LicenceResponse[]> {
  const now = services.clock.now();
  const views = rows.map((row) => licenceView(row, services.config.publicUrl, now));
  if (options.qrText === false) return views;
  const texts = await qrTexts(services, rows);
  return views.map((view, i) => ({ ...view, qrText: texts[i]! }));
}
