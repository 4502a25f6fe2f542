/**
 * Which column feeds which licence field. A header cell matches a field by its name (creditCode), its
 * Chinese title (统一社会信用代码) or its English title (Unified social credit code), compared after
 * NFKC folding (full-width brackets and letters), without spaces, `_`, `-`, a trailing `*` or colon,
 * and case-insensitively; a title's bracketed part may be left out (法定代表人 for 法定代表人（负责人）).
 * The validity columns are 有效期自/有效期至 or validFrom/validUntil. A map
 * (`{ "header text": "fieldName" | "validFrom" | "validUntil" | null }`) names any other header;
 * null ignores a column. Unknown, doubled or missing required columns stop the import before any row.
 */
import { ElicenceError } from '../core/errors.js';
import type { LicenceTypeDefinition } from '../core/licence-types.js';

export type ColumnTarget = { kind: 'field'; field: string } | { kind: 'validFrom' } | { kind: 'validUntil' } | { kind: 'ignore' };

export type HeaderMap = Record<string, string | null>;

const VALIDITY_NAMES: Record<'validFrom' | 'validUntil', string[]> = {
  validFrom: ['validFrom', 'valid from', '有效期自', '有效期起', '有效期开始', '有效期起始日期'],
  validUntil: ['validUntil', 'valid until', 'valid to', '有效期至', '有效期止', '有效期截止', '有效期截止日期'],
};

/** The comparison form of a header or name. */
export function foldHeader(text: string): string {
  return text
    .normalize('NFKC')
    .trim()
    .replace(/[*:：]+$/u, '')
    .replace(/[\s_-]+/gu, '')
    .toLowerCase();
}

function knownNames(definition: LicenceTypeDefinition): Map<string, ColumnTarget> {
  const names = new Map<string, ColumnTarget>();
  const add = (name: string | undefined, target: ColumnTarget) => {
    if (!name) return;
    const folded = foldHeader(name);
    if (folded && !names.has(folded)) names.set(folded, target);
  };
  const fields = Object.entries(definition.schema.properties);
  for (const [field, property] of fields) {
    const target: ColumnTarget = { kind: 'field', field };
    add(field, target);
    add(property.title, target);
    add(property['x-title-en'], target);
  }
  for (const kind of ['validFrom', 'validUntil'] as const) for (const name of VALIDITY_NAMES[kind]) add(name, { kind });
  // Short forms last, so they never shadow a full title.
  for (const [field, property] of fields) add(property.title?.normalize('NFKC').replace(/\(.*\)$/u, ''), { kind: 'field', field });
  return names;
}

function targetFromMap(value: string | null, definition: LicenceTypeDefinition, header: string): ColumnTarget {
  if (value === null || value === '') return { kind: 'ignore' };
  if (value === 'validFrom' || value === 'validUntil') return { kind: value };
  if (value in definition.schema.properties) return { kind: 'field', field: value };
  throw new ElicenceError('ERR_IMPORT_COLUMNS', `--map sends column "${header}" to "${value}", which is not a field of ${definition.code} nor validFrom/validUntil`, {
    field: 'map',
  });
}

/** One target per header column; throws ERR_IMPORT_COLUMNS naming every problem at once. */
export function mapColumns(header: readonly string[], definition: LicenceTypeDefinition, map: HeaderMap = {}): ColumnTarget[] {
  const names = knownNames(definition);
  const foldedMap = new Map(Object.entries(map).map(([key, value]) => [foldHeader(key), { key, value }]));
  const problems: string[] = [];
  const targets = header.map((cell): ColumnTarget => {
    const folded = foldHeader(cell);
    const mapped = foldedMap.get(folded);
    if (mapped) return targetFromMap(mapped.value, definition, cell);
    if (folded === '') return { kind: 'ignore' };
    const known = names.get(folded);
    if (known) return known;
    problems.push(`unknown column "${cell}"`);
    return { kind: 'ignore' };
  });
  const seen = new Map<string, string>();
  targets.forEach((target, index) => {
    if (target.kind === 'ignore') return;
    const key = target.kind === 'field' ? target.field : target.kind;
    const earlier = seen.get(key);
    if (earlier !== undefined) problems.push(`columns "${earlier}" and "${header[index]}" both map to ${key}`);
    else seen.set(key, header[index]!);
  });
  for (const field of definition.schema.required ?? []) {
    if (!seen.has(field)) {
      const property = definition.schema.properties[field];
      problems.push(`no column for required field ${field} (${property?.title ?? field} / ${property?.['x-title-en'] ?? field})`);
    }
  }
  if (problems.length > 0) {
    throw new ElicenceError(
      'ERR_IMPORT_COLUMNS',
      `cannot map the header row to ${definition.code} (${problems.length} problem${problems.length === 1 ? '' : 's'}, listed in details); name other headers in a --map file ({"header": "fieldName"}, null to ignore)`,
      {
        field: 'header',
        details: problems,
      },
    );
  }
  return targets;
}
