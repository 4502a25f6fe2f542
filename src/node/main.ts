/** Node entry: `npm start`. Opens the SQLite file, migrates, bootstraps a dev setup on first run, serves. */

import { mkdirSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { createApp } from '../app/app.js';
import { type AppDeps, systemClock } from '../app/deps.js';
import { bootstrap } from '../services/bootstrap.js';
import { loadNodeConfig } from './config.js';
import { createFileKeyStore } from './file-key-store.js';
import { startQrEncoder } from './qr-worker.js';
import { openSqliteStore } from './sqlite-store.js';
import { createDistAssetSource } from './verifier-assets.js';

const config = loadNodeConfig();
mkdirSync(config.dataDir, { recursive: true });
const store = openSqliteStore(config.databaseFile);
const deps: AppDeps = {
  store,
  keys: createFileKeyStore(config.keysDir),
  clock: systemClock,
  config: config.app,
  verifierAssets: createDistAssetSource(),
  // QR texts of licence responses are encoded on the other core.
  qrEncoder: await startQrEncoder(),
};
const setup = await bootstrap(deps, { ...(config.devToken ? { devToken: config.devToken } : {}), firstAdmin: { password: config.devAdminPassword } });
const app = createApp(deps);

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
      `  issue a licence: curl -X POST ${url}/v1/licences -H "Authorization: Bearer ${setup.token}" \\`,
      `                     -H 'Content-Type: application/json' -d @docs/examples/business-licence.json`,
    );
  } else {
    lines.push('', `API docs: ${url}/docs · verifier: ${url}/verify · console: ${url}/console`);
  }
  if (setup.admin) {
    lines.push(
      '',
      'Agency console: a first admin account (change the password at first sign-in).',
      `  sign in at ${url}/console   login: ${setup.admin.login}   password (shown once): ${setup.admin.password}`,
    );
  }
  console.log(lines.join('\n'));
});

const shutdown = () => {
  server.close();
  store.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
