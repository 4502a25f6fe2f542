/**
 * Every row is checked before anything is issued: cells become a licence request (columns.ts,
 * cell-values.ts), the subject is checked with the type's own SubjectValidator (the one the service
 * uses), validity is checked the way the service will (an already expired licence is reported, not
 * sent), and each good row gets its idempotency key. A bad row is reported with every field at fault,
 * not just the first.
 */
import { formatDate, lastValidChinaDate } from '../core/dates.js';
import { ElicenceError, type ErrorCode } from '../core/errors.js';
import { type LicenceTypeDefinition, type PropertySchema, SubjectValidator } from '../core/licence-types.js';
import { cellText, isBlankCell, isLongTermCell, LONG_TERM_CELL, parseCalendarDate, parseValidityInstant, splitList } from './cell-values.js';
import type { ColumnTarget } from './columns.js';
import { type ImportItem, rowIdempotencyKey } from './idempotency.js';
import type { CellValue, SourceTable } from './table.js';

const DAY_MS = 86_400_000;
/** Said of a validUntil cell that is not a date. */
const LONG_TERM_HINT = `; write ${LONG_TERM_CELL} for a licence without expiry`;

export interface PreparedRow {
  rowNumber: number;
  item: ImportItem;
  idempotencyKey: string;
}

export interface RowProblem {
  rowNumber: number;
  /** The licence field (creditCode, validUntil, ...) or `row` for the row as a whole. */
  field: string;
  /** The header of the column the field came from, when there is one. */
  column: string;
  code: ErrorCode | string;
  message: string;
}

export interface PreparedRows {
  good: PreparedRow[];
  problems: RowProblem[];
  /** Rows with at least one problem, and among them those refused only for being expired. */
  badRowCount: number;
  expiredRowCount: number;
}

export interface PrepareOptions {
  /** Milliseconds now: validUntil at or before it means already expired. */
  now: number;
  /** Idempotency scope (the import id). */
  scope: string;
  /** The service's default validity when a row has no validUntil (5 years unless configured). */
  defaultValidityDays: number;
}

/** Field validators for naming every bad field of a row; the full validator still has the last word. */
class RowValidator {
  readonly full: SubjectValidator;
  readonly #perField = new Map<string, SubjectValidator>();
  constructor(readonly definition: LicenceTypeDefinition) {
    this.full = new SubjectValidator(definition);
    for (const [field, property] of Object.entries(definition.schema.properties)) {
      this.#perField.set(field, new SubjectValidator({ ...definition, schema: { type: 'object', properties: { [field]: property }, additionalProperties: true } }));
    }
  }

  /** Every problem with the subject; empty when the service would accept it. */
  problems(subject: Record<string, unknown>): ElicenceError[] {
    try {
      this.full.assertValid(subject);
      return [];
    } catch (error) {
      if (!(error instanceof ElicenceError)) throw error;
      const found: ElicenceError[] = [];
      for (const field of this.definition.schema.required ?? []) {
        if (subject[field] === undefined) found.push(new ElicenceError('ERR_VALIDATION', 'required field is missing or empty', { field: `subject.${field}` }));
      }
      for (const [field, value] of Object.entries(subject)) {
        try {
          this.#perField.get(field)?.assertValid({ [field]: value });
        } catch (fieldError) {
          if (fieldError instanceof ElicenceError) found.push(fieldError);
          else throw fieldError;
        }
      }
      // A rule spanning fields (if/then, dependencies) shows only in the full validator.
      return found.length > 0 ? found : [error];
    }
  }
}

function fieldValue(property: PropertySchema, value: CellValue, field: string): unknown {
  const type = property['type'];
  if (type === 'array') return splitList(value);
  if (property['format'] === 'date') return parseCalendarDate(value, field);
  if (property['format'] === 'uscc') return cellText(value).replace(/\s+/gu, '').toUpperCase();
  if (type === 'integer' || type === 'number') {
    const n = typeof value === 'number' ? value : Number(cellText(value).replace(/,/gu, ''));
    if (!Number.isFinite(n)) throw new ElicenceError('ERR_VALIDATION', `"${cellText(value).slice(0, 40)}" is not a number`, { field });
    return n;
  }
  if (type === 'boolean') {
    if (typeof value === 'boolean') return value;
    const text = cellText(value).toLowerCase();
    if (['true', 'yes', 'y', '1', '是'].includes(text)) return true;
    if (['false', 'no', 'n', '0', '否'].includes(text)) return false;
    throw new ElicenceError('ERR_VALIDATION', `"${text.slice(0, 40)}" is not yes/no`, { field });
  }
  return cellText(value);
}

export function prepareRows(table: SourceTable, targets: readonly ColumnTarget[], definition: LicenceTypeDefinition, options: PrepareOptions): PreparedRows {
  const validator = new RowValidator(definition);
  const columnOfField = new Map<string, string>();
  targets.forEach((target, index) => {
    if (target.kind === 'field') columnOfField.set(target.field, table.header[index]!);
    else if (target.kind !== 'ignore') columnOfField.set(target.kind, table.header[index]!);
  });
  const columnOrder = (field: string) => {
    const index = targets.findIndex((t) => (t.kind === 'field' ? t.field : t.kind) === field.replace(/[.[].*$/u, ''));
    return index < 0 ? -1 : index;
  };
  const good: PreparedRow[] = [];
  const problems: RowProblem[] = [];
  const firstRowOfKey = new Map<string, number>();
  let badRowCount = 0;
  let expiredRowCount = 0;

  for (const row of table.rows) {
    const rowProblems: RowProblem[] = [];
    const report = (field: string, code: ErrorCode | string, message: string) =>
      rowProblems.push({ rowNumber: row.rowNumber, field, column: columnOfField.get(field.replace(/[.[].*$/u, '')) ?? '', code, message });
    const fromError = (error: unknown) => {
      if (!(error instanceof ElicenceError)) throw error;
      report((error.field ?? 'row').replace(/^subject\./u, ''), error.code, error.message);
    };
    if (row.problem) {
      report('row', row.problem.code, row.problem.message);
    } else {
      const subject: Record<string, unknown> = {};
      let validFrom: { text: string; ms: number } | undefined;
      // null: 长期, no expiry.
      let validUntil: { text: string; ms: number } | null | undefined;
      targets.forEach((target, index) => {
        const value = row.values[index];
        if (target.kind === 'ignore' || value === undefined || isBlankCell(value)) return;
        try {
          if (target.kind === 'validFrom') validFrom = parseValidityInstant(value, 'validFrom');
          else if (target.kind === 'validUntil') validUntil = isLongTermCell(value) ? null : parseValidityInstant(value, 'validUntil', LONG_TERM_HINT);
          else subject[target.field] = fieldValue(definition.schema.properties[target.field]!, value, target.field);
        } catch (error) {
          fromError(error);
        }
      });
      const alreadyReported = new Set(rowProblems.map((p) => p.field));
      for (const error of validator.problems(subject)) {
        const field = (error.field ?? '').replace(/^subject\./u, '');
        // A cell that failed to parse was left out; "missing" would only repeat that.
        if (!alreadyReported.has(field)) fromError(error);
      }
      const from = validFrom?.ms ?? Math.floor(options.now / 1000) * 1000;
      const until = validUntil === null ? null : (validUntil?.ms ?? from + options.defaultValidityDays * DAY_MS);
      const validityOk = !alreadyReported.has('validFrom') && !alreadyReported.has('validUntil');
      if (validityOk && until !== null && until <= options.now) {
        report('validUntil', 'ERR_LICENCE_EXPIRED', `already expired: its last valid day was ${formatDate(lastValidChinaDate(until))} (China date): reported, not issued`);
      } else if (validityOk && until !== null && until <= from) {
        report('validUntil', 'ERR_VALIDITY_WINDOW', 'validUntil must be after validFrom');
      }
      if (rowProblems.length === 0) {
        const item: ImportItem = {
          type: definition.code,
          subject,
          ...(validFrom ? { validFrom: validFrom.text } : {}),
          ...(validUntil === null ? { validUntil: null } : validUntil ? { validUntil: validUntil.text } : {}),
        };
        const idempotencyKey = rowIdempotencyKey(options.scope, item);
        const first = firstRowOfKey.get(idempotencyKey);
        if (first !== undefined) {
          report('row', 'ERR_IMPORT_DUPLICATE_ROW', `same licence as row ${first}: issued once, for row ${first}`);
        } else {
          firstRowOfKey.set(idempotencyKey, row.rowNumber);
          good.push({ rowNumber: row.rowNumber, item, idempotencyKey });
        }
      }
    }
    if (rowProblems.length > 0) {
      // In the order of the file's columns, whatever order the checks found them in.
      rowProblems.sort((a, b) => columnOrder(a.field) - columnOrder(b.field));
      badRowCount++;
      if (rowProblems.every((p) => p.code === 'ERR_LICENCE_EXPIRED')) expiredRowCount++;
      problems.push(...rowProblems);
    }
  }
  return { good, problems, badRowCount, expiredRowCount };
}
