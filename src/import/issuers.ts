/**
 * Where rows are issued: a service over HTTP (POST /v1/licences/batch with an agency token) or the
 * local Node database directly (the service's own issueLicences, for an agency running the service
 * on the same machine). Both answer a batch with one licence per item, in order, or with the items
 * the service refused (all-or-nothing: then nothing of the batch was issued).
 */

import { defaultConfig } from '../app/deps.js';
import { ElicenceError, type ErrorCode } from '../core/errors.js';
import type { LicenceTypeDefinition } from '../core/licence-types.js';
import { BUILT_IN_LICENCE_TYPES } from '../core/licence-types.js';
import type { BatchItem, BatchOutcome } from '../import-core/batches.js';

export type { BatchItem, BatchOutcome, IssuedLicence, RefusedItem } from '../import-core/batches.js';
export { refusedFromError } from '../import-core/batches.js';

export interface LicenceIssuer {
  /** Human-readable target, for messages. */
  readonly label: string;
  /** Largest batch the target takes. */
  readonly maxBatchSize: number;
  /** Batches to keep in flight by default. */
  readonly concurrency: number;
  /** The service's default validity in days, for rows without validUntil. */
  readonly defaultValidityDays: number;
  licenceType(code: string): Promise<LicenceTypeDefinition>;
  issueBatch(items: readonly BatchItem[]): Promise<BatchOutcome>;
  close(): Promise<void>;
}

/** Only the built-in types, for a dry run with neither --server nor --local. */
export function offlineIssuer(): LicenceIssuer {
  return {
    label: 'built-in licence types (dry run)',
    maxBatchSize: defaultConfig('http://localhost').maxBatchSize,
    concurrency: 1,
    defaultValidityDays: defaultConfig('http://localhost').defaultValidityDays,
    async licenceType(code) {
      const type = BUILT_IN_LICENCE_TYPES.find((t) => t.code === code);
      if (!type) throw new ElicenceError('ERR_UNKNOWN_LICENCE_TYPE', `unknown licence type "${code}" (pass --server or --local to use registered types)`, { field: 'type' });
      return type;
    },
    issueBatch() {
      throw new ElicenceError('ERR_INTERNAL', 'a dry run issues nothing');
    },
    async close() {},
  };
}

export function serviceError(code: string, message: string, field?: string): ElicenceError {
  return new ElicenceError(code as ErrorCode, message, field === undefined ? {} : { field });
}
