/**
 * Every operation of /openapi.json carries examples, and every example is valid against its own schema,
 * so the reference at /docs always shows bodies and the examples cannot drift from the code:
 * - a request body: an example per media type;
 * - every success (2xx) response with content: an example per media type;
 * - every error response: an example (they share the Error schema's).
 * An example is the media type's `example`/`examples`, or else the (referenced) schema's own `example`
 * (zod: `.openapi({ example })` on the schema the route uses). One test per operation, named after it,
 * so a route added without examples fails by name. docs/api-reference.md says how to add them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/app.js';
import { exampleProblems, type Json, type OpenApiDocument, type Operation, operationsOf } from './examples-check.js';

// Read before the tests are collected: each operation of the document becomes a test of its own.
const t: TestContext = await createTestContext();
const document = (await (await t.app.request('/openapi.json')).json()) as OpenApiDocument;
afterAll(() => t.close());

describe('the checker bites', () => {
  const doc = (op: Operation, schemas: Record<string, Json> = {}): OpenApiDocument => ({ paths: { '/x': { post: op } }, components: { schemas } });
  const Thing = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false };

  it('names a missing request or response example, and a missing success response', () => {
    expect(
      exampleProblems(
        doc({ requestBody: { content: { 'application/json': { schema: Thing } } }, responses: { 200: { content: { 'application/json': { schema: Thing } } } } }),
        'POST /x',
      ),
    ).toEqual([
      'request body (application/json): no example (add .openapi({ example }) to its schema, or example to the media type)',
      'response 200 (application/json): no example (add .openapi({ example }) to its schema, or example to the media type)',
    ]);
    expect(exampleProblems(doc({ responses: { 400: { content: { 'application/json': { schema: { ...Thing, example: { n: 1 } } } } } } }), 'POST /x')).toEqual([
      'no success (2xx) response declared',
    ]);
  });

  it('refuses an example its schema refuses, through a $ref too', () => {
    const bad = doc(
      { responses: { 201: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } } } },
      { Thing: { ...Thing, example: { n: 'one' } } },
    );
    expect(exampleProblems(bad, 'POST /x')).toEqual([expect.stringMatching(/^response 201 \(application\/json\): schema example does not validate: .*\/n/)]);
    const good = doc({ responses: { 201: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } } } }, { Thing: { ...Thing, example: { n: 1 } } });
    expect(exampleProblems(good, 'POST /x')).toEqual([]);
    const extra = doc({ responses: { 204: {}, 200: { content: { 'text/plain': { schema: { type: 'string' }, examples: { a: { value: 'x' }, b: { value: 2 } } } } } } });
    expect(exampleProblems(extra, 'POST /x')).toEqual([expect.stringMatching(/^response 200 \(text\/plain\): examples\.b does not validate/)]);
  });
});

describe('every operation of /openapi.json has valid examples', () => {
  it('the document has the operations this suite knows of, at least', () => {
    expect(operationsOf(document).length).toBeGreaterThanOrEqual(54);
  });

  it.each(operationsOf(document))('%s', (operation) => {
    expect(exampleProblems(document, operation), `${operation}: missing or invalid examples`).toEqual([]);
  });
});

/** The request example of an operation as the document shows it (the media type's, else its schema's). */
function requestExample(operation: string): unknown {
  const [method, path] = operation.split(' ') as [string, string];
  const media = document.paths[path]?.[method.toLowerCase()]?.requestBody?.content?.['application/json'];
  if (media?.example !== undefined) return media.example;
  const ref = media?.schema?.['$ref'];
  const schema = typeof ref === 'string' ? document.components?.schemas?.[ref.split('/').pop()!] : media?.schema;
  return schema?.['example'];
}

describe('request examples are accepted by the service as they stand', () => {
  it('issue, amend, suspend, reinstate, revoke; a batch; a token; a licence type', async () => {
    const world = await createTestContext();
    try {
      const issued = await world.call('POST', '/v1/licences', { body: requestExample('POST /v1/licences') });
      expect(issued.status, await issued.clone().text()).toBe(201);
      const { id } = (await issued.json()) as { id: string };
      const suspended = await world.call('POST', `/v1/licences/${id}/suspend`, { body: requestExample('POST /v1/licences/{id}/suspend') });
      expect(suspended.status, await suspended.text()).toBe(200);
      const reinstated = await world.call('POST', `/v1/licences/${id}/reinstate`, { body: requestExample('POST /v1/licences/{id}/reinstate') });
      expect(reinstated.status, await reinstated.text()).toBe(200);
      const amended = await world.call('POST', `/v1/licences/${id}/amend`, { body: requestExample('POST /v1/licences/{id}/amend') });
      expect(amended.status, await amended.clone().text()).toBe(201);
      const successor = (await amended.json()) as { id: string };
      const revoked = await world.call('POST', `/v1/licences/${successor.id}/revoke`, { body: requestExample('POST /v1/licences/{id}/revoke') });
      expect(revoked.status, await revoked.text()).toBe(200);
      const token = await world.call('POST', '/v1/tokens', { body: requestExample('POST /v1/tokens') });
      expect(token.status, await token.text()).toBe(201);
      const type = await world.call('POST', '/v1/licence-types', { body: requestExample('POST /v1/licence-types') });
      expect(type.status, await type.text()).toBe(201);
    } finally {
      world.close();
    }
    // The batch holds the single issue's business licence too: a world of its own (one active business licence per holder).
    const other = await createTestContext();
    try {
      const batch = await other.call('POST', '/v1/licences/batch', { body: requestExample('POST /v1/licences/batch') });
      expect(batch.status, await batch.text()).toBe(201);
    } finally {
      other.close();
    }
  });
});
