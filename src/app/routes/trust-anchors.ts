/**
 * The register of peer anchors (docs/trust-anchor.md "Federation"), under `/v1/trust/anchors`: the
 * provinces (or, for a national root, every province) this anchor vouches for in its trust list's
 * `federatedAnchors`, the scope each is granted, and the fetch of their verifier bundles, whose pieces
 * this deployment re-serves. Every route needs the `anchor` scope and a deployment that is an anchor.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { formatDateTime, parseDateTimeField as parseDateTime } from '../../core/dates.js';
import { ElicenceError } from '../../core/errors.js';
import { refreshPeer } from '../../services/trust/federation.js';
import { storedPieces } from '../../services/trust/peer-pieces.js';
import { findPeer, listPeers, type PeerAnchor, type PeerKeySource, registerPeer, removePeer, updatePeer } from '../../services/trust/peers.js';
import type { AppEnv } from '../env.js';
import { requireScope } from '../middleware.js';
import { DateTimeString, errorResponses } from '../schemas.js';
import { anchorAdmin } from './trust-admin.js';

const security = [{ bearer: [] }];
const iso = (ms: number | null) => (ms === null ? null : formatDateTime(ms));

const Bilingual = z.object({ zh: z.string().min(1).max(200), en: z.string().min(1).max(200) }).strict();
const Keys = z.unknown().openapi({ description: "The peer's public anchor keys: its /.well-known/trust-anchor.json document, a JWKS or an array of JWKs" });
const Scope = z
  .object({
    issuerPrefixes: z
      .array(z.string().min(1).max(512))
      .min(1)
      .max(200)
      .openapi({ example: ['did:web:elicence.js.example:'], description: 'DID prefixes ending in ":": the namespace the peer speaks for' }),
    jurisdictions: z
      .array(z.string().min(2).max(6))
      .min(1)
      .max(200)
      .openapi({ example: ['32'], description: 'GB/T 2260 prefixes (2, 4 or 6 digits)' }),
    licenceTypes: z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(200)
      .optional()
      .openapi({ example: ['BusinessLicence'], description: 'Only these types (omitted: whatever each authority is listed for)' }),
  })
  .strict()
  .openapi('FederationScope');

const JIANGSU = 'did:web:elicence.js.example:anchors:jiangsu';
const SCOPE_EXAMPLE = { issuerPrefixes: ['did:web:elicence.js.example:'], jurisdictions: ['32'] };
const JIANGSU_KEY = { kty: 'OKP', crv: 'Ed25519', x: 'b0pKc2N4VnRyd1F5ZkRrTm1XcUVoR3pMYVBpVXZCc0M', kid: 'Jx2v9LQe7mHk3aPw5tYcRb8nZs4fUd1gVo6iKl0qXyE' };
const RECEIVED = '2026-06-01T02:05:00Z';
const PEER_EXAMPLE = {
  id: JIANGSU,
  name: { zh: '江苏省电子证照信任锚', en: 'Jiangsu e-licence trust anchor' },
  keys: [{ kid: JIANGSU_KEY.kid, jwk: JIANGSU_KEY, validFrom: '2025-05-30T02:00:00Z', validUntil: null }],
  keysSource: 'https://elicence.js.example/.well-known/trust-anchor.json',
  bundleUrl: 'https://elicence.js.example/verifier-bundle',
  scope: SCOPE_EXAMPLE,
  createdAt: '2026-06-01T02:00:00Z',
  updatedAt: '2026-06-01T02:00:00Z',
  sync: {
    lastAttemptAt: RECEIVED,
    lastSuccessAt: RECEIVED,
    lastError: null,
    trustList: { sequence: 41, issuedAt: '2026-06-01T00:00:00Z', expiresAt: '2026-06-08T00:00:00Z', receivedAt: RECEIVED },
    statusLists: 26,
    newestReceivedAt: RECEIVED,
  },
};
const REPORT_EXAMPLE = { peer: JIANGSU, outcome: 'updated', stored: { trustLists: 1, statusLists: 2 }, unchanged: 24, ignored: 0, refused: [], bytes: 48213, receivedAt: RECEIVED };

const PeerSchema = z
  .object({
    id: z.string().openapi({ example: 'did:web:elicence.js.example:anchors:jiangsu' }),
    name: z.object({ zh: z.string(), en: z.string() }),
    keys: z.array(z.object({ kid: z.string(), jwk: z.record(z.string(), z.unknown()), validFrom: z.string(), validUntil: z.string().nullable() })),
    keysSource: z.string().nullable(),
    bundleUrl: z.string(),
    scope: Scope,
    createdAt: z.string(),
    updatedAt: z.string(),
    sync: z.object({
      lastAttemptAt: z.string().nullable(),
      lastSuccessAt: z.string().nullable(),
      lastError: z.string().nullable(),
      trustList: z.object({ sequence: z.number().int(), issuedAt: z.string(), expiresAt: z.string().nullable(), receivedAt: z.string() }).nullable(),
      statusLists: z.number().int(),
      newestReceivedAt: z.string().nullable(),
    }),
  })
  .openapi('PeerAnchor', { example: PEER_EXAMPLE });

const AddPeerSchema = z
  .object({
    id: z.string().min(1).max(512).openapi({ example: 'did:web:elicence.js.example:anchors:jiangsu' }),
    name: Bilingual,
    keys: Keys.optional(),
    jwksUrl: z.string().max(2048).optional().openapi({ description: "Fetched now, e.g. the peer's /.well-known/trust-anchor.json (https; http only for localhost)" }),
    bundleUrl: z.string().max(2048).openapi({ example: 'https://elicence.js.example/verifier-bundle' }),
    scope: Scope,
    validFrom: DateTimeString.optional().openapi({ description: "Start of the keys' window (default: 367 days ago, so the list in circulation counts)" }),
  })
  .strict()
  .openapi('AddPeerAnchor', {
    example: {
      id: JIANGSU,
      name: { zh: '江苏省电子证照信任锚', en: 'Jiangsu e-licence trust anchor' },
      jwksUrl: 'https://elicence.js.example/.well-known/trust-anchor.json',
      bundleUrl: 'https://elicence.js.example/verifier-bundle',
      scope: SCOPE_EXAMPLE,
    },
  });

const UpdatePeerSchema = z
  .object({
    name: Bilingual.optional(),
    keys: Keys.optional(),
    jwksUrl: z.string().max(2048).optional(),
    bundleUrl: z.string().max(2048).optional(),
    scope: Scope.optional(),
    validFrom: DateTimeString.optional(),
  })
  .strict()
  .openapi({ example: { scope: { ...SCOPE_EXAMPLE, licenceTypes: ['BusinessLicence', 'FoodBusinessLicence'] } } });

const ReportSchema = z
  .object({
    peer: z.string(),
    outcome: z.enum(['updated', 'not-modified', 'failed']),
    stored: z.object({ trustLists: z.number().int(), statusLists: z.number().int() }),
    unchanged: z.number().int(),
    ignored: z.number().int(),
    refused: z.array(z.string()),
    error: z.string().optional(),
    bytes: z.number().int().optional(),
    receivedAt: z.string(),
  })
  .openapi('PeerRefreshReport', { example: REPORT_EXAMPLE });

const idParam = z.object({ id: z.string().min(1).max(512).openapi({ description: "The peer anchor's did:web (URL-encoded)" }) });

function keySource(body: { keys?: unknown; jwksUrl?: string | undefined }): PeerKeySource | undefined {
  if (body.keys !== undefined && body.jwksUrl !== undefined) throw new ElicenceError('ERR_VALIDATION', 'give either keys or jwksUrl, not both', { field: 'jwksUrl' });
  if (body.keys !== undefined) return { keys: body.keys };
  if (body.jwksUrl !== undefined) return { jwksUrl: body.jwksUrl };
  return undefined;
}

async function view(c: Context<AppEnv>, p: PeerAnchor) {
  const pieces = await storedPieces(c.var.services.store.db, { peerId: p.id });
  const list = pieces.find((piece) => piece.kind === 'trust-list' && piece.key === `trust:${p.id}`);
  const newest = pieces.reduce<number | null>((at, piece) => (at === null || piece.receivedAt > at ? piece.receivedAt : at), null);
  return {
    id: p.id,
    name: p.name,
    keys: p.keys.map((k) => ({ kid: k.jwk.kid, jwk: { ...k.jwk } as Record<string, unknown>, validFrom: formatDateTime(k.validFrom), validUntil: iso(k.validUntil ?? null) })),
    keysSource: p.keysSource,
    bundleUrl: p.bundleUrl,
    scope: p.scope,
    createdAt: formatDateTime(p.createdAt),
    updatedAt: formatDateTime(p.updatedAt),
    sync: {
      lastAttemptAt: iso(p.sync.lastAttemptAt),
      lastSuccessAt: iso(p.sync.lastSuccessAt),
      lastError: p.sync.lastError,
      trustList: list
        ? { sequence: list.sequence ?? 0, issuedAt: formatDateTime(list.signedAt), expiresAt: iso(list.expiresAt), receivedAt: formatDateTime(list.receivedAt) }
        : null,
      statusLists: pieces.filter((piece) => piece.kind === 'status-list').length,
      newestReceivedAt: iso(newest),
    },
  };
}

const anchor = (c: unknown) => anchorAdmin(c as Context<AppEnv>);

export function trustAnchorRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      middleware: [requireScope('anchor')] as const,
      tags: ['Trust admin'],
      security,
      method: 'get',
      path: '/v1/trust/anchors',
      summary: 'The peer anchors this anchor federates, with how fresh their fetched pieces are (admin, anchor only)',
      responses: {
        200: { description: 'The peers', content: { 'application/json': { schema: z.object({ items: z.array(PeerSchema) }).openapi({ example: { items: [PEER_EXAMPLE] } }) } } },
        ...errorResponses(401, 403),
      },
    }),
    async (c) => {
      await anchor(c);
      const peers = await listPeers(c.var.services.store.db);
      return c.json({ items: await Promise.all(peers.map((p) => view(c as unknown as Context<AppEnv>, p))) }, 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('anchor')] as const,
      tags: ['Trust admin'],
      security,
      method: 'post',
      path: '/v1/trust/anchors',
      summary: "Federate a peer anchor within a scope: it appears in the next trust list's federatedAnchors (admin, anchor only)",
      request: { body: { required: true, content: { 'application/json': { schema: AddPeerSchema } } } },
      responses: { 201: { description: 'Registered', content: { 'application/json': { schema: PeerSchema } } }, ...errorResponses(400, 401, 403, 409) },
    }),
    async (c) => {
      const actor = await anchor(c);
      const body = c.req.valid('json');
      const keys = keySource(body);
      if (!keys) throw new ElicenceError('ERR_VALIDATION', "give the peer's anchor keys (keys) or where to read them (jwksUrl)", { field: 'keys' });
      const peer = await registerPeer(
        c.var.services,
        {
          id: body.id,
          name: body.name,
          keys,
          bundleUrl: body.bundleUrl,
          scope: body.scope,
          ...(body.validFrom === undefined ? {} : { validFrom: parseDateTime(body.validFrom, 'validFrom') }),
        },
        actor,
        c.var.services.fetch ? { fetch: c.var.services.fetch } : {},
      );
      return c.json(await view(c as unknown as Context<AppEnv>, peer), 201);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('anchor')] as const,
      tags: ['Trust admin'],
      security,
      method: 'get',
      path: '/v1/trust/anchors/{id}',
      summary: 'One peer anchor (admin, anchor only)',
      request: { params: idParam },
      responses: { 200: { description: 'The peer', content: { 'application/json': { schema: PeerSchema } } }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      await anchor(c);
      const peer = await findPeer(c.var.services.store.db, c.req.valid('param').id);
      if (peer?.role !== 'federated') throw new ElicenceError('ERR_NOT_FOUND', 'not a registered peer anchor', { field: 'id' });
      return c.json(await view(c as unknown as Context<AppEnv>, peer), 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('anchor')] as const,
      tags: ['Trust admin'],
      security,
      method: 'patch',
      path: '/v1/trust/anchors/{id}',
      summary: "Change a peer's names, keys, bundle URL or scope, effective in the next trust list (admin, anchor only)",
      request: { params: idParam, body: { required: true, content: { 'application/json': { schema: UpdatePeerSchema } } } },
      responses: {
        200: {
          description: 'Updated',
          content: {
            'application/json': { schema: PeerSchema, example: { ...PEER_EXAMPLE, scope: { ...SCOPE_EXAMPLE, licenceTypes: ['BusinessLicence', 'FoodBusinessLicence'] } } },
          },
        },
        ...errorResponses(400, 401, 403, 404, 409),
      },
    }),
    async (c) => {
      const actor = await anchor(c);
      const body = c.req.valid('json');
      const keys = keySource(body);
      const peer = await updatePeer(
        c.var.services,
        c.req.valid('param').id,
        {
          ...(body.name ? { name: body.name } : {}),
          ...(keys ? { keys } : {}),
          ...(body.bundleUrl === undefined ? {} : { bundleUrl: body.bundleUrl }),
          ...(body.scope ? { scope: body.scope } : {}),
          ...(body.validFrom === undefined ? {} : { validFrom: parseDateTime(body.validFrom, 'validFrom') }),
        },
        actor,
        c.var.services.fetch ? { fetch: c.var.services.fetch } : {},
      );
      return c.json(await view(c as unknown as Context<AppEnv>, peer), 200);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('anchor')] as const,
      tags: ['Trust admin'],
      security,
      method: 'delete',
      path: '/v1/trust/anchors/{id}',
      summary: 'Stop federating a peer: it leaves the next trust list and its pieces are no longer served (admin, anchor only)',
      request: { params: idParam },
      responses: { 204: { description: 'Removed' }, ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      const actor = await anchor(c);
      await removePeer(c.var.services, c.req.valid('param').id, actor);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      middleware: [requireScope('anchor')] as const,
      tags: ['Trust admin'],
      security,
      method: 'post',
      path: '/v1/trust/anchors/{id}/refresh',
      summary: "Fetch the peer's verifier bundle now, check every piece and store the newest valid copies (admin, anchor only)",
      description: 'A peer that is down, slow, too large or serves garbage changes nothing stored: 502 ERR_FETCH_FAILED with the report in error.details.',
      request: { params: idParam },
      responses: {
        200: { description: 'Refreshed (pieces that failed a check are listed in `refused` and not stored)', content: { 'application/json': { schema: ReportSchema } } },
        ...errorResponses(401, 403, 404),
        502: {
          description: 'The peer could not be fetched or served garbage',
          content: {
            'application/json': {
              schema: z.record(z.string(), z.unknown()).openapi({
                example: { ...REPORT_EXAMPLE, outcome: 'failed', stored: { trustLists: 0, statusLists: 0 }, unchanged: 0, error: 'fetch failed: connect ECONNREFUSED', bytes: 0 },
              }),
            },
          },
        },
      },
    }),
    async (c) => {
      await anchor(c);
      const id = c.req.valid('param').id;
      const services = c.var.services;
      const report = await refreshPeer(services, id);
      const body = { ...report, receivedAt: formatDateTime(report.receivedAt) };
      if (report.outcome === 'failed') throw new ElicenceError('ERR_FETCH_FAILED', `${id}: ${report.error ?? 'refresh failed'}`, { details: body });
      return c.json(body, 200);
    },
  );

  return app;
}
