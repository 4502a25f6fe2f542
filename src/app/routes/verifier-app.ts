/**
 * Serves the inspectors' web app (verifier/web/, built by scripts/build-verifier.ts into
 * dist/verifier/) at `/verify/`: the page and service worker with `no-cache` (a release reaches
 * devices at once), content-hashed assets as immutable, precompressed gzip when the client accepts it.
 * The service worker lives at /verify/sw.js, so its scope is /verify/.
 *
 * The files come from `deps.verifierAssets`, which the Node entry provides (src/node/verifier-assets.ts);
 * a runtime without it (the Worker) answers 404 here and serves the same folder as static files
 * (wrangler `[assets]`, docs/verifier-app.md). The holder app (src/holder/) is served the same way at
 * `/holder/` through `staticAppRoutes`.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ElicenceError } from '../../core/errors.js';
import type { AssetSource } from '../deps.js';
import type { AppEnv, Services } from '../env.js';
import { builtFileResponse, IMMUTABLE } from '../static-files.js';

const REVALIDATE = 'no-cache';
/** Top-level files of the build; everything else must be a hashed file under assets/. */
const TOP_LEVEL = new Set(['index.html', 'sw.js', 'manifest.webmanifest', 'icon.svg']);
const ASSET_NAME = /^[A-Za-z0-9_-]+-[A-Za-z0-9]+\.(?:js|css)$/;

/** A built web app served under `mount` (the verifier at /verify, the holder app at /holder). */
export interface StaticAppOptions {
  mount: string;
  /** Its name in messages, and the command that builds it. */
  name: string;
  build: string;
  assets: (services: Services) => AssetSource | undefined;
}

async function serveFile(c: Context<AppEnv>, app: StaticAppOptions, relativePath: string, cacheControl: string): Promise<Response> {
  const assets = app.assets(c.var.services);
  const response = await builtFileResponse(c, assets, relativePath, cacheControl);
  if (response) return response;
  if (!(await assets?.read('index.html'))) {
    throw new ElicenceError('ERR_NOT_FOUND', `the ${app.name} is not built here: run \`${app.build}\` (or serve its build as static files)`);
  }
  throw new ElicenceError('ERR_NOT_FOUND', `no file ${relativePath} in the ${app.name}`);
}

/** The routes of one built web app: its page, service worker, manifest, icon and hashed assets. */
export function staticAppRoutes(options: StaticAppOptions): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  const { mount } = options;
  // Relative asset URLs in the page need the trailing slash.
  app.get(mount, (c) => {
    const query = new URL(c.req.url).search;
    return c.redirect(`${mount}/${query}`, 301);
  });
  app.get(`${mount}/`, (c) => serveFile(c, options, 'index.html', REVALIDATE));
  app.get(`${mount}/assets/:name`, (c) => {
    const name = c.req.param('name');
    if (!ASSET_NAME.test(name)) throw new ElicenceError('ERR_NOT_FOUND', `no asset ${name}`);
    return serveFile(c, options, `assets/${name}`, IMMUTABLE);
  });
  app.get(`${mount}/:name`, (c) => {
    const name = c.req.param('name');
    if (!TOP_LEVEL.has(name)) throw new ElicenceError('ERR_NOT_FOUND', `no file ${name} in the ${options.name}`);
    return serveFile(c, options, name, name === 'icon.svg' ? 'public, max-age=86400' : REVALIDATE);
  });
  return app;
}

export function verifierAppRoutes(): OpenAPIHono<AppEnv> {
  return staticAppRoutes({ mount: '/verify', name: 'verifier app', build: 'npm run build:verifier', assets: (services) => services.verifierAssets });
}
