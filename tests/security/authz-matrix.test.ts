/**
 * Authorisation matrix, generated from GET /openapi.json: every documented route x {no token, unknown
 * token, revoked token, token without any scope, token of another authority, token limited to another
 * licence type}. A route that appears in the document is covered without anyone listing it; only the
 * public routes are listed by hand (and the list must match the document exactly).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthority } from '../../src/services/authorities.js';
import { createToken, revokeToken } from '../../src/services/tokens.js';
import { businessSubject, createTestContext, type TestContext } from '../helpers/app.js';
import { freshCreditCode } from '../shared/subjects.js';
import { type OpenApiDocument, type OpenApiOperation, sampleBody } from './openapi-sample.js';

/** Routes anyone may call without a token. Adding a public route means adding it here, on purpose. */
const PUBLIC_ROUTES = new Set([
  'GET /.well-known/jwks.json',
  'GET /.well-known/did.json',
  'GET /authorities/{id}/did.json',
  'POST /credentials/verify',
  'POST /presentations/verify',
  'GET /status/{authority}/{purpose}/{seq}',
  'GET /status/{authority}/{purpose}/{seq}/reasons',
  'GET /trust-list',
  'GET /.well-known/trust-anchor.json',
  'GET /verifier-bundle',
  'POST /verifier-bundle/lists',
]);

/** Routes any valid token may call, whatever its scopes (public data behind the agency API). */
const ANY_TOKEN_ROUTES = new Set(['GET /v1/licence-types', 'GET /v1/licence-types/{code}', 'GET /v1/verifier-bundle']);

/** Routes about one resource of the caller's authority: another authority gets 404, never 403 or the data. */
const OWNED_RESOURCE = /^\/v1\/(licences\/\{id\}|tokens\/\{id\}|keys\/\{kid\})/;
/** Routes about one licence: a token limited to other licence types gets 403. */
const LICENCE_RESOURCE = /^\/v1\/licences\/\{id\}/;
/** Routes that issue a licence of the type named in the body. */
const ISSUING = new Set(['POST /v1/licences', 'POST /v1/licences/batch', 'POST /credentials/issue']);
/** The provincial trust register: deployment-level, tested on its own below. */
const TRUST_ADMIN = /^\/v1\/trust\//;

let ctx: TestContext;
let doc: OpenApiDocument;
const tokens: Record<'revoked' | 'noScope' | 'otherAuthority' | 'foodOnly', string> = { revoked: '', noScope: '', otherAuthority: '', foodOnly: '' };
const params: Record<string, string> = {};

beforeAll(async () => {
  ctx = await createTestContext();
  const { deps } = ctx;
  const issued = await ctx.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject() } });
  expect(issued.status).toBe(201);
  const licence = (await issued.json()) as { id: string; authorityId: string };
  const keys = (await (await ctx.call('GET', '/v1/keys')).json()) as { items: { kid: string }[] };
  const revoked = await createToken(deps, { authorityId: licence.authorityId, name: 'revoked', actions: ['issue', 'status', 'read', 'admin'] }, 'test');
  await revokeToken(deps, licence.authorityId, revoked.id, 'test');
  tokens.revoked = revoked.token;
  const noScope = await createToken(deps, { authorityId: licence.authorityId, name: 'no scope', actions: [] }, 'test');
  tokens.noScope = noScope.token;
  tokens.foodOnly = (
    await createToken(deps, { authorityId: licence.authorityId, name: 'food only', actions: ['issue', 'status', 'read', 'admin'], licenceTypes: ['FoodBusinessLicence'] }, 'test')
  ).token;
  const other = await createAuthority(
    deps,
    { id: 'other-city', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() },
    'test',
  );
  tokens.otherAuthority = (await createToken(deps, { authorityId: other.id, name: 'other city', actions: ['issue', 'status', 'read', 'admin'] }, 'test')).token;
  const authority = (await (await ctx.call('GET', '/v1/trust/authorities')).json()) as { items: { id: string }[] };
  Object.assign(params, {
    licence: licence.id,
    token: noScope.id,
    kid: keys.items[0]!.kid,
    code: 'BusinessLicence',
    trustAuthority: authority.items[0]?.id ?? 'did:web:elicence.test',
    authoritySlug: licence.authorityId,
  });
  doc = (await (await ctx.call('GET', '/openapi.json', { token: null })).json()) as OpenApiDocument;
});

afterAll(() => ctx.close());

/** The holder API (/holder/v1/...) speaks holder sessions, not agency tokens: its own matrix is in tests/holder-access.test.ts. */
const HOLDER_API = /^\/holder\//;

function routes(): { key: string; method: string; path: string; operation: OpenApiOperation }[] {
  return Object.entries(doc.paths)
    .filter(([path]) => !HOLDER_API.test(path))
    .flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, operation })));
}

function concretePath(path: string): string {
  return path
    .replace(/^\/v1\/tokens\/\{id\}/, `/v1/tokens/${params.token}`)
    .replace(/^\/v1\/trust\/authorities\/\{id\}/, `/v1/trust/authorities/${encodeURIComponent(params.trustAuthority!)}`)
    .replace(/^\/authorities\/\{id\}/, `/authorities/${params.authoritySlug}`)
    .replace('{id}', params.licence!)
    .replace('{kid}', params.kid!)
    .replace('{code}', params.code!)
    .replace('{authority}', params.authoritySlug!)
    .replace('{purpose}', 'revocation')
    .replace('{seq}', '1');
}

function bodyFor(key: string, operation: OpenApiOperation): unknown {
  if (key === 'POST /v1/licences') return { type: 'BusinessLicence', subject: businessSubject() };
  if (key === 'POST /v1/licences/batch') return { items: [{ type: 'BusinessLicence', subject: businessSubject() }] };
  if (key === 'POST /credentials/issue') {
    const { creditCode, ...fields } = businessSubject();
    const credentialSubject = { id: `urn:uscc:${String(creditCode)}`, ...fields };
    return { credential: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiableCredential', 'BusinessLicence'], credentialSubject } };
  }
  if (key.endsWith('/amend')) return { subject: businessSubject() };
  return sampleBody(operation, doc);
}

async function call(key: string, method: string, path: string, operation: OpenApiOperation, token: string | null): Promise<Response> {
  // Each route starts a fresh rate-limit window: this test is about who may do what, not about throttling.
  ctx.clock.advance(120_000);
  const body = bodyFor(key, operation);
  return ctx.call(method, concretePath(path), { token, ...(body === undefined ? {} : { body }) });
}

describe('authorisation matrix from /openapi.json', () => {
  it('lists exactly the expected public routes, and every other route demands a bearer token in the document', () => {
    const open = routes()
      .filter((r) => !r.operation.security?.length)
      .map((r) => r.key);
    expect(new Set(open)).toEqual(PUBLIC_ROUTES);
    expect(routes().length).toBeGreaterThan(30);
  });

  it('public routes answer without a token', async () => {
    for (const route of routes().filter((r) => PUBLIC_ROUTES.has(r.key))) {
      const response = await call(route.key, route.method, route.path, route.operation, null);
      // A sample body may be refused as invalid (400), never for want of a token.
      expect([route.key, response.status === 400 || response.status < 300]).toEqual([route.key, true]);
    }
  });

  it('no token, an unknown token and a revoked token: 401 on every protected route', async () => {
    const failures: string[] = [];
    for (const route of routes().filter((r) => !PUBLIC_ROUTES.has(r.key))) {
      for (const [name, token] of [
        ['none', null],
        ['unknown', `elk_${'unknown'.repeat(6)}`],
        ['revoked', tokens.revoked],
      ] as const) {
        const response = await call(route.key, route.method, route.path, route.operation, token);
        const body = (await response.json()) as { error?: { code?: string } };
        if (response.status !== 401 || body.error?.code !== 'ERR_UNAUTHENTICATED') failures.push(`${route.key} with ${name} token: ${response.status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('a token without the scope: 403 on every protected route (except the any-token ones)', async () => {
    const failures: string[] = [];
    for (const route of routes().filter((r) => !PUBLIC_ROUTES.has(r.key))) {
      const response = await call(route.key, route.method, route.path, route.operation, tokens.noScope);
      const expected = ANY_TOKEN_ROUTES.has(route.key) ? 200 : 403;
      if (response.status !== expected) failures.push(`${route.key}: ${response.status}, expected ${expected}`);
    }
    expect(failures).toEqual([]);
  });

  it("another authority's token: 404 on every route about one of this authority's resources", async () => {
    const owned = routes().filter((r) => OWNED_RESOURCE.test(r.path));
    expect(owned.length).toBeGreaterThanOrEqual(10);
    const failures: string[] = [];
    for (const route of owned) {
      const response = await call(route.key, route.method, route.path, route.operation, tokens.otherAuthority);
      if (response.status !== 404) failures.push(`${route.key}: ${response.status}`);
    }
    expect(failures).toEqual([]);
    const list = (await (await ctx.call('GET', '/v1/licences', { token: tokens.otherAuthority })).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);
  });

  it('a token limited to another licence type: 403 on every route about or issuing a BusinessLicence', async () => {
    const typed = routes().filter((r) => LICENCE_RESOURCE.test(r.path) || ISSUING.has(r.key));
    expect(typed.length).toBeGreaterThanOrEqual(10);
    const failures: string[] = [];
    for (const route of typed) {
      const response = await call(route.key, route.method, route.path, route.operation, tokens.foodOnly);
      if (response.status === 403) continue;
      // A batch is all or nothing and reports each item: every item must be refused as forbidden.
      const body = (await response.json()) as { error?: { code?: string; details?: { code?: string }[] } };
      const batchRefused = response.status === 400 && body.error?.code === 'ERR_BATCH_FAILED' && body.error.details?.every((d) => d.code === 'ERR_FORBIDDEN');
      if (!batchRefused) failures.push(`${route.key}: ${response.status}`);
    }
    expect(failures).toEqual([]);
  });

  it('a token without the scope is refused before its body is looked at (403, not 400, for an empty body)', async () => {
    const failures: string[] = [];
    for (const route of routes().filter((r) => !PUBLIC_ROUTES.has(r.key) && !ANY_TOKEN_ROUTES.has(r.key) && r.operation.requestBody)) {
      ctx.clock.advance(120_000);
      const response = await ctx.call(route.method, concretePath(route.path), { token: tokens.noScope, body: {} });
      if (response.status !== 403) failures.push(`${route.key}: ${response.status}`);
    }
    expect(failures).toEqual([]);
  });

  it("a hosted city's admin token cannot administer the trust register of the anchor (another authority)", async () => {
    const trustRoutes = routes().filter((r) => TRUST_ADMIN.test(r.path) && r.method !== 'GET');
    expect(trustRoutes.length).toBeGreaterThan(3);
    const response = await ctx.call('POST', `/v1/trust/authorities/${encodeURIComponent(params.trustAuthority!)}/suspend`, {
      token: tokens.otherAuthority,
      body: bodyFor('x', trustRoutes.find((r) => r.path.endsWith('/suspend'))!.operation),
    });
    expect(response.status).toBe(403);
    // Nor can it mint itself a token with the anchor scope.
    const minted = await ctx.call('POST', '/v1/tokens', { token: tokens.otherAuthority, body: { name: 'escalate', actions: ['anchor'] } });
    expect(minted.status).toBe(403);
  });
});
