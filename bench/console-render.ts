/**
 * Console first render on a slow office PC: `npm run bench -- console-render`.
 * Headless Chromium (Debian's, driven by playwright-core) with the CPU throttled 4x (DevTools
 * `Emulation.setCPUThrottlingRate`) and the browser cache disabled (a first visit: HTML, CSS and script
 * all fetched), over loopback to the app on @hono/node-server. For each console page, the median of 7
 * loads of first contentful paint and of the load event; the floor, measured in the same run under the
 * same throttling, is the service's bare home page (a few lines of HTML, no script, no style sheet).
 * Target: first render < 1 s.
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { chromium, type Page } from 'playwright-core';
import { creditCodeCheckCharacter } from '../src/core/credit-code.js';
import { ensureFirstAdmin } from '../src/services/accounts.js';
import { businessSubject, createTestContext } from '../tests/helpers/app.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const RUNS = 7;
const PASSWORD = 'bench-password-1';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(page: Page, url: string): Promise<{ fcp: number; load: number }> {
  const fcp: number[] = [];
  const load: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await page.goto(url, { waitUntil: 'load' });
    // The paint entry can land just after the load event.
    await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, undefined, { timeout: 5000 });
    const timing = await page.evaluate(() => {
      const paint = performance.getEntriesByName('first-contentful-paint')[0];
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      return { fcp: paint?.startTime ?? Number.NaN, load: nav?.loadEventEnd ?? Number.NaN };
    });
    fcp.push(timing.fcp);
    load.push(timing.load);
  }
  return { fcp: median(fcp), load: median(load) };
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(`  skipped: ${CHROMIUM} is missing`);
    return;
  }
  const t = await createTestContext({
    clock: { now: () => Date.now(), set: () => undefined, advance: () => undefined },
    config: { passwordHashing: { scheme: 'pbkdf2-sha256', iterations: 1000 } },
  });
  await ensureFirstAdmin(t.deps, 'dev-city', PASSWORD);
  let licence = '';
  for (let i = 0; i < 30; i++) {
    // A credit code per licence: one active business licence per holder.
    const first17 = `9133010600000${String(1000 + i)}`;
    const creditCode = first17 + creditCodeCheckCharacter(first17)!;
    const res = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject({ creditCode, name: `杭州测试${i}号科技有限公司` }) } });
    licence = ((await res.json()) as { id: string }).id;
  }
  const server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  try {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/console/sign-in`);
    await page.fill('#login', 'admin');
    await page.fill('#password', PASSWORD);
    await page.click('button[type=submit]');
    await page.fill('#current', PASSWORD);
    await page.fill('#password', `${PASSWORD}-new`);
    await page.fill('#repeat', `${PASSWORD}-new`);
    await page.click('main button[type=submit]');
    await page.waitForLoadState('load');

    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });

    const floor = await measure(page, `${base}/`);
    const pages: [string, string][] = [
      ['find (20 results)', `/console/licences?q=${encodeURIComponent('测试')}`],
      ['issue form (business licence)', '/console/issue/BusinessLicence'],
      ['licence (QR, history, actions)', `/console/licences/${licence}`],
      ['amend form', `/console/licences/${licence}/amend`],
      ['A4 card', `/console/licences/${licence}/card?format=a4`],
    ];
    console.log(`  Chromium, CPU throttled 4x, cache disabled; median of ${RUNS} loads (target: first render < 1 s)`);
    console.log('  | page | first contentful paint ms | load ms | FCP / floor FCP |');
    console.log('  | --- | ---: | ---: | ---: |');
    console.log(`  | home page (floor) | ${floor.fcp.toFixed(0)} | ${floor.load.toFixed(0)} | 1.0 |`);
    let worst = 0;
    for (const [label, path] of pages) {
      const r = await measure(page, `${base}${path}`);
      worst = Math.max(worst, r.fcp);
      console.log(`  | ${label} | ${r.fcp.toFixed(0)} | ${r.load.toFixed(0)} | ${(r.fcp / floor.fcp).toFixed(1)} |`);
    }
    // Sign-in page, signed out (a fresh context, same throttling).
    const fresh = await browser.newContext({ locale: 'zh-CN' });
    const signInPage = await fresh.newPage();
    const cdp2 = await fresh.newCDPSession(signInPage);
    await cdp2.send('Network.enable');
    await cdp2.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp2.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    const signIn = await measure(signInPage, `${base}/console/sign-in`);
    worst = Math.max(worst, signIn.fcp);
    console.log(`  | sign-in | ${signIn.fcp.toFixed(0)} | ${signIn.load.toFixed(0)} | ${(signIn.fcp / floor.fcp).toFixed(1)} |`);
    console.log(`\n  slowest first render ${worst.toFixed(0)} ms: ${worst < 1000 ? 'meets' : 'MISSES'} the 1 s target`);
  } finally {
    await browser.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    t.close();
  }
}

await main();
