/** The JSON a licence is answered with, everywhere the API returns one. */
import type { LicenceRow } from '../services/issuance.js';
import { licenceView, type LicenceView } from '../services/licences.js';
import type { Services } from './env.js';

export async function licenceResponse(services: Services, row: LicenceRow): Promise<LicenceView & { qrText?: string }> {
  return licenceView(row, services.config.publicUrl, services.clock.now());
}
