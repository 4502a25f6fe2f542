/**
 * `npm run dev:worker` helper: writes `.dev.vars` (wrangler's local secrets) with a fresh Ed25519 key
 * for every authority in wrangler.toml's AUTHORITIES, a trust-anchor key (`anchor:dev-anchor`, so the
 * local Worker is an anchor exactly like a deployed one: its inspectors' flow ends in a trusted verdict),
 * a random bootstrap token and a first console admin password, unless the file exists. An existing file
 * without an anchor key gets one added. Prints the token and the password once. Runs in Node; nothing
 * here is bundled into the Worker.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { base64url } from '../src/core/encoding.js';
import { generateSigningJwk, importablePrivateJwk } from '../src/core/jws-sign.js';

const FILE = process.env.DEV_VARS_FILE ?? '.dev.vars';
const ANCHOR_OWNER = 'anchor:dev-anchor';

const newKey = async (owner: string) => ({ owner, privateJwk: importablePrivateJwk((await generateSigningJwk('EdDSA')).privateJwk) });

if (existsSync(FILE)) {
  const text = readFileSync(FILE, 'utf8');
  const line = /^SIGNING_KEYS='(.*)'\s*$/m.exec(text);
  const keys = line ? (JSON.parse(line[1]!) as Array<{ owner: string }>) : [];
  if (line && !keys.some((k) => k.owner.startsWith('anchor:'))) {
    keys.push(await newKey(ANCHOR_OWNER));
    writeFileSync(FILE, text.replace(line[0], `SIGNING_KEYS='${JSON.stringify(keys)}'`), { mode: 0o600 });
    console.log(`${FILE} exists: added a trust-anchor key (${ANCHOR_OWNER}), kept its other keys and BOOTSTRAP_TOKEN`);
  } else {
    console.log(`${FILE} exists: keeping its SIGNING_KEYS and BOOTSTRAP_TOKEN`);
  }
} else {
  const toml = readFileSync('wrangler.toml', 'utf8');
  const match = /^AUTHORITIES\s*=\s*'(.*)'\s*$/m.exec(toml);
  const ids = process.env.DEV_VARS_AUTHORITIES?.split(',') ?? (match ? (JSON.parse(match[1]!) as { id: string }[]).map((a) => a.id) : []);
  if (ids.length === 0) throw new Error('wrangler.toml has no AUTHORITIES var');
  const keys = [...(await Promise.all(ids.map((id) => newKey(`authority:${id}`)))), await newKey(ANCHOR_OWNER)];
  const token = process.env.DEV_VARS_TOKEN ?? `elk_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const adminPassword = base64url(crypto.getRandomValues(new Uint8Array(12)));
  writeFileSync(FILE, `SIGNING_KEYS='${JSON.stringify(keys)}'\nBOOTSTRAP_TOKEN='${token}'\nBOOTSTRAP_ADMIN_PASSWORD='${adminPassword}'\n`, { mode: 0o600 });
  console.log(`wrote ${FILE} (keys for ${ids.join(', ')} and the trust anchor); development token, shown once:\n  ${token}`);
  console.log(`console (/console): login admin, password (shown once; change it at first sign-in): ${adminPassword}`);
}
