/**
 * `npm run dev:worker` helper: writes `.dev.vars` (wrangler's local secrets) with a fresh Ed25519 key
 * for every authority in wrangler.toml's AUTHORITIES, a random bootstrap token and a first console admin
 * password, unless the file exists. Prints the token and the password once. Runs in Node; nothing here is bundled into the Worker.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { base64url } from '../src/core/encoding.js';
import { generateSigningJwk, importablePrivateJwk } from '../src/core/jws-sign.js';

const FILE = '.dev.vars';
if (existsSync(FILE)) {
  console.log(`${FILE} exists: keeping its SIGNING_KEYS and BOOTSTRAP_TOKEN`);
} else {
  const toml = readFileSync('wrangler.toml', 'utf8');
  const match = /^AUTHORITIES\s*=\s*'(.*)'\s*$/m.exec(toml);
  const ids = match ? (JSON.parse(match[1]!) as { id: string }[]).map((a) => a.id) : [];
  if (ids.length === 0) throw new Error('wrangler.toml has no AUTHORITIES var');
  const keys = await Promise.all(ids.map(async (id) => ({ owner: `authority:${id}`, privateJwk: importablePrivateJwk((await generateSigningJwk('EdDSA')).privateJwk) })));
  const token = `elk_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const adminPassword = base64url(crypto.getRandomValues(new Uint8Array(12)));
  writeFileSync(FILE, `SIGNING_KEYS='${JSON.stringify(keys)}'\nBOOTSTRAP_TOKEN='${token}'\nBOOTSTRAP_ADMIN_PASSWORD='${adminPassword}'\n`, { mode: 0o600 });
  console.log(`wrote ${FILE} (keys for ${ids.join(', ')}); development token, shown once:\n  ${token}`);
  console.log(`console (/console): login admin, password (shown once; change it at first sign-in): ${adminPassword}`);
}
