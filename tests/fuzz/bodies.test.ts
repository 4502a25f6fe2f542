/**
 * Fuzzing the body of every POST/PUT/PATCH route in GET /openapi.json (so new routes are fuzzed without
 * being listed) with a token that has every scope: invalid JSON, bad UTF-8 bytes, deep nesting, huge
 * strings, wrong types, prototype-pollution keys. Every answer is a 4xx with an `error.code`; no 5xx,
 * no hang, the database is byte-for-byte what it was, and Object.prototype is untouched.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { businessSubject, createTestContext, type TestContext } from '../helpers/app.js';
import { acceptsRequestBody, type OpenApiDocument as ExamplesDocument } from '../openapi/examples-check.js';
import { type OpenApiDocument, type OpenApiOperation, sampleBody } from '../security/openapi-sample.js';
import { deepJsonText, deeplyNested, expectPrototypesClean, heapGrowthMb, POLLUTION_KEYS } from './hostile.js';

const GENERATED_PER_ROUTE = 30;
const REQUEST_TIME_LIMIT_MS = 3_000;

let ctx: TestContext;
let doc: OpenApiDocument;
const params: Record<string, string> = {};

beforeAll(async () => {
  ctx = await createTestContext();
  const issued = (await (await ctx.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } })).json()) as { id: string; authorityId: string };
  const keys = (await (await ctx.call('GET', '/v1/keys')).json()) as { items: { kid: string }[] };
  const tokens = (await (await ctx.call('GET', '/v1/tokens')).json()) as { items: { id: string }[] };
  const trust = (await (await ctx.call('GET', '/v1/trust/authorities')).json()) as { items: { id: string }[] };
  Object.assign(params, { licence: issued.id, kid: keys.items[0]!.kid, token: tokens.items[0]!.id, trust: trust.items[0]?.id ?? 'did:web:x', slug: issued.authorityId });
  doc = (await (await ctx.call('GET', '/openapi.json', { token: null })).json()) as OpenApiDocument;
});
afterAll(() => ctx.close());

function concretePath(path: string): string {
  return path
    .replace(/^\/v1\/tokens\/\{id\}/, `/v1/tokens/${params.token}`)
    .replace(/^\/v1\/trust\/authorities\/\{id\}/, `/v1/trust/authorities/${encodeURIComponent(params.trust!)}`)
    .replace('{id}', params.licence!)
    .replace('{kid}', params.kid!)
    .replace('{code}', 'BusinessLicence')
    .replace('{authority}', params.slug!);
}

function bodyRoutes(): { key: string; method: string; path: string; operation: OpenApiOperation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      // A route without a documented body ignores what is sent (e.g. POST /v1/keys/{kid}/retire).
      .filter(([method, operation]) => ['post', 'put', 'patch'].includes(method) && operation.requestBody !== undefined)
      .map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path: concretePath(path), operation })),
  );
}

/** Every table's rows, hashed: equal before and after means nothing was written. */
function snapshot(): string {
  const hash = createHash('sha256');
  const tables = ctx.store.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
  for (const { name } of tables) {
    hash.update(name);
    for (const row of ctx.store.sqlite.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).iterate()) hash.update(JSON.stringify(row));
  }
  return hash.digest('hex');
}

const enc = new TextEncoder();
const bytes = (...parts: (string | number[])[]) => {
  const chunks = parts.map((p) => (typeof p === 'string' ? enc.encode(p) : new Uint8Array(p)));
  const out = new Uint8Array(new ArrayBuffer(chunks.reduce((n, c) => n + c.length, 0)));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
};

/** Fixed hostile bodies, as raw bytes (so they can be invalid JSON or invalid UTF-8). */
function fixedBodies(sample: unknown): { name: string; body: Uint8Array<ArrayBuffer> | string; contentType?: string }[] {
  const sampleText = JSON.stringify(sample ?? {});
  const withKey = (key: string, value: string) => (sampleText === '{}' ? `{"${key}":${value}}` : `{"${key}":${value},${sampleText.slice(1)}`);
  return [
    { name: 'not JSON', body: '{"type": ' },
    { name: 'trailing garbage', body: `${sampleText} x` },
    { name: 'empty', body: '' },
    { name: 'wrong content type', body: sampleText, contentType: 'text/plain' },
    { name: 'form content type', body: 'a=1', contentType: 'application/x-www-form-urlencoded' },
    { name: 'bad UTF-8 in a string', body: bytes('{"type":"', [0xff, 0xfe, 0xc3], '","subject":{"name":"', [0xed, 0xa0, 0x80], '"}}') },
    { name: 'bad UTF-8 in the sample', body: bytes(sampleText.slice(0, -1), sampleText.length > 2 ? ',' : '', '"x":"', [0xc0, 0xaf], '"}') },
    { name: 'UTF-8 BOM inside the object', body: bytes('{', [0xef, 0xbb, 0xbf], sampleText.slice(1)) },
    { name: 'lone surrogate escapes', body: '{"type":"\\ud800","subject":{"name":"\\udfff"}}' },
    { name: 'deep array text', body: deepJsonText(100_000) },
    { name: 'deep object text', body: `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}` },
    { name: 'huge string over the limit', body: `{"type":"${'a'.repeat(2 * 1024 * 1024)}"}` },
    { name: 'huge string under the limit', body: `{"type":"${'字'.repeat(300_000)}"}` },
    { name: 'huge number', body: `{"type":1${'0'.repeat(5000)}}` },
    // JSON.parse keeps the last of duplicate keys: the last one here has the wrong type.
    { name: 'duplicate keys', body: sampleText === '{}' ? '{"a":1,"a":2}' : `${sampleText.slice(0, -1)},${JSON.stringify(Object.keys(sample as object)[0] ?? 'a')}:[[1]]}` },
    ...POLLUTION_KEYS.map((key) => ({ name: `${key} key with the sample`, body: withKey(key, '{"polluted":"yes","prototype":{"polluted":"yes"}}') })),
    {
      name: 'nested __proto__',
      body: '{"subject":{"__proto__":{"polluted":"yes"}},"items":[{"__proto__":{"polluted":"yes"}}],"credential":{"constructor":{"prototype":{"polluted":"yes"}}}}',
    },
    { name: 'array', body: '[]' },
    { name: 'null', body: 'null' },
    { name: 'string', body: '"x"' },
  ];
}

const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.constant(deeplyNested(2_000)),
  fc.constant(deeplyNested(2_000, 'object')),
  fc.constant('x'.repeat(100_000)),
  fc.constant(JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}') as unknown),
);

/** Generated bodies: JSON of every shape (never the empty object, which some routes accept), and the sample with one field of the wrong type. */
function generatedBodies(sample: unknown): unknown[] {
  const fields = sample && typeof sample === 'object' && !Array.isArray(sample) ? Object.keys(sample) : [];
  const replaced = fields.length
    ? fc.tuple(fc.constantFrom(...fields), wrongType).map(([field, value]) => ({ ...(sample as object), [field]: value }))
    : wrongType.map((value) => ({ unexpected: value }));
  const json = fc.jsonValue({ maxDepth: 4 }).filter((v) => !(v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0));
  return fc.sample(fc.oneof({ weight: 2, arbitrary: replaced }, { weight: 1, arbitrary: json }), { numRuns: GENERATED_PER_ROUTE, seed: 42 });
}

/** True when `body` is the sample with one of its non-null fields set to null. */
function nulledField(sample: unknown, body: unknown): boolean {
  if (!sample || typeof sample !== 'object' || !body || typeof body !== 'object' || Array.isArray(body)) return false;
  return Object.entries(body).some(([key, value]) => value === null && (sample as Record<string, unknown>)[key] !== null);
}

async function send(method: string, path: string, body: Uint8Array<ArrayBuffer> | string, contentType = 'application/json') {
  const started = performance.now();
  const response = await ctx.app.request(path, { method, headers: { authorization: `Bearer ${ctx.token}`, 'content-type': contentType }, body });
  const elapsed = performance.now() - started;
  const text = await response.text();
  let code: unknown;
  try {
    code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code, elapsed };
}

describe('hostile request bodies on every body route', () => {
  it('are refused with a typed 4xx, quickly, writing nothing', async () => {
    const routes = bodyRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(15);
    const before = snapshot();
    const problems: string[] = [];
    const growth = await heapGrowthMb(async () => {
      for (const route of routes) {
        const sample = sampleBody(route.operation, doc);
        const cases = [
          ...fixedBodies(sample),
          // The sample (the route's example) with a nullable field set to null is a valid request, not hostile: left out.
          ...generatedBodies(sample)
            .filter((body) => !(nulledField(sample, body) && acceptsRequestBody(doc as unknown as ExamplesDocument, route.key, body)))
            .map((body, i) => ({ name: `generated #${i}: ${JSON.stringify(body).slice(0, 80)}`, body: JSON.stringify(body), contentType: undefined })),
        ];
        for (const c of cases) {
          ctx.clock.advance(1_000);
          const result = await send(route.method, route.path, c.body, c.contentType);
          const typed = result.status >= 400 && result.status < 500 && typeof result.code === 'string' && result.code.startsWith('ERR_');
          if (!typed) problems.push(`${route.key} <- ${c.name}: ${result.status} ${String(result.code)}`);
          if (result.elapsed > REQUEST_TIME_LIMIT_MS) problems.push(`${route.key} <- ${c.name}: took ${result.elapsed.toFixed(0)} ms`);
        }
      }
    });
    expect(problems).toEqual([]);
    expect(snapshot()).toBe(before);
    expect(growth).toBeLessThan(256);
    expectPrototypesClean();
  }, 60_000);
});
