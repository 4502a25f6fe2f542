/**
 * Agency API for holder devices, bound copies and agent authorisations (docs/credential-format.md
 * §Bound copies, §Agent authorisations): register and remove a holder's device keys, read the bound
 * copies of a licence, issue, list and revoke agent authorisations. The rules live in
 * services/devices.ts and services/agent-authorisations.ts, which the holder API calls with a holder scope.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { MATTER_CODE, MAX_MATTERS } from '../../core/bound-credentials.js';
import { issueAgentAuthorisation, listAgentAuthorisations, MAX_NOTE_LENGTH, revokeAgentAuthorisation } from '../../services/agent-authorisations.js';
import { agencyScope } from '../../services/derived-credentials.js';
import { boundCopiesOfLicence, listDevices, registerDevice, removeDevice } from '../../services/devices.js';
import type { AppEnv } from '../env.js';
import { requireScope } from '../middleware.js';
import { errorResponses, ValidityString } from '../schemas.js';

const security = [{ bearer: [] }];

const EXAMPLE_CREDIT_CODE = '91330106MA2CFX7K5Y';
export const EXAMPLE_LICENCE_ID = '019a8e4c-1f00-7b2a-9c3d-4e5f60718293';
export const EXAMPLE_JWK = { kty: 'EC', crv: 'P-256', x: '8S3Lhpu7Lzk3z8OScwUBIStJhkpY3j13XdFFKeKpF8c', y: 'r41Mham7HbSfDPSih8ZrLsC_qUWv4vW3pTsPxJCYoyE' };
export const EXAMPLE_DEVICE_ID = 'Qm9V7r7z0g3b7m7WcSx5yB2kX9pT1uE4nL6aJ8dF0hc';
export const EXAMPLE_JWS = 'eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiIsInR5cCI6InZjK2p3dCIsImN0eSI6InZjIn0.eyJAY29udGV4dCI6Wy4uLl19.c2lnbmF0dXJl';
const EXAMPLE_LIST = 'https://elicence.example.gov.cn/status/dev-city/revocation/1';

const CreditCodeParam = z.object({ creditCode: z.string().min(1).max(32).openapi({ example: EXAMPLE_CREDIT_CODE }) });
const DeviceParams = CreditCodeParam.extend({ deviceId: z.string().min(1).max(64).openapi({ example: EXAMPLE_DEVICE_ID }) });
const LicenceParam = z.object({ id: z.string().min(1).max(64).openapi({ example: EXAMPLE_LICENCE_ID }) });
const AuthParams = LicenceParam.extend({ authId: z.string().min(1).max(64) });
export const Note = z
  .string()
  .max(MAX_NOTE_LENGTH)
  .optional()
  .openapi({ description: `Free text kept in the audit log (at most ${MAX_NOTE_LENGTH} characters)` });

export const Jwk = z.record(z.string(), z.unknown()).openapi({
  description: 'A P-256 public JWK (kty EC, crv P-256, x, y). Private members (d), other curves and key types are refused (400 ERR_DEVICE_KEY).',
  example: EXAMPLE_JWK,
});

const OwnStatusSchema = z.object({ statusListCredential: z.string(), statusListIndex: z.number().int() });

export const DeviceSchema = z
  .object({
    id: z.string().openapi({ description: 'RFC 7638 thumbprint of the device key' }),
    holderCreditCode: z.string(),
    label: z.string().nullable(),
    status: z.enum(['active', 'removed']),
    jwk: Jwk,
    createdAt: z.string(),
    removedAt: z.string().nullable(),
  })
  .openapi('HolderDevice');

export const BoundCopySchema = z
  .object({
    id: z.string(),
    licenceId: z.string(),
    deviceId: z.string(),
    holderCreditCode: z.string(),
    status: z.enum(['active', 'revoked', 'expired']),
    statusReason: z.string().nullable().openapi({
      description:
        "Why it was revoked: `other` (its device removed, or the authorisation revoked), `superseded` (amended), or `licence-revoked` (its licence was revoked; its own entry stays clear, the licence's entry decides)",
    }),
    validUntil: z.string(),
    issuedAt: z.string(),
    ownStatus: OwnStatusSchema.openapi({ description: "The copy's own revocation entry (the licence's entries are in the credential too)" }),
    credential: z.string().openapi({ description: 'The bound copy (vc+jwt): the licence with cnf, validUntil at most 30 days after iat, and its own revocation entry' }),
  })
  .openapi('BoundCopy');

export const Matters = z
  .union([z.literal('all'), z.array(z.string().regex(MATTER_CODE)).min(1).max(MAX_MATTERS)])
  .openapi({ description: `"all", or 1 to ${MAX_MATTERS} matter codes ([A-Za-z0-9_-]{1,32})`, example: ['tax-filing', 'bank-account'] });

export const AgentSchema = z.object({
  name: z.string().openapi({ example: '李明' }),
  idNumberMasked: z.string().openapi({
    description: 'A masked 18-character ID number: 2 to 6 leading digits, 8 to 12 "*" hiding the birth date, the last 4 characters',
    example: '3301**********1234',
  }),
});

export const AuthorisationSchema = z
  .object({
    id: z.string(),
    credentialId: z.string(),
    licenceId: z.string(),
    holderCreditCode: z.string(),
    agent: AgentSchema,
    matters: Matters,
    validFrom: z.string(),
    validUntil: z.string(),
    status: z.enum(['active', 'revoked', 'expired']),
    statusReason: z.string().nullable().openapi({
      description:
        "Why it was revoked: `other` (its device removed, or the authorisation revoked), `superseded` (amended), or `licence-revoked` (its licence was revoked; its own entry stays clear, the licence's entry decides)",
    }),
    issuedAt: z.string(),
    supersedes: z.string().nullable(),
    supersededBy: z.string().nullable(),
    ownStatus: OwnStatusSchema,
    credential: z.string().openapi({ description: 'The AgentAuthorisation (vc+jwt)' }),
  })
  .openapi('AgentAuthorisation');

const RegisterBody = z
  .object({ jwk: Jwk, label: z.string().max(64).optional().openapi({ example: '法定代表人手机' }) })
  .strict()
  .openapi('RegisterDeviceRequest');

const AuthoriseBody = z
  .object({
    agent: AgentSchema.strict(),
    matters: Matters,
    validFrom: ValidityString.optional().openapi({ description: 'Start (default: now); not before the licence' }),
    validUntil: ValidityString.openapi({
      description: "End (a date alone is the last valid day): at most one calendar year after validFrom, never after the licence's validUntil",
    }),
    agentJwk: Jwk.openapi({ description: "The agent's device public key (P-256) the authorisation is bound to (cnf)" }),
    note: Note,
  })
  .strict()
  .openapi('AgentAuthorisationRequest');

const RevokeBody = z.object({ note: Note }).strict().openapi('RevokeAgentAuthorisationRequest');
const RemoveBody = z.object({ note: Note }).strict().openapi('RemoveDeviceRequest');

export const deviceExample = {
  id: EXAMPLE_DEVICE_ID,
  holderCreditCode: EXAMPLE_CREDIT_CODE,
  label: '法定代表人手机',
  status: 'active',
  jwk: EXAMPLE_JWK,
  createdAt: '2026-06-01T00:00:00.000Z',
  removedAt: null,
};
export const boundCopyExample = {
  id: '019a8e4c-2000-7c11-8d22-33445566aa01',
  licenceId: EXAMPLE_LICENCE_ID,
  deviceId: EXAMPLE_DEVICE_ID,
  holderCreditCode: EXAMPLE_CREDIT_CODE,
  status: 'active',
  statusReason: null,
  validUntil: '2026-07-01T00:00:00.000Z',
  issuedAt: '2026-06-01T00:00:00.000Z',
  ownStatus: { statusListCredential: EXAMPLE_LIST, statusListIndex: 70125 },
  credential: EXAMPLE_JWS,
};
const authorisationRequestExample = {
  agent: { name: '李明', idNumberMasked: '3301**********1234' },
  matters: ['tax-filing', 'bank-account'],
  validFrom: '2026-06-01',
  validUntil: '2027-05-31',
  agentJwk: EXAMPLE_JWK,
};
export const authorisationExample = {
  id: '019a8e4c-2400-7a24-8c41-5d6e7f801924',
  credentialId: 'urn:uuid:019a8e4c-2400-7a24-8c41-5d6e7f801924',
  licenceId: EXAMPLE_LICENCE_ID,
  holderCreditCode: EXAMPLE_CREDIT_CODE,
  agent: { name: '李明', idNumberMasked: '3301**********1234' },
  matters: ['tax-filing', 'bank-account'],
  validFrom: '2026-05-31T16:00:00.000Z',
  validUntil: '2027-05-31T16:00:00.000Z',
  status: 'active',
  statusReason: null,
  issuedAt: '2026-06-01T00:00:00.000Z',
  supersedes: null,
  supersededBy: null,
  ownStatus: { statusListCredential: EXAMPLE_LIST, statusListIndex: 3187 },
  credential: EXAMPLE_JWS,
};

const json = <T extends z.ZodType>(schema: T, example: unknown) => ({ content: { 'application/json': { schema, example } } });

export function deviceRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/holders/{creditCode}/devices',
      middleware: [requireScope('read')] as const,
      tags: ['Devices and agents'],
      summary: "A holder's registered devices (its administrators), active first",
      security,
      request: { params: CreditCodeParam },
      responses: {
        200: { description: 'The devices', ...json(z.object({ items: z.array(DeviceSchema) }), { items: [deviceExample] }) },
        ...errorResponses(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const services = c.var.services;
      return c.json({ items: await listDevices(services, agencyScope(c.var.principal), c.req.valid('param').creditCode) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/holders/{creditCode}/devices',
      middleware: [requireScope('issue')] as const,
      tags: ['Devices and agents'],
      summary: 'Register a device key for a holder and issue bound copies of its current licences',
      description:
        'The holder must have a current licence of this authority (404 otherwise). At most 5 active devices per holder: a sixth is 409 ERR_DEVICE_LIMIT. ' +
        'Each current licence gets a bound copy (the licence with cnf = this key, validUntil = min(licence validUntil, iat + 30 days), and a revocation entry of its own). ' +
        'The same key registered again while active answers 200 with the device as it is.',
      security,
      request: { params: CreditCodeParam, body: { required: true, ...json(RegisterBody, { jwk: EXAMPLE_JWK, label: '法定代表人手机' }) } },
      responses: {
        201: {
          description: 'Registered, with its bound copies',
          ...json(z.object({ device: DeviceSchema, boundCopies: z.array(BoundCopySchema) }), { device: deviceExample, boundCopies: [boundCopyExample] }),
        },
        200: {
          description: 'Already registered and active',
          ...json(z.object({ device: DeviceSchema, boundCopies: z.array(BoundCopySchema) }), { device: deviceExample, boundCopies: [boundCopyExample] }),
        },
        ...errorResponses(400, 401, 403, 404, 409, 415),
      },
    }),
    async (c) => {
      const services = c.var.services;
      const result = await registerDevice(services, agencyScope(c.var.principal), c.req.valid('param').creditCode, c.req.valid('json'));
      return c.json({ device: result.device, boundCopies: result.boundCopies }, result.created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/v1/holders/{creditCode}/devices/{deviceId}',
      middleware: [requireScope('status')] as const,
      tags: ['Devices and agents'],
      summary: 'Remove a device: revoke its bound copies (their own bits), stop their renewals',
      description:
        "The licences stay valid: only the bound copies' own revocation bits are set. Already removed: 409 ERR_ILLEGAL_TRANSITION. A token limited to some licence types cannot remove a device that carries a copy of another type: 403 ERR_FORBIDDEN.",
      security,
      request: { params: DeviceParams, body: { required: false, ...json(RemoveBody, { note: '手机遗失' }) } },
      responses: {
        200: { description: 'The device, removed', ...json(DeviceSchema, { ...deviceExample, status: 'removed', removedAt: '2026-06-10T08:00:00.000Z' }) },
        ...errorResponses(400, 401, 403, 404, 409),
      },
    }),
    async (c) => {
      const services = c.var.services;
      const { creditCode, deviceId } = c.req.valid('param');
      const body = (c.req.header('content-type') ?? '').includes('json') ? c.req.valid('json') : {};
      return c.json(await removeDevice(services, agencyScope(c.var.principal), creditCode, deviceId, body?.note), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/licences/{id}/bound-copies',
      middleware: [requireScope('read')] as const,
      tags: ['Devices and agents'],
      summary: 'The bound copies of a licence (every device, or one), newest first',
      security,
      request: { params: LicenceParam, query: z.object({ device: z.string().min(1).max(64).optional().openapi({ example: EXAMPLE_DEVICE_ID }) }) },
      responses: {
        200: { description: 'The bound copies', ...json(z.object({ items: z.array(BoundCopySchema) }), { items: [boundCopyExample] }) },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const services = c.var.services;
      return c.json({ items: await boundCopiesOfLicence(services, agencyScope(c.var.principal), c.req.valid('param').id, c.req.valid('query').device) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/licences/{id}/agent-authorisations',
      middleware: [requireScope('issue')] as const,
      tags: ['Devices and agents'],
      summary: 'Authorise an agent to act for the holder (授权用证)',
      description:
        'Only on a current licence (suspended, revoked or expired: 409 ERR_LICENCE_NOT_CURRENT) that has a licence identifier (one issued before identifiers: 409 ERR_LICENCE_WITHOUT_IDENTIFIER; amending it assigns one). The period is at most one calendar year and never beyond the licence (400 ERR_VALIDITY_WINDOW naming validFrom or validUntil). ' +
        "The AgentAuthorisation carries its own revocation entry and the licence's revocation and suspension entries, bound (cnf) to the agent's device key.",
      security,
      request: { params: LicenceParam, body: { required: true, ...json(AuthoriseBody, authorisationRequestExample) } },
      responses: {
        201: { description: 'The authorisation', ...json(AuthorisationSchema, authorisationExample) },
        ...errorResponses(400, 401, 403, 404, 409, 415),
      },
    }),
    async (c) => {
      const services = c.var.services;
      return c.json(await issueAgentAuthorisation(services, agencyScope(c.var.principal), c.req.valid('param').id, c.req.valid('json')), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/licences/{id}/agent-authorisations',
      middleware: [requireScope('read')] as const,
      tags: ['Devices and agents'],
      summary: 'The agent authorisations of a licence, newest first',
      security,
      request: { params: LicenceParam },
      responses: {
        200: { description: 'The authorisations', ...json(z.object({ items: z.array(AuthorisationSchema) }), { items: [authorisationExample] }) },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const services = c.var.services;
      return c.json({ items: await listAgentAuthorisations(services, agencyScope(c.var.principal), c.req.valid('param').id) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/licences/{id}/agent-authorisations/{authId}/revoke',
      middleware: [requireScope('status')] as const,
      tags: ['Devices and agents'],
      summary: "Revoke an agent authorisation (its own bit; the licence's bits are untouched)",
      security,
      request: { params: AuthParams, body: { required: false, ...json(RevokeBody, { note: '代办人离职' }) } },
      responses: {
        200: { description: 'The authorisation, revoked', ...json(AuthorisationSchema, { ...authorisationExample, status: 'revoked', statusReason: 'other' }) },
        ...errorResponses(400, 401, 403, 404, 409),
      },
    }),
    async (c) => {
      const services = c.var.services;
      const { id, authId } = c.req.valid('param');
      const body = (c.req.header('content-type') ?? '').includes('json') ? c.req.valid('json') : {};
      return c.json(await revokeAgentAuthorisation(services, agencyScope(c.var.principal), id, authId, body?.note), 200);
    },
  );

  return app;
}
