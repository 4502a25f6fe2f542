/**
 * The examples check of tests/openapi/examples.test.ts: which operations an OpenAPI 3.1 document has,
 * and what is missing or invalid in the examples of one of them (JSON Schema 2020-12, @cfworker/json-schema).
 */
import { Validator } from '@cfworker/json-schema';

export type Json = Record<string, unknown>;
export interface MediaType {
  schema?: Json;
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}
export interface Operation {
  requestBody?: { content?: Record<string, MediaType> };
  responses?: Record<string, { content?: Record<string, MediaType> }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Json> };
}

/**
 * A schema as the validator should see it: `$ref`s into components turned into `$ref`s into `$defs`, and
 * the annotations `example`/`examples` left out (the validator would read an example's `id` as a schema id).
 */
function forValidation(schema: unknown): unknown {
  return JSON.parse(
    JSON.stringify(schema, (key, value: unknown) => (key === 'example' || (key === 'examples' && Array.isArray(value)) ? undefined : value)).replaceAll(
      '"#/components/schemas/',
      '"#/$defs/',
    ),
  );
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

/** `GET /path` for every operation of the document. */
export function operationsOf(document: OpenApiDocument): string[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.keys(methods)
      .filter((method) => METHODS.has(method))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

/**
 * What is wrong with the examples of one operation: each missing example and each example that its
 * schema refuses, as readable lines (empty when all is well).
 */
export function exampleProblems(document: OpenApiDocument, operation: string): string[] {
  const [method, path] = operation.split(' ') as [string, string];
  const op = document.paths[path]?.[method.toLowerCase()];
  if (!op) return [`${operation} is not in the document`];
  const schemas = document.components?.schemas ?? {};
  // $refs into components become $refs into $defs of one self-contained schema per check.
  const defs = forValidation(schemas) as Record<string, Json>;
  const resolve = (schema: Json | undefined): Json | undefined => {
    const ref = schema?.['$ref'];
    return typeof ref === 'string' && ref.startsWith('#/components/schemas/') ? schemas[ref.slice('#/components/schemas/'.length)] : schema;
  };
  const problems: string[] = [];
  const check = (where: string, media: MediaType) => {
    const own: [string, unknown][] = Object.entries(media.examples ?? {}).map(([name, e]) => [`examples.${name}`, e.value]);
    if (media.example !== undefined) own.push(['example', media.example]);
    const schema = resolve(media.schema);
    if (own.length === 0 && schema?.['example'] !== undefined) own.push(['schema example', schema['example']]);
    if (own.length === 0 && Array.isArray(schema?.['examples']) && schema['examples'].length > 0) own.push(['schema examples[0]', schema['examples'][0]]);
    if (own.length === 0) {
      problems.push(`${where}: no example (add .openapi({ example }) to its schema, or example to the media type)`);
      return;
    }
    if (!media.schema) return;
    const root = forValidation(media.schema) as Json;
    const validator = new Validator({ ...root, $defs: defs } as never, '2020-12', false);
    for (const [name, value] of own) {
      const result = validator.validate(value);
      if (!result.valid) {
        const errors = result.errors
          .filter((e) => e.keyword !== '$ref' && e.keyword !== 'properties' && e.keyword !== 'items' && e.keyword !== 'allOf')
          .slice(0, 4)
          .map((e) => `${e.instanceLocation} ${e.error}`);
        problems.push(`${where}: ${name} does not validate: ${errors.join('; ') || result.errors[0]?.error}`);
      }
    }
  };
  for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) check(`request body (${type})`, media);
  const responses = Object.entries(op.responses ?? {});
  if (!responses.some(([status]) => status.startsWith('2'))) problems.push('no success (2xx) response declared');
  for (const [status, response] of responses) {
    for (const [type, media] of Object.entries(response.content ?? {})) check(`response ${status} (${type})`, media);
  }
  return problems;
}

/**
 * Whether `body` is valid against the JSON request body schema of `operation` (`POST /path`): what the
 * route's schema accepts, before any business rule. False when the operation takes no JSON body.
 */
export function acceptsRequestBody(document: OpenApiDocument, operation: string, body: unknown): boolean {
  const [method, path] = operation.split(' ') as [string, string];
  const schema = document.paths[path]?.[method.toLowerCase()]?.requestBody?.content?.['application/json']?.schema;
  if (!schema) return false;
  const defs = forValidation(document.components?.schemas ?? {}) as Record<string, Json>;
  return new Validator({ ...(forValidation(schema) as Json), $defs: defs } as never, '2020-12', true).validate(body).valid;
}
