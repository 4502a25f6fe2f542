/**
 * The command line's peer-anchor verbs (`trust add-anchor | anchors | update-anchor | remove-anchor |
 * refresh-anchor`), run as built (node dist/node/cli.js) on a local database, as an anchor's operator
 * would: the same rules as /v1/trust/anchors (namespace conflicts refused, exit 1 with the code), and
 * a registered peer appears in the next published list.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNode, NODE_OUT_DIR } from '../scripts/build-node.js';
import { freePort } from '../scripts/federation-setup.js';
import { generateSigningJwk, publicJwk } from '../src/core/jws-sign.js';
import { createFileKeyStore } from '../src/node/file-key-store.js';
import { openSqliteStore } from '../src/node/sqlite-store.js';
import { bootstrap } from '../src/services/bootstrap.js';
import { defaultConfig, systemClock } from '../src/services/ports.js';
import { latestTrustList, trustListPayloadOf } from '../src/services/trust/publishing.js';

let dir: string;
const PEER = 'did:web:js.example:anchors:jiangsu';
const env = () => ({ DATA_DIR: join(dir, 'data'), KEYS_DIR: join(dir, 'keys'), PUBLIC_URL: 'https://zj.example', ANCHOR_ID: 'zhejiang' });

function trust(args: string[]) {
  const run = spawnSync(process.execPath, [join(NODE_OUT_DIR, 'cli.js'), 'trust', ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env() }, timeout: 30_000 });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elicence-trust-cli-'));
  await buildNode({ quiet: true });
  // A first start of the service: its anchor and authority, on a file database the CLI then opens.
  mkdirSync(join(dir, 'data'));
  const store = openSqliteStore(join(dir, 'data', 'elicence.db'));
  const config = { ...defaultConfig(env().PUBLIC_URL), anchor: { ownerId: 'zhejiang' } };
  await bootstrap({ store, keys: createFileKeyStore(env().KEYS_DIR), clock: systemClock, config });
  store.close();
  writeFileSync(join(dir, 'jiangsu.json'), JSON.stringify({ anchorId: PEER, keys: [publicJwk((await generateSigningJwk('EdDSA')).publicJwk)] }));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trust verbs for peer anchors', () => {
  const add = (prefixes: string, extra: string[] = []) => [
    'add-anchor',
    '--id',
    PEER,
    '--name-zh',
    '江苏省市场监督管理局',
    '--name-en',
    'Jiangsu AMR',
    '--bundle-url',
    'https://js.example/verifier-bundle',
    '--jwks-file',
    'jiangsu.json',
    '--issuer-prefixes',
    prefixes,
    '--jurisdictions',
    '32',
    ...extra,
  ];

  it('refuses a namespace overlapping its own (exit 1, the code printed) and bad usage (exit 64)', () => {
    const own = trust(add('did:web:zj.example:'));
    expect(own.status).toBe(1);
    expect(own.out).toContain('ERR_CONFLICT');
    expect(trust(['add-anchor', '--id', PEER]).status).toBe(64);
  });

  it('adds, lists, updates and publishes a peer', () => {
    const added = trust(add('did:web:js.example:', ['--types', 'BusinessLicence']));
    expect(added.out).toContain(`federated ${PEER}`);
    expect(added.status).toBe(0);
    expect(trust(add('did:web:js.example:')).out).toContain('ERR_CONFLICT');
    const listed = trust(['anchors']);
    expect(listed.status).toBe(0);
    expect(listed.out).toContain(PEER);
    expect(listed.out).toContain('fetched: never');
    expect(trust(['update-anchor', PEER, '--issuer-prefixes', 'did:web:js.example:', '--jurisdictions', '3201']).status).toBe(0);
    expect(trust(['publish']).status).toBe(0);
  });

  it('the published list carries the peer with its scope', async () => {
    const store = openSqliteStore(join(dir, 'data', 'elicence.db'));
    try {
      const payload = trustListPayloadOf((await latestTrustList(store.db))!);
      expect(payload.id).toBe('did:web:zj.example:anchors:zhejiang');
      expect(payload.federatedAnchors).toEqual([expect.objectContaining({ id: PEER, scope: { issuerPrefixes: ['did:web:js.example:'], jurisdictions: ['3201'] } })]);
    } finally {
      store.close();
    }
  });

  it('a refresh of an unreachable peer fails with exit 1 and stores nothing; remove takes it out', async () => {
    const port = await freePort();
    expect(trust(['update-anchor', PEER, '--bundle-url', `http://127.0.0.1:${port}/verifier-bundle`]).status).toBe(0);
    const refreshed = trust(['refresh-anchor', PEER]);
    expect(refreshed.status).toBe(1);
    expect(refreshed.out).toContain('failed (ERR_FETCH_FAILED');
    expect(trust(['remove-anchor', PEER]).status).toBe(0);
    expect(trust(['anchors']).out).toContain('no peer anchors');
  });
});
