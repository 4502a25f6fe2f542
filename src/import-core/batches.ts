/**
 * Sending prepared rows: batches of at most a number of rows and about a number of JSON bytes, each
 * sent as one all-or-nothing request (POST /v1/licences/batch, the console's batch endpoint, or the
 * local service); items the service refuses are reported with their row and the rest of the batch is
 * sent again without them. Runtime-neutral: the command line and the console's import page send the
 * same way.
 */
import { utf8 } from '../core/encoding.js';
import { ElicenceError } from '../core/errors.js';
import type { ResultRow } from './csv-out.js';
import type { ImportItem } from './idempotency.js';
import type { PreparedRow, RowProblem } from './prepare-rows.js';

export const DEFAULT_BATCH_SIZE = 500;
/** JSON bytes per request, under the service's 1 MiB body limit. */
export const DEFAULT_MAX_BATCH_BYTES = 900_000;

export interface IssuedLicence {
  id: string;
  /** The compact JWS. */
  credential: string;
  /** EL1 QR text, when the service sends it. */
  qrText?: string | undefined;
  validFrom: string;
  /** null: no expiry. */
  validUntil: string | null;
  /** The licence identifier (证照标识) the service assigned; null or absent from a service before identifiers. */
  licenceIdentifier?: string | null | undefined;
}

export interface RefusedItem {
  index: number;
  code: string;
  message: string;
  field?: string | undefined;
}

/** `alreadyIssued`: how many of the licences an earlier run had issued (their keys were seen). */
export type BatchOutcome = { ok: true; licences: IssuedLicence[]; alreadyIssued: number } | { ok: false; refused: RefusedItem[] };

export interface BatchItem extends ImportItem {
  idempotencyKey: string;
}

export interface BatchResult {
  issued: { row: PreparedRow; licence: IssuedLicence }[];
  refused: RowProblem[];
  /** How many of `issued` an earlier run had issued. */
  alreadyIssued: number;
}

/** What sending needs of a target. */
export interface BatchSender {
  issueBatch(items: readonly BatchItem[]): Promise<BatchOutcome>;
}

/** Batches whose items the service refused carry `items[<index>]...` fields; map them back to the items. */
export function refusedFromError(code: string, message: string, field: string | undefined, details: unknown): RefusedItem[] | undefined {
  if (code === 'ERR_BATCH_FAILED' && Array.isArray(details)) {
    return details.flatMap((d: unknown) => {
      const item = d as Partial<RefusedItem>;
      return typeof item.index === 'number' ? [{ index: item.index, code: String(item.code ?? code), message: String(item.message ?? message), field: item.field }] : [];
    });
  }
  const match = field ? /^items\[(\d+)\]\.?(.*)$/u.exec(field) : null;
  if (match) return [{ index: Number(match[1]), code, message, field: match[2] || undefined }];
  return undefined;
}

/** Splits rows into batches of at most `size` rows and about `maxBytes` of JSON. */
export function batchesOf(rows: readonly PreparedRow[], size: number, maxBytes: number): PreparedRow[][] {
  const batches: PreparedRow[][] = [];
  let current: PreparedRow[] = [];
  let bytes = 0;
  for (const row of rows) {
    const rowBytes = utf8(JSON.stringify(row.item)).length + row.idempotencyKey.length + 40;
    if (current.length > 0 && (current.length >= size || bytes + rowBytes > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += rowBytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export async function issueRows(issuer: BatchSender, rows: readonly PreparedRow[]): Promise<BatchResult> {
  const refused: RowProblem[] = [];
  let pending = [...rows];
  while (pending.length > 0) {
    const items: BatchItem[] = pending.map((row) => ({ ...row.item, idempotencyKey: row.idempotencyKey }));
    let outcome: Awaited<ReturnType<typeof issuer.issueBatch>>;
    try {
      outcome = await issuer.issueBatch(items);
    } catch (error) {
      if (error instanceof ElicenceError && error.code === 'ERR_BODY_TOO_LARGE' && pending.length > 1) {
        const half = Math.ceil(pending.length / 2);
        const parts = [await issueRows(issuer, pending.slice(0, half)), await issueRows(issuer, pending.slice(half))];
        return {
          issued: parts.flatMap((p) => p.issued),
          refused: [...refused, ...parts.flatMap((p) => p.refused)],
          alreadyIssued: parts.reduce((n, p) => n + p.alreadyIssued, 0),
        };
      }
      throw error;
    }
    if (outcome.ok) {
      if (outcome.licences.length !== pending.length) {
        throw new ElicenceError('ERR_INTERNAL', `the service answered ${outcome.licences.length} licences for ${pending.length} items`);
      }
      return { issued: pending.map((row, i) => ({ row, licence: outcome.licences[i]! })), refused, alreadyIssued: outcome.alreadyIssued };
    }
    const bad = new Set(outcome.refused.map((r) => r.index).filter((i) => i >= 0 && i < pending.length));
    if (bad.size === 0) throw new ElicenceError('ERR_BATCH_FAILED', 'the service refused the batch without naming an item');
    for (const r of outcome.refused) {
      const row = pending[r.index];
      if (!row) continue;
      // The service names batch items (`items[3].subject.creditCode`); the report names fields and rows.
      const field = (r.field ?? 'row').replace(/^items\[\d+\]\./u, '').replace(/^subject\./u, '');
      const message = r.message.replace(/items\[(\d+)\]/gu, (whole, i: string) => (pending[Number(i)] ? `row ${pending[Number(i)]!.rowNumber}` : whole));
      refused.push({ rowNumber: row.rowNumber, field, column: '', code: r.code, message: `refused by the service: ${message}` });
    }
    pending = pending.filter((_, i) => !bad.has(i));
  }
  return { issued: [], refused, alreadyIssued: 0 };
}

export function resultRow(row: PreparedRow, licence: IssuedLicence, qrText: string): ResultRow {
  return {
    rowNumber: row.rowNumber,
    licenceId: licence.id,
    creditCode: String(row.item.subject['creditCode'] ?? ''),
    validFrom: licence.validFrom,
    validUntil: licence.validUntil,
    qrText,
    licenceIdentifier: licence.licenceIdentifier ?? '',
  };
}
