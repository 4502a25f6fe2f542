/**
 * Licence forms generated from a type's JSON Schema: which control each property gets, and how the
 * submitted text becomes the subject value. Shared by the pages (rendering, reading a submitted form)
 * and the browser script (checking a field as it is typed), so both read a field the same way.
 */
import type { LicenceTypeDefinition, PropertySchema } from '../core/licence-types.js';
import type { Lang } from './i18n.js';

export type FieldKind = 'text' | 'textarea' | 'date' | 'list' | 'number' | 'integer' | 'boolean' | 'enum' | 'json';

/** Form field names carry this prefix, so a property can never collide with the form's own fields. */
export const FIELD_PREFIX = 'f.';

export function fieldKind(property: PropertySchema): FieldKind {
  if (Array.isArray(property['enum'])) return 'enum';
  switch (property['type']) {
    case 'string':
      if (property['format'] === 'date') return 'date';
      return typeof property['maxLength'] === 'number' && property['maxLength'] > 300 ? 'textarea' : 'text';
    case 'array': {
      const items = property['items'] as PropertySchema | undefined;
      return items?.['type'] === 'string' ? 'list' : 'json';
    }
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'json';
  }
}

/** A field's label in the page's language (JSON Schema `title` is Chinese, `x-title-en` English). */
export function fieldLabelIn(property: PropertySchema | undefined, name: string, lang: Lang): string {
  if (!property) return name;
  return (lang === 'en' ? property['x-title-en'] : property.title) ?? property.title ?? property['x-title-en'] ?? name;
}

/** A value read from a form control: `absent` when left empty, `bad` when it cannot be read (JSON). */
export type ReadValue = { kind: 'value'; value: unknown } | { kind: 'absent' } | { kind: 'bad' };

/** Reads one control's text (undefined = not submitted, or an unticked checkbox) as the property's value. */
export function readFieldValue(property: PropertySchema, raw: string | undefined): ReadValue {
  const kind = fieldKind(property);
  if (kind === 'boolean') return { kind: 'value', value: raw !== undefined && raw !== '' };
  const text = (raw ?? '').replace(/\r\n?/g, '\n').trim();
  if (text === '') return { kind: 'absent' };
  switch (kind) {
    case 'list':
      return {
        kind: 'value',
        value: text
          .split('\n')
          .map((line) => line.trim())
          .filter(Boolean),
      };
    case 'number':
    case 'integer': {
      const n = Number(text);
      // Not a number: the text goes to the validator, which names the type problem as the API would.
      return { kind: 'value', value: Number.isFinite(n) ? n : text };
    }
    case 'json':
      try {
        return { kind: 'value', value: JSON.parse(text) as unknown };
      } catch {
        return { kind: 'bad' };
      }
    default:
      return { kind: 'value', value: text };
  }
}

/** A value shown in a control (the inverse of readFieldValue). */
export function fieldText(property: PropertySchema, value: unknown): string {
  if (value === undefined || value === null) return '';
  switch (fieldKind(property)) {
    case 'list':
      return Array.isArray(value) ? value.map(String).join('\n') : String(value);
    case 'json':
      return JSON.stringify(value, null, 2);
    default:
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

export const orderedFields = (definition: LicenceTypeDefinition): [string, PropertySchema][] => Object.entries(definition.schema.properties);
