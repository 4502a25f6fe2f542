/**
 * Public status lists: `GET /status/{authority}/{purpose}/{seq}`, the URL licences carry as
 * `statusListCredential`. Signed vc+jwt by default (or on `Accept: application/vc+jwt`), the unsigned
 * credential JSON on `application/json` / `application/ld+json`.
 *
 * Caching: `Cache-Control: public, max-age=0, must-revalidate` with a strong ETag. A change must show
 * within a second, so no cache may serve a stored copy unvalidated; revalidation with If-None-Match
 * costs a 304 of a few bytes, and the server only re-signs when the list's version moved (or half its
 * ttl passed). `Vary: Accept` because one URL has two representations (each with its own ETag).
 *
 * Beside each revocation list, `GET /status/{authority}/revocation/{seq}/reasons` serves its status
 * reasons document (`status-reasons+jwt`, docs/trust-list.md §Status reasons), published with the list.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { accepts } from 'hono/accepts';
import { fromBase64url } from '../../core/encoding.js';
import { ElicenceError } from '../../core/errors.js';
import { etagOf, publishedStatusList } from '../../services/status-publishing.js';
import type { AppEnv } from '../env.js';
import { EXAMPLE, errorResponses, exampleJws } from '../schemas.js';

const VC_JWT = 'application/vc+jwt';
const REASONS_JWT = 'application/status-reasons+jwt';
const SUPPORTED = [VC_JWT, 'application/json', 'application/ld+json'];
export const STATUS_LIST_CACHE_CONTROL = 'public, max-age=0, must-revalidate';

/** True when an If-None-Match header names `etag` (weak comparison, as RFC 9110 asks for this header). */
export function ifNoneMatchHits(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}

/** The JSON representation's ETag: the signed form's, marked, so the two never share a validator. */
const jsonEtag = (etag: string) => `${etag.slice(0, -1)}.json"`;

const LIST_URL = `${EXAMPLE.base}/status/dev-city/revocation/1`;
const STATUS_LIST_EXAMPLE = {
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  id: LIST_URL,
  type: ['VerifiableCredential', 'BitstringStatusListCredential'],
  issuer: { id: EXAMPLE.authorityDid, name: '开发市市场监督管理局' },
  validFrom: '2026-06-01T02:00:00Z',
  validUntil: '2026-06-03T02:00:00Z',
  credentialSubject: {
    id: `${LIST_URL}#list`,
    type: 'BitstringStatusList',
    statusPurpose: 'revocation',
    encodedList: 'uH4sIAAAAAAAAA-3OQQkAAAgEsMP-oQ1xDxG2BEsAAAAAAAAAAAAAAACgN9cBAACA5xZJu0U2AEAAAA',
    ttl: 300000,
    version: 1,
  },
  iat: 1780279200,
};
const REASONS_EXAMPLE = {
  type: 'BitstringStatusReasons',
  issuer: EXAMPLE.authorityDid,
  statusListCredential: LIST_URL,
  statusListVersion: 1,
  encodedListDigest: 'vqwYp62FYYqCNJXLI6pzwTUI3J9fpi_ErrHb5gH9Ve4',
  count: 1,
  encodedReasons: 'ugA',
  iat: 1780279200,
};

const route = createRoute({
  method: 'get',
  path: '/status/{authority}/{purpose}/{seq}',
  tags: ['Public'],
  summary: 'A Bitstring Status List credential (W3C Bitstring Status List v1.0)',
  description:
    'Signed as vc+jwt when Accept is application/vc+jwt or states no preference; the unsigned credential JSON for application/json or application/ld+json. ' +
    'Served with a strong ETag (If-None-Match gives 304) and Cache-Control: public, max-age=0, must-revalidate; a status change is visible on the next request.',
  request: {
    params: z.object({
      authority: z.string().min(1).max(64),
      purpose: z.string().min(1).max(16).openapi({ example: 'revocation' }),
      seq: z.string().min(1).max(12).openapi({ example: '1' }),
    }),
  },
  responses: {
    200: {
      description: 'The status list',
      content: {
        [VC_JWT]: { schema: z.string().openapi({ description: 'Compact JWS (shortened here)', example: exampleJws('vc+jwt') }) },
        'application/json': { schema: z.record(z.string(), z.unknown()).openapi({ example: STATUS_LIST_EXAMPLE }) },
        'application/ld+json': { schema: z.record(z.string(), z.unknown()).openapi({ example: STATUS_LIST_EXAMPLE }) },
      },
    },
    304: { description: 'Not modified (If-None-Match matched)' },
    ...errorResponses(404),
  },
});

const reasonsRoute = createRoute({
  method: 'get',
  path: '/status/{authority}/{purpose}/{seq}/reasons',
  tags: ['Public'],
  summary: "A revocation list's status reasons document: which legal act revoked each revoked licence",
  description:
    'Compact JWS (`typ: status-reasons+jwt`, signed with the list) binding the list URL, its `version` and the SHA-256 of its `encodedList`, with a 3-bit reason code ' +
    '(penalty, rescinded, deregistered, superseded, other) for each set bit of the list in index order (docs/trust-list.md). The payload JSON for application/json. ' +
    'Published and cached with the list: ETag, If-None-Match, Cache-Control as for the list. Revocation lists only (404 otherwise).',
  request: {
    params: z.object({
      authority: z.string().min(1).max(64),
      purpose: z.string().min(1).max(16).openapi({ example: 'revocation' }),
      seq: z.string().min(1).max(12).openapi({ example: '1' }),
    }),
  },
  responses: {
    200: {
      description: 'The reasons document',
      content: {
        [REASONS_JWT]: { schema: z.string().openapi({ description: 'Compact JWS (shortened here)', example: exampleJws('status-reasons+jwt') }) },
        'application/json': { schema: z.record(z.string(), z.unknown()).openapi({ example: REASONS_EXAMPLE }) },
      },
    },
    304: { description: 'Not modified (If-None-Match matched)' },
    ...errorResponses(404),
  },
});

export function statusListRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(route, async (c: Context<AppEnv>) => {
    const { authority, purpose, seq } = c.req.param() as { authority: string; purpose: string; seq: string };
    const listId = `${authority}/${purpose}/${seq}`;
    const list = await publishedStatusList(c.var.services, listId);
    if (!list) throw new ElicenceError('ERR_NOT_FOUND', `no status list ${listId}`);
    const type = accepts(c, { header: 'Accept', supports: SUPPORTED, default: VC_JWT });
    const signed = type === VC_JWT;
    const etag = signed ? list.etag : jsonEtag(list.etag);
    c.header('Cache-Control', STATUS_LIST_CACHE_CONTROL);
    c.header('Vary', 'Accept');
    c.header('ETag', etag);
    if (ifNoneMatchHits(c.req.header('If-None-Match'), etag)) return c.body(null, 304);
    if (signed) return c.body(list.jws, 200, { 'Content-Type': VC_JWT });
    return c.body(JSON.stringify(list.credential), 200, { 'Content-Type': `${type}; charset=utf-8` });
  });

  app.openapi(reasonsRoute, async (c: Context<AppEnv>) => {
    const { authority, purpose, seq } = c.req.param() as { authority: string; purpose: string; seq: string };
    const listId = `${authority}/${purpose}/${seq}`;
    const list = purpose === 'revocation' ? await publishedStatusList(c.var.services, listId) : undefined;
    if (!list?.reasonsJws) throw new ElicenceError('ERR_NOT_FOUND', `no status reasons for ${listId}`);
    const type = accepts(c, { header: 'Accept', supports: [REASONS_JWT, 'application/json'], default: REASONS_JWT });
    const signed = type === REASONS_JWT;
    const etag = etagOf(list.reasonsJws);
    const tag = signed ? etag : jsonEtag(etag);
    c.header('Cache-Control', STATUS_LIST_CACHE_CONTROL);
    c.header('Vary', 'Accept');
    c.header('ETag', tag);
    if (ifNoneMatchHits(c.req.header('If-None-Match'), tag)) return c.body(null, 304);
    if (signed) return c.body(list.reasonsJws, 200, { 'Content-Type': REASONS_JWT });
    const payload = JSON.parse(new TextDecoder().decode(fromBase64url(list.reasonsJws.split('.')[1]!)));
    return c.body(JSON.stringify(payload), 200, { 'Content-Type': 'application/json; charset=utf-8' });
  });

  return app;
}
