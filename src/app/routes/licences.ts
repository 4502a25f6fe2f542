/** Agency API: issue (single and batch, idempotent), read, list and search licences, and their GB/T 36903 base metadata. */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { parseDateTimeField } from '../../core/dates.js';
import { requireAuthority } from '../../services/authorities.js';
import { issueLicences, requestHash } from '../../services/issuance.js';
import { licenceMetadata } from '../../services/licence-metadata.js';
import { listLicences, requireLicence } from '../../services/licences.js';
import { requireLicenceType } from '../../services/tokens.js';
import type { AppEnv } from '../env.js';
import { BatchIssueRequestSchema, issueBatch } from '../licence-batch.js';
import { licenceResponse, licenceResponses } from '../licence-response.js';
import { requireScope } from '../middleware.js';
import { errorResponses, IdempotencyKeyHeader, IssueRequestSchema, LicenceSchema, licenceExample } from '../schemas.js';

const security = [{ bearer: [] }];

const issueRoute = createRoute({
  middleware: [requireScope('issue')] as const,
  method: 'post',
  path: '/v1/licences',
  tags: ['Licences'],
  summary: 'Issue a licence',
  security,
  request: {
    headers: IdempotencyKeyHeader,
    body: { required: true, content: { 'application/json': { schema: IssueRequestSchema } } },
  },
  responses: {
    201: { description: 'Issued (or replayed for the same Idempotency-Key and body)', content: { 'application/json': { schema: LicenceSchema } } },
    ...errorResponses(400, 401, 403, 409, 413, 415),
  },
});

const batchRoute = createRoute({
  middleware: [requireScope('issue')] as const,
  method: 'post',
  path: '/v1/licences/batch',
  tags: ['Licences'],
  summary: 'Issue many licences, all or nothing',
  description: 'Every item is validated first; if any is invalid nothing is issued and error.details lists each bad item.',
  security,
  request: {
    headers: IdempotencyKeyHeader,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: BatchIssueRequestSchema,
        },
      },
    },
  },
  responses: {
    201: {
      description: 'All issued; `alreadyIssued` counts the items answered with a licence issued earlier under their idempotency keys',
      content: {
        'application/json': {
          schema: z.object({ items: z.array(LicenceSchema), alreadyIssued: z.number().int().optional() }).openapi({ example: { items: [licenceExample()], alreadyIssued: 0 } }),
        },
      },
    },
    ...errorResponses(400, 401, 403, 409, 413, 415),
  },
});

const getRoute = createRoute({
  middleware: [requireScope('read')] as const,
  method: 'get',
  path: '/v1/licences/{id}',
  tags: ['Licences'],
  summary: 'Get a licence',
  security,
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: {
    200: { description: 'The licence', content: { 'application/json': { schema: LicenceSchema } } },
    ...errorResponses(401, 403, 404),
  },
});

const listRoute = createRoute({
  middleware: [requireScope('read')] as const,
  method: 'get',
  path: '/v1/licences',
  tags: ['Licences'],
  summary: 'List and search licences (newest first)',
  security,
  request: {
    query: z
      .object({
        type: z.string().max(64).optional(),
        holder: z.string().max(18).optional().openapi({ description: 'Unified social credit code of the holder' }),
        name: z.string().max(100).optional().openapi({ description: "Any part of the holder's name, at least two characters" }),
        identifier: z.string().max(64).optional().openapi({
          description: 'A licence identifier (证照标识, GB/T 36904): the licence carrying it. Its check character is verified: a mistyped one is 400 ERR_LICENCE_IDENTIFIER',
          example: 'YYZZ11330100DC00000011000000000101U',
        }),
        status: z.enum(['active', 'suspended', 'revoked', 'expired']).optional(),
        issuedFrom: DateTimeQuery('issuedFrom'),
        issuedTo: DateTimeQuery('issuedTo'),
        cursor: z.string().max(200).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      })
      .strict(),
  },
  responses: {
    200: {
      description: 'One page',
      content: {
        'application/json': {
          schema: z
            .object({ items: z.array(LicenceSchema), nextCursor: z.string().optional() })
            .openapi({ example: { items: [licenceExample({ qrText: undefined })], nextCursor: 'MTc4MDI3OTIwMDAwMHwwMWEyMzYzYy0yYTE3' } }),
        },
      },
    },
    ...errorResponses(400, 401, 403),
  },
});

const MetadataSchema = z
  .object({
    name: z.string().openapi({ description: '证照名称: the type’s Chinese name', example: '营业执照' }),
    typeCode: z.string().nullable().openapi({ description: '证照类型代码: the catalogue code the identifier carries', example: 'YYZZ' }),
    number: z.string().nullable().openapi({ description: '证照编号: the type’s number field (the credit code of a business licence, 许可证编号 of a food business licence)' }),
    identifier: z.string().nullable().openapi({ description: '证照标识 (GB/T 36904)' }),
    issuerName: z.string().openapi({ description: '颁发机构: issuer.name' }),
    issuerCode: z.string().nullable().openapi({ description: '颁发机构代码: the authority’s unified social credit code' }),
    issueDate: z.string().openapi({ description: '颁发日期: the China date of iat', example: '2026-06-01' }),
    holderName: z.string().nullable().openapi({ description: '持证主体: the type’s holder-name field' }),
    holderCodeType: z.string().nullable().openapi({ description: '持证主体代码类型: 001 unified social credit code (111 resident ID card)', example: '001' }),
    holderCode: z.string().openapi({ description: '持证主体代码: from credentialSubject.id' }),
    validFrom: z.string().openapi({ description: '有效期起始: a China date' }),
    validTo: z.string().openapi({ description: '有效期截止: a China date (the last valid day), or 长期 without expiry', example: '长期' }),
  })
  .openapi('LicenceMetadata', {
    example: {
      name: '营业执照',
      typeCode: 'YYZZ',
      number: '91330106MA2CFX7K5Y',
      identifier: 'YYZZ11330100DC00000011000000000101U',
      issuerName: '开发市市场监督管理局',
      issuerCode: '11330100DC00000011',
      issueDate: '2026-06-01',
      holderName: '杭州示例科技有限公司',
      holderCodeType: '001',
      holderCode: '91330106MA2CFX7K5Y',
      validFrom: '2026-06-01',
      validTo: '2031-11-29',
    },
  });

const metadataRoute = createRoute({
  middleware: [requireScope('read')] as const,
  method: 'get',
  path: '/v1/licences/{id}/metadata',
  tags: ['Licences'],
  summary: 'The licence’s base metadata (GB/T 36903), read from its credential',
  security,
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: {
    200: { description: 'The metadata', content: { 'application/json': { schema: MetadataSchema } } },
    ...errorResponses(401, 403, 404),
  },
});

function DateTimeQuery(name: string) {
  return z
    .string()
    .max(40)
    .optional()
    .openapi({ format: 'date-time', description: `RFC 3339 date-time (${name})` });
}

export function licenceRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(issueRoute, async (c) => {
    const principal = c.var.principal;
    const body = c.req.valid('json');
    const key = c.req.valid('header')['idempotency-key'];
    const services = c.var.services;
    const result = await issueLicences(services, services.registry, principal, [body], {
      ...(key ? { idempotency: { key, requestHash: requestHash('/v1/licences', body) } } : {}),
    });
    if (result.replayed) c.header('Idempotency-Replayed', 'true');
    return c.json(await licenceResponse(services, result.licences[0]!), 201);
  });

  app.openapi(batchRoute, async (c) => {
    const answer = await issueBatch(c.var.services, c.var.principal, c.req.valid('json'), c.req.valid('header')['idempotency-key']);
    if (answer.replayed) c.header('Idempotency-Replayed', 'true');
    return c.json({ items: answer.items, alreadyIssued: answer.alreadyIssued }, 201);
  });

  app.openapi(getRoute, async (c) => {
    const principal = c.var.principal;
    const services = c.var.services;
    const row = await requireLicence(services.store.db, principal.authorityId, c.req.valid('param').id);
    requireLicenceType(principal, row.type);
    return c.json(await licenceResponse(services, row), 200);
  });

  app.openapi(metadataRoute, async (c) => {
    const principal = c.var.principal;
    const services = c.var.services;
    const row = await requireLicence(services.store.db, principal.authorityId, c.req.valid('param').id);
    requireLicenceType(principal, row.type);
    const [type, authority] = await Promise.all([services.registry.find(row.type), requireAuthority(services.store.db, row.authorityId)]);
    return c.json(licenceMetadata(row, type, authority), 200);
  });

  app.openapi(listRoute, async (c) => {
    const principal = c.var.principal;
    const query = c.req.valid('query');
    const services = c.var.services;
    const page = await listLicences(
      services.store.db,
      principal.authorityId,
      {
        type: query.type,
        holder: query.holder,
        name: query.name,
        identifier: query.identifier,
        status: query.status,
        issuedFrom: query.issuedFrom === undefined ? undefined : parseDateTimeField(query.issuedFrom, 'issuedFrom'),
        issuedTo: query.issuedTo === undefined ? undefined : parseDateTimeField(query.issuedTo, 'issuedTo'),
        cursor: query.cursor,
        limit: query.limit,
        allowedTypes: principal.licenceTypes,
      },
      services.clock.now(),
    );
    const items = await licenceResponses(services, page.items, { qrText: false });
    return c.json({ items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) }, 200);
  });

  return app;
}
