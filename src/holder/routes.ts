/**
 * The holder product (docs/holder-app.md): the holder API under `/holder/v1/...` and the holder app
 * (src/holder/web/, built into dist/holder/) at `/holder/`.
 *
 * - `POST /holder/v1/session` exchanges a holder code (in the JSON body: a code never travels in a URL,
 *   so it reaches no access log) for a session token, sent as `Authorization: Bearer hs_...`. A bearer
 *   token (not a cookie) keeps the API free of CSRF and lets the app keep it in IndexedDB beside the
 *   licences it caches for offline use.
 * - Every other route needs that session and sees only the session's holder at its authority: any
 *   other licence is 404, exactly like one that does not exist. Nothing here changes a licence; a
 *   holder token is no agency token, so every `/v1/` route answers it 401.
 * - The exchange is rate limited before any lookup: per client address (`HOLDER_CODE_FAILURES_PER_CLIENT`
 *   failures per window) and per authority named in the code (`HOLDER_CODE_FAILURES_PER_AUTHORITY`,
 *   whoever sends them). A flood against one authority then delays that authority's new exchanges
 *   for a window; sessions already made keep working.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { CardFormat } from '../app/card.css.js';
import type { AppEnv } from '../app/env.js';
import { errorResponse } from '../app/errors.js';
import { clientKeyOf, SlidingWindowCounter } from '../app/rate-limit.js';
import {
  AgentSchema,
  AuthorisationSchema,
  authorisationExample,
  BoundCopySchema,
  boundCopyExample,
  DeviceSchema,
  deviceExample,
  EXAMPLE_DEVICE_ID,
  EXAMPLE_JWK,
  EXAMPLE_LICENCE_ID,
  Jwk,
  Matters,
  Note,
} from '../app/routes/devices.js';
import { cardResponse, QrQuery, qrImageResponse } from '../app/routes/qr.js';
import { staticAppRoutes } from '../app/routes/verifier-app.js';
import { errorResponses, ValidityString } from '../app/schemas.js';
import { groupedCheckCode, qrCheckCode } from '../core/check-code.js';
import { credentialIdOf } from '../core/credential.js';
import { chinaDate, formatDate, formatTimestamp, lastValidChinaDate } from '../core/dates.js';
import { ElicenceError } from '../core/errors.js';
import { encodeLicenceQr } from '../core/qr/index.js';
import {
  type AgentAuthorisationView,
  acceptAgentInvitation,
  inviteAgent,
  listAgentAuthorisations,
  refreshAgentAuthorisation,
  revokeAgentAuthorisation,
} from '../services/agent-authorisations.js';
import type { HolderScope } from '../services/derived-credentials.js';
import { listDevices, registerDevice, removeDevice, renewBoundCopies } from '../services/devices.js';
import {
  endHolderSession,
  exchangeHolderCode,
  type HolderPrincipal,
  holderAuthority,
  holderLicences,
  parseHolderCode,
  readHolderSession,
  requireHolderLicence,
} from '../services/holder-access.js';
import type { LicenceRow } from '../services/issuance.js';
import { effectiveStatus } from '../services/licences.js';
import { licenceHistory } from '../services/lifecycle.js';
import type { HolderEnv } from './env.js';

/** Failed code exchanges one client address may make per window before it is refused (429). */
export const HOLDER_CODE_FAILURES_PER_CLIENT = 10;
/** Failed code exchanges naming one authority, from anyone, per window before that authority's exchanges are refused. */
export const HOLDER_CODE_FAILURES_PER_AUTHORITY = 200;
export const HOLDER_CODE_WINDOW_MS = 15 * 60_000;

const security = [{ holderSession: [] }];
const IdParam = z.object({ id: z.string().min(1).max(64) });

const HolderHistoryEventSchema = z
  .object({
    action: z.string().openapi({ example: 'licence.issued' }),
    at: z.string(),
    reason: z.string().nullable(),
    supersedes: z.string().optional(),
    supersededBy: z.string().optional(),
  })
  .openapi('HolderHistoryEvent');

const HolderLicenceSchema = z
  .object({
    id: z.string(),
    credentialId: z.string(),
    licenceIdentifier: z.string().nullable().openapi({ description: 'The licence identifier (证照标识, GB/T 36904); null for a licence issued before identifiers' }),
    type: z.string(),
    typeName: z.object({ zh: z.string(), en: z.string() }),
    holderName: z.string().nullable(),
    status: z.enum(['active', 'suspended', 'revoked', 'expired']),
    statusReason: z.string().nullable(),
    validFrom: z.string(),
    validUntil: z.string().nullable().openapi({ description: 'null: no expiry (有效期：长期)' }),
    validity: z.object({
      from: z.string().openapi({ description: 'First valid day, a China date (UTC+8)', example: '2026-06-01' }),
      until: z.string().nullable().openapi({ description: 'Last valid day, a China date; null: 长期 (no expiry)', example: '2031-05-31' }),
    }),
    issuedAt: z.string(),
    supersedes: z.string().nullable(),
    supersededBy: z.string().nullable(),
    qrText: z.string().openapi({ description: 'The licence in its compact QR form (docs/qr-format.md)' }),
    checkCode: z.string().openapi({
      description: 'First 6 base32 characters of SHA-256 of qrText, in two groups of three: read out to match the QR by ear (docs/holder-app.md)',
      example: 'K7Q 2MX',
    }),
    history: z.array(HolderHistoryEventSchema),
    links: z.record(z.string(), z.string()),
  })
  .openapi('HolderLicence');

const LICENCE_EXAMPLE = {
  id: '0197a3c0-0000-7000-8000-000000000001',
  credentialId: 'urn:uuid:0197a3c0-0000-7000-8000-000000000001',
  licenceIdentifier: 'YYZZ11330100DC00000011000000000101U',
  type: 'BusinessLicence',
  typeName: { zh: '营业执照', en: 'Business licence' },
  holderName: '杭州示例科技有限公司',
  status: 'active',
  statusReason: null,
  validFrom: '2026-05-31T16:00:00Z',
  validUntil: '2031-05-31T16:00:00Z',
  validity: { from: '2026-06-01', until: '2031-05-31' },
  issuedAt: '2026-06-01T02:00:00Z',
  supersedes: null,
  supersededBy: null,
  qrText: 'EL1:…',
  checkCode: 'K7Q 2MX',
  history: [{ action: 'licence.issued', at: '2026-06-01T02:00:00Z', reason: null }],
  links: {
    credential: '/holder/v1/licences/0197a3c0-0000-7000-8000-000000000001/credential',
    qrSvg: '/holder/v1/licences/0197a3c0-0000-7000-8000-000000000001/qr.svg',
    qrPng: '/holder/v1/licences/0197a3c0-0000-7000-8000-000000000001/qr.png',
    card: '/holder/v1/licences/0197a3c0-0000-7000-8000-000000000001/card',
  },
};

const SessionSchema = z
  .object({
    token: z.string().openapi({ description: 'The session token: send it as `Authorization: Bearer <token>`' }),
    tokenType: z.literal('Bearer'),
    expiresAt: z.string().openapi({ description: 'When the session ends if unused (each use moves it on, up to a year after the exchange)' }),
    authority: z.object({ id: z.string(), nameZh: z.string(), nameEn: z.string() }),
    holder: z.object({ creditCode: z.string() }),
  })
  .openapi('HolderSession');

const SESSION_EXAMPLE = {
  token: 'hs_3q2-7wD0mJmCqvW5oZrxYb8dQ1nFh9Tt6uKcE4aGzIs',
  tokenType: 'Bearer',
  expiresAt: '2026-07-01T00:00:00.000Z',
  authority: { id: 'hangzhou-amr', nameZh: '杭州市市场监督管理局', nameEn: 'Hangzhou Administration for Market Regulation' },
  holder: { creditCode: '91330106MA2CFX7K5Y' },
};

const CardQuery = z
  .object({
    format: z.enum(['a4', 'a5', 'card']).default('a4').openapi({ description: 'Print layout: A4 portrait, A5 portrait, or a 148 x 105 mm wall card' }),
  })
  .strict();

interface HolderLicenceView {
  id: string;
  credentialId: string;
  licenceIdentifier: string | null;
  type: string;
  typeName: { zh: string; en: string };
  holderName: string | null;
  status: ReturnType<typeof effectiveStatus>;
  statusReason: string | null;
  validFrom: string;
  validUntil: string | null;
  validity: { from: string; until: string | null };
  issuedAt: string;
  supersedes: string | null;
  supersededBy: string | null;
  qrText: string;
  checkCode: string;
  history: z.infer<typeof HolderHistoryEventSchema>[];
  links: Record<string, string>;
}

/** What a holder is told about its licence: no internal notes, no staff or token names. */
async function holderLicenceView(c: Context<HolderEnv>, row: LicenceRow): Promise<HolderLicenceView> {
  const services = c.var.services;
  const [type, history, qrText] = await Promise.all([
    services.registry.find(row.type),
    licenceHistory(services.store.db, row.authorityId, row.id),
    services.qrEncoder ? services.qrEncoder.encode([row.jws]).then((texts) => texts[0]!) : Promise.resolve(encodeLicenceQr(row.jws)),
  ]);
  const self = `/holder/v1/licences/${row.id}`;
  return {
    id: row.id,
    credentialId: credentialIdOf(row.id),
    licenceIdentifier: row.licenceIdentifier,
    type: row.type,
    typeName: type?.name ?? { zh: row.type, en: row.type },
    holderName: row.holderName,
    status: effectiveStatus(row, services.clock.now()),
    statusReason: row.statusReason,
    validFrom: formatTimestamp(row.validFrom),
    validUntil: row.validUntil === null ? null : formatTimestamp(row.validUntil),
    validity: { from: formatDate(chinaDate(row.validFrom)), until: row.validUntil === null ? null : formatDate(lastValidChinaDate(row.validUntil)) },
    issuedAt: formatTimestamp(row.issuedAt),
    supersedes: row.supersedes,
    supersededBy: row.supersededBy,
    qrText,
    checkCode: groupedCheckCode(qrCheckCode(qrText)),
    history: history.map((event) => ({
      action: event.action,
      at: event.at,
      reason: event.reason,
      ...(event.supersedes ? { supersedes: event.supersedes } : {}),
      ...(event.supersededBy ? { supersededBy: event.supersededBy } : {}),
    })),
    links: { self, credential: `${self}/credential`, qrSvg: `${self}/qr.svg`, qrPng: `${self}/qr.png`, card: `${self}/card` },
  };
}

/** `Authorization: Bearer hs_...` to a live holder session; 401 otherwise. */
const requireHolderSession: MiddlewareHandler<HolderEnv> = async (c, next) => {
  const match = /^Bearer\s+(\S{1,200})\s*$/i.exec(c.req.header('authorization') ?? '');
  if (!match) throw new ElicenceError('ERR_UNAUTHENTICATED', 'a holder session is required (Authorization: Bearer <session token>)');
  const holder = await readHolderSession(c.var.services, match[1]!);
  if (!holder) throw new ElicenceError('ERR_UNAUTHENTICATED', 'the holder session is unknown or has ended: open the holder link again');
  c.set('holder', holder);
  c.header('Cache-Control', 'private, no-store');
  return next();
};

function rateLimited(c: Context, retryAfterMs: number): Response {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const response = errorResponse(c, new ElicenceError('ERR_RATE_LIMITED', `too many failed holder codes; retry after ${seconds} s`, { details: { retryAfterSeconds: seconds } }));
  response.headers.set('Retry-After', String(seconds));
  return response;
}

const holderOf = (c: Context<HolderEnv>): HolderPrincipal => c.var.holder;

/** The services' scope of a holder session: its own credit code at its authority, nothing else (another holder's device or licence is 404). */
const holderScope = (c: Context<HolderEnv>): HolderScope => {
  const holder = holderOf(c);
  return { authorityId: holder.authorityId, actor: `holder-session:${holder.sessionId}`, holderCreditCode: holder.holderCreditCode };
};

const json = <T extends z.ZodType>(schema: T, example: unknown) => ({ content: { 'application/json': { schema, example } } });

const TOO_MANY_FAILURES = {
  description: 'Too many failed codes or proofs from this client (with Retry-After)',
  content: { 'application/json': { example: { error: { code: 'ERR_RATE_LIMITED', message: 'too many failed holder codes; retry after 900 s' } } } },
};

/** The path of the page an agent opens (a mode of the holder app); the one-time code travels in the fragment. */
export const AGENT_PAGE_PATH = '/holder/agent';
/** The code an agent link carries: `<authority id>.<one-time code>` (the deployment may host several authorities). */
export const agentLinkCode = (authorityId: string, code: string) => `${authorityId}.${code}`;

function parseAgentLinkCode(text: string): { authorityId: string; code: string } | undefined {
  const dot = text.lastIndexOf('.');
  if (dot <= 0 || dot === text.length - 1) return undefined;
  return { authorityId: text.slice(0, dot), code: text.slice(dot + 1) };
}

const DeviceIdParam = z.object({ id: z.string().min(1).max(64).openapi({ example: EXAMPLE_DEVICE_ID }) });
const RegisterDeviceBody = z
  .object({ jwk: Jwk, label: z.string().max(64).optional().openapi({ example: '法定代表人手机' }) })
  .strict()
  .openapi('HolderRegisterDeviceRequest');
const InviteBody = z
  .object({
    licenceId: z.string().min(1).max(64).openapi({ example: EXAMPLE_LICENCE_ID }),
    agent: AgentSchema.strict(),
    matters: Matters,
    validFrom: ValidityString.optional().openapi({ description: 'Start (default: when the agent accepts); not before the licence' }),
    validUntil: ValidityString.openapi({
      description: "End (a date alone is the last valid day): at most one calendar year after the start, never after the licence's validUntil",
    }),
    note: Note,
  })
  .strict()
  .openapi('HolderAgentInvitationRequest');
const InvitationSchema = z
  .object({
    id: z.string(),
    licenceId: z.string(),
    agent: AgentSchema,
    matters: Matters,
    validFrom: z.string().nullable(),
    validUntil: z.string(),
    expiresAt: z.string().openapi({ description: 'The link works once, until then (72 hours)' }),
    code: z.string().openapi({ description: 'Shown once: `<authority>.<one-time code>` (only its hash is stored)' }),
    link: z.string().openapi({ description: "The agent's link: open it on the agent's own phone" }),
  })
  .openapi('HolderAgentInvitation');
const invitationExample = {
  id: '019a8e4c-2300-7a24-8c41-5d6e7f801900',
  licenceId: EXAMPLE_LICENCE_ID,
  agent: { name: '李明', idNumberMasked: '3301**********1234' },
  matters: ['tax-filing', 'bank-account'],
  validFrom: null,
  validUntil: '2027-05-31T16:00:00.000Z',
  expiresAt: '2026-06-04T00:00:00.000Z',
  code: 'hangzhou-amr.n2Vq0d9fX1y5c3Kp7Lm8Qw4Rt6Zs2Ua0Bv1Ce3Df5Gh',
  link: 'https://elicence.example.gov.cn/holder/agent#i=hangzhou-amr.n2Vq0d9fX1y5c3Kp7Lm8Qw4Rt6Zs2Ua0Bv1Ce3Df5Gh',
};
const AcceptBody = z
  .object({
    code: z.string().min(3).max(200).openapi({ example: invitationExample.code }),
    jwk: Jwk.openapi({ description: "The agent device's P-256 public key: the authorisation is bound to it (cnf)" }),
  })
  .strict()
  .openapi('HolderAgentAcceptRequest');

/** Every authorisation on the holder's licences at its authority, newest first. */
async function holderAuthorisations(c: Context<HolderEnv>): Promise<AgentAuthorisationView[]> {
  const services = c.var.services;
  const rows = await holderLicences(services.store.db, holderOf(c));
  const lists = await Promise.all(rows.map((row) => listAgentAuthorisations(services, holderScope(c), row.id)));
  return lists.flat().sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

export function holderRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<HolderEnv>();
  // Per app, made on first use with the app's clock (never a module singleton).
  let limits: { byClient: SlidingWindowCounter; byAuthority: SlidingWindowCounter } | undefined;
  const limiters = (c: Context<HolderEnv>) =>
    (limits ??= {
      byClient: new SlidingWindowCounter({ maxFailures: HOLDER_CODE_FAILURES_PER_CLIENT, windowMs: HOLDER_CODE_WINDOW_MS, clock: c.var.services.clock }),
      byAuthority: new SlidingWindowCounter({ maxFailures: HOLDER_CODE_FAILURES_PER_AUTHORITY, windowMs: HOLDER_CODE_WINDOW_MS, clock: c.var.services.clock }),
    });

  /**
   * The routes without a session (agent link, agent refresh): a 404 (unknown code, or no current proof)
   * counts as a failure of the client address in the same window as failed holder codes; past the limit,
   * 429 before any lookup.
   */
  const limitedByClient = async (c: Context<HolderEnv>, run: () => Promise<Response>): Promise<never> => {
    const { byClient } = limiters(c);
    const clientKey = clientKeyOf(c, undefined);
    const wait = clientKey ? byClient.retryAfterMs(clientKey) : 0;
    if (wait > 0) return rateLimited(c, wait) as never;
    try {
      return (await run()) as never;
    } catch (error) {
      if (clientKey && error instanceof ElicenceError && error.code === 'ERR_NOT_FOUND') byClient.recordFailure(clientKey);
      throw error;
    }
  };

  app.openAPIRegistry.registerComponent('securitySchemes', 'holderSession', {
    type: 'http',
    scheme: 'bearer',
    description: 'Holder session token from POST /holder/v1/session (docs/holder-app.md)',
  });

  app.use('/holder/v1/*', async (c, next) => {
    if (c.req.method === 'POST' && ['/holder/v1/session', '/holder/v1/agent-invitations/accept', '/holder/v1/agent-authorisations/refresh'].includes(c.req.path)) return next();
    return requireHolderSession(c, next);
  });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/holder/v1/session',
      tags: ['Holder'],
      summary: 'Exchange a holder code for a holder session',
      description:
        'The code comes from the holder link (`/holder/#c=<code>`) or the printed notice (spaces, dashes and letter case are ignored). Failed exchanges are rate limited per client address and per authority (429 with Retry-After).',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({ code: z.string().min(1).max(200) }).strict(),
              example: { code: 'hangzhou-amr.MFRGGZDFMZTWQ2LKNNWG23TPOA' },
            },
          },
        },
      },
      responses: {
        201: { description: 'The session', content: { 'application/json': { schema: SessionSchema, example: SESSION_EXAMPLE } } },
        ...errorResponses(400, 401),
        429: {
          description: 'Too many failed codes from this client or for this authority',
          content: { 'application/json': { example: { error: { code: 'ERR_RATE_LIMITED', message: 'too many failed holder codes; retry after 900 s' } } } },
        },
      },
    }),
    async (c) => {
      const services = c.var.services;
      const { byClient, byAuthority } = limiters(c);
      const clientKey = clientKeyOf(c, undefined);
      const parsed = parseHolderCode(c.req.valid('json').code);
      const authorityKey = `authority:${parsed?.authorityId ?? '?'}`;
      const wait = Math.max(clientKey ? byClient.retryAfterMs(clientKey) : 0, byAuthority.retryAfterMs(authorityKey));
      if (wait > 0) return rateLimited(c, wait) as never;
      const grant = parsed ? await exchangeHolderCode(services, parsed) : undefined;
      if (!grant) {
        if (clientKey) byClient.recordFailure(clientKey);
        byAuthority.recordFailure(authorityKey);
        // Never echo the code: error messages may be logged or shown.
        throw new ElicenceError('ERR_UNAUTHENTICATED', 'this holder code is unknown or has been replaced by a newer one', { field: 'code' });
      }
      const authority = await holderAuthority(services.store.db, grant.principal);
      c.header('Cache-Control', 'no-store');
      return c.json(
        {
          token: grant.token,
          tokenType: 'Bearer' as const,
          expiresAt: new Date(grant.principal.expiresAt).toISOString(),
          authority: { id: authority.id, nameZh: authority.nameZh, nameEn: authority.nameEn },
          holder: { creditCode: grant.principal.holderCreditCode },
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/holder/v1/session',
      tags: ['Holder'],
      summary: 'End this holder session (sign out this device)',
      security,
      responses: { 204: { description: 'Ended' }, ...errorResponses(401) },
    }),
    async (c) => {
      await endHolderSession(c.var.services, holderOf(c).sessionId);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/holder/v1/licences',
      tags: ['Holder'],
      summary: "The session's holder's licences at its authority, newest first, with status and history",
      security,
      responses: {
        200: {
          description: 'The licences, as of `checkedAt`',
          content: {
            'application/json': {
              schema: z.object({
                checkedAt: z.string(),
                authority: z.object({ id: z.string(), nameZh: z.string(), nameEn: z.string() }),
                holder: z.object({ creditCode: z.string(), name: z.string().nullable() }),
                sessionExpiresAt: z.string(),
                items: z.array(HolderLicenceSchema),
              }),
              example: {
                checkedAt: '2026-06-01T02:00:00.000Z',
                authority: SESSION_EXAMPLE.authority,
                holder: { creditCode: '91330106MA2CFX7K5Y', name: '杭州示例科技有限公司' },
                sessionExpiresAt: '2026-07-01T02:00:00.000Z',
                items: [LICENCE_EXAMPLE],
              },
            },
          },
        },
        ...errorResponses(401),
      },
    }),
    async (c) => {
      const holder = holderOf(c);
      const { services } = c.var;
      const [rows, authority] = await Promise.all([holderLicences(services.store.db, holder), holderAuthority(services.store.db, holder)]);
      const items = await Promise.all(rows.map((row) => holderLicenceView(c, row)));
      return c.json(
        {
          checkedAt: new Date(services.clock.now()).toISOString(),
          authority: { id: authority.id, nameZh: authority.nameZh, nameEn: authority.nameEn },
          holder: { creditCode: holder.holderCreditCode, name: rows.find((r) => r.holderName)?.holderName ?? null },
          sessionExpiresAt: new Date(holder.expiresAt).toISOString(),
          items,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/holder/v1/licences/{id}',
      tags: ['Holder'],
      summary: "One of the holder's licences",
      security,
      request: { params: IdParam },
      responses: {
        200: { description: 'The licence', content: { 'application/json': { schema: HolderLicenceSchema, example: LICENCE_EXAMPLE } } },
        ...errorResponses(401, 404),
      },
    }),
    async (c) => {
      const row = await requireHolderLicence(c.var.services.store.db, holderOf(c), c.req.valid('param').id);
      return c.json(await holderLicenceView(c, row), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/holder/v1/licences/{id}/credential',
      tags: ['Holder'],
      summary: 'The licence credential (compact JWS, application/vc+jwt)',
      security,
      request: { params: IdParam },
      responses: {
        200: {
          description: 'The credential',
          content: { 'application/vc+jwt': { schema: z.string(), example: 'eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiIsInR5cCI6InZjK2p3dCIsImN0eSI6InZjIn0.eyJ...fQ.c2ln' } },
        },
        ...errorResponses(401, 404),
      },
    }),
    async (c) => {
      const row = await requireHolderLicence(c.var.services.store.db, holderOf(c), c.req.valid('param').id);
      c.header('Content-Disposition', `attachment; filename="licence-${row.id}.jwt"`);
      return c.body(row.jws, 200, { 'Content-Type': 'application/vc+jwt' }) as never;
    },
  );

  for (const format of ['svg', 'png'] as const) {
    const contentType = format === 'svg' ? 'image/svg+xml' : 'image/png';
    app.openapi(
      createRoute({
        method: 'get',
        path: `/holder/v1/licences/{id}/qr.${format}`,
        tags: ['Holder'],
        summary: `The licence QR code as ${format.toUpperCase()}`,
        description: `The same image as the agency route /v1/licences/{id}/qr.${format}`,
        security,
        request: { params: IdParam, query: QrQuery },
        responses: {
          200: {
            description: 'The QR image',
            content: {
              [contentType]: {
                schema: z.string().openapi({ format: format === 'png' ? 'binary' : 'string' }),
                example: format === 'png' ? '(PNG bytes)' : '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 97 97">…</svg>',
              },
            },
          },
          304: { description: 'Not modified' },
          ...errorResponses(400, 401, 404),
        },
      }),
      async (c) => {
        const row = await requireHolderLicence(c.var.services.store.db, holderOf(c), c.req.valid('param').id);
        const response = qrImageResponse(c, row, format, c.req.valid('query'));
        // The holder's own copy: never in a shared cache.
        response.headers.set('Cache-Control', 'private, max-age=31536000, immutable');
        return response as never;
      },
    );
  }

  app.openapi(
    createRoute({
      method: 'get',
      path: '/holder/v1/licences/{id}/card',
      tags: ['Holder'],
      summary: 'Printable licence card (HTML: A4, A5 or wall card; print it or save it as PDF)',
      security,
      request: { params: IdParam, query: CardQuery },
      responses: {
        200: { description: 'The card page', content: { 'text/html': { schema: z.string(), example: '<!doctype html><html lang="zh-CN">…</html>' } } },
        ...errorResponses(400, 401, 404),
      },
    }),
    async (c) => {
      const row = await requireHolderLicence(c.var.services.store.db, holderOf(c), c.req.valid('param').id);
      const format: CardFormat = c.req.valid('query').format;
      return (await cardResponse(c, c.var.services, row, format)) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/holder/v1/devices',
      tags: ['Holder'],
      summary: "Register this phone's device key (an administrator of the business) and get its bound copies",
      description:
        'The app creates a non-extractable P-256 key (WebCrypto) and sends its public JWK. Each current licence of the holder gets a bound copy (cnf = this key, at most 30 days, its own revocation entry). ' +
        'At most 5 active devices per holder: a sixth is 409 ERR_DEVICE_LIMIT. The same key again while active answers 200 with the device as it is.',
      security,
      request: { body: { required: true, ...json(RegisterDeviceBody, { jwk: EXAMPLE_JWK, label: '法定代表人手机' }) } },
      responses: {
        201: {
          description: 'Registered, with its bound copies',
          ...json(z.object({ device: DeviceSchema, boundCopies: z.array(BoundCopySchema) }), { device: deviceExample, boundCopies: [boundCopyExample] }),
        },
        200: {
          description: 'Already registered and active',
          ...json(z.object({ device: DeviceSchema, boundCopies: z.array(BoundCopySchema) }), { device: deviceExample, boundCopies: [boundCopyExample] }),
        },
        ...errorResponses(400, 401, 404, 409, 415),
      },
    }),
    async (c) => {
      const holder = holderOf(c);
      const result = await registerDevice(c.var.services, holderScope(c), holder.holderCreditCode, c.req.valid('json'));
      return c.json({ device: result.device, boundCopies: result.boundCopies }, result.created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/holder/v1/devices',
      tags: ['Holder'],
      summary: "The holder's devices (its administrators), active first",
      security,
      responses: {
        200: { description: 'The devices', ...json(z.object({ items: z.array(DeviceSchema) }), { items: [deviceExample] }) },
        ...errorResponses(401, 404),
      },
    }),
    async (c) => c.json({ items: await listDevices(c.var.services, holderScope(c), holderOf(c).holderCreditCode) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/holder/v1/devices/{id}',
      tags: ['Holder'],
      summary: "Remove a device (a lost phone): its bound copies' own revocation bits are set, renewals stop; the licences stay valid",
      security,
      request: { params: DeviceIdParam },
      responses: {
        200: { description: 'The device, removed', ...json(DeviceSchema, { ...deviceExample, status: 'removed', removedAt: '2026-06-10T08:00:00.000Z' }) },
        ...errorResponses(401, 404, 409),
      },
    }),
    async (c) => c.json(await removeDevice(c.var.services, holderScope(c), holderOf(c).holderCreditCode, c.req.valid('param').id, 'removed by the holder'), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/holder/v1/bound-copies',
      tags: ['Holder'],
      summary: "A device's bound copies, renewed: copies ending within 10 days are re-signed, licences issued since get one",
      description: "The app calls this while online (silent renewal). A removed device is 409 ERR_ILLEGAL_TRANSITION; another holder's device 404.",
      security,
      request: { query: z.object({ device: z.string().min(1).max(64).openapi({ example: EXAMPLE_DEVICE_ID }) }).strict() },
      responses: {
        200: { description: 'The bound copies this device should hold now', ...json(z.object({ items: z.array(BoundCopySchema) }), { items: [boundCopyExample] }) },
        ...errorResponses(400, 401, 404, 409),
      },
    }),
    async (c) => c.json({ items: await renewBoundCopies(c.var.services, holderScope(c), holderOf(c).holderCreditCode, c.req.valid('query').device) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/holder/v1/agents',
      tags: ['Holder'],
      summary: 'Authorise an agent (授权用证): a one-time link the agent opens on their own phone',
      description:
        'Checks the agent, masked ID number, matters and period (at most one calendar year, never beyond the licence: 400 ERR_VALIDITY_WINDOW) on a current licence (409 ERR_LICENCE_NOT_CURRENT). ' +
        "The authorisation is signed when the agent's phone accepts the link with its own device key (POST /holder/v1/agent-invitations/accept).",
      security,
      request: {
        body: {
          required: true,
          ...json(InviteBody, {
            licenceId: EXAMPLE_LICENCE_ID,
            agent: { name: '李明', idNumberMasked: '3301**********1234' },
            matters: ['tax-filing', 'bank-account'],
            validUntil: '2027-05-31',
          }),
        },
      },
      responses: {
        201: { description: 'The invitation and its link (shown once)', ...json(InvitationSchema, invitationExample) },
        ...errorResponses(400, 401, 404, 409, 415),
      },
    }),
    async (c) => {
      const { licenceId, ...request } = c.req.valid('json');
      const invitation = await inviteAgent(c.var.services, holderScope(c), licenceId, request);
      const code = agentLinkCode(holderOf(c).authorityId, invitation.code);
      const link = `${c.var.services.config.publicUrl.replace(/\/$/, '')}${AGENT_PAGE_PATH}#i=${encodeURIComponent(code)}`;
      c.header('Cache-Control', 'no-store');
      return c.json(
        {
          id: invitation.id,
          licenceId: invitation.licenceId,
          agent: invitation.agent,
          matters: invitation.matters,
          validFrom: invitation.validFrom,
          validUntil: invitation.validUntil,
          expiresAt: invitation.expiresAt,
          code,
          link,
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/holder/v1/agents',
      tags: ['Holder'],
      summary: "The agent authorisations on the holder's licences, newest first",
      security,
      responses: {
        200: { description: 'The authorisations', ...json(z.object({ items: z.array(AuthorisationSchema) }), { items: [authorisationExample] }) },
        ...errorResponses(401),
      },
    }),
    async (c) => c.json({ items: await holderAuthorisations(c) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/holder/v1/agents/{id}/revoke',
      tags: ['Holder'],
      summary: "Revoke an agent authorisation (its own revocation bit; the licence's bits are untouched)",
      security,
      request: { params: IdParam },
      responses: {
        200: { description: 'The authorisation, revoked', ...json(AuthorisationSchema, { ...authorisationExample, status: 'revoked', statusReason: 'other' }) },
        ...errorResponses(401, 404, 409),
      },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      const found = (await holderAuthorisations(c)).find((a) => a.id === id);
      if (!found) throw new ElicenceError('ERR_NOT_FOUND', `no agent authorisation ${id}`, { field: 'id' });
      return c.json(await revokeAgentAuthorisation(c.var.services, holderScope(c), found.licenceId, id, 'revoked by the holder'), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/holder/v1/agent-invitations/accept',
      tags: ['Holder'],
      summary: "The agent's phone accepts an invitation with its own device key: the signed authorisation (no session needed; the one-time code is the credential)",
      description: 'An unknown, used, cancelled or expired code is the same 404. The code is used up by the first acceptance.',
      request: { body: { required: true, ...json(AcceptBody, { code: invitationExample.code, jwk: EXAMPLE_JWK }) } },
      responses: {
        201: { description: 'The authorisation (vc+jwt in `credential`), bound to the key sent', ...json(AuthorisationSchema, authorisationExample) },
        ...errorResponses(400, 404, 409, 415),
        429: TOO_MANY_FAILURES,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return limitedByClient(c, async () => {
        const parsed = parseAgentLinkCode(body.code.trim());
        if (!parsed) throw new ElicenceError('ERR_NOT_FOUND', 'no such invitation: it may have been used, cancelled or have expired', { field: 'code' });
        c.header('Cache-Control', 'no-store');
        return c.json(await acceptAgentInvitation(c.var.services, parsed.authorityId, parsed.code, body.jwk), 201);
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/holder/v1/agent-authorisations/refresh',
      tags: ['Holder'],
      summary: "The agent's phone asks for the current form of an authorisation it holds, proving its key with a live EL2 text of it (no session)",
      description:
        'The text must be a live QR text (docs/qr-format.md §11) of an authorisation this service issued, with a proof by its cnf key for a slot within 90 s of now. ' +
        'The answer follows amendments (the authorisation re-issued for the new licence, same key) and carries the status, so a revoked one shows as revoked. Anything else: the same 404.',
      request: {
        body: {
          required: true,
          ...json(
            z
              .object({ qr: z.string().min(5).max(8000) })
              .strict()
              .openapi('HolderAgentRefreshRequest'),
            { qr: 'EL2:0123456789…' },
          ),
        },
      },
      responses: {
        200: { description: 'The authorisation as it is now', ...json(AuthorisationSchema, authorisationExample) },
        ...errorResponses(400, 404, 415),
        429: TOO_MANY_FAILURES,
      },
    }),
    async (c) =>
      limitedByClient(c, async () => {
        c.header('Cache-Control', 'no-store');
        return c.json(await refreshAgentAuthorisation(c.var.services, c.req.valid('json').qr), 200);
      }),
  );

  // The agent's page: the holder app in agent mode (a redirect keeps the link's fragment, RFC 9110 §10.2.2).
  app.get(AGENT_PAGE_PATH, (c) => c.redirect('/holder/?mode=agent', 302));

  // The holder app's page and files (after the API: `/holder/:name` takes one segment only).
  app.route('/', staticAppRoutes({ mount: '/holder', name: 'holder app', build: 'npm run build:holder', assets: (services) => services.holderAssets }));

  return app as unknown as OpenAPIHono<AppEnv>;
}
