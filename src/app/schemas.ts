/** Request and response schemas: the handlers validate with them and /openapi.json is generated from them. */
import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'ERR_VALIDATION' }),
      message: z.string(),
      field: z.string().optional(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, { description: ERROR_DESCRIPTIONS[status] ?? 'Error', content: { 'application/json': { schema: ErrorSchema } } }]));

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (see error.code and error.field)',
  401: 'Missing or unknown bearer token',
  403: 'The token lacks the scope, licence type or authority',
  404: 'Not found (or belongs to another authority)',
  409: 'Conflict with the current state',
  413: 'Body too large',
  415: 'Body must be application/json',
};

export const DateTimeString = z.string().openapi({ format: 'date-time', example: '2026-01-01T00:00:00Z' });
/** A validity bound: an RFC 3339 date-time, or a date alone read as a China date (validFrom: 00:00 CST that day; validUntil: the last valid day). */
export const ValidityString = z.string().openapi({
  description:
    'RFC 3339 date-time, or a date alone (YYYY-MM-DD) read as a China date: validFrom = 00:00 China Standard Time (UTC+8) of that day; validUntil = the last valid day, i.e. 00:00 CST of the day after (2031-11-29 -> 2031-11-29T16:00:00Z)',
  example: '2031-11-29',
});

export const IssueRequestSchema = z
  .object({
    type: z.string().min(1).max(64).openapi({ example: 'BusinessLicence' }),
    subject: z.record(z.string(), z.unknown()).openapi({
      description: "The licence fields, validated against the type's JSON Schema (GET /v1/licence-types/{code}).",
      example: {
        creditCode: '91330106MA2CFX7K5Y',
        name: '杭州示例科技有限公司',
        entityType: '有限责任公司（自然人投资或控股）',
        legalRepresentative: '张三',
        registeredCapital: '500万元人民币',
        establishedOn: '2020-05-18',
        address: '浙江省杭州市西湖区文三路100号',
        businessScope: '技术开发、技术服务、技术咨询；软件开发；信息系统集成服务。',
      },
    }),
    validFrom: ValidityString.optional(),
    validUntil: ValidityString.nullable().optional().openapi({
      description:
        'The last valid day (a date alone, a China date) or an RFC 3339 date-time; null: no expiry (有效期：长期), the credential has no validUntil; omitted: the default validity',
    }),
  })
  .strict()
  .openapi('IssueRequest');

export const LicenceSchema = z
  .object({
    id: z.string(),
    credentialId: z.string(),
    licenceIdentifier: z.string().nullable().openapi({
      description: 'The licence identifier (证照标识, GB/T 36904) the credential carries; null for a licence issued before identifiers',
      example: 'YYZZ11330100DC00000011000000000101U',
    }),
    type: z.string(),
    status: z.enum(['active', 'suspended', 'revoked', 'expired']),
    statusReason: z.string().nullable(),
    authorityId: z.string(),
    holder: z.object({ creditCode: z.string(), name: z.string().nullable() }),
    subject: z.record(z.string(), z.unknown()).openapi({ description: 'The licence fields in the shape IssueRequest.subject takes (creditCode, not id): edit and send to amend' }),
    validFrom: z.string(),
    validUntil: z.string().nullable().openapi({ description: 'null: no expiry (有效期：长期)' }),
    issuedAt: z.string(),
    updatedAt: z.string(),
    supersedes: z.string().nullable(),
    supersededBy: z.string().nullable(),
    credential: z.string().openapi({ description: 'The licence as a compact JWS (application/vc+jwt)' }),
    credentialStatus: z.array(z.object({ purpose: z.enum(['revocation', 'suspension']), statusListCredential: z.string(), statusListIndex: z.number() })),
    links: z.record(z.string(), z.string()),
    qrText: z.string().optional().openapi({ description: 'The licence in its compact QR form (docs/qr-format.md)' }),
  })
  .openapi('Licence');

export const IdempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .optional()
    .openapi({ description: 'The same key and body give the same licence; the same key with another body is 409.' }),
});

export const LicenceTypeSchema = z
  .object({
    code: z.string(),
    name: z.object({ zh: z.string(), en: z.string() }),
    schemaVersion: z.string(),
    schema: z.record(z.string(), z.unknown()),
    uniquePerHolder: z.boolean().optional().openapi({ description: 'One active or suspended, unexpired licence per holder and authority (BusinessLicence: true)' }),
    catalogueCode: z.string().optional().openapi({
      description:
        "The licence catalogue code, first segment of the licence identifier (GB/T 36904); BusinessLicence YYZZ and FoodBusinessLicence SPJY are this project's own until an operator sets the national codes",
    }),
    numberField: z.string().optional().openapi({ description: 'The subject field holding the licence number (证照编号, GB/T 36903)' }),
    holderNameField: z.string().optional().openapi({ description: "The subject field holding the holder's name (持证主体, GB/T 36903)" }),
    builtIn: z.boolean().optional(),
    registeredBy: z.string().nullable().optional(),
  })
  .openapi('LicenceType');
