/**
 * Cloudflare Workers entry: the same hono app as the Node entry, with D1 for the database, the
 * SIGNING_KEYS secret for private keys, the system clock, and the Workers Cache API in front of
 * public GETs. See docs/workers.md for the variables, the secrets and how to deploy.
 *
 * The app is built once per isolate for a given `env` (a WeakMap keyed by the env object, not a
 * module singleton: a new env gets its own store and app), and D1 is provisioned from the
 * configuration before the first request is answered.
 */
import { type App, createApp } from '../app/app.js';
import { type AppDeps, systemClock } from '../app/deps.js';
import { errorBody } from '../app/errors.js';
import { ElicenceError } from '../core/errors.js';
import { cutDueAuthorities } from '../services/status-cuts.js';
import { refreshAllPeers } from '../services/trust/federation.js';
import { defaultCache, type ExecutionContext } from './cloudflare.js';
import { parseWorkerConfig, type WorkerEnv } from './config.js';
import { createD1Store } from './d1-store.js';
import { edgeCached } from './edge-cache.js';
import { provisionWorker } from './provision.js';
import { createSecretKeyStore } from './secret-key-store.js';

export type { WorkerEnv } from './config.js';

interface Runtime {
  app: App;
  deps: AppDeps;
  ready: Promise<unknown>;
}

const runtimes = new WeakMap<WorkerEnv, Runtime>();

function runtimeFor(env: WorkerEnv): Runtime {
  let runtime = runtimes.get(env);
  if (!runtime) {
    const config = parseWorkerConfig(env);
    const keys = createSecretKeyStore(config.signingKeys);
    const deps: AppDeps = { store: createD1Store(env.DB), keys, clock: systemClock, config: config.app };
    const ready = provisionWorker(deps, keys, config);
    // A failed provisioning (D1 not migrated yet, a bad secret) is retried by the next request.
    ready.catch(() => runtimes.delete(env));
    runtime = { app: createApp(deps), deps, ready };
    runtimes.set(env, runtime);
  }
  return runtime;
}

function unavailable(cause: unknown): Response {
  // The detail goes to the Worker's logs (wrangler tail), never to the client: it may concern secrets.
  console.error('e-licence Worker is not configured or D1 is not ready:', cause);
  const body = errorBody(new ElicenceError('ERR_INTERNAL', 'the service is not configured yet; see the Worker logs'));
  return Response.json(body, { status: 503, headers: { 'Retry-After': '30' } });
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let runtime: Runtime;
    try {
      runtime = runtimeFor(env);
      await runtime.ready;
    } catch (cause) {
      return unavailable(cause);
    }
    return edgeCached(request, ctx, defaultCache(), async (req) => runtime.app.fetch(req));
  },

  /** The Cron Trigger (wrangler.toml `[triggers]`): fetch, check and store every peer's bundle; sign the status cuts that are due. */
  async scheduled(_controller: unknown, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    const runtime = runtimeFor(env);
    await runtime.ready;
    const refresh = refreshAllPeers(runtime.deps)
      .then((reports) => {
        for (const report of reports) if (report.outcome === 'failed') console.warn(`federation: ${report.peer}: ${report.error ?? 'failed'}`);
      })
      .then(() => cutDueAuthorities(runtime.deps))
      .then(
        () => undefined,
        (error: unknown) => console.error('status patches: cut failed:', error),
      );
    ctx.waitUntil(refresh);
    await refresh;
  },
};
