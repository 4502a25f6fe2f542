/** Agency administration: licence types, signing keys and API tokens of the caller's authority. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { DEFAULT_ALGORITHM, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../core/algorithms.js';
import { formatTimestamp } from '../../core/dates.js';
import { ElicenceError } from '../../core/errors.js';
import { auditLog } from '../../db/schema.js';
import { readAuditHead } from '../../services/audit.js';
import { createActiveKey, publishedKeys, retireKey } from '../../services/keys.js';
import { trustRegisterWarnings } from '../../services/licence-types.js';
import { ACTIONS, grantToken, listTokens, requireLicenceType, revokeToken } from '../../services/tokens.js';
import type { AppEnv } from '../env.js';
import { requireScope } from '../middleware.js';
import { EXAMPLE, errorResponses, LicenceTypeSchema, licenceTypeExample } from '../schemas.js';

const security = [{ bearer: [] }];

const CatalogueCode = z.string().min(1).max(10).openapi({
  example: 'CZCJY',
  description: "The type's licence catalogue code, 1-10 of 0-9A-Z: the first segment of its licence identifiers (证照类型代码, GB/T 36904)",
});
const DeclaredField = (what: string) =>
  z
    .string()
    .min(1)
    .max(64)
    .openapi({ description: `The subject field holding ${what}` });

const RegisterTypeSchema = z
  .object({
    code: z.string().min(3).max(64).openapi({ example: 'TaxiOperatorLicence' }),
    name: z.object({ zh: z.string().min(1).max(100), en: z.string().min(1).max(100) }).strict(),
    schemaVersion: z.string().min(1).max(20),
    schema: z.record(z.string(), z.unknown()).openapi({ description: 'JSON Schema (2020-12) of the subject; must require creditCode and set additionalProperties: false' }),
    uniquePerHolder: z.boolean().optional().openapi({
      description:
        'At most one active or suspended, unexpired licence of this type per holder (credit code) from one authority; a second is 409 ERR_DUPLICATE_ACTIVE. Default false.',
    }),
    catalogueCode: CatalogueCode,
    numberField: DeclaredField('the licence number (证照编号): a string property, e.g. creditCode or licenceNumber'),
    holderNameField: DeclaredField("the holder's name (持证主体): a string property"),
  })
  .strict()
  .openapi('RegisterLicenceType', {
    example: (({ builtIn: _b, registeredBy: _r, ...type }) => type)(licenceTypeExample()),
  });

const DeclareTypeSchema = z
  .object({
    catalogueCode: CatalogueCode.optional(),
    numberField: DeclaredField('the licence number, for a type registered before types declared it (set once)').optional(),
    holderNameField: DeclaredField("the holder's name, for a type registered before types declared it (set once)").optional(),
  })
  .strict()
  .openapi('DeclareLicenceType', { example: { catalogueCode: 'CZCJY' } });

const KEY_EXAMPLE = { kid: EXAMPLE.kid, alg: 'EdDSA' as const, status: 'active' as const, publicJwk: EXAMPLE.publicJwk, validFrom: EXAMPLE.at, validUntil: null };

const KeySchema = z
  .object({
    kid: z.string(),
    alg: z.enum(SIGNING_ALGORITHMS),
    status: z.enum(['active', 'published']),
    publicJwk: z.record(z.string(), z.unknown()),
    validFrom: z.string(),
    validUntil: z.string().nullable(),
  })
  .openapi('SigningKey', { example: KEY_EXAMPLE });

const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    authorityId: z.string(),
    actions: z.array(z.enum(ACTIONS)),
    licenceTypes: z.array(z.string()).nullable(),
    createdAt: z.string().optional(),
    revokedAt: z.string().nullable().optional(),
    token: z.string().optional().openapi({ description: 'Shown once, on creation only' }),
  })
  .openapi('ApiToken', {
    example: {
      id: 'Phi7hmmcPv3-',
      name: 'import job',
      authorityId: 'dev-city',
      actions: ['issue', 'read'],
      licenceTypes: ['BusinessLicence'],
      token: 'elk_3BozaDX-HizEtz5nWZUHuKK7UdH8AJZsG5LoLUBPejY',
    },
  });

const TOKEN_LISTED_EXAMPLE = {
  id: 'Phi7hmmcPv3-',
  name: 'import job',
  authorityId: 'dev-city',
  actions: ['issue', 'read'],
  licenceTypes: ['BusinessLicence'],
  createdAt: EXAMPLE.at,
  revokedAt: null,
};

const iso = (ms: number | null) => (ms === null ? null : formatTimestamp(ms));

export function adminRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/licence-types',
      tags: ['Licence types'],
      summary: 'List licence types',
      security,
      responses: {
        200: {
          description: 'All types',
          content: { 'application/json': { schema: z.object({ items: z.array(LicenceTypeSchema) }).openapi({ example: { items: [licenceTypeExample()] } }) } },
        },
        ...errorResponses(401),
      },
    }),
    async (c) => c.json({ items: await c.var.services.registry.list() }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/licence-types/{code}',
      tags: ['Licence types'],
      summary: 'Get a licence type and its subject schema',
      security,
      request: { params: z.object({ code: z.string().max(64) }) },
      responses: { 200: { description: 'The type', content: { 'application/json': { schema: LicenceTypeSchema } } }, ...errorResponses(401, 404) },
    }),
    async (c) => {
      const type = await c.var.services.registry.find(c.req.valid('param').code);
      if (!type) throw new ElicenceError('ERR_NOT_FOUND', 'no such licence type', { field: 'code' });
      return c.json(type, 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('admin')] as const,
      method: 'post',
      path: '/v1/licence-types',
      tags: ['Licence types'],
      summary: 'Register a licence type (admin)',
      security,
      request: { body: { required: true, content: { 'application/json': { schema: RegisterTypeSchema } } } },
      responses: {
        201: {
          description: 'Registered; `warnings` names the step still needed when the trust register does not authorise the authority for the type',
          content: {
            'application/json': {
              schema: LicenceTypeSchema.extend({ warnings: z.array(z.object({ code: z.string(), message: z.string() })).optional() }).openapi({
                example: licenceTypeExample({
                  warnings: [
                    {
                      code: 'WARN_TYPE_NOT_IN_TRUST_REGISTER',
                      message: `the trust register does not authorise ${EXAMPLE.authorityDid} to issue TaxiOperatorLicence: PATCH /v1/trust/authorities/{id} with "licenceTypes" including "TaxiOperatorLicence" (a token with the anchor scope); the next trust list carries it`,
                    },
                  ],
                }),
              }),
            },
          },
        },
        ...errorResponses(400, 401, 403, 409),
      },
    }),
    async (c) => {
      const principal = c.var.principal;
      const body = c.req.valid('json');
      const stored = await c.var.services.registry.register(body as Parameters<typeof c.var.services.registry.register>[0], principal.authorityId, principal.tokenId);
      const warnings = await trustRegisterWarnings(c.var.services, principal.authorityId, stored.code);
      return c.json({ ...stored, ...(warnings.length > 0 ? { warnings } : {}) }, 201);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('admin')] as const,
      method: 'patch',
      path: '/v1/licence-types/{code}',
      tags: ['Licence types'],
      summary: "Set a type's catalogue code, or the fields a type registered before declares (admin)",
      description:
        "`catalogueCode`: the national code an operator sets (licences issued afterwards carry it; earlier identifiers, and their amendments, keep theirs). `numberField` / `holderNameField`: set once, on a type registered before types declared them. A registered type: its registering authority's admin; a built-in type: the deployment's operator (a token with the admin and anchor scopes).",
      security,
      request: { params: z.object({ code: z.string().max(64) }), body: { required: true, content: { 'application/json': { schema: DeclareTypeSchema } } } },
      responses: { 200: { description: 'The type', content: { 'application/json': { schema: LicenceTypeSchema } } }, ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const principal = c.var.principal;
      const body = c.req.valid('json');
      const code = c.req.valid('param').code;
      // A token limited to some licence types sets the declarations of those types only.
      requireLicenceType(principal, code, 'code');
      const stored = await c.var.services.registry.declare(
        code,
        {
          ...(body.catalogueCode === undefined ? {} : { catalogueCode: body.catalogueCode }),
          ...(body.numberField === undefined ? {} : { numberField: body.numberField }),
          ...(body.holderNameField === undefined ? {} : { holderNameField: body.holderNameField }),
        },
        { authorityId: principal.authorityId, operator: principal.actions.has('anchor'), actor: principal.tokenId },
      );
      return c.json(stored, 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('read')] as const,
      method: 'get',
      path: '/v1/keys',
      tags: ['Keys'],
      summary: "The authority's published signing keys",
      security,
      responses: {
        200: { description: 'Keys', content: { 'application/json': { schema: z.object({ items: z.array(KeySchema) }).openapi({ example: { items: [KEY_EXAMPLE] } }) } } },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const keys = await publishedKeys(c.var.services.store.db, { kind: 'authority', id: c.var.principal.authorityId });
      return c.json(
        { items: keys.map((k) => ({ kid: k.kid, alg: k.alg, status: k.status, publicJwk: { ...k.publicJwk }, validFrom: iso(k.validFrom)!, validUntil: iso(k.validUntil) })) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('admin')] as const,
      method: 'post',
      path: '/v1/keys/rotate',
      tags: ['Keys'],
      summary: 'Rotate: a new key signs from now on; the old one stays published for verification (admin)',
      security,
      request: {
        body: {
          required: false,
          content: {
            'application/json': {
              schema: z
                .object({ alg: z.enum(SIGNING_ALGORITHMS).default(DEFAULT_ALGORITHM) })
                .strict()
                .openapi({ example: { alg: 'EdDSA' } }),
            },
          },
        },
      },
      responses: { 201: { description: 'The new active key', content: { 'application/json': { schema: KeySchema } } }, ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const principal = c.var.principal;
      const alg = (c.req.valid('json') as { alg?: SigningAlgorithm } | undefined)?.alg ?? DEFAULT_ALGORITHM;
      const key = await createActiveKey(c.var.services, { kind: 'authority', id: principal.authorityId }, alg, principal.tokenId);
      return c.json({ kid: key.kid, alg: key.alg, status: key.status, publicJwk: { ...key.publicJwk }, validFrom: iso(key.validFrom)!, validUntil: null }, 201);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('admin')] as const,
      method: 'post',
      path: '/v1/keys/{kid}/retire',
      tags: ['Keys'],
      summary: 'Stop publishing a rotated-out key (admin)',
      description:
        'Every credential the key signed stops verifying. The active key is 409 (rotate first). A key signs every licence type, so a token limited to some types gets 403 ERR_FORBIDDEN.',
      security,
      request: { params: z.object({ kid: z.string().max(64) }) },
      responses: { 204: { description: 'Retired' }, ...errorResponses(401, 403, 404, 409) },
    }),
    async (c) => {
      const principal = c.var.principal;
      await retireKey(c.var.services, { kind: 'authority', id: principal.authorityId }, c.req.valid('param').kid, principal);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('admin')] as const,
      method: 'get',
      path: '/v1/audit/head',
      tags: ['Audit'],
      security,
      summary: 'The newest entry of the hash-chained audit log (admin)',
      description:
        'Record it outside this service (a ledger, the trust anchor, print): `npm run elicence -- audit verify --expect-head SEQ:HASH` then proves that no later edit removed or rewrote the history up to it, which the chain alone cannot show for its newest entries.',
      responses: {
        200: {
          description: 'The head',
          content: {
            'application/json': {
              schema: z
                .object({ seq: z.number(), hash: z.string(), at: z.string().nullable() })
                .openapi({ example: { seq: 9, hash: 'e730a093d68cbd9aa284fd67b1e45034cab27dffbd9806dffc3876d2dc19bde6', at: EXAMPLE.at } }),
            },
          },
        },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const db = c.var.services.store.db;
      const head = await readAuditHead(db);
      const [entry] = head.seq === 0 ? [] : await db.select({ at: auditLog.at }).from(auditLog).where(eq(auditLog.seq, head.seq));
      return c.json({ seq: head.seq, hash: head.hash, at: entry ? formatTimestamp(entry.at) : null }, 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('admin')] as const,
      method: 'get',
      path: '/v1/tokens',
      tags: ['Tokens'],
      summary: "The authority's API tokens (never their secrets) (admin)",
      security,
      responses: {
        200: {
          description: 'Tokens',
          content: { 'application/json': { schema: z.object({ items: z.array(TokenSchema) }).openapi({ example: { items: [TOKEN_LISTED_EXAMPLE] } }) } },
        },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      const tokens = await listTokens(c.var.services.store.db, c.var.principal.authorityId);
      return c.json({ items: tokens.map((t) => ({ ...t, createdAt: iso(t.createdAt)!, revokedAt: iso(t.revokedAt) })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('admin')] as const,
      method: 'post',
      path: '/v1/tokens',
      tags: ['Tokens'],
      summary: 'Create an API token for this authority; the token is shown once (admin)',
      security,
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({
                  name: z.string().min(1).max(100),
                  actions: z.array(z.enum(ACTIONS)).min(1),
                  licenceTypes: z.array(z.string().min(1).max(64)).min(1).nullable().optional(),
                })
                .strict()
                .openapi({ example: { name: 'import job', actions: ['issue', 'read'], licenceTypes: ['BusinessLicence'] } }),
            },
          },
        },
      },
      responses: { 201: { description: 'Created', content: { 'application/json': { schema: TokenSchema } } }, ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      // A token can only hand on what it has: no new actions, no licence types beyond its own.
      const created = await grantToken(c.var.services, c.var.principal, c.req.valid('json'));
      return c.json(created, 201);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('admin')] as const,
      method: 'delete',
      path: '/v1/tokens/{id}',
      tags: ['Tokens'],
      summary: 'Revoke an API token (admin)',
      security,
      request: { params: z.object({ id: z.string().max(64) }) },
      responses: { 204: { description: 'Revoked' }, ...errorResponses(401, 403, 404, 409) },
    }),
    async (c) => {
      const principal = c.var.principal;
      await revokeToken(c.var.services, principal.authorityId, c.req.valid('param').id, principal.tokenId, principal);
      return c.body(null, 204);
    },
  );

  return app;
}
