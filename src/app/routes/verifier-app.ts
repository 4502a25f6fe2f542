/**
 * Serves the inspectors' web app (verifier/web/, built by scripts/build-verifier.ts into
 * dist/verifier/) at `/verify/`: the page and service worker with `no-cache` (a release reaches
 * devices at once), content-hashed assets as immutable, precompressed gzip when the client accepts it.
 * The service worker lives at /verify/sw.js, so its scope is /verify/.
 *
 * The files come from `deps.verifierAssets`, which the Node entry provides (src/node/verifier-assets.ts);
 * a runtime without it (the Worker) answers 404 here and serves the same folder as static files
 * (wrangler `[assets]`, docs/verifier-app.md).
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ElicenceError } from '../../core/errors.js';
import type { AppEnv } from '../env.js';
import { builtFileResponse, IMMUTABLE } from '../static-files.js';

const REVALIDATE = 'no-cache';
/** Top-level files of the build; everything else must be a hashed file under assets/. */
const TOP_LEVEL = new Set(['index.html', 'sw.js', 'manifest.webmanifest', 'icon.svg']);
const ASSET_NAME = /^[A-Za-z0-9_-]+-[A-Za-z0-9]+\.(?:js|css)$/;

async function serveFile(c: Context<AppEnv>, relativePath: string, cacheControl: string): Promise<Response> {
  const assets = c.var.services.verifierAssets;
  const response = await builtFileResponse(c, assets, relativePath, cacheControl);
  if (response) return response;
  if (!(await assets?.read('index.html'))) {
    throw new ElicenceError('ERR_NOT_FOUND', 'the verifier app is not built here: run `npm run build:verifier` (or serve dist/verifier/ as static files)');
  }
  throw new ElicenceError('ERR_NOT_FOUND', `no file ${relativePath} in the verifier app`);
}

export function verifierAppRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  // Relative asset URLs in the page need the trailing slash.
  app.get('/verify', (c) => {
    const query = new URL(c.req.url).search;
    return c.redirect(`/verify/${query}`, 301);
  });
  app.get('/verify/', (c) => serveFile(c, 'index.html', REVALIDATE));
  app.get('/verify/assets/:name', (c) => {
    const name = c.req.param('name');
    if (!ASSET_NAME.test(name)) throw new ElicenceError('ERR_NOT_FOUND', `no asset ${name}`);
    return serveFile(c, `assets/${name}`, IMMUTABLE);
  });
  app.get('/verify/:name', (c) => {
    const name = c.req.param('name');
    if (!TOP_LEVEL.has(name)) throw new ElicenceError('ERR_NOT_FOUND', `no file ${name} in the verifier app`);
    return serveFile(c, name, name === 'icon.svg' ? 'public, max-age=86400' : REVALIDATE);
  });
  return app;
}
