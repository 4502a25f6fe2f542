/**
 * Agency API: a licence's QR code as SVG or PNG, and its printable card (HTML). Runtime-neutral (no
 * `node:*`): the images come from src/app/qr-image.ts, so Node and Workers answer alike.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Context } from 'hono';
import { utf8 } from '../../core/encoding.js';
import { encodeLicenceQr } from '../../core/qr/index.js';
import type { LicenceRow } from '../../services/issuance.js';
import { requireLicence } from '../../services/licences.js';
import { requireLicenceType } from '../../services/tokens.js';
import type { CardFormat } from '../card.css.js';
import { licenceCardHtml } from '../card.js';
import type { AppEnv, Services } from '../env.js';
import { requireScope } from '../middleware.js';
import { DEFAULT_PNG_PIXELS_PER_MODULE, qrMatrix, qrPng, qrSvg } from '../qr-image.js';
import { errorResponses } from '../schemas.js';

const security = [{ bearer: [] }];
const IdParam = z.object({ id: z.string().min(1).max(64) });

/** Bump when the drawing changes, so cached images with the old look are not revalidated as current. */
const RENDERER_VERSION = 'r1';
/** A licence's JWS never changes, so neither does its QR image: cache for a year, privately. */
const QR_CACHE_CONTROL = 'private, max-age=31536000, immutable';

export const QrQuery = z
  .object({
    ecc: z.enum(['L', 'M', 'Q', 'H']).default('M').openapi({ description: 'Error-correction level (default M)' }),
    size: z.coerce
      .number()
      .int()
      .min(128)
      .max(2048)
      .optional()
      .openapi({
        description: `Image width and height in pixels, quiet zone included (128-2048). PNG: every module is a whole number of pixels, spare pixels widen the quiet zone. Default: ${DEFAULT_PNG_PIXELS_PER_MODULE} pixels per module.`,
      }),
    margin: z.coerce.number().int().min(2).max(16).default(4).openapi({ description: 'Quiet zone in modules (2-16, default 4: the ISO/IEC 18004 minimum)' }),
  })
  .strict();

const CardQuery = z
  .object({
    format: z.enum(['a4', 'card']).default('a4').openapi({ description: 'Print layout: A4 portrait, or a 148 x 105 mm (A6 landscape) wall card' }),
  })
  .strict();

/** What the image answers look like (a PNG is binary: described, not shown). */
const QR_EXAMPLES = {
  svg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 89 89" shape-rendering="crispEdges" role="img"><title>营业执照 杭州示例科技有限公司</title><rect width="89" height="89" fill="#fff"/><path fill="#000" d="M4 4h7v1H4z…"/></svg>',
  png: '(binary: a PNG image, 8 pixels per module by default)',
};

const qrRoute = (extension: 'svg' | 'png', contentType: string) =>
  createRoute({
    middleware: [requireScope('read')] as const,
    method: 'get',
    path: `/v1/licences/{id}/qr.${extension}`,
    tags: ['Licences'],
    summary: `The licence QR code as ${extension.toUpperCase()}`,
    description: 'Carries the licence in its compact QR form (docs/qr-format.md); the same text as `qrText` of the licence.',
    security,
    request: { params: IdParam, query: QrQuery },
    responses: {
      200: {
        description: 'The QR image (immutable: an ETag derived from the JWS, If-None-Match gives 304)',
        content: { [contentType]: { schema: z.string().openapi({ format: extension === 'png' ? 'binary' : 'string', example: QR_EXAMPLES[extension] }) } },
      },
      304: { description: 'Not modified' },
      ...errorResponses(400, 401, 403, 404),
    },
  });

const cardRoute = createRoute({
  middleware: [requireScope('read')] as const,
  method: 'get',
  path: '/v1/licences/{id}/card',
  tags: ['Licences'],
  summary: 'Printable licence card (HTML)',
  description: 'Bilingual fields, validity, issuer, current status and the QR code; print CSS for A4 and a 148 x 105 mm card.',
  security,
  request: { params: IdParam, query: CardQuery },
  responses: {
    200: {
      description: 'The card page',
      content: {
        'text/html': {
          schema: z.string().openapi({
            example:
              '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>营业执照 杭州示例科技有限公司</title>…</head><body><header class="head"><h1>营业执照</h1><p class="en">Business licence</p>…',
          }),
        },
      },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

/** The licence the token may read: another authority's is 404, a type outside the token's is 403. */
async function readableLicence(c: Context<AppEnv>, id: string): Promise<LicenceRow> {
  const principal = c.var.principal;
  const row = await requireLicence(c.var.services.store.db, principal.authorityId, id);
  requireLicenceType(principal, row.type);
  return row;
}

const fileStem = (row: LicenceRow) => `licence-${row.id.replace(/[^A-Za-z0-9-]/g, '')}`;

/** True when If-None-Match lists this ETag (or `*`); weak validators compare equal too. */
function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

export type QrQueryValue = z.infer<typeof QrQuery>;

/**
 * A licence's QR image answer (shared by the agency route and the holder API, src/holder/routes.ts):
 * immutable, with an ETag from the JWS and the drawing options, 304 on If-None-Match.
 */
export function qrImageResponse(c: Context, row: LicenceRow, format: 'svg' | 'png', query: QrQueryValue): Response {
  const { ecc, size, margin } = query;
  const jwsHash = bytesToHex(sha256(utf8(row.jws))).slice(0, 32);
  const etag = `"${jwsHash}.${format}.${ecc}.${size ?? 'd'}.${margin}.${RENDERER_VERSION}"`;
  c.header('Cache-Control', QR_CACHE_CONTROL);
  c.header('ETag', etag);
  if (notModified(c.req.header('if-none-match'), etag)) return c.body(null, 304);

  const matrix = qrMatrix(encodeLicenceQr(row.jws), ecc);
  const modules = matrix.size + 2 * margin;
  c.header('Content-Disposition', `inline; filename="${fileStem(row)}-qr.${format}"`);
  c.header('X-QR-Version', String(matrix.version));
  if (format === 'svg') {
    const svg = qrSvg(matrix, { margin, size: size ?? modules * DEFAULT_PNG_PIXELS_PER_MODULE });
    return c.body(svg, 200, { 'Content-Type': 'image/svg+xml' });
  }
  const png = qrPng(matrix, { margin, ...(size === undefined ? {} : { width: size }) });
  return c.body(png as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'image/png' });
}

/** A licence's printable card as of now (never cached without asking: it shows the current status). */
export async function cardResponse(c: Context, services: Services, row: LicenceRow, format: CardFormat): Promise<Response> {
  const html = await licenceCardHtml(services, row, format);
  c.header('Cache-Control', 'private, no-cache');
  c.header('Content-Disposition', `inline; filename="${fileStem(row)}-card.html"`);
  return c.html(html, 200);
}

export function qrRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();

  for (const format of ['svg', 'png'] as const) {
    const contentType = format === 'svg' ? 'image/svg+xml' : 'image/png';
    app.openapi(qrRoute(format, contentType), async (c) => {
      const row = await readableLicence(c, c.req.valid('param').id);
      return qrImageResponse(c, row, format, c.req.valid('query'));
    });
  }

  app.openapi(cardRoute, async (c) => {
    const row = await readableLicence(c, c.req.valid('param').id);
    return cardResponse(c, c.var.services, row, c.req.valid('query').format);
  });

  return app;
}
