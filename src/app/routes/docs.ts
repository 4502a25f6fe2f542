/**
 * GET /docs: the interactive API reference, Swagger UI rendering /openapi.json, with every file served by
 * this app (no CDN: inspectors and agencies may be on closed networks) and no inline script (the content
 * security policy allows scripts from this origin only): the start-up script is a file too.
 * The files are built by scripts/build-api-docs.ts into dist/api-docs/assets/ under content-hashed names
 * (src/app/api-docs/assets.generated.ts), served here from `deps.apiDocsAssets` on Node with
 * `immutable` caching, and as static files on the Worker (scripts/worker-assets.ts).
 * Without script the page lists the operations, server-rendered from the same document.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { ElicenceError } from '../../core/errors.js';
import { API_DOCS_ASSETS } from '../api-docs/assets.generated.js';
import type { AppEnv } from '../env.js';
import { escapeHtml } from '../html.js';
import { builtFileResponse, IMMUTABLE } from '../static-files.js';

interface Operation {
  summary?: string;
  tags?: string[];
  security?: unknown[];
}

const ASSET_NAMES: ReadonlySet<string> = new Set(Object.values(API_DOCS_ASSETS));

/** The operations as a plain list, for a browser without script. */
function operationList(paths: Record<string, Record<string, Operation>>): string {
  const groups = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags?.[0] ?? 'Other';
      const item = `<li><code>${method.toUpperCase()} ${escapeHtml(path)}</code> ${escapeHtml(op.summary ?? '')}${op.security?.length ? ' (token)' : ''}</li>`;
      groups.set(tag, [...(groups.get(tag) ?? []), item]);
    }
  }
  return [...groups].map(([tag, items]) => `<h2>${escapeHtml(tag)}</h2><ul>${items.join('')}</ul>`).join('');
}

export function registerDocs(app: OpenAPIHono<AppEnv>, document: () => { paths?: Record<string, Record<string, Operation>> }): void {
  app.get('/docs', (c) => {
    const asset = (name: string) => `/docs/assets/${name}`;
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>API · 电子证照 e-licence</title>
<link rel="stylesheet" href="${asset(API_DOCS_ASSETS.swaggerStyle)}"><link rel="stylesheet" href="${asset(API_DOCS_ASSETS.style)}">
<script src="${asset(API_DOCS_ASSETS.swaggerScript)}" defer></script><script src="${asset(API_DOCS_ASSETS.init)}" defer></script></head>
<body><header class="docs-head"><h1>e-licence API <span lang="zh-CN">电子证照接口</span></h1>
<p>Generated from <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1), the same schemas the handlers validate with. Agency routes take <code>Authorization: Bearer &lt;agency token&gt;</code>; every error is <code>{"error":{"code","message","field"}}</code>.</p></header>
<main id="swagger-ui" data-spec="/openapi.json"><noscript>${operationList(document().paths ?? {})}</noscript></main></body></html>`;
    return c.html(html, 200, { 'Cache-Control': 'no-cache' });
  });

  app.get('/docs/assets/:name', async (c) => {
    const name = c.req.param('name');
    if (!ASSET_NAMES.has(name)) throw new ElicenceError('ERR_NOT_FOUND', `no file ${name} in the API reference (the page names its files by content hash)`);
    const response = await builtFileResponse(c, c.var.services.apiDocsAssets, `assets/${name}`, IMMUTABLE);
    if (!response) throw new ElicenceError('ERR_NOT_FOUND', 'the API reference is not built here: run `npm run build:docs` (or serve dist/api-docs/ as static files)');
    return response;
  });
}
