/**
 * One field of a licence subject checked on its own, with exactly the code and message the API gives
 * for that field: the check runs the type's own `SubjectValidator` on a schema holding just that
 * property (and its `$defs`), so the console can check a field as it is typed, in the browser and on the
 * server, and say what the API would say. Cross-field keywords are left to the full check on submit.
 */
import { type Schema, Validator } from '@cfworker/json-schema';
import { ElicenceError, type ErrorCode } from './errors.js';
import { type JsonObjectSchema, type LicenceTypeDefinition, SubjectValidator } from './licence-types.js';

export interface FieldProblem {
  /** As the API names it: `subject.<field>` (or a path below it). */
  field: string;
  code: ErrorCode;
  /** The API's message, word for word. */
  message: string;
  /** The JSON Schema keyword that failed (`required`, `minLength`, `pattern`, `format`, ...), if any. */
  keyword?: string;
}

export class FieldChecker {
  readonly #validators = new Map<string, { subject: SubjectValidator; raw: Validator }>();

  constructor(readonly definition: LicenceTypeDefinition) {}

  #validatorFor(field: string) {
    let entry = this.#validators.get(field);
    if (!entry) {
      const { schema } = this.definition;
      const oneField: JsonObjectSchema = {
        type: 'object',
        properties: { [field]: schema.properties[field] ?? {} },
        required: schema.required?.includes(field) ? [field] : [],
        additionalProperties: false,
        ...(schema['$defs'] === undefined ? {} : { $defs: schema['$defs'] }),
        ...(schema['definitions'] === undefined ? {} : { definitions: schema['definitions'] }),
      };
      entry = { subject: new SubjectValidator({ ...this.definition, schema: oneField }), raw: new Validator(oneField as Schema, '2020-12', false) };
      this.#validators.set(field, entry);
    }
    return entry;
  }

  /** The problem with `value` (undefined = the field left out), or undefined when the field is fine. */
  check(field: string, value: unknown): FieldProblem | undefined {
    if (!(field in this.definition.schema.properties)) return undefined;
    const { raw } = this.#validatorFor(field);
    const subject: SubjectValidator = this.#validatorFor(field).subject;
    const instance = value === undefined ? {} : { [field]: value };
    try {
      subject.assertValid(instance);
      return undefined;
    } catch (error) {
      if (!(error instanceof ElicenceError)) throw error;
      // The same choice of error as SubjectValidator.assertValid: the deepest one.
      const errors = raw.validate(instance).errors;
      const leaf = [...errors].reverse().find((e) => e.keyword !== 'properties' && e.keyword !== 'items') ?? errors[0];
      return { field: error.field ?? `subject.${field}`, code: error.code, message: error.message, ...(leaf ? { keyword: leaf.keyword } : {}) };
    }
  }

  /** Every field's problem (fields of the schema only), in the schema's order. */
  checkAll(subject: Record<string, unknown>): FieldProblem[] {
    return Object.keys(this.definition.schema.properties).flatMap((field) => {
      const problem = this.check(field, subject[field]);
      return problem ? [problem] : [];
    });
  }
}
