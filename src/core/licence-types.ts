/**
 * Licence types are data: a code, bilingual names, a schema version and a JSON Schema for the subject
 * an agency submits. Every type's subject carries `creditCode` (the holder's unified social credit code),
 * which becomes `credentialSubject.id` as `urn:uscc:<code>`; every other field is copied as is.
 * Properties carry bilingual labels (`title` in Chinese, `x-title-en` in English) for display and print.
 * A type declares its catalogue code (the first segment of its licences' identifiers, GB/T 36904) and
 * which of its fields are the licence number and the holder's name (GB/T 36903 metadata), so display,
 * search and metadata read them instead of guessing.
 */
import { type Schema, Validator } from '@cfworker/json-schema';
import { creditCodeProblem } from './credit-code.js';
import { ElicenceError } from './errors.js';
import { CATALOGUE_CODE } from './licence-identifier.js';
import { isRecord } from './strict-json.js';

export interface LicenceTypeDefinition {
  code: string;
  name: { zh: string; en: string };
  schemaVersion: string;
  schema: JsonObjectSchema;
  /**
   * At most one active or suspended, unexpired licence of this type per holder (credit code) and
   * authority, where the law says so (a business has one business licence). Absent: false.
   */
  uniquePerHolder?: boolean;
  /**
   * The type's code in the licence catalogue, 1-10 of `0-9A-Z`: the first segment of its licences'
   * identifiers (证照类型代码). The built-in types' codes are this project's own until an operator sets
   * the national ones (PATCH /v1/licence-types/{code}). Absent only on a type registered before types declared it.
   */
  catalogueCode?: string;
  /** The subject field holding the licence number (证照编号): `creditCode` for a business licence. */
  numberField?: string;
  /** The subject field holding the holder's name (持证主体). */
  holderNameField?: string;
}

export interface JsonObjectSchema {
  type: 'object';
  properties: Record<string, PropertySchema>;
  required?: string[];
  additionalProperties?: boolean;
  [keyword: string]: unknown;
}

export interface PropertySchema {
  title?: string;
  'x-title-en'?: string;
  [keyword: string]: unknown;
}

const text = (zh: string, en: string, maxLength: number) => ({
  type: 'string',
  title: zh,
  'x-title-en': en,
  minLength: 1,
  maxLength,
});

const creditCodeProperty = {
  type: 'string',
  title: '统一社会信用代码',
  'x-title-en': 'Unified social credit code',
  format: 'uscc',
  minLength: 18,
  maxLength: 18,
};

export const BUSINESS_LICENCE: LicenceTypeDefinition = {
  code: 'BusinessLicence',
  name: { zh: '营业执照', en: 'Business licence' },
  schemaVersion: '1.0',
  uniquePerHolder: true,
  // Ours (营业执照 in pinyin initials) until an operator sets the national catalogue code.
  catalogueCode: 'YYZZ',
  // The unified social credit code is the business licence's number.
  numberField: 'creditCode',
  holderNameField: 'name',
  schema: {
    type: 'object',
    properties: {
      creditCode: creditCodeProperty,
      name: text('名称', 'Name', 200),
      entityType: text('类型', 'Entity type', 100),
      legalRepresentative: text('法定代表人', 'Legal representative', 100),
      registeredCapital: text('注册资本', 'Registered capital', 100),
      establishedOn: { type: 'string', title: '成立日期', 'x-title-en': 'Date established', format: 'date' },
      address: text('住所', 'Address', 300),
      businessScope: text('经营范围', 'Business scope', 2000),
    },
    required: ['creditCode', 'name', 'entityType', 'legalRepresentative', 'registeredCapital', 'establishedOn', 'address', 'businessScope'],
    additionalProperties: false,
  },
};

export const FOOD_BUSINESS_LICENCE: LicenceTypeDefinition = {
  code: 'FoodBusinessLicence',
  name: { zh: '食品经营许可证', en: 'Food business licence' },
  schemaVersion: '1.0',
  uniquePerHolder: false,
  // Ours (食品经营 in pinyin initials) until an operator sets the national catalogue code.
  catalogueCode: 'SPJY',
  numberField: 'licenceNumber',
  holderNameField: 'operatorName',
  schema: {
    type: 'object',
    properties: {
      licenceNumber: { type: 'string', title: '许可证编号', 'x-title-en': 'Licence number', pattern: '^JY[0-9]{14}$' },
      operatorName: text('经营者名称', 'Operator name', 200),
      creditCode: creditCodeProperty,
      legalRepresentative: text('法定代表人（负责人）', 'Legal representative', 100),
      premisesAddress: text('经营场所', 'Premises address', 300),
      mainBusinessFormat: text('主体业态', 'Main business format', 100),
      businessItems: {
        type: 'array',
        title: '经营项目',
        'x-title-en': 'Business items',
        items: { type: 'string', minLength: 1, maxLength: 200 },
        minItems: 1,
        maxItems: 50,
      },
    },
    required: ['licenceNumber', 'operatorName', 'creditCode', 'legalRepresentative', 'premisesAddress', 'mainBusinessFormat', 'businessItems'],
    additionalProperties: false,
  },
};

export const BUILT_IN_LICENCE_TYPES: readonly LicenceTypeDefinition[] = [BUSINESS_LICENCE, FOOD_BUSINESS_LICENCE];

const TYPE_CODE = /^[A-Z][A-Za-z0-9]{2,63}$/;
const MAX_SCHEMA_BYTES = 64 * 1024;
/** Deepest nesting a registered type's subject may declare: the subject object is level 1. */
export const MAX_SUBJECT_LEVELS = 8;

/** Keywords whose value is a schema (or schemas) for the members or items of the instance: one level down. */
const CHILD_MAPS = ['properties', 'patternProperties', 'dependentSchemas'] as const;
const CHILD_SCHEMAS = ['items', 'additionalItems', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'contains', 'propertyNames'] as const;
/** Keywords whose schemas describe the same instance: the same level. */
const SAME_LEVEL = ['allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else'] as const;

/**
 * Levels of arrays and objects a JSON Schema declares (an object with scalar properties: 1). Local
 * `$ref`s (`#/$defs/...`, `#/definitions/...`) are followed once each (memoised); a recursive one has
 * no bound (Infinity). The recursion follows the schema's own nesting, which MAX_JSON_DEPTH bounds.
 */
export function declaredLevels(root: Record<string, unknown>): number {
  const resolve = (ref: string): unknown => {
    const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
    const defs = match ? root[match[1]!] : undefined;
    return match && isRecord(defs) ? defs[match[2]!.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  };
  const memo = new Map<string, number>();
  const open = new Set<string>();
  const levels = (schema: unknown): number => {
    if (!isRecord(schema)) return 0;
    let same = 0;
    const ref = schema['$ref'];
    if (typeof ref === 'string') {
      if (open.has(ref)) return Number.POSITIVE_INFINITY;
      if (!memo.has(ref)) {
        open.add(ref);
        memo.set(ref, levels(resolve(ref)));
        open.delete(ref);
      }
      same = memo.get(ref)!;
    }
    for (const keyword of SAME_LEVEL) {
      const value = schema[keyword];
      for (const member of Array.isArray(value) ? value : [value]) same = Math.max(same, levels(member));
    }
    let children = -1;
    for (const keyword of CHILD_MAPS) {
      const map = schema[keyword];
      if (isRecord(map)) for (const child of Object.values(map)) children = Math.max(children, levels(child));
    }
    for (const keyword of CHILD_SCHEMAS) {
      if (keyword in schema) children = Math.max(children, levels(schema[keyword]));
    }
    if (Array.isArray(schema['prefixItems'])) for (const child of schema['prefixItems']) children = Math.max(children, levels(child));
    const container = children >= 0 || schema['type'] === 'object' || schema['type'] === 'array';
    return Math.max(same, container ? 1 + Math.max(children, 0) : 0);
  };
  return levels(root);
}

/**
 * Checks an agency-submitted type definition before it is stored: a usable object schema that
 * requires `creditCode` and refuses unknown fields.
 */
export function assertValidTypeDefinition(definition: LicenceTypeDefinition): void {
  if (!TYPE_CODE.test(definition.code)) {
    throw new ElicenceError('ERR_VALIDATION', 'type code must be PascalCase letters and digits, 3-64 long', { field: 'code' });
  }
  const schema = definition.schema as unknown;
  if (!isRecord(schema)) {
    throw new ElicenceError('ERR_INVALID_SCHEMA', 'schema must be a JSON Schema object', { field: 'schema' });
  }
  if (JSON.stringify(schema).length > MAX_SCHEMA_BYTES) {
    throw new ElicenceError('ERR_INVALID_SCHEMA', `schema must be at most ${MAX_SCHEMA_BYTES} bytes`, { field: 'schema' });
  }
  const s = schema as Partial<JsonObjectSchema>;
  if (s.type !== 'object' || typeof s.properties !== 'object' || s.properties === null) {
    throw new ElicenceError('ERR_INVALID_SCHEMA', 'schema must have type "object" and properties', { field: 'schema' });
  }
  if (s.additionalProperties !== false) {
    throw new ElicenceError('ERR_INVALID_SCHEMA', 'schema must set additionalProperties to false', { field: 'schema.additionalProperties' });
  }
  const creditCode = s.properties['creditCode'];
  if (creditCode?.['type'] !== 'string' || !s.required?.includes('creditCode')) {
    throw new ElicenceError('ERR_INVALID_SCHEMA', 'schema must require a string property "creditCode"', { field: 'schema.properties.creditCode' });
  }
  if ('$ref' in s || JSON.stringify(schema).includes('"$ref":"http')) {
    throw new ElicenceError('ERR_INVALID_SCHEMA', 'remote references are not allowed', { field: 'schema' });
  }
  const levels = declaredLevels(schema);
  if (levels > MAX_SUBJECT_LEVELS) {
    throw new ElicenceError(
      'ERR_INVALID_SCHEMA',
      `the subject may nest at most ${MAX_SUBJECT_LEVELS} levels of objects and arrays; this schema declares ${Number.isFinite(levels) ? levels : 'unbounded (recursive $ref)'}`,
      { field: 'schema' },
    );
  }
  try {
    new Validator(schema as Schema, '2020-12').validate({});
  } catch (cause) {
    throw new ElicenceError('ERR_INVALID_SCHEMA', 'schema cannot be compiled', { field: 'schema', cause });
  }
  assertCatalogueCode(definition.catalogueCode, 'catalogueCode');
  assertDeclaredField(s as JsonObjectSchema, definition.numberField, 'numberField');
  assertDeclaredField(s as JsonObjectSchema, definition.holderNameField, 'holderNameField');
}

/** A catalogue code: 1-10 of `0-9A-Z` (the first segment of a licence identifier). */
export function assertCatalogueCode(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || !CATALOGUE_CODE.test(value)) {
    throw new ElicenceError('ERR_VALIDATION', 'catalogueCode must be 1-10 digits or capital letters A-Z (the licence type code of GB/T 36904)', { field });
  }
}

/** `numberField` / `holderNameField` must name a string property of the subject schema. */
export function assertDeclaredField(schema: JsonObjectSchema, value: unknown, field: 'numberField' | 'holderNameField'): asserts value is string {
  const what = field === 'numberField' ? 'the licence number (证照编号)' : "the holder's name (持证主体)";
  if (typeof value !== 'string' || value.length === 0) throw new ElicenceError('ERR_VALIDATION', `${field} must name the subject field holding ${what}`, { field });
  const property = Object.hasOwn(schema.properties, value) ? schema.properties[value] : undefined;
  if (!property) throw new ElicenceError('ERR_VALIDATION', `${field} names "${value}", which is not a property of the schema`, { field });
  if (property['type'] !== 'string') throw new ElicenceError('ERR_VALIDATION', `${field} must name a string property; "${value}" is not one`, { field });
}

/** Compiled validators per type definition; build once per process or per request scope. */
export class SubjectValidator {
  readonly #validator: Validator;
  readonly #creditCodeFields: string[];

  constructor(readonly definition: LicenceTypeDefinition) {
    this.#validator = new Validator(definition.schema as Schema, '2020-12', false);
    this.#creditCodeFields = Object.entries(definition.schema.properties)
      .filter(([, property]) => property['format'] === 'uscc')
      .map(([name]) => name);
    if (!this.#creditCodeFields.includes('creditCode')) this.#creditCodeFields.push('creditCode');
  }

  /** Throws ElicenceError naming the first field at fault (as `subject.<path>`). */
  assertValid(subject: unknown): asserts subject is Record<string, unknown> {
    if (!isRecord(subject)) {
      throw new ElicenceError('ERR_VALIDATION', 'subject must be an object', { field: 'subject' });
    }
    const result = this.#validator.validate(subject);
    if (!result.valid) {
      const unknown = result.errors.find((e) => e.keyword === 'additionalProperties' || e.keyword === 'false');
      if (unknown) {
        const name = Object.keys(subject).find((key) => !(key in this.definition.schema.properties));
        throw new ElicenceError('ERR_UNKNOWN_FIELD', `unknown field "${name ?? '?'}" for ${this.definition.code}`, {
          field: `subject.${name ?? ''}`,
        });
      }
      // The deepest error names the field best; cfworker lists outer (properties) errors first.
      const leaf = [...result.errors].reverse().find((e) => e.keyword !== 'properties' && e.keyword !== 'items') ?? result.errors[0]!;
      const missing = leaf.keyword === 'required' ? /"([^"]+)"/.exec(leaf.error)?.[1] : undefined;
      const path = pointerToPath(leaf.instanceLocation) + (missing ? `.${missing}` : '');
      throw new ElicenceError('ERR_VALIDATION', leaf.error, { field: `subject${path}` });
    }
    for (const field of this.#creditCodeFields) {
      const value = (subject as Record<string, unknown>)[field];
      if (typeof value !== 'string') continue;
      const problem = creditCodeProblem(value);
      if (problem) {
        const why =
          problem === 'check'
            ? 'check character does not match (GB 32100-2015)'
            : problem === 'length'
              ? 'must be 18 characters'
              : 'contains characters outside the GB 32100-2015 alphabet';
        throw new ElicenceError('ERR_CREDIT_CODE', `unified social credit code ${why}`, { field: `subject.${field}` });
      }
    }
  }
}

function pointerToPath(pointer: string): string {
  // "#/businessItems/0" -> ".businessItems[0]"
  return pointer
    .replace(/^#/, '')
    .split('/')
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('');
}

/** Bilingual label for a subject field of a type, falling back to the field name. */
export function fieldLabel(definition: LicenceTypeDefinition | undefined, field: string): { zh: string; en: string } {
  const property = definition?.schema.properties[field];
  return { zh: property?.title ?? field, en: property?.['x-title-en'] ?? field };
}
