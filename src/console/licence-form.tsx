/** The licence form of a type, generated from its JSON Schema, and reading it back from a submitted body. */

import { canonicalJson } from '../core/canonical-json.js';
import type { FieldProblem } from '../core/field-check.js';
import { FieldChecker } from '../core/field-check.js';
import type { LicenceTypeDefinition, PropertySchema } from '../core/licence-types.js';
import { isRecord } from '../core/strict-json.js';
import { fieldMessage } from './field-messages.js';
import { FIELD_PREFIX, fieldKind, fieldLabelIn, fieldText, orderedFields, readFieldValue } from './form-fields.js';
import type { Lang, Messages } from './i18n.js';

export type Body = Record<string, string | undefined>;

/** A problem to show beside a field: the page's words, and the API's message. */
export interface ShownProblem {
  field: string;
  text: string;
  api: string;
}

export const controlId = (name: string) => `f-${name}`;

/** The few words the generated fields need (the browser's live preview of a schema is given just these). */
export interface FormMessages {
  issue: Pick<Messages['issue'], 'listHint' | 'jsonHint' | 'required'>;
  field: Pick<Messages['field'], 'json'>;
}

export const formMessagesOf = (m: Messages): FormMessages => ({
  issue: { listHint: m.issue.listHint, jsonHint: m.issue.jsonHint, required: m.issue.required },
  field: { json: m.field.json },
});

/** The subject a submitted form describes, and the problems of each field (the same checker as the browser). */
export function readSubject(definition: LicenceTypeDefinition, body: Body, lang: Lang, m: Messages): { subject: Record<string, unknown>; problems: ShownProblem[] } {
  const subject: Record<string, unknown> = {};
  const problems: ShownProblem[] = [];
  const checker = new FieldChecker(definition);
  for (const [name, property] of orderedFields(definition)) {
    const read = readFieldValue(property, body[FIELD_PREFIX + name]);
    if (read.kind === 'bad') {
      problems.push({ field: name, text: m.field.json, api: 'not valid JSON' });
      continue;
    }
    if (read.kind === 'value') subject[name] = read.value;
    const problem = checker.check(name, subject[name]);
    if (problem) problems.push(shown(name, problem, property, lang));
  }
  return { subject, problems };
}

export function shown(name: string, problem: Pick<FieldProblem, 'code' | 'message' | 'keyword'>, property: PropertySchema | undefined, lang: Lang): ShownProblem {
  return { field: name, text: fieldMessage(problem, property, lang), api: problem.message };
}

/** The merge patch from `before` to `after` over the type's fields: changed fields only; an emptied one is null (removed). */
export function patchFrom(definition: LicenceTypeDefinition, before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [name] of orderedFields(definition)) {
    const next = after[name];
    if (canonicalJson(next ?? null) === canonicalJson(before[name] ?? null)) continue;
    patch[name] = next === undefined ? null : next;
  }
  return patch;
}

/**
 * The form body an amendment describes: the fields the browser sent over the licence's current values
 * (it leaves unchanged fields out). Checkboxes are always sent as they are (unticked = not sent).
 */
export function amendedBody(definition: LicenceTypeDefinition, current: Record<string, unknown>, body: Body): Body {
  const merged: Body = { ...body };
  for (const [name, property] of orderedFields(definition)) {
    const key = FIELD_PREFIX + name;
    if (!(key in body) && fieldKind(property) !== 'boolean') merged[key] = fieldText(property, current[name]);
  }
  return merged;
}

function Control({
  name,
  property,
  value,
  problem,
  m,
  amend,
  required,
}: {
  name: string;
  property: PropertySchema;
  value: unknown;
  problem?: ShownProblem | undefined;
  m: FormMessages;
  required: boolean;
  amend: boolean;
}) {
  const id = controlId(name);
  const kind = fieldKind(property);
  const text = fieldText(property, value);
  const common = {
    id,
    name: FIELD_PREFIX + name,
    'aria-describedby': `h-${id} e-${id}`,
    ...(problem ? { 'aria-invalid': 'true' as const } : {}),
    ...(required ? { 'aria-required': 'true' as const } : {}),
    ...(amend ? { 'data-initial': kind === 'boolean' ? (value === true ? 'on' : '') : text } : {}),
  };
  switch (kind) {
    case 'textarea':
    case 'list':
    case 'json':
      return (
        <textarea {...common} rows={kind === 'textarea' ? 5 : 4} data-json-message={kind === 'json' ? m.field.json : undefined}>
          {text}
        </textarea>
      );
    case 'enum':
      return (
        <select {...common}>
          <option value="">—</option>
          {(property['enum'] as unknown[]).map((option) => (
            <option value={String(option)} selected={String(option) === text}>
              {String(option)}
            </option>
          ))}
        </select>
      );
    case 'boolean':
      return <input type="checkbox" {...common} checked={value === true} />;
    case 'date':
      return <input type="date" {...common} value={text} />;
    case 'number':
    case 'integer':
      return <input type="text" inputmode={kind === 'integer' ? 'numeric' : 'decimal'} {...common} value={text} />;
    default:
      return <input type="text" {...common} value={text} autocomplete="off" spellcheck={false} />;
  }
}

/** Every field of the type, in schema order, with label, hint, current value and problem. */
export function LicenceFields({
  definition,
  values,
  problems,
  lang,
  m,
  amend = false,
}: {
  definition: LicenceTypeDefinition;
  values: Record<string, unknown>;
  problems: ShownProblem[];
  lang: Lang;
  m: FormMessages;
  amend?: boolean;
}) {
  const required = new Set(definition.schema.required ?? []);
  return (
    <>
      {orderedFields(definition).map(([name, property]) => {
        const id = controlId(name);
        const problem = problems.find((p) => p.field === name);
        const kind = fieldKind(property);
        const hint = kind === 'list' ? m.issue.listHint : kind === 'json' ? m.issue.jsonHint : kind === 'date' ? 'YYYY-MM-DD' : '';
        return (
          <div class="field">
            <label for={id}>{fieldLabelIn(property, name, lang)}</label>
            {required.has(name) ? <span class="hint-inline">{m.issue.required}</span> : null}
            <span class="hint" id={`h-${id}`}>
              {hint}
            </span>
            <span class="err" id={`e-${id}`} aria-live="polite">
              {problem ? (
                <>
                  {problem.text}
                  {problem.api !== problem.text ? (
                    <>
                      {' '}
                      <span lang="en" class="api">
                        {problem.api}
                      </span>
                    </>
                  ) : null}
                </>
              ) : null}
            </span>
            <Control name={name} property={property} value={values[name]} problem={problem} m={m} amend={amend} required={required.has(name)} />
          </div>
        );
      })}
    </>
  );
}

/**
 * A definition to preview the form of a subject schema being written (the admin's schema editor, on the
 * server and live in the browser): undefined until the text is a JSON object whose properties are objects.
 */
export function schemaPreviewDefinition(text: string | undefined): LicenceTypeDefinition | undefined {
  if (!text) return undefined;
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(schema) || !isRecord(schema['properties']) || !Object.values(schema['properties']).every(isRecord)) return undefined;
  return { code: 'preview', name: { zh: '', en: '' }, schemaVersion: '1', schema: schema as unknown as LicenceTypeDefinition['schema'] };
}

/** The type's definition for the browser's checks, as JSON that cannot close the script element. */
export function TypeDefinitionScript({ definition }: { definition: LicenceTypeDefinition }) {
  const json = JSON.stringify({ code: definition.code, name: definition.name, schemaVersion: definition.schemaVersion, schema: definition.schema }).replace(/</g, '\\u003c');
  return <script type="application/json" id="type-def" dangerouslySetInnerHTML={{ __html: json }}></script>;
}
