/** GET /docs: a readable, script-free page generated from the same OpenAPI document as /openapi.json. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';
import { escapeHtml, htmlPage } from '../html.js';

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
}

export function registerDocs(app: OpenAPIHono<AppEnv>, document: () => { paths?: Record<string, Record<string, Operation>> }): void {
  app.get('/docs', (c) => {
    const paths = document().paths ?? {};
    const groups = new Map<string, string[]>();
    for (const [path, methods] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const tag = op.tags?.[0] ?? 'Other';
        const row = `<tr><td><code class="m ${method}">${method.toUpperCase()}</code></td><td><code>${escapeHtml(path)}</code></td><td>${escapeHtml(op.summary ?? '')}${
          op.description ? `<br><small>${escapeHtml(op.description)}</small>` : ''
        }</td><td>${op.security?.length ? '<span class="tok">token</span>' : ''}</td></tr>`;
        groups.set(tag, [...(groups.get(tag) ?? []), row]);
      }
    }
    const sections = [...groups].map(([tag, rows]) => `<h2>${escapeHtml(tag)}</h2><table><tbody>${rows.join('')}</tbody></table>`).join('');
    return c.html(
      htmlPage(
        'API · 电子证照 e-licence',
        `<h1>e-licence API</h1><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). <span class="tok">token</span> = <code>Authorization: Bearer &lt;agency token&gt;</code>. Errors are <code>{"error":{"code","message","field"}}</code>.</p>${sections}`,
        'table{border-collapse:collapse;width:100%;table-layout:fixed}td{border-top:1px solid #ddd;padding:.4em;vertical-align:top;overflow-wrap:anywhere}td:nth-child(1){width:4.5em}td:nth-child(2){width:19em}td:nth-child(4){width:3.5em}.m{font-weight:bold}.post{color:#b45309}.get{color:#047857}.delete{color:#b91c1c}.tok{font-size:.75em;border:1px solid #999;border-radius:3px;padding:0 .3em;color:#555}',
      ),
    );
  });
}
