/** Node entry: `npm start`. Opens the SQLite file, migrates, bootstraps a dev setup on first run, serves. */

import { existsSync, mkdirSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { createApp } from '../app/app.js';
import { type AppDeps, systemClock } from '../app/deps.js';
import { bootstrap } from '../services/bootstrap.js';
import { cutDueAuthorities } from '../services/status-cuts.js';
import { refreshAllPeers } from '../services/trust/federation.js';
import { envFileOf, loadNodeConfig } from './config.js';
import { createFileKeyStore } from './file-key-store.js';
import { startQrEncoder } from './qr-worker.js';
import { openSqliteStore } from './sqlite-store.js';
import { createDistAssetSource, createHolderAssetSource, DEFAULT_API_DOCS_DIST } from './verifier-assets.js';

const config = loadNodeConfig();
mkdirSync(config.dataDir, { recursive: true });
const store = openSqliteStore(config.databaseFile);
const deps: AppDeps = {
  store,
  keys: createFileKeyStore(config.keysDir),
  clock: systemClock,
  config: config.app,
  verifierAssets: createDistAssetSource(),
  holderAssets: createHolderAssetSource(),
  apiDocsAssets: createDistAssetSource(DEFAULT_API_DOCS_DIST),
  // QR texts of licence responses are encoded on the other core.
  qrEncoder: await startQrEncoder(),
};
const setup = await bootstrap(deps, {
  ...(config.devToken ? { devToken: config.devToken } : {}),
  ...(config.authority ? { authority: config.authority } : {}),
  firstAdmin: { password: config.devAdminPassword },
});
const app = createApp(deps);

// Federation: every peer's bundle (or the upstream anchor's) is fetched, checked and stored on a timer.
let refreshing = false;
const refreshPeers = async () => {
  if (refreshing) return;
  refreshing = true;
  try {
    for (const report of await refreshAllPeers(deps)) {
      if (report.outcome === 'failed') console.warn(`federation: ${report.peer}: ${report.error ?? 'failed'}`);
      else if (report.refused.length > 0) console.warn(`federation: ${report.peer}: ${report.refused.length} piece(s) refused: ${report.refused[0]}`);
    }
  } catch (error) {
    console.error('federation: refresh failed:', error);
  } finally {
    refreshing = false;
  }
};
const refreshTimer = config.federationRefreshSeconds > 0 ? setInterval(refreshPeers, config.federationRefreshSeconds * 1000) : undefined;
refreshTimer?.unref();
if (refreshTimer) setTimeout(refreshPeers, 1000).unref();

// Status patches (docs/trust-list.md): each authority's daily cut is signed on schedule, not only when a bundle is built.
let cutting = false;
const cutDue = async () => {
  if (cutting) return;
  cutting = true;
  try {
    await cutDueAuthorities(deps);
  } catch (error) {
    console.error('status patches: cut failed:', error);
  } finally {
    cutting = false;
  }
};
const cutTimer = setInterval(cutDue, 60_000);
cutTimer.unref();

const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
  const url = `http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`;
  const lines = [
    `e-licence service listening on ${url}`,
    `  public URL (did:web base): ${config.app.publicUrl}`,
    `  database: ${config.databaseFile}`,
    `  keys:     ${config.keysDir}`,
    `  authorities: ${setup.authorities.map((a) => `${a.id} (${a.did})`).join(', ')}`,
  ];
  if (setup.token) {
    lines.push(
      '',
      'First start: created a development trust anchor, authority and agency token (all scopes).',
      `  token (shown once): ${setup.token}`,
      '',
      'Next:',
      `  API docs:        ${url}/docs`,
      `  verifier:        ${url}/verify`,
      `  console:         ${url}/console   (staff; the admin account is below)`,
      `  issue a licence: curl -X POST ${url}/v1/licences -H "Authorization: Bearer ${setup.token}" \\`,
      `                     -H 'Content-Type: application/json' -d @docs/examples/business-licence.json`,
    );
  } else {
    lines.push(
      '',
      `API docs: ${url}/docs · verifier: ${url}/verify · console: ${url}/console`,
      'Tokens are shown once, when created. Lost the first one? Make another on this machine (same database):',
      `  npm run elicence -- token create --authority ${setup.authorities[0]?.id ?? '<id>'}    (every scope; then revoke the lost one: DELETE /v1/tokens/{id})`,
    );
  }
  if (setup.admin) {
    lines.push(
      '',
      'Agency console: a first admin account (change the password at first sign-in).',
      `  sign in at ${url}/console   login: ${setup.admin.login}   password (shown once): ${setup.admin.password}`,
    );
  }
  for (const id of setup.withoutCreditCode ?? []) {
    lines.push(
      `warning: authority ${id} has no unified social credit code and cannot issue until it has one (its licence identifiers carry it): set AUTHORITY_ID=${id} and AUTHORITY_CREDIT_CODE`,
    );
  }
  if (existsSync(envFileOf())) lines.push(`settings: the environment over ${envFileOf()} (the CLI reads the same)`);
  console.log(lines.join('\n'));
});

// Idle connections stay open longer than clients keep them (undici 4 s; browsers and proxies up to 60 s): a server
// that closes first races the client's next request on the same socket, which fails with "other side closed".
if ('keepAliveTimeout' in server) {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}

const shutdown = () => {
  if (refreshTimer) clearInterval(refreshTimer);
  clearInterval(cutTimer);
  server.close();
  store.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
