/**
 * Provinces federating, for a person to watch (docs/trust-anchor.md "Trying it"): starts a national
 * root, Zhejiang (Hangzhou) and Jiangsu (Nanjing) as three separate deployments on loopback, each with
 * its own database, keys and PUBLIC_URL, federates them through the HTTP API, issues in Nanjing, and
 * has two inspectors (one pinning Zhejiang, one pinning the root) sync once and verify offline with
 * the command line. Then Nanjing revokes, Jiangsu's operator tries to speak for Hangzhou, and Jiangsu
 * stops. Leaves the three running for the web app (open Zhejiang's /verify) until Ctrl-C.
 *
 *   npx tsx scripts/federation-demo.ts [--worker-jiangsu] [--exit] [--dir <folder>]
 *
 * --worker-jiangsu runs Jiangsu as the Worker under `wrangler dev` (local workerd and D1) instead of
 * Node; --exit stops everything at the end instead of waiting.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildNode, NODE_OUT_DIR } from './build-node.js';
import { buildVerifierApp } from './build-verifier.js';
import { anchorDocument, api, type Deployment, federate, freePort, PROVINCES, refresh, startNodeDeployment, startWorkerDeployment } from './federation-setup.js';

const { values } = parseArgs({ options: { 'worker-jiangsu': { type: 'boolean' }, exit: { type: 'boolean' }, dir: { type: 'string' } }, strict: true });
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'elicence-federation-demo-'));
const say = (line: string) => console.log(line);
const step = (line: string) => console.log(`\n== ${line}`);

say(`building the service, the command line and the web app; everything goes to ${dir}`);
await buildNode({ quiet: true });
await buildVerifierApp({ quiet: true });

const [rootPort, zjPort, jsPort] = await Promise.all([freePort(), freePort(), freePort()]);
const running: Deployment[] = [];
const stopAll = async () => {
  await Promise.all(running.map((d) => d.stop()));
};
process.on('SIGINT', () => void stopAll().then(() => process.exit(0)));

try {
  step('three deployments');
  const [root, zj] = await Promise.all([startNodeDeployment(PROVINCES.root, dir, rootPort!), startNodeDeployment(PROVINCES.zj, dir, zjPort!)]);
  running.push(root, zj);
  const js = values['worker-jiangsu'] ? await startWorkerDeployment(PROVINCES.js, dir, jsPort!) : await startNodeDeployment(PROVINCES.js, dir, jsPort!);
  running.push(js);
  for (const d of running) say(`  ${d.spec.anchorName.zh} (${d.spec.key}, ${d.runtime}): ${d.url}  anchor ${(await anchorDocument(d)).anchorId}  token ${d.token}`);

  step('1. the root registers both provinces; Zhejiang registers Jiangsu (32, business licences, its DID prefix)');
  await federate(root, zj, js);
  say(`  Jiangsu's namespace: ${js.prefix}`);

  step('2. Nanjing issues a business licence and a food licence');
  const subject = {
    creditCode: '91330106MA2CFX7K5Y',
    name: '南京示例科技有限公司',
    entityType: '有限责任公司',
    legalRepresentative: '张三',
    registeredCapital: '500万元人民币',
    establishedOn: '2020-05-18',
    address: '江苏省南京市玄武区中山路1号',
    businessScope: '技术开发、技术服务',
  };
  const business = await api<{ id: string; credential: string }>(js, 'POST', '/v1/licences', { type: 'BusinessLicence', subject });
  const food = await api<{ id: string; credential: string }>(js, 'POST', '/v1/licences', {
    type: 'FoodBusinessLicence',
    subject: {
      licenceNumber: 'JY13201020012345',
      operatorName: '南京味道餐饮管理有限公司',
      creditCode: '91330100MA27Y1F3XC',
      legalRepresentative: '李四',
      premisesAddress: '江苏省南京市鼓楼区中央路88号',
      mainBusinessFormat: '餐饮服务经营者（小型餐馆）',
      businessItems: ['热食类食品制售'],
    },
  });
  const kept = await api<{ credential: string }>(js, 'POST', '/v1/licences', {
    type: 'BusinessLicence',
    subject: { ...subject, creditCode: '91330100MA27Y1F3XC', name: '南京长存贸易有限公司' },
  });
  for (const [at, peer] of [
    [zj, js],
    [root, zj],
    [root, js],
  ] as const) {
    const r = await refresh(at, peer);
    say(`  ${at.spec.key} fetched ${peer.spec.key}: ${r.outcome}, stored ${r.stored.trustLists} trust list(s) and ${r.stored.statusLists} status list(s)`);
  }

  const cli = (args: string[]) => spawnSync(process.execPath, [join(NODE_OUT_DIR, 'cli.js'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const inspector = async (name: string, home: Deployment) => {
    writeFileSync(join(dir, `${name}-anchors.json`), JSON.stringify(await anchorDocument(home)));
    return {
      sync: () => {
        const run = cli(['sync', home.url, '--anchors', `${name}-anchors.json`, '--out', `${name}-bundle.json`]);
        say(`  ${name} inspector syncs from ${home.url} (exit ${run.status})`);
        for (const line of `${run.stdout}${run.stderr}`.trim().split('\n')) say(`    ${line}`);
      },
      verify: (label: string, jws: string, now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')) => {
        const run = cli(['verify', jws, '--bundle', `${name}-bundle.json`, '--anchors', `${name}-anchors.json`, '--now', now, '--json']);
        const verdict = run.stdout ? (JSON.parse(run.stdout) as { verdict: string }).verdict : run.stderr.trim();
        say(`  ${name} inspector, ${label} at ${now}: ${verdict} (exit ${run.status})`);
      },
    };
  };

  step('3. an inspector pinning only Zhejiang, and one pinning only the root, each sync once, then verify offline');
  const zjInspector = await inspector('zhejiang', zj);
  const rootInspector = await inspector('root', root);
  zjInspector.sync();
  zjInspector.verify('Nanjing business licence', business.credential);
  zjInspector.verify('Nanjing food licence (outside the scope Zhejiang granted)', food.credential);
  rootInspector.sync();
  rootInspector.verify('Nanjing business licence', business.credential);
  rootInspector.verify('Nanjing food licence', food.credential);

  step('4. Nanjing revokes the business licence; Zhejiang refreshes; the inspector syncs');
  await api(js, 'POST', `/v1/licences/${business.id}/revoke`, { reason: 'cancelled' }, 200);
  // A Worker's bundle may come from the edge cache for up to a minute (docs/workers.md): wait for the new list.
  for (let attempt = 0; attempt < 15; attempt++) {
    const r = await refresh(zj, js);
    if (r.stored.statusLists > 0) break;
    say(`  (Jiangsu's bundle unchanged yet: ${r.outcome}; retrying in 5 s)`);
    await new Promise((done) => setTimeout(done, 5_000));
  }
  zjInspector.sync();
  zjInspector.verify('Nanjing business licence', business.credential);

  step("5. Jiangsu's operator lists Hangzhou's DID in its own register, with Nanjing's key, then withdraws it");
  const hangzhou = await api<{ credential: string }>(zj, 'POST', '/v1/licences', {
    type: 'BusinessLicence',
    subject: { ...subject, name: '杭州示例科技有限公司', address: '浙江省杭州市西湖区文三路100号' },
  });
  await api(js, 'POST', '/v1/trust/authorities', {
    id: zj.authorityDid,
    name: PROVINCES.zj.authority.name,
    jurisdiction: '330100',
    licenceTypes: ['BusinessLicence'],
    jwksUrl: `${js.url}/authorities/nanjing/did.json`,
    validFrom: '2020-01-01T00:00:00Z',
  });
  await api(js, 'POST', `/v1/trust/authorities/${encodeURIComponent(zj.authorityDid)}/withdraw`, { reason: 'takeover' }, 200);
  await api(js, 'POST', '/v1/trust/lists', {});
  for (let attempt = 0; attempt < 15; attempt++) {
    const r = await refresh(zj, js);
    if (r.stored.trustLists > 0) break;
    await new Promise((done) => setTimeout(done, 5_000));
  }
  await refresh(root, zj);
  await refresh(root, js);
  zjInspector.sync();
  zjInspector.verify('Hangzhou business licence', hangzhou.credential);
  rootInspector.sync();
  rootInspector.verify('Hangzhou business licence', hangzhou.credential);

  step('6. Jiangsu stops: Zhejiang keeps serving its last good copies');
  await js.stop();
  const failed = await refresh(zj, js, 502);
  say(`  Zhejiang's refresh of Jiangsu: ${failed.error?.code}: ${failed.error?.message}`);
  zjInspector.sync();
  zjInspector.verify('Nanjing business licence', business.credential);
  zjInspector.verify('Nanjing food licence', food.credential);
  zjInspector.verify('the other Nanjing business licence', kept.credential);
  // Three days on, Jiangsu's status lists (valid 48 h) have expired; its trust list (7 days) has not.
  zjInspector.verify('the other Nanjing business licence, three days on', kept.credential, new Date(Date.now() + 3 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z'));

  say(`\nThe web app: ${zj.url}/verify (pins Zhejiang's anchor on first sync and shows each province's freshness).`);
  if (values.exit) await stopAll();
  else say('Root and Zhejiang keep running; Ctrl-C stops them.');
} catch (error) {
  console.error(error);
  for (const d of running) console.error(`--- ${d.spec.key} output ---\n${d.output()}`);
  await stopAll();
  process.exit(1);
}
