/**
 * What verifiers fetch from a trust anchor (docs/trust-anchor.md), no token needed: `GET /trust-list`
 * (the anchor's latest signed list: application/jwt, or its JSON payload on Accept: application/json),
 * `GET /.well-known/trust-anchor.json` (anchor keys to pin), and the verifier bundle at
 * `GET /verifier-bundle` (inspectors are not agencies); `GET /v1/verifier-bundle` is the same bundle
 * for agency clients, with their token. The anchor's admin API is in trust-admin.ts.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Context } from 'hono';
import { accepts } from 'hono/accepts';
import { BUNDLE_MEDIA_TYPE, packBundle } from '../../core/bundle.js';
import { parseDateTimeField as parseDateTime } from '../../core/dates.js';
import { base64url, utf8 } from '../../core/encoding.js';
import { ElicenceError } from '../../core/errors.js';
import { ensureDevTrustList } from '../../services/bootstrap.js';
import { anchorJwks } from '../../services/trust/anchor.js';
import { currentTrustList, trustListPayloadOf } from '../../services/trust/publishing.js';
import { buildPatchBundle, buildVerifierBundle, etagMatches, MAX_LISTS_PER_REQUEST, statusCopiesFor, TRUST_LIST_PATH } from '../../services/verifier-bundle.js';
import type { AppEnv } from '../env.js';
import { DateTimeString, EXAMPLE, errorResponses, exampleJws } from '../schemas.js';

const security = [{ bearer: [] }];
const JWT = 'application/jwt';

const BundleQuery = z.object({
  since: DateTimeString.optional().openapi({
    description:
      "The previous bundle's generatedAt: only pieces this deployment stored since then (minus a minute; a peer's pieces by when they were received) are returned, to merge",
  }),
  patches: z.enum(['1']).optional().openapi({
    description:
      'The patch protocol (docs/trust-list.md, "Bundle sync"): compact status copies attested by each authority\'s manifest, and signed status patches; with since (within 7 days), the cut patches since then. Pieces travel unpacked (jwsParts).',
  }),
  anchor: z.string().min(1).max(2048).optional().openapi({
    description: 'With patches=1, province-only: the status data of the authorities this anchor lists directly, and only its trust lists',
  }),
});

const ListsBody = z
  .object({
    urls: z.array(z.string().min(1).max(2048)).min(1).max(MAX_LISTS_PER_REQUEST).openapi({ description: "Status list URLs (the licences' statusListCredential)" }),
  })
  .strict()
  .openapi({ example: { urls: ['https://elicence.example/status/dev-city/revocation/1'] } });

const FETCHED = '2026-06-01T02:00:00Z';
const BUNDLE_EXAMPLE = {
  version: 1,
  generatedAt: FETCHED,
  trustLists: [{ url: `${EXAMPLE.base}/trust-list`, jws: exampleJws('trust-list+jwt'), fetchedAt: FETCHED }],
  statusLists: [
    { url: `${EXAMPLE.base}/status/dev-city/revocation/1`, jws: exampleJws('vc+jwt'), fetchedAt: FETCHED },
    { url: `${EXAMPLE.base}/status/dev-city/suspension/1`, jws: exampleJws('vc+jwt'), fetchedAt: FETCHED },
  ],
  statusReasons: [{ url: `${EXAMPLE.base}/status/dev-city/revocation/1/reasons`, jws: exampleJws('status-reasons+jwt'), fetchedAt: FETCHED }],
};
const TRUST_LIST_EXAMPLE = {
  version: 1,
  id: EXAMPLE.anchorDid,
  name: { zh: '开发环境电子证照信任锚', en: 'Development e-licence trust anchor' },
  sequence: 1,
  issuedAt: FETCHED,
  expiresAt: '2026-06-08T02:00:00Z',
  authorities: [
    {
      id: EXAMPLE.authorityDid,
      name: { zh: '开发市市场监督管理局', en: 'Dev City Administration for Market Regulation' },
      jurisdiction: '330100',
      creditCode: '11330100DC00000011',
      status: 'active',
      licenceTypes: ['BusinessLicence', 'FoodBusinessLicence'],
      keys: [{ jwk: { ...EXAMPLE.publicJwk, kid: EXAMPLE.kid }, validFrom: FETCHED }],
    },
  ],
  federatedAnchors: [],
};

const bundleResponses = {
  200: {
    description: 'The verifier bundle (docs/trust-list.md): trust lists and status lists, each a signed JWS with its fetch time',
    content: { 'application/json': { schema: z.record(z.string(), z.unknown()).openapi({ example: BUNDLE_EXAMPLE }) } },
  },
  304: { description: "Not modified (If-None-Match matched the bundle's ETag)" },
  ...errorResponses(400),
};

async function serveBundle(c: Context<AppEnv>, cacheControl: string): Promise<Response> {
  const since = c.req.query('since');
  const patches = c.req.query('patches');
  const anchor = c.req.query('anchor');
  if (patches !== undefined && patches !== '1') throw new ElicenceError('ERR_VALIDATION', 'patches must be 1', { field: 'patches' });
  if (anchor !== undefined && patches === undefined) throw new ElicenceError('ERR_VALIDATION', 'anchor (province-only) needs patches=1', { field: 'anchor' });
  const options = { ...(since === undefined ? {} : { since: parseDateTime(since, 'since') }), ...(anchor === undefined ? {} : { anchor }) };
  // A development setup whose bootstrap did not list its authority yet gets it first.
  await ensureDevTrustList(c.var.services);
  const built = patches === '1' ? await buildPatchBundle(c.var.services, options) : await buildVerifierBundle(c.var.services, options);
  c.header('ETag', built.etag);
  c.header('Cache-Control', cacheControl);
  // The Content-Type follows Accept: a shared cache must not answer one Accept with the other's label.
  c.header('Vary', 'Accept, Accept-Encoding');
  c.header('Elicence-Bundle', built.delta ? 'delta' : 'full');
  if (patches === '1') c.header('Elicence-Bundle-Form', 'patches');
  if (etagMatches(c.req.header('If-None-Match'), built.etag)) return c.body(null, 304);
  const type = accepts(c, { header: 'Accept', supports: ['application/json', BUNDLE_MEDIA_TYPE], default: 'application/json' });
  const body = patches === '1' ? packBundle(built.bundle) : built.bundle;
  return c.body(JSON.stringify(body), 200, { 'Content-Type': `${type}; charset=utf-8` });
}

export function trustPublicRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(
    createRoute({
      method: 'get',
      path: TRUST_LIST_PATH,
      tags: ['Trust'],
      summary: "The anchor's latest signed trust list",
      description:
        'application/jwt (the compact JWS, typ trust-list+jwt) by default; the JSON payload on Accept: application/json (informative: only the JWS is to be trusted). Strong ETag per representation; 404 when this deployment is not a trust anchor.',
      responses: {
        200: {
          description: 'The trust list',
          content: {
            [JWT]: { schema: z.string().openapi({ example: exampleJws('trust-list+jwt') }) },
            'application/json': { schema: z.record(z.string(), z.unknown()).openapi({ example: TRUST_LIST_EXAMPLE }) },
          },
        },
        304: { description: 'Not modified' },
        ...errorResponses(404),
      },
    }),
    async (c: Context<AppEnv>) => {
      await ensureDevTrustList(c.var.services);
      const list = await currentTrustList(c.var.services);
      if (!list) throw new ElicenceError('ERR_NOT_FOUND', 'this deployment is not a trust anchor');
      const type = accepts(c, { header: 'Accept', supports: [JWT, 'application/trust-list+jwt', 'application/json'], default: JWT });
      const json = type === 'application/json';
      const etag = `"${base64url(sha256(utf8(list.jws)).subarray(0, 18))}${json ? '.json' : ''}"`;
      c.header('ETag', etag);
      c.header('Vary', 'Accept');
      c.header('Cache-Control', 'public, max-age=60, must-revalidate');
      if (etagMatches(c.req.header('If-None-Match'), etag)) return c.body(null, 304);
      if (json) return c.body(JSON.stringify(trustListPayloadOf(list)), 200, { 'Content-Type': 'application/json; charset=utf-8' });
      return c.body(list.jws, 200, { 'Content-Type': type });
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/.well-known/trust-anchor.json',
      tags: ['Trust'],
      summary: "The trust anchor's id and public keys (a JWKS with `anchorId`), for verifier operators to pin",
      responses: {
        200: {
          description: 'A JWKS whose keys count only for trust lists naming `anchorId`',
          content: {
            'application/json': {
              schema: z
                .object({ anchorId: z.string().openapi({ example: 'did:web:elicence.zj.example:anchors:zhejiang' }), keys: z.array(z.record(z.string(), z.unknown())) })
                .openapi({
                  example: {
                    anchorId: EXAMPLE.anchorDid,
                    keys: [
                      {
                        kty: 'OKP',
                        crv: 'Ed25519',
                        x: 'weDqexpvBRZzApDsrvXkV99sYbSW8Rirf8ZcTqiKMNI',
                        kid: 'SFrFr7FBbcH8eicWt3jjq8B-Ldb3rc8f3LGH90YFDD0',
                        alg: 'EdDSA',
                        use: 'sig',
                      },
                    ],
                  },
                }),
            },
          },
        },
        ...errorResponses(404),
      },
    }),
    async (c) => {
      const jwks = await anchorJwks(c.var.services);
      if (!jwks) throw new ElicenceError('ERR_NOT_FOUND', 'this deployment is not a trust anchor');
      c.header('Cache-Control', 'public, max-age=300');
      return c.json({ anchorId: jwks.anchorId, keys: jwks.keys as Array<Record<string, unknown>> }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/verifier-bundle',
      tags: ['Trust'],
      summary: 'Everything an offline verifier needs (public, no token)',
      description:
        "The anchor's current trust list, the current status lists of the authorities hosted here, and the pieces of the anchors it federates (re-served unchanged), each still a signed JWS. Weak ETag over all pieces (If-None-Match gives 304); `since` returns only pieces stored since (header Elicence-Bundle: delta) to merge into the previous bundle.",
      request: { query: BundleQuery },
      responses: bundleResponses,
    }),
    (c: Context<AppEnv>) => serveBundle(c, 'public, max-age=60, must-revalidate'),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/verifier-bundle/lists',
      tags: ['Trust'],
      summary: 'Full copies of some status lists (public, no token)',
      description:
        'For a client whose copy a status patch could not bring up to date (docs/trust-list.md, "Bundle sync"): the compact copies of just these lists at their last cut, each with the manifest that attests it, and their authorities\' tails. URLs this deployment does not serve are left out.',
      request: { body: { content: { 'application/json': { schema: ListsBody } }, required: true } },
      responses: {
        200: {
          description: 'A bundle with statusCopies and statusPatches only (pieces unpacked)',
          content: {
            'application/json': {
              schema: z.record(z.string(), z.unknown()).openapi({
                example: {
                  version: 1,
                  generatedAt: FETCHED,
                  trustLists: [],
                  statusLists: [],
                  statusPatches: [],
                  statusCopies: [{ url: `${EXAMPLE.base}/status/dev-city/revocation/1`, jwsParts: ['{"alg":"EdDSA","kid":"…"}', '{"…"}', 'oB36FK0d4nQ9…'], fetchedAt: FETCHED }],
                },
              }),
            },
          },
        },
        ...errorResponses(400),
      },
    }),
    async (c) => {
      const { urls } = c.req.valid('json');
      const bundle = await statusCopiesFor(c.var.services, urls);
      c.header('Cache-Control', 'no-store');
      c.header('Elicence-Bundle-Form', 'patches');
      return c.json(packBundle(bundle) as Record<string, never>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/verifier-bundle',
      tags: ['Trust'],
      summary: 'The verifier bundle, for agency clients (same content as GET /verifier-bundle)',
      security,
      request: { query: BundleQuery },
      responses: { ...bundleResponses, ...errorResponses(400, 401) },
    }),
    (c: Context<AppEnv>) => serveBundle(c, 'private, max-age=60, must-revalidate'),
  );

  return app;
}
