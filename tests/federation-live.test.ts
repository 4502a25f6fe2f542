/**
 * Provinces federate for real: three separate Node service processes on loopback (built, `node
 * dist/node/main.js`), each with its own database, keys and PUBLIC_URL: a national root, Zhejiang
 * (Hangzhou) and Jiangsu (Nanjing). Everything goes through the HTTP API (scripts/federation-setup.ts):
 *   1. the root registers both provinces; Zhejiang registers Jiangsu (scope 32, business licences only,
 *      Jiangsu's DID prefix);
 *   2. Nanjing issues a business and a food licence;
 *   3. an inspector who pinned only Zhejiang syncs once from Zhejiang and verifies offline (the built
 *      CLI with --now, and the web app in Chromium with the context offline): business VALID, food
 *      UNTRUSTED_ISSUER; an inspector who pinned only the root: both VALID;
 *   4. Nanjing revokes the business licence: after Zhejiang's refresh and the inspector's sync, REVOKED;
 *   5. Jiangsu's operator registers Hangzhou's DID in its own register, signs a licence and a status
 *      list as Hangzhou (with Nanjing's key, served in Jiangsu's bundle through a proxy it controls)
 *      and marks Hangzhou withdrawn: neither inspector is moved;
 *   6. Jiangsu stops: Zhejiang keeps serving the last good copies; with --now past their validity the
 *      verdict is STATUS_UNKNOWN.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNode, NODE_OUT_DIR } from '../scripts/build-node.js';
import { buildVerifierApp, DEFAULT_VERIFIER_OUT_DIR } from '../scripts/build-verifier.js';
import { anchorDocument, api, type Deployment, federate, freePort, PROVINCES, refresh, startNodeDeployment } from '../scripts/federation-setup.js';
import { parseBundle, type VerifierBundle } from '../src/core/bundle.js';
import { fromBase64url, fromUtf8 } from '../src/core/encoding.js';
import { signCompact, signerFromPrivateJwk } from '../src/core/jws-sign.js';
import { encodeLicenceQr } from '../src/core/qr/index.js';
import { Bitstring, buildStatusListCredential, encodeStatusList } from '../src/core/status-list.js';
import { businessSubject, foodSubject } from './helpers/app.js';
import { renderQrPng } from './helpers/qr-render.js';

const CLI = join(NODE_OUT_DIR, 'cli.js');
const CHROMIUM = '/usr/bin/chromium';
const EXIT = { VALID: 0, REVOKED: 10, UNTRUSTED_ISSUER: 14, STATUS_UNKNOWN: 16 } as const;

let dir: string;
let root: Deployment;
let zj: Deployment;
let js: Deployment;
let proxy: Server;
/** Jiangsu's operator's additions to what its bundle serves (step 5). */
let injected: Array<{ url: string; jws: string }> = [];

interface Issued {
  id: string;
  credential: string;
  qrText: string;
}
const licences: Record<'business' | 'food' | 'kept' | 'hangzhou', Issued> = {} as never;
let forgedLicence: string;

const payloadOf = (jws: string) => JSON.parse(fromUtf8(fromBase64url(jws.split('.')[1]!)!)) as Record<string, any>;

/** The proxy in front of Jiangsu that Zhejiang fetches through: Jiangsu's operator controls what it serves. */
async function startProxy(): Promise<string> {
  proxy = createServer(async (req, res) => {
    try {
      const target = new URL(req.url!, js.url);
      const armed = injected.length > 0 && target.pathname === '/verifier-bundle';
      if (armed) target.searchParams.delete('since');
      const upstream = await fetch(target, {
        headers: { accept: 'application/json', ...(!armed && req.headers['if-none-match'] ? { 'if-none-match': req.headers['if-none-match'] } : {}) },
      });
      if (!armed) {
        res.writeHead(upstream.status, Object.fromEntries([...upstream.headers].filter(([name]) => ['etag', 'content-type', 'elicence-bundle'].includes(name))));
        res.end(Buffer.from(await upstream.arrayBuffer()));
        return;
      }
      const bundle = (await upstream.json()) as VerifierBundle;
      for (const piece of injected) bundle.statusLists.push({ ...piece, fetchedAt: bundle.generatedAt });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(bundle));
    } catch {
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/verifier-bundle`;
}

function cli(args: string[]) {
  const run = spawnSync(process.execPath, [CLI, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', LANG: 'en_GB.UTF-8', XDG_STATE_HOME: dir },
    timeout: 30_000,
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** An inspector: pinned anchor file, bundle file, state beside it. */
function inspector(name: string) {
  const anchors = `${name}-anchors.json`;
  const bundle = `${name}-bundle.json`;
  return {
    async pin(d: Deployment) {
      writeFileSync(join(dir, anchors), JSON.stringify(await anchorDocument(d)));
    },
    sync(d: Deployment) {
      const run = cli(['sync', d.url, '--anchors', anchors, '--out', bundle]);
      expect(run.status, `${name} sync from ${d.spec.key}: ${run.stderr}${run.stdout}`).toBe(0);
      return run.stdout;
    },
    verify(jws: string, now = new Date().toISOString()) {
      const run = cli(['verify', jws, '--bundle', bundle, '--anchors', anchors, '--now', now.replace(/\.\d+Z$/, 'Z'), '--json']);
      const result = run.stdout ? (JSON.parse(run.stdout) as { verdict: string; checks: Array<{ name: string; code: string }> }) : undefined;
      return { status: run.status, verdict: result?.verdict, checks: result?.checks ?? [], stderr: run.stderr };
    },
    // Stored packed (pieces unpacked, docs/trust-list.md): read back as the verifier reads it.
    bundle: (): VerifierBundle => parseBundle(readFileSync(join(dir, bundle))),
  };
}
const zjInspector = inspector('zj');
const rootInspector = inspector('root');

/** The inspectors' web app served by Zhejiang, in Chromium (skipped when Debian's chromium is missing). */
const haveChromium = existsSync(CHROMIUM);
let context: BrowserContext | undefined;
let page: Page;
let userDataDir: string | undefined;

async function openWebApp(d: Deployment): Promise<void> {
  userDataDir = mkdtempSync(join(tmpdir(), 'federation-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    locale: 'zh-CN',
    serviceWorkers: 'allow',
  });
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${d.url}/verify`);
  await page.locator('body[data-ready="true"]').waitFor();
}

/** Online, sync (confirming the anchor the first time), then offline again. */
async function webSync(): Promise<void> {
  await context!.setOffline(false);
  const before = await page.evaluate(() => document.body.dataset.synced ?? '');
  await page.click('#sync');
  const dialog = page.locator('#anchors-dialog[open]');
  const synced = page.waitForFunction((old) => (document.body.dataset.synced ?? '') !== old, before, { timeout: 15_000 });
  await Promise.race([dialog.waitFor({ timeout: 15_000 }).then(() => page.click('#anchors-confirm')), synced]);
  await synced;
  await context!.setOffline(true);
  expect(
    await page.evaluate(() =>
      fetch('/verifier-bundle').then(
        () => 'online',
        () => 'offline',
      ),
    ),
  ).toBe('offline');
}

async function webVerify(licence: string): Promise<string> {
  await page.setInputFiles('#file', { name: 'licence.png', mimeType: 'image/png', buffer: await renderQrPng(encodeLicenceQr(licence), { scale: 4 }) });
  const result = page.locator('#result:not([hidden])');
  await result.waitFor({ timeout: 10_000 });
  const verdict = (await result.getAttribute('data-verdict'))!;
  await page.click('#again');
  await page.locator('#home:not([hidden])').waitFor();
  return verdict;
}

async function issue(d: Deployment, type: string, subject: Record<string, unknown>): Promise<Issued> {
  return api<Issued>(d, 'POST', '/v1/licences', { type, subject });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elicence-federation-'));
  await buildNode({ quiet: true });
  if (!existsSync(join(DEFAULT_VERIFIER_OUT_DIR, 'index.html'))) await buildVerifierApp({ quiet: true });
  const [rootPort, zjPort, jsPort] = await Promise.all([freePort(), freePort(), freePort()]);
  [root, zj, js] = await Promise.all([
    startNodeDeployment(PROVINCES.root, dir, rootPort!, { FEDERATION_REFRESH_SECONDS: '0' }),
    startNodeDeployment(PROVINCES.zj, dir, zjPort!, { FEDERATION_REFRESH_SECONDS: '0' }),
    startNodeDeployment(PROVINCES.js, dir, jsPort!, { FEDERATION_REFRESH_SECONDS: '0' }),
  ]);
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await Promise.all([root?.stop(), zj?.stop(), js?.stop()]);
  proxy?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Each step runs several CLI processes and a browser: on a 2-core machine shared with other test files a
// step can take well over vitest's default 30 s, and one step timing out leaves the next with a half-done world.
describe('three provinces, three processes', { timeout: 180_000 }, () => {
  it('1-2. the root federates both provinces, Zhejiang federates Jiangsu for business licences; Nanjing and Hangzhou issue', async () => {
    expect(zj.prefix).toMatch(/^did:web:127\.0\.0\.1%3A\d+:$/);
    await federate(root, zj, js, { jsBundleUrl: await startProxy() });
    const list = await (await fetch(`${zj.url}/trust-list`, { headers: { Accept: 'application/json' } })).json();
    expect(list.federatedAnchors).toEqual([
      expect.objectContaining({ id: (await anchorDocument(js)).anchorId, scope: { issuerPrefixes: [js.prefix], jurisdictions: ['32'], licenceTypes: ['BusinessLicence'] } }),
    ]);
    const rootList = await (await fetch(`${root.url}/trust-list`, { headers: { Accept: 'application/json' } })).json();
    expect(rootList.federatedAnchors.map((f: { scope: { issuerPrefixes: string[] } }) => f.scope.issuerPrefixes[0]).sort()).toEqual([js.prefix, zj.prefix].sort());
    // A second registration of the same namespace is refused.
    await api(
      root,
      'POST',
      '/v1/trust/anchors',
      {
        id: 'did:web:other.example:anchors:x',
        name: { zh: '另一', en: 'Other' },
        keys: (await anchorDocument(js)).keys,
        bundleUrl: 'https://other.example/verifier-bundle',
        scope: { issuerPrefixes: [js.prefix], jurisdictions: ['32'] },
      },
      409,
    );

    licences.business = await issue(js, 'BusinessLicence', businessSubject({ name: '南京示例科技有限公司', address: '江苏省南京市玄武区中山路1号' }));
    licences.kept = await issue(js, 'BusinessLicence', businessSubject({ creditCode: '91330100MA27Y1F3XC', name: '南京长存贸易有限公司' }));
    licences.food = await issue(js, 'FoodBusinessLicence', foodSubject({ operatorName: '南京味道餐饮管理有限公司' }));
    licences.hangzhou = await issue(zj, 'BusinessLicence', businessSubject());
    expect(payloadOf(licences.business.credential).issuer.id).toBe(js.authorityDid);

    expect(await refresh(zj, js)).toMatchObject({ outcome: 'updated', stored: { trustLists: 1, statusLists: 2 }, refused: [] });
    expect(await refresh(root, zj)).toMatchObject({ outcome: 'updated', refused: [] });
    expect(await refresh(root, js)).toMatchObject({ outcome: 'updated', refused: [] });
  });

  it('3. an inspector pinning only Zhejiang syncs once from Zhejiang: business VALID, food UNTRUSTED_ISSUER; pinning only the root: both VALID', async () => {
    await zjInspector.pin(zj);
    const summary = zjInspector.sync(zj);
    expect(summary).toContain(`federated by ${(await anchorDocument(zj)).anchorId}`);
    expect(zjInspector.verify(licences.business.credential)).toMatchObject({ status: EXIT.VALID, verdict: 'VALID' });
    const food = zjInspector.verify(licences.food.credential);
    expect(food).toMatchObject({ status: EXIT.UNTRUSTED_ISSUER, verdict: 'UNTRUSTED_ISSUER' });
    expect(food.checks.find((c) => c.name === 'typeAuthorised')?.code).toBe('ERR_TYPE_NOT_AUTHORISED');

    await rootInspector.pin(root);
    rootInspector.sync(root);
    for (const licence of [licences.business, licences.food, licences.hangzhou])
      expect(rootInspector.verify(licence.credential)).toMatchObject({ status: EXIT.VALID, verdict: 'VALID' });
  });

  it.skipIf(!haveChromium)('3. the same in the web app served by Zhejiang, synced once, verifying with the context offline; it shows each province and its freshness', async () => {
    await openWebApp(zj);
    await webSync();
    const freshness = await page.locator('#freshness').textContent();
    expect(freshness).toContain(PROVINCES.zj.anchorName.zh);
    expect(freshness).toContain(PROVINCES.js.anchorName.zh);
    expect(await webVerify(licences.business.credential)).toBe('VALID');
    expect(await webVerify(licences.food.credential)).toBe('UNTRUSTED_ISSUER');
    expect(await webVerify(licences.hangzhou.credential)).toBe('VALID');
  });

  it('4. Nanjing revokes the business licence: after Zhejiang refreshes and the inspector syncs, REVOKED', async () => {
    await api(js, 'POST', `/v1/licences/${licences.business.id}/revoke`, { reason: 'cancelled' }, 200);
    expect(await refresh(zj, js)).toMatchObject({ outcome: 'updated', stored: { statusLists: 1 } });
    expect(zjInspector.sync(zj)).toMatch(/delta|full/);
    expect(zjInspector.verify(licences.business.credential)).toMatchObject({ status: EXIT.REVOKED, verdict: 'REVOKED' });
    expect(zjInspector.verify(licences.kept.credential)).toMatchObject({ status: EXIT.VALID });
    if (context) {
      await webSync();
      expect(await webVerify(licences.business.credential)).toBe('REVOKED');
      expect(await webVerify(licences.kept.credential)).toBe('VALID');
    }
  });

  it("5. Jiangsu's operator speaks for Hangzhou in its own register, signs as Hangzhou, then withdraws it: neither inspector is moved", async () => {
    // Nanjing's key, which Jiangsu's operator holds, registered under Hangzhou's DID in Jiangsu's register.
    const nanjingDid = await (await fetch(`${js.url}/authorities/nanjing/did.json`)).json();
    const kid = String(nanjingDid.verificationMethod[0].id).split('#')[1]!;
    const signer = await signerFromPrivateJwk(JSON.parse(readFileSync(join(js.dir, 'keys', `${kid}.private.jwk`), 'utf8')) as JWK);
    await api(js, 'POST', '/v1/trust/authorities', {
      id: zj.authorityDid,
      name: PROVINCES.zj.authority.name,
      jurisdiction: '330100',
      licenceTypes: ['BusinessLicence'],
      jwksUrl: `${js.url}/authorities/nanjing/did.json`,
      validFrom: '2020-01-01T00:00:00Z',
    });
    await api(js, 'POST', '/v1/trust/lists', {});
    const genuine = payloadOf(licences.hangzhou.credential);
    forgedLicence = await signCompact(signer, { ...genuine, credentialSubject: { ...genuine.credentialSubject, name: '冒名顶替有限公司' } }, 'vc+jwt', 'vc');
    const entry = (genuine.credentialStatus as Array<Record<string, string>>).find((e) => e.statusPurpose === 'revocation')!;
    const bits = new Bitstring(131_072);
    bits.set(Number(entry.statusListIndex), true);
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const forgedList = buildStatusListCredential({
      url: entry.statusListCredential!,
      issuer: { id: zj.authorityDid, name: PROVINCES.zj.authority.name.zh },
      purpose: 'revocation',
      encodedList: await encodeStatusList(bits),
      issuedAt: now,
      validUntil: new Date(now.getTime() + 86_400_000),
      ttlMs: 300_000,
    });
    injected = [{ url: entry.statusListCredential!, jws: await signCompact(signer, forgedList, 'vc+jwt', 'vc') }];

    const report = await refresh(zj, js);
    expect(report.refused.join('\n')).toContain('ERR_KEY_UNKNOWN');
    expect(report.stored.trustLists).toBe(1);
    zjInspector.sync(zj);
    expect(zjInspector.bundle().statusLists.map((s) => s.jws)).not.toContain(injected[0]!.jws);
    expect(zjInspector.verify(licences.hangzhou.credential)).toMatchObject({ verdict: 'VALID' });
    const forged = zjInspector.verify(forgedLicence);
    expect(forged).toMatchObject({ status: EXIT.UNTRUSTED_ISSUER, verdict: 'UNTRUSTED_ISSUER' });
    expect(forged.checks.find((c) => c.name === 'keyValid')?.code).toBe('ERR_KEY_UNKNOWN');

    // Then Jiangsu marks Hangzhou withdrawn in its next list.
    await api(js, 'POST', `/v1/trust/authorities/${encodeURIComponent(zj.authorityDid)}/withdraw`, { reason: 'takeover' }, 200);
    await api(js, 'POST', '/v1/trust/lists', {});
    expect((await refresh(zj, js)).stored.trustLists).toBe(1);
    expect((await refresh(root, js)).stored.trustLists).toBe(1);
    expect(await refresh(root, zj)).toMatchObject({ refused: [] });
    zjInspector.sync(zj);
    rootInspector.sync(root);
    for (const who of [zjInspector, rootInspector]) {
      expect(who.verify(licences.hangzhou.credential)).toMatchObject({ status: EXIT.VALID, verdict: 'VALID' });
      expect(who.verify(forgedLicence)).toMatchObject({ verdict: 'UNTRUSTED_ISSUER' });
    }
    // Zhejiang's own verification service and its issuing agree.
    const verified = await (
      await fetch(`${zj.url}/credentials/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          verifiableCredential: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: 'EnvelopedVerifiableCredential', id: `data:application/vc+jwt,${forgedLicence}` },
        }),
      })
    ).json();
    expect(verified).toMatchObject({ verified: false, errors: [{ code: 'ERR_KEY_UNKNOWN' }] });
    await issue(zj, 'BusinessLicence', businessSubject());
    injected = [];
    if (context) {
      await webSync();
      expect(await webVerify(forgedLicence)).toBe('UNTRUSTED_ISSUER');
      expect(await webVerify(licences.hangzhou.credential)).toBe('VALID');
    }
  });

  it('6. Jiangsu stops: Zhejiang keeps serving the last good copies; past their validity the verdict is STATUS_UNKNOWN', async () => {
    const before = (await (await fetch(`${zj.url}/verifier-bundle`)).json()) as VerifierBundle;
    await js.stop();
    proxy.close();
    const failed = await refresh(zj, js, 502);
    expect(failed.error?.code).toBe('ERR_FETCH_FAILED');
    const after = (await (await fetch(`${zj.url}/verifier-bundle`)).json()) as VerifierBundle;
    const jiangsu = (b: VerifierBundle) => [...b.trustLists, ...b.statusLists].map((p) => p.jws).filter((jws) => JSON.stringify(payloadOf(jws)).includes(js.prefix.slice(0, -1)));
    expect(jiangsu(after).sort()).toEqual(jiangsu(before).sort());
    expect(jiangsu(after).length).toBeGreaterThanOrEqual(3);
    zjInspector.sync(zj);
    expect(zjInspector.verify(licences.business.credential)).toMatchObject({ verdict: 'REVOKED' });
    expect(zjInspector.verify(licences.kept.credential)).toMatchObject({ verdict: 'VALID' });
    // Three days on: Jiangsu's status lists (48 h) have expired, its trust list (7 days) has not.
    const later = new Date(Date.now() + 3 * 86_400_000).toISOString();
    expect(zjInspector.verify(licences.kept.credential, later)).toMatchObject({ status: EXIT.STATUS_UNKNOWN, verdict: 'STATUS_UNKNOWN' });
    expect(zjInspector.verify(licences.business.credential, later).verdict).not.toBe('VALID');
  });
});
