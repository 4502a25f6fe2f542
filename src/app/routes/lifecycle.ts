/**
 * Agency API for the licence lifecycle: suspend, reinstate, revoke (scope `status`), amend (scope
 * `issue`) and history (scope `read`). The state machine and its refusals live in services/lifecycle.ts.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { requireLicence } from '../../services/licences.js';
import {
  amendLicence,
  changeStatus,
  licenceHistory,
  MAX_NOTE_LENGTH,
  REINSTATEMENT_REASONS,
  REVOCATION_REASONS,
  type StatusAction,
  SUSPENSION_REASONS,
} from '../../services/lifecycle.js';
import { requireLicenceType } from '../../services/tokens.js';
import type { AppEnv } from '../env.js';
import { licenceResponse } from '../licence-response.js';
import { requireScope } from '../middleware.js';
import { EXAMPLE, errorResponses, IssueRequestSchema, LicenceSchema, licenceExample, ValidityString } from '../schemas.js';

const security = [{ bearer: [] }];
const IdParam = z.object({ id: z.string().min(1).max(64) });
const Note = z
  .string()
  .max(MAX_NOTE_LENGTH)
  .optional()
  .openapi({ description: `Free text kept in the audit log (at most ${MAX_NOTE_LENGTH} characters)` });

const SuspendBody = z
  .object({ reason: z.enum(SUSPENSION_REASONS), note: Note })
  .strict()
  .openapi('SuspendRequest', { example: { reason: 'investigation', note: '市场监管局立案调查 2026-017' } });
const ReinstateBody = z
  .object({ reason: z.enum(REINSTATEMENT_REASONS), note: Note })
  .strict()
  .openapi('ReinstateRequest', { example: { reason: 'investigation_closed', note: '调查结束，未发现违法行为' } });
const RevokeBody = z
  .object({
    reason: z.enum(REVOCATION_REASONS).openapi({
      description:
        'The legal act: `penalty` 吊销 (revoked as an administrative penalty), `rescinded` 撤销 (granted improperly, e.g. by fraud or in error), ' +
        "`deregistered` 注销 (holder's request, entity dissolved), `other`. Accepted aliases, stored as their codes: `fraud` and `cancelled` -> `rescinded`, " +
        '`holder_request` -> `deregistered`. `superseded` is not accepted here: it is set only by amend.',
    }),
    note: Note,
  })
  .strict()
  .openapi('RevokeRequest', { example: { reason: 'penalty', note: '行政处罚决定书 杭市监罚〔2026〕88号' } });
const AmendBody = z
  .object({
    subject: IssueRequestSchema.shape.subject
      .optional()
      .openapi({ description: 'The whole new subject (as GET /v1/licences/{id} returns it). Exactly one of subject and subjectPatch.' }),
    subjectPatch: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({
        description: 'A JSON Merge Patch (RFC 7396) of the current subject: members given replace theirs, `null` deletes an optional member, arrays are replaced whole.',
        example: { address: '浙江省杭州市西湖区文三路200号' },
      }),
    validFrom: ValidityString.optional().openapi({ description: 'New start; default: unchanged' }),
    validUntil: ValidityString.nullable().optional().openapi({ description: 'New end (a date alone is the last valid day); null: no expiry (有效期：长期); default: unchanged' }),
    note: Note,
  })
  .strict()
  .openapi('AmendRequest', { example: { subjectPatch: { address: '浙江省杭州市西湖区文三路200号' }, note: '住所变更' } });

const HistoryEventSchema = z
  .object({
    seq: z.number().int().openapi({ description: 'Position in the audit log' }),
    action: z.string().openapi({ example: 'licence.suspended' }),
    at: z.string(),
    actor: z.string().openapi({ description: 'Token id, "system" or "cli"' }),
    reason: z.string().nullable(),
    note: z.string().nullable(),
    supersedes: z.string().optional(),
    supersededBy: z.string().optional(),
    staffId: z.string().optional().openapi({ description: 'The staff account behind a console action (the actor is then its session)' }),
  })
  .openapi('HistoryEvent');

const HISTORY_EXAMPLE = {
  items: [
    { seq: 8, action: 'licence.issued', at: EXAMPLE.at, actor: '0QwjRm6E5xbb', reason: null, note: null },
    {
      seq: 14,
      action: 'licence.revoked',
      at: '2026-07-15T01:30:00.000Z',
      actor: '0QwjRm6E5xbb',
      reason: 'superseded',
      note: null,
      supersededBy: '01a2363c-2ac6-7419-83af-9bfc171148be',
    },
  ],
};

const TRANSITIONS: {
  action: StatusAction;
  schema: typeof SuspendBody | typeof ReinstateBody | typeof RevokeBody;
  summary: string;
  description: string;
  /** The licence as the answer shows it. */
  example: ReturnType<typeof licenceExample>;
}[] = [
  {
    action: 'suspend',
    schema: SuspendBody,
    example: licenceExample({ status: 'suspended', statusReason: 'investigation', updatedAt: '2026-07-01T01:30:00.000Z' }),
    summary: 'Suspend a licence',
    description: 'Only an active, unexpired licence. Sets its bit in the suspension list.',
  },
  {
    action: 'reinstate',
    schema: ReinstateBody,
    example: licenceExample({ updatedAt: '2026-07-08T01:30:00.000Z' }),
    summary: 'Lift a suspension',
    description: 'Only a suspended, unexpired licence. Clears its bit in the suspension list.',
  },
  {
    action: 'revoke',
    schema: RevokeBody,
    example: licenceExample({ status: 'revoked', statusReason: 'penalty', updatedAt: '2026-07-08T01:30:00.000Z' }),
    summary: 'Revoke a licence (final)',
    description: 'From active or suspended, also after expiry. Sets its bit in the revocation list (and clears a suspension bit).',
  },
];

export function lifecycleRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  for (const transition of TRANSITIONS) {
    const route = createRoute({
      method: 'post',
      path: `/v1/licences/{id}/${transition.action}`,
      middleware: [requireScope('status')] as const,
      tags: ['Lifecycle'],
      summary: transition.summary,
      description: `${transition.description} Any other state is 409 ERR_ILLEGAL_TRANSITION and changes nothing.`,
      security,
      request: { params: IdParam, body: { required: true, content: { 'application/json': { schema: transition.schema } } } },
      responses: {
        200: { description: 'The licence after the change', content: { 'application/json': { schema: LicenceSchema, example: transition.example } } },
        ...errorResponses(400, 401, 403, 404, 409, 415),
      },
    });
    app.openapi(route, async (c) => {
      const principal = c.var.principal;
      const body = c.req.valid('json');
      const services = c.var.services;
      const row = await changeStatus(services, principal, c.req.valid('param').id, transition.action, body);
      return c.json(await licenceResponse(services, row), 200);
    });
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/licences/{id}/amend',
      middleware: [requireScope('issue')] as const,
      tags: ['Lifecycle'],
      summary: 'Amend a licence: issue a successor of the same type that supersedes it',
      description:
        "Only an active, unexpired licence. Send `subjectPatch` (a JSON Merge Patch, RFC 7396, of the current subject) or the whole `subject`; the result is validated against the type's schema (400). " +
        'Validity stays as it was unless `validFrom`/`validUntil` are given. In one commit the new licence is issued (with `supersedes`, and the old licence identifier at the next version) and the old one is revoked with reason `superseded` (`supersededBy` = new id).',
      security,
      request: { params: IdParam, body: { required: true, content: { 'application/json': { schema: AmendBody } } } },
      responses: {
        201: {
          description: 'The new licence',
          content: {
            'application/json': {
              schema: LicenceSchema,
              example: licenceExample({
                id: '01a2363c-2ac6-7419-83af-9bfc171148be',
                licenceIdentifier: 'YYZZ11330100DC00000011000000000102S',
                subject: { ...licenceExample().subject, address: '浙江省杭州市西湖区文三路200号' },
                supersedes: EXAMPLE.licenceId,
              }),
            },
          },
        },
        ...errorResponses(400, 401, 403, 404, 409, 415),
      },
    }),
    async (c) => {
      const principal = c.var.principal;
      const services = c.var.services;
      const { amended } = await amendLicence(services, services.registry, principal, c.req.valid('param').id, c.req.valid('json'));
      return c.json(await licenceResponse(services, amended), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/licences/{id}/history',
      middleware: [requireScope('read')] as const,
      tags: ['Lifecycle'],
      summary: "Every event in a licence's life, oldest first (from the audit log)",
      security,
      request: { params: IdParam },
      responses: {
        200: { description: 'The events', content: { 'application/json': { schema: z.object({ items: z.array(HistoryEventSchema) }).openapi({ example: HISTORY_EXAMPLE }) } } },
        ...errorResponses(401, 403, 404),
      },
    }),
    async (c) => {
      const principal = c.var.principal;
      const { store } = c.var.services;
      const id = c.req.valid('param').id;
      requireLicenceType(principal, (await requireLicence(store.db, principal.authorityId, id)).type);
      return c.json({ items: await licenceHistory(store.db, principal.authorityId, id) }, 200);
    },
  );

  return app;
}
