/**
 * Request and response schemas: the handlers validate with them and /openapi.json is generated from them.
 * Each schema a route uses carries an example (`.openapi({ example })`), shown at /docs and checked
 * against the schema by tests/openapi/examples.test.ts (docs/api-reference.md).
 */
import { z } from '@hono/zod-openapi';

/** Example values shared by the routes' examples (one licence, one authority, one key throughout). */
export const EXAMPLE = {
  base: 'https://elicence.example',
  licenceId: '01a2363c-2a17-777a-9371-7034ab0268ef',
  authorityDid: 'did:web:elicence.example:authorities:dev-city',
  anchorDid: 'did:web:elicence.example:anchors:dev-anchor',
  kid: '7PBWYUKq1iF08G8N3C3tEUl-jXXy3XE7b1F2LhcyIgs',
  publicJwk: { kty: 'OKP', crv: 'Ed25519', x: 'dv4n6k7a89BCKmKUN-PrGVL2pYMd1gC3PYVj0mf1cPw' },
  /** A licence's compact JWS, shortened (a real business licence is about 1,900 characters). */
  jws: 'eyJhbGciOiJFZERTQSIsImtpZCI6IjdQQldZVUtxMWlGMDhHOE4zQzN0RVVsLWpYWHkzWEU3YjFGMkxoY3lJZ3MiLCJ0eXAiOiJ2Yytqd3QiLCJjdHkiOiJ2YyJ9.eyJAY29udGV4dCI6WyJodHRwczovL3d3dy53My5vcmcvbnMvY3JlZGVudGlhbHMvdjIiXX0.oB36FK0d4nQ9ToG8iBIiS1JXsIRnL4ycaKwIjrVuvee3AFQft_sYp6cttRfjwRfTjpwKzc-i7kwURc6VrhpgBQ',
  at: '2026-06-01T02:00:00.000Z',
} as const;

/** A compact JWS of the given `typ` for examples (its payload and signature shortened: not a real signature). */
export function exampleJws(typ: string): string {
  const header = btoa(JSON.stringify({ alg: 'EdDSA', kid: EXAMPLE.kid, typ }))
    .replace(/=+$/, '')
    .replaceAll('+', '-')
    .replaceAll('/', '_');
  return `${header}.eyJAY29udGV4dCI6WyJodHRwczovL3d3dy53My5vcmcvbnMvY3JlZGVudGlhbHMvdjIiXX0.oB36FK0d4nQ9ToG8iBIiS1JXsIRnL4ycaKwIjrVuvee3AFQft_sYp6cttRfjwRfTjpwKzc-i7kwURc6VrhpgBQ`;
}

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'ERR_VALIDATION' }),
      message: z.string(),
      field: z.string().optional(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error', { example: { error: { code: 'ERR_VALIDATION', message: 'validUntil must be an RFC 3339 date-time or a date (YYYY-MM-DD)', field: 'validUntil' } } });

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

/** IssueRequest's example: a realistic business licence valid to 2031-11-29 (tests/openapi/examples.test.ts issues it as it stands). */
export const ISSUE_REQUEST_EXAMPLE = {
  type: 'BusinessLicence',
  subject: {
    creditCode: '91330106MA2CFX7K5Y',
    name: '杭州示例科技有限公司',
    entityType: '有限责任公司（自然人投资或控股）',
    legalRepresentative: '张三',
    registeredCapital: '500万元人民币',
    establishedOn: '2020-05-18',
    address: '浙江省杭州市西湖区文三路100号',
    businessScope: '技术开发、技术服务、技术咨询；软件开发；信息系统集成服务。',
  },
  validUntil: '2031-11-29',
};

export const IssueRequestSchema = z
  .object({
    type: z.string().min(1).max(64).openapi({ example: 'BusinessLicence' }),
    subject: z.record(z.string(), z.unknown()).openapi({
      description: "The licence fields, validated against the type's JSON Schema (GET /v1/licence-types/{code}).",
      example: ISSUE_REQUEST_EXAMPLE.subject,
    }),
    validFrom: ValidityString.optional(),
    validUntil: ValidityString.nullable().optional().openapi({
      description:
        'The last valid day (a date alone, a China date) or an RFC 3339 date-time; null: no expiry (有效期：长期), the credential has no validUntil; omitted: the default validity',
    }),
  })
  .strict()
  .openapi('IssueRequest', { example: ISSUE_REQUEST_EXAMPLE });

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
  .openapi('Licence', { example: licenceExample() });

/** The example licence (as issued from IssueRequest's example), for the examples of routes that answer licences. */
export function licenceExample(changes: Record<string, unknown> = {}) {
  const id = typeof changes['id'] === 'string' ? changes['id'] : EXAMPLE.licenceId;
  const self = `${EXAMPLE.base}/v1/licences/${id}`;
  return {
    id,
    credentialId: `urn:uuid:${id}`,
    licenceIdentifier: 'YYZZ11330100DC00000011000000000101U',
    type: 'BusinessLicence',
    status: 'active' as const,
    statusReason: null,
    authorityId: 'dev-city',
    holder: { creditCode: '91330106MA2CFX7K5Y', name: '杭州示例科技有限公司' },
    subject: {
      creditCode: '91330106MA2CFX7K5Y',
      name: '杭州示例科技有限公司',
      entityType: '有限责任公司（自然人投资或控股）',
      legalRepresentative: '张三',
      registeredCapital: '500万元人民币',
      establishedOn: '2020-05-18',
      address: '浙江省杭州市西湖区文三路100号',
      businessScope: '技术开发、技术服务、技术咨询；软件开发；信息系统集成服务。',
    },
    validFrom: EXAMPLE.at,
    validUntil: '2031-11-29T16:00:00.000Z',
    issuedAt: EXAMPLE.at,
    updatedAt: EXAMPLE.at,
    supersedes: null,
    supersededBy: null,
    credential: EXAMPLE.jws,
    credentialStatus: [
      { purpose: 'revocation' as const, statusListCredential: `${EXAMPLE.base}/status/dev-city/revocation/1`, statusListIndex: 103750 },
      { purpose: 'suspension' as const, statusListCredential: `${EXAMPLE.base}/status/dev-city/suspension/1`, statusListIndex: 25242 },
    ],
    links: { self, history: `${self}/history`, qrSvg: `${self}/qr.svg`, qrPng: `${self}/qr.png`, card: `${self}/card` },
    qrText: 'EL1:39128596926402563667783704562481423262991409019888603194273208116897353890469…',
    ...changes,
  };
}

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
  .openapi('LicenceType', { example: licenceTypeExample() });

/** A registered type as GET /v1/licence-types/{code} answers it (its schema shortened to two fields). */
export function licenceTypeExample(changes: Record<string, unknown> = {}) {
  return {
    code: 'TaxiOperatorLicence',
    name: { zh: '出租汽车经营许可证', en: 'Taxi operator licence' },
    schemaVersion: '1.0',
    schema: {
      type: 'object',
      properties: {
        creditCode: { type: 'string', title: '统一社会信用代码', 'x-title-en': 'Unified social credit code', format: 'uscc', minLength: 18, maxLength: 18 },
        operatorName: { type: 'string', title: '经营者名称', 'x-title-en': 'Operator name', minLength: 1, maxLength: 200 },
      },
      required: ['creditCode', 'operatorName'],
      additionalProperties: false,
    },
    uniquePerHolder: false,
    catalogueCode: 'CZCJY',
    numberField: 'creditCode',
    holderNameField: 'operatorName',
    builtIn: false,
    registeredBy: 'dev-city',
    ...changes,
  };
}
