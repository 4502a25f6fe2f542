/** The /docs page's files: the generated names are current, the weight stays within budget, nothing phones out. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_DOCS_ASSETS_MODULE, API_DOCS_BUDGET_BYTES, buildApiDocsAssets } from '../../scripts/build-api-docs.js';
import { createTestContext } from '../helpers/app.js';

describe('API reference assets', () => {
  it('src/app/api-docs/assets.generated.ts is what the sources build to (run npm run build:docs after changing src/app/api-docs/ or swagger-ui-dist)', async () => {
    const built = await buildApiDocsAssets();
    expect(readFileSync(API_DOCS_ASSETS_MODULE, 'utf8')).toBe(built.module);
    expect(built.totalGzipBytes).toBeLessThanOrEqual(API_DOCS_BUDGET_BYTES);
    const init = new TextDecoder().decode(built.files.init.body);
    // The start-up script switches off the validator badge (a request to validator.swagger.io) and loads the local document.
    expect(init).toMatch(/validatorUrl:null/);
    expect(init).toContain('/openapi.json');
    // The bundle's source map is not served, so the bundle does not point at one.
    expect(new TextDecoder().decode(built.files.swaggerScript.body)).not.toContain('sourceMappingURL');
  });

  it('the page has no inline script and names only its own origin', async () => {
    const t = await createTestContext();
    try {
      const res = await t.app.request('/docs');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    } finally {
      t.close();
    }
  });
});
