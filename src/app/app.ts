/**
 * The app factory: one hono app for every runtime (Node, Workers). Everything runtime-specific comes in
 * through `deps`; nothing here is a module-level singleton.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { secureHeaders } from 'hono/secure-headers';
import type { ZodError } from 'zod';
import { consoleRoutes } from '../console/routes.js';
import { ElicenceError } from '../core/errors.js';
import { holderRoutes } from '../holder/routes.js';
import { LicenceTypeRegistry } from '../services/licence-types.js';
import type { AppDeps } from './deps.js';
import type { AppEnv, Services } from './env.js';
import { errorResponse, validationError } from './errors.js';
import { escapeHtml, htmlPage } from './html.js';
import { limitBody, requireJsonBody, requireToken } from './middleware.js';
import { authFailureRateLimit } from './rate-limit.js';
import { adminRoutes } from './routes/admin.js';
import { deviceRoutes } from './routes/devices.js';
import { registerDocs } from './routes/docs.js';
import { holderAccessRoutes } from './routes/holder-access.js';
import { licenceRoutes } from './routes/licences.js';
import { lifecycleRoutes } from './routes/lifecycle.js';
import { qrRoutes } from './routes/qr.js';
import { statusListRoutes } from './routes/status-lists.js';
import { trustAdminRoutes } from './routes/trust-admin.js';
import { trustAnchorRoutes } from './routes/trust-anchors.js';
import { trustPublicRoutes } from './routes/trust-public.js';
import { vcApiRoutes } from './routes/vc-api.js';
import { verifierAppRoutes } from './routes/verifier-app.js';
import { wellKnownRoutes } from './routes/well-known.js';

export function createApp(deps: AppDeps) {
  const services: Services = { ...deps, registry: new LicenceTypeRegistry(deps) };
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error as ZodError, result.target);
    },
  });

  app.onError((error, c) => errorResponse(c, error));
  app.notFound((c) => errorResponse(c, new ElicenceError('ERR_NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`)));
  app.use('*', async (c, next) => {
    c.set('services', services);
    await next();
    // Group commit: a response may rest on writes (its own or others') not yet on disk; it leaves
    // only once they are.
    await deps.store.flushed();
  });
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        workerSrc: ["'self'"],
        mediaSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      crossOriginResourcePolicy: 'cross-origin',
    }),
  );
  // After the security headers (a 429 carries them too), before any body is read.
  app.use('*', authFailureRateLimit({ clock: deps.clock }));
  app.use('*', limitBody(deps.config.bodyLimitBytes));
  // The console's pages post HTML forms (src/console/session.ts reads them); everything else speaks JSON.
  app.use('*', (c, next) => (c.req.path.startsWith('/console/') ? next() : requireJsonBody(c, next)));
  app.use('/v1/*', requireToken);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'Agency API token' });

  app.route('/', licenceRoutes());
  app.route('/', adminRoutes());
  app.route('/', wellKnownRoutes());
  app.route('/', vcApiRoutes());
  app.route('/', lifecycleRoutes());
  app.route('/', deviceRoutes());
  app.route('/', statusListRoutes());
  app.route('/', qrRoutes());
  app.route('/', trustPublicRoutes());
  app.route('/', trustAdminRoutes());
  app.route('/', trustAnchorRoutes());
  app.route('/', verifierAppRoutes());
  app.route('/', holderAccessRoutes());
  // The holder product: its API (/holder/v1/..., holder sessions, never agency tokens) and its app (/holder/).
  app.route('/', holderRoutes());
  app.route('/console', consoleRoutes());

  const openApiConfig = {
    openapi: '3.1.0',
    info: {
      title: 'e-licence issuing and verification service',
      version: '1.0.0',
      description: 'Issues W3C VC 2.0 licences as vc+jwt, publishes Bitstring Status Lists, and serves what offline verifiers need.',
    },
    servers: [{ url: deps.config.publicUrl }],
  };
  app.doc31('/openapi.json', openApiConfig);
  registerDocs(app, () => app.getOpenAPI31Document(openApiConfig) as never);

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/', (c) => {
    const base = escapeHtml(deps.config.publicUrl);
    return c.html(
      htmlPage(
        '电子证照 e-licence',
        `<h1>电子证照 e-licence</h1><p>Issuing and verification service for electronic licences (W3C Verifiable Credentials 2.0).</p><ul>
<li><a href="/docs">API documentation</a> · <a href="/openapi.json">OpenAPI 3.1</a></li>
<li><a href="/verify">Verifier for inspectors</a> · <a href="/console">Agency console 业务窗口</a></li>
<li><a href="/.well-known/jwks.json">Issuer keys (JWKS)</a> · <a href="/.well-known/did.json">did:web document</a></li>
<li><a href="/trust-list">Trust list</a> · <a href="/.well-known/trust-anchor.json">trust-anchor keys to pin</a> · <a href="/verifier-bundle">offline verifier bundle</a></li>
</ul><p><small>${base}</small></p>`,
      ),
    );
  });

  return app;
}

export type App = ReturnType<typeof createApp>;
