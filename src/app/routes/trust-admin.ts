/**
 * The trust anchor's admin API (docs/trust-anchor.md), under `/v1/trust/...`: the register of issuing
 * authorities (add, change, suspend, reinstate, withdraw, withdraw one key, re-read keys) and the
 * published trust lists. Every route needs the `anchor` scope and a deployment that is a trust anchor.
 * What verifiers fetch is in trust-public.ts.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { formatDateTime, parseDateTimeField as parseDateTime } from '../../core/dates.js';
import { ElicenceError } from '../../core/errors.js';
import { ensureDevTrustList } from '../../services/bootstrap.js';

import { requireAnchor } from '../../services/trust/anchor.js';
import { publishTrustList, trustListHistory } from '../../services/trust/publishing.js';
import { findRegistered, listRegistry, type RegisteredAuthority } from '../../services/trust/register.js';
import { type KeySource, refreshAuthorityKeys, registerAuthority, setAuthorityStatus, updateAuthority, withdrawKey } from '../../services/trust/register-edits.js';
import type { AppEnv } from '../env.js';
import { requireScope } from '../middleware.js';
import { DateTimeString, EXAMPLE, errorResponses, exampleJws } from '../schemas.js';

const security = [{ bearer: [] }];

const Bilingual = z.object({ zh: z.string().min(1).max(200), en: z.string().min(1).max(200) }).strict();
const Jwks = z.record(z.string(), z.unknown()).openapi({ description: 'A JWKS ({ "keys": [...] }) or a did:web document; public keys only' });

const CreditCode = z.string().length(18).optional().openapi({
  example: '11330200DC00000029',
  description:
    "The authority's unified social credit code (GB 32100): listed in trust lists, the authority segment of its licence identifiers (a hosted authority's own by default)",
});

const RegisteredKeySchema = z.object({
  kid: z.string(),
  jwk: z.record(z.string(), z.unknown()),
  validFrom: z.string(),
  validUntil: z.string().nullable(),
  status: z.enum(['active', 'withdrawn']),
});

const NINGBO = 'did:web:elicence.example:authorities:ningbo';
const NINGBO_JWK = { kty: 'OKP', crv: 'Ed25519', x: 'Zk1hN3R5cUJ2bWhXc0ZxQ3l4S2RqZ0VvUlpYbm1wTGE', kid: 'q0kfJd4yMQe1v7l4H7s5sPzWbXc2n9aR8tYuVwXyZ1A' };
/** A register entry as the routes answer it. */
const authorityExample = (changes: Record<string, unknown> = {}) => ({
  id: NINGBO,
  name: { zh: '宁波市市场监督管理局', en: 'Ningbo Administration for Market Regulation' },
  jurisdiction: '330200',
  creditCode: '11330200DC00000029',
  status: 'active',
  licenceTypes: ['BusinessLicence', 'FoodBusinessLicence'],
  keys: [{ kid: NINGBO_JWK.kid, jwk: NINGBO_JWK, validFrom: '2026-06-01T02:00:00Z', validUntil: null, status: 'active' }],
  source: 'https://elicence.nb.example/.well-known/jwks.json',
  updatedAt: '2026-06-01T02:00:00Z',
  ...changes,
});

const RegisteredAuthoritySchema = z
  .object({
    id: z.string().openapi({ example: 'did:web:elicence.example:authorities:ningbo' }),
    name: z.object({ zh: z.string(), en: z.string() }),
    jurisdiction: z.string().openapi({ example: '330200' }),
    creditCode: z.string().optional(),
    status: z.enum(['active', 'suspended', 'withdrawn']),
    licenceTypes: z.array(z.string()),
    keys: z.array(RegisteredKeySchema),
    source: z.string().nullable(),
    updatedAt: z.string(),
  })
  .openapi('TrustedAuthority', { example: authorityExample() });

const AddAuthoritySchema = z
  .object({
    id: z.string().min(1).max(512).openapi({ example: 'did:web:elicence.example:authorities:ningbo' }),
    name: Bilingual,
    jurisdiction: z.string().openapi({ example: '330200', description: 'GB/T 2260 code' }),
    creditCode: CreditCode,
    licenceTypes: z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(200)
      .openapi({ example: ['BusinessLicence', 'FoodBusinessLicence'] }),
    jwks: Jwks.optional(),
    jwksUrl: z.string().max(2048).optional().openapi({ description: 'Fetched now (https; http only for localhost)' }),
    validFrom: DateTimeString.optional().openapi({ description: "Start of the imported keys' validity window (default: now)" }),
  })
  .strict()
  .openapi('AddTrustedAuthority', {
    example: {
      id: NINGBO,
      name: { zh: '宁波市市场监督管理局', en: 'Ningbo Administration for Market Regulation' },
      jurisdiction: '330200',
      creditCode: '11330200DC00000029',
      licenceTypes: ['BusinessLicence', 'FoodBusinessLicence'],
      jwksUrl: 'https://elicence.nb.example/.well-known/jwks.json',
    },
  });

const ReasonSchema = z
  .object({ reason: z.string().min(1).max(500).optional() })
  .strict()
  .openapi({ example: { reason: '浙江省市场监督管理局 2026-06-30 通知' } });

const TRUST_LIST_INFO_EXAMPLE = { sequence: 2, issuedAt: '2026-06-01T02:00:00Z', expiresAt: '2026-06-08T02:00:00Z' };
const TrustListInfoSchema = z
  .object({ sequence: z.number().int(), issuedAt: z.string(), expiresAt: z.string(), jws: z.string().optional() })
  .openapi('TrustListInfo', { example: { ...TRUST_LIST_INFO_EXAMPLE, jws: exampleJws('trust-list+jwt') } });

const idParam = z.object({ id: z.string().min(1).max(512).openapi({ description: "The authority's did:web (URL-encoded)" }) });

const iso = (ms: number) => formatDateTime(ms);

function view(a: RegisteredAuthority) {
  return {
    id: a.id,
    name: a.name,
    jurisdiction: a.jurisdiction,
    ...(a.creditCode === undefined ? {} : { creditCode: a.creditCode }),
    status: a.status,
    licenceTypes: a.licenceTypes,
    keys: a.keys.map((k) => ({
      kid: k.jwk.kid,
      jwk: { ...k.jwk } as Record<string, unknown>,
      validFrom: iso(k.validFrom),
      validUntil: k.validUntil === undefined ? null : iso(k.validUntil),
      status: k.status,
    })),
    source: a.source,
    updatedAt: iso(a.updatedAt),
  };
}

/**
 * Register guard for routes behind requireScope('anchor'): refuses a deployment that is not a trust
 * anchor, and returns the acting token.
 */
export async function anchorAdmin(c: Context<AppEnv>) {
  const anchor = await requireAnchor(c.var.services);
  // A development setup whose bootstrap did not list its authority yet gets it now.
  await ensureDevTrustList(c.var.services, anchor);
  return c.var.principal.tokenId;
}

function keySource(body: { jwks?: Record<string, unknown> | undefined; jwksUrl?: string | undefined }): KeySource | undefined {
  if (body.jwks !== undefined && body.jwksUrl !== undefined) throw new ElicenceError('ERR_VALIDATION', 'give either jwks or jwksUrl, not both', { field: 'jwksUrl' });
  if (body.jwks !== undefined) return { jwks: body.jwks };
  if (body.jwksUrl !== undefined) return { jwksUrl: body.jwksUrl };
  return undefined;
}

export function trustAdminRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/trust/authorities',
      middleware: [requireScope('anchor')] as const,
      tags: ['Trust admin'],
      summary: 'The trust register: every issuing authority this anchor vouches for (admin, anchor only)',
      security,
      responses: {
        200: {
          description: 'The register',
          content: {
            'application/json': {
              schema: z.object({ items: z.array(RegisteredAuthoritySchema) }).openapi({
                example: {
                  items: [
                    authorityExample({
                      id: EXAMPLE.authorityDid,
                      name: { zh: '开发市市场监督管理局', en: 'Dev City Administration for Market Regulation' },
                      jurisdiction: '330100',
                      creditCode: '11330100DC00000011',
                      keys: [{ kid: EXAMPLE.kid, jwk: { ...EXAMPLE.publicJwk, kid: EXAMPLE.kid }, validFrom: '2026-06-01T02:00:00Z', validUntil: null, status: 'active' }],
                      source: 'hosted:dev-city',
                    }),
                    authorityExample(),
                  ],
                },
              }),
            },
          },
        },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      await anchorAdmin(c as unknown as Context<AppEnv>);
      return c.json({ items: (await listRegistry(c.var.services.store.db)).map(view) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/trust/authorities',
      middleware: [requireScope('anchor')] as const,
      tags: ['Trust admin'],
      summary: 'Add an issuing authority from its JWKS (inline or URL); one hosted here needs neither (admin, anchor only)',
      security,
      request: { body: { required: true, content: { 'application/json': { schema: AddAuthoritySchema } } } },
      responses: {
        201: { description: 'Registered (effective in the next published list)', content: { 'application/json': { schema: RegisteredAuthoritySchema } } },
        ...errorResponses(400, 401, 403, 409),
      },
    }),
    async (c) => {
      const actor = await anchorAdmin(c as unknown as Context<AppEnv>);
      const body = c.req.valid('json');
      const keys = keySource(body);
      const entry = await registerAuthority(
        c.var.services,
        {
          id: body.id,
          name: body.name,
          jurisdiction: body.jurisdiction,
          licenceTypes: body.licenceTypes,
          ...(body.creditCode === undefined ? {} : { creditCode: body.creditCode }),
          ...(keys ? { keys } : {}),
          ...(body.validFrom === undefined ? {} : { validFrom: parseDateTime(body.validFrom, 'validFrom') }),
        },
        actor,
      );
      return c.json(view(entry), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/trust/authorities/{id}',
      middleware: [requireScope('anchor')] as const,
      tags: ['Trust admin'],
      summary: 'One register entry (admin, anchor only)',
      security,
      request: { params: idParam },
      responses: { 200: { description: 'The entry', content: { 'application/json': { schema: RegisteredAuthoritySchema } } }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      await anchorAdmin(c as unknown as Context<AppEnv>);
      const entry = await findRegistered(c.var.services.store.db, c.req.valid('param').id);
      if (!entry) throw new ElicenceError('ERR_NOT_FOUND', 'not in the trust register', { field: 'id' });
      return c.json(view(entry), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/v1/trust/authorities/{id}',
      middleware: [requireScope('anchor')] as const,
      tags: ['Trust admin'],
      summary: 'Change names, allowed licence types or the credit code (admin, anchor only)',
      security,
      request: {
        params: idParam,
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({ name: Bilingual.optional(), licenceTypes: z.array(z.string().min(1).max(64)).min(1).max(200).optional(), creditCode: CreditCode })
                .strict()
                .openapi({ example: { licenceTypes: ['BusinessLicence', 'FoodBusinessLicence', 'TaxiOperatorLicence'] } }),
            },
          },
        },
      },
      responses: {
        200: {
          description: 'Updated',
          content: {
            'application/json': {
              schema: RegisteredAuthoritySchema,
              example: authorityExample({ licenceTypes: ['BusinessLicence', 'FoodBusinessLicence', 'TaxiOperatorLicence'] }),
            },
          },
        },
        ...errorResponses(400, 401, 403, 404, 409),
      },
    }),
    async (c) => {
      const actor = await anchorAdmin(c as unknown as Context<AppEnv>);
      const body = c.req.valid('json');
      const entry = await updateAuthority(
        c.var.services,
        c.req.valid('param').id,
        {
          ...(body.name ? { name: body.name } : {}),
          ...(body.licenceTypes ? { licenceTypes: body.licenceTypes } : {}),
          ...(body.creditCode ? { creditCode: body.creditCode } : {}),
        },
        actor,
      );
      return c.json(view(entry), 200);
    },
  );

  for (const [action, status] of [
    ['suspend', 'suspended'],
    ['reinstate', 'active'],
    ['withdraw', 'withdrawn'],
  ] as const) {
    app.openapi(
      createRoute({
        method: 'post',
        path: `/v1/trust/authorities/{id}/${action}`,
        middleware: [requireScope('anchor')] as const,
        tags: ['Trust admin'],
        summary: `${action[0]!.toUpperCase()}${action.slice(1)} an authority, effective in the next published list${action === 'withdraw' ? ' (final)' : ''} (admin, anchor only)`,
        security,
        request: { params: idParam, body: { required: false, content: { 'application/json': { schema: ReasonSchema } } } },
        responses: {
          200: { description: 'The entry', content: { 'application/json': { schema: RegisteredAuthoritySchema, example: authorityExample({ status }) } } },
          ...errorResponses(400, 401, 403, 404, 409),
        },
      }),
      async (c) => {
        const actor = await anchorAdmin(c as unknown as Context<AppEnv>);
        const reason = (c.req.valid('json') as { reason?: string } | undefined)?.reason;
        return c.json(view(await setAuthorityStatus(c.var.services, c.req.valid('param').id, status, actor, reason)), 200);
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/trust/authorities/{id}/keys/{kid}/withdraw',
      middleware: [requireScope('anchor')] as const,
      tags: ['Trust admin'],
      summary: 'Withdraw one key (compromise): it leaves the next list, and what it signed stops verifying (admin, anchor only)',
      security,
      request: { params: idParam.extend({ kid: z.string().min(1).max(64) }), body: { required: false, content: { 'application/json': { schema: ReasonSchema } } } },
      responses: {
        200: {
          description: 'The entry',
          content: {
            'application/json': {
              schema: RegisteredAuthoritySchema,
              example: authorityExample({
                keys: [{ kid: NINGBO_JWK.kid, jwk: NINGBO_JWK, validFrom: '2026-06-01T02:00:00Z', validUntil: '2026-06-30T08:00:00Z', status: 'withdrawn' }],
              }),
            },
          },
        },
        ...errorResponses(400, 401, 403, 404, 409),
      },
    }),
    async (c) => {
      const actor = await anchorAdmin(c as unknown as Context<AppEnv>);
      const { id, kid } = c.req.valid('param');
      const reason = (c.req.valid('json') as { reason?: string } | undefined)?.reason;
      return c.json(view(await withdrawKey(c.var.services, id, kid, actor, reason)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/trust/authorities/{id}/keys/refresh',
      middleware: [requireScope('anchor')] as const,
      tags: ['Trust admin'],
      summary: "Re-read a remote authority's JWKS after it rotated: new keys added, missing ones closed now (admin, anchor only)",
      security,
      request: {
        params: idParam,
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z
                .object({ jwks: Jwks.optional(), jwksUrl: z.string().max(2048).optional(), validFrom: DateTimeString.optional() })
                .strict()
                .openapi({ example: { jwksUrl: 'https://elicence.nb.example/.well-known/jwks.json' } }),
            },
          },
        },
      },
      responses: { 200: { description: 'The entry', content: { 'application/json': { schema: RegisteredAuthoritySchema } } }, ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const actor = await anchorAdmin(c as unknown as Context<AppEnv>);
      const body = c.req.valid('json');
      const { id } = c.req.valid('param');
      const existing = await findRegistered(c.var.services.store.db, id);
      if (!existing) throw new ElicenceError('ERR_NOT_FOUND', 'not in the trust register', { field: 'id' });
      const keys = keySource(body) ?? (existing.source?.startsWith('http') ? { jwksUrl: existing.source } : undefined);
      if (!keys) throw new ElicenceError('ERR_VALIDATION', 'give jwks or jwksUrl (the entry has no URL to re-read)', { field: 'jwksUrl' });
      const entry = await refreshAuthorityKeys(c.var.services, id, keys, actor, body.validFrom === undefined ? {} : { validFrom: parseDateTime(body.validFrom, 'validFrom') });
      return c.json(view(entry), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/trust/lists',
      middleware: [requireScope('anchor')] as const,
      tags: ['Trust admin'],
      summary: 'Trust lists published so far, newest first (admin, anchor only)',
      security,
      responses: {
        200: {
          description: 'History',
          content: {
            'application/json': {
              schema: z.object({ items: z.array(TrustListInfoSchema) }).openapi({
                example: { items: [TRUST_LIST_INFO_EXAMPLE, { sequence: 1, issuedAt: '2026-05-25T02:00:00Z', expiresAt: '2026-06-01T02:00:00Z' }] },
              }),
            },
          },
        },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      await anchorAdmin(c as unknown as Context<AppEnv>);
      const lists = await trustListHistory(c.var.services.store.db);
      return c.json({ items: lists.map((l) => ({ sequence: l.seq, issuedAt: iso(l.issuedAt), expiresAt: iso(l.expiresAt) })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/trust/lists',
      middleware: [requireScope('anchor')] as const,
      tags: ['Trust admin'],
      summary: 'Publish a new trust list now: the register as it stands, sequence one above the last (admin, anchor only)',
      security,
      request: {
        body: {
          required: false,
          content: {
            'application/json': {
              schema: z
                .object({
                  ttlSeconds: z
                    .number()
                    .int()
                    .min(60)
                    .max(366 * 86400)
                    .optional(),
                })
                .strict()
                .openapi({ example: { ttlSeconds: 604800 } }),
            },
          },
        },
      },
      responses: { 201: { description: 'Published', content: { 'application/json': { schema: TrustListInfoSchema } } }, ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const actor = await anchorAdmin(c as unknown as Context<AppEnv>);
      const ttlSeconds = (c.req.valid('json') as { ttlSeconds?: number } | undefined)?.ttlSeconds;
      const list = await publishTrustList(c.var.services, actor, { reason: 'manual', ...(ttlSeconds === undefined ? {} : { ttlMs: ttlSeconds * 1000 }) });
      return c.json({ sequence: list.seq, issuedAt: iso(list.issuedAt), expiresAt: iso(list.expiresAt), jws: list.jws }, 201);
    },
  );

  return app;
}
