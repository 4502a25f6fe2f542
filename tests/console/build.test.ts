/** The console's generated assets are current, and every page stays within 60 KB gzipped (HTML + CSS + script). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildConsoleAssets, CONSOLE_ASSETS_MODULE, CONSOLE_PAGE_BUDGET_BYTES } from '../../scripts/build-console.js';
import { measureConsolePages } from '../../scripts/console-budget.js';

describe('console build', () => {
  it('src/console/assets.generated.ts is what the sources build to (run npm run build:console after changing src/console/client/)', async () => {
    const built = await buildConsoleAssets();
    expect(readFileSync(CONSOLE_ASSETS_MODULE, 'utf8')).toBe(built.module);
    // The bundle carries the shared checker: the browser says what the API says.
    expect(built.script.body).toContain('check character does not match');
  });

  it('every console page is at most 60 KB gzipped with its style sheet and script', async () => {
    const pages = await measureConsolePages();
    expect(pages.length).toBeGreaterThanOrEqual(13);
    for (const page of pages) expect(page.totalGzipBytes, page.page).toBeLessThanOrEqual(CONSOLE_PAGE_BUDGET_BYTES);
  });
});
