/** What only the Worker entry does: provisioning from its configuration, secret-only keys, the edge cache. */
import { env, SELF } from 'cloudflare:test';
import { expect, test } from 'vitest';
import { API_DOCS_ASSETS } from '../../src/app/api-docs/assets.generated.js';

const url = (path: string) => `${env.PUBLIC_URL}${path}`;
const auth = { Authorization: `Bearer ${env.BOOTSTRAP_TOKEN}` };

test('the configured authority, its secret key and the bootstrap token are provisioned once, with audit entries', async () => {
  expect((await SELF.fetch(url('/healthz'))).status).toBe(200);
  const keys = (await (await SELF.fetch(url('/v1/keys'), { headers: auth })).json()) as { items?: unknown[] } | unknown[];
  expect(JSON.stringify(keys)).toMatch(/"status":"active"/);
  const db = env.DB as { prepare(q: string): { all(): Promise<{ results: Record<string, unknown>[] }> } };
  const actions = (await db.prepare("select action from audit_log where actor = 'system' order by seq").all()).results.map((r) => r['action']);
  expect(actions.filter((a) => a === 'authority.created')).toHaveLength(1);
  expect(actions.filter((a) => a === 'key.activated')).toHaveLength(1);
  expect(actions.filter((a) => a === 'token.created')).toHaveLength(1);
});

test('key rotation through the API is refused with a typed error: keys come from the SIGNING_KEYS secret', async () => {
  const res = await SELF.fetch(url('/v1/keys/rotate'), { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: '{}' });
  expect(res.status).toBe(501);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_KEY_GENERATION_UNSUPPORTED');
});

test('public GETs with a public max-age are answered from the edge cache, with 304 on a matching ETag', async () => {
  const first = await SELF.fetch(url('/.well-known/jwks.json'));
  await first.arrayBuffer();
  const second = await SELF.fetch(url('/.well-known/jwks.json'));
  expect(second.headers.get('x-edge-cache')).toBe('HIT');
  expect(await second.json()).toHaveProperty('keys');
  // Authenticated requests never touch the cache.
  const authed = await SELF.fetch(url('/.well-known/jwks.json'), { headers: auth });
  expect(authed.headers.get('x-edge-cache')).toBeNull();
  await authed.arrayBuffer();
});

test('/docs renders in workerd, naming its content-hashed files under /docs/assets/ (served there as static assets)', async () => {
  const res = await SELF.fetch(url('/docs'));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  const html = await res.text();
  for (const name of Object.values(API_DOCS_ASSETS)) expect(html).toContain(`/docs/assets/${name}`);
  expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/);
});
