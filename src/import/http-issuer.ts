/**
 * Issuing through a running service: POST /v1/licences/batch with a bearer token. Network failures,
 * 429 and 5xx answers are retried with backoff: every item carries its idempotency key, so a batch
 * the service did commit before the connection broke is answered, not issued, the second time.
 */

import { defaultConfig } from '../app/deps.js';
import { ElicenceError } from '../core/errors.js';
import type { LicenceTypeDefinition } from '../core/licence-types.js';
import { DEFAULT_ATTEMPTS, fetchWithRetry } from '../import-core/retry.js';
import { type BatchItem, type BatchOutcome, type IssuedLicence, type LicenceIssuer, refusedFromError, serviceError } from './issuers.js';

export interface HttpIssuerOptions {
  server: string;
  token: string;
  /** Attempts per batch for network errors, 429 and 5xx (default 6, about 30 s of backoff). */
  attempts?: number;
  fetch?: typeof fetch;
}

interface ErrorBody {
  error?: { code?: string; message?: string; field?: string; details?: unknown };
}

export function httpIssuer(options: HttpIssuerOptions): LicenceIssuer {
  const base = options.server.replace(/\/+$/u, '');
  const doFetch = options.fetch ?? fetch;
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const headers = { Authorization: `Bearer ${options.token}`, 'Content-Type': 'application/json', Accept: 'application/json' };

  const request = (path: string, init: RequestInit) => fetchWithRetry(doFetch, `${base}${path}`, { ...init, headers }, attempts, base);

  async function fail(response: Response): Promise<never> {
    const body = (await response.json().catch(() => ({}))) as ErrorBody;
    throw serviceError(body.error?.code ?? 'ERR_INTERNAL', `${base} answered ${response.status}: ${body.error?.message ?? response.statusText}`, body.error?.field);
  }

  return {
    label: base,
    maxBatchSize: defaultConfig(base).maxBatchSize,
    concurrency: 2,
    defaultValidityDays: defaultConfig(base).defaultValidityDays,
    async licenceType(code) {
      const response = await request(`/v1/licence-types/${encodeURIComponent(code)}`, { method: 'GET' });
      if (response.status === 404) throw new ElicenceError('ERR_UNKNOWN_LICENCE_TYPE', `${base} has no licence type "${code}"`, { field: 'type' });
      if (!response.ok) return fail(response);
      return (await response.json()) as LicenceTypeDefinition;
    },
    async issueBatch(items: readonly BatchItem[]): Promise<BatchOutcome> {
      const response = await request('/v1/licences/batch', { method: 'POST', body: JSON.stringify({ items }) });
      if (response.status === 201) {
        const body = (await response.json()) as { items: IssuedLicence[]; alreadyIssued?: number };
        return { ok: true, licences: body.items, alreadyIssued: body.alreadyIssued ?? 0 };
      }
      const body = (await response.json().catch(() => ({}))) as ErrorBody;
      const error = body.error ?? {};
      const refused = refusedFromError(error.code ?? '', error.message ?? '', error.field, error.details);
      if (response.status < 500 && refused && refused.length > 0) return { ok: false, refused };
      throw serviceError(error.code ?? 'ERR_INTERNAL', `${base} answered ${response.status}: ${error.message ?? response.statusText}`, error.field);
    },
    async close() {},
  };
}
