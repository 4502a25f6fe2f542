/**
 * What the console says about a field problem: in English the API's own message; in Chinese a
 * translation by keyword and limit, with the API's message kept beside it (field.tsx shows both).
 * Shared by the pages and the browser script, so a field reads the same before and after submit.
 */
import type { FieldProblem } from '../core/field-check.js';
import type { PropertySchema } from '../core/licence-types.js';
import { type Lang, MESSAGES } from './i18n.js';

const num = (value: unknown, fallback = 0) => (typeof value === 'number' ? value : fallback);

export function fieldMessage(problem: Pick<FieldProblem, 'code' | 'message' | 'keyword'>, property: PropertySchema | undefined, lang: Lang): string {
  if (lang === 'en') return problem.message;
  const f = MESSAGES[lang].field;
  if (problem.code === 'ERR_CREDIT_CODE') {
    return problem.message.includes('check character') ? f.creditCheck : problem.message.includes('18') ? f.creditLength : f.creditChars;
  }
  const p = property ?? {};
  switch (problem.keyword) {
    case 'required':
      return f.required;
    case 'minLength':
      return num(p['minLength'], 1) <= 1 ? f.required : f.minLength(num(p['minLength']));
    case 'maxLength':
      return f.maxLength(num(p['maxLength']));
    case 'pattern':
      return f.pattern;
    case 'format':
      return p['format'] === 'date' ? f.date : p['format'] === 'date-time' ? f.dateTime : f.pattern;
    case 'type':
      return f.type;
    case 'minItems':
      return num(p['minItems'], 1) <= 1 ? f.required : f.minItems(num(p['minItems']));
    case 'maxItems':
      return f.maxItems(num(p['maxItems']));
    case 'enum':
    case 'const':
      return f.enum;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return f.number;
    default:
      return problem.code === 'ERR_UNKNOWN_FIELD' ? problem.message : f.invalid;
  }
}
