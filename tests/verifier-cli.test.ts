/**
 * The verifier command line (`verify`, `sync`): driven in-process through `run` with an injectable io,
 * plus real child processes to prove the wiring and exit codes. Licences, bundle and anchor keys come
 * from the real service (in-process app; a loopback server for `sync`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_TEXTS } from '../src/cli/verifier/locale.js';
import { type CliIo, run } from '../src/cli/verify.js';
import { parseBundle, type VerifierBundle } from '../src/core/bundle.js';
import { signCompact } from '../src/core/jws-sign.js';
import { encodeLicenceQr } from '../src/core/qr/index.js';
import { ageText, durationText, MESSAGES, type VerifyResult } from '../verifier/index.js';
import { issueLicence, licenceCredential, makeWorld, NOW } from './fixtures/world.js';
import { businessSubject, createTestContext, EXAMPLE_CREDIT_CODE, type TestContext } from './helpers/app.js';
import { renderQrPng } from './helpers/qr-render.js';

interface Licence {
  id: string;
  credential: string;
  licenceIdentifier?: string;
}

interface CapturedIo extends CliIo {
  out: string;
  err: string;
}

let t: TestContext;
let dir: string;
let valid: Licence;
let revoked: Licence;
/** Without expiry (有效期：长期). */
let forever: Licence;
let bundleFile: string;
let anchorsFile: string;
let pngFile: string;
let jpegFile: string;
let nowIso: string;

/** The per-installation state of these tests' "installation" (never the real home). */
const stateHome = () => join(dir, 'xdg-state');
const defaultState = () => join(stateHome(), 'elicence', 'verifier-state.json');

function io(overrides: Partial<CliIo> = {}): CapturedIo {
  const captured: CapturedIo = {
    out: '',
    err: '',
    stdout: (text) => {
      captured.out += text;
    },
    stderr: (text) => {
      captured.err += text;
    },
    env: { LANG: 'en_GB.UTF-8', XDG_STATE_HOME: stateHome() },
    fetch: globalThis.fetch.bind(globalThis),
    readStdin: async () => new Uint8Array(0),
    cwd: dir,
    colour: false,
    now: () => t.clock.now(),
    ...overrides,
  };
  return captured;
}

async function issue(overrides: Record<string, unknown> = {}): Promise<Licence> {
  const response = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject(overrides) } });
  expect(response.status).toBe(201);
  return (await response.json()) as Licence;
}

/** The service's QR PNG when that route exists, else the same rendering from the credential. */
async function qrPng(licence: Licence): Promise<Buffer> {
  const response = await t.call('GET', `/v1/licences/${licence.id}/qr.png`);
  if (response.status === 200 && response.headers.get('content-type')?.startsWith('image/png')) return Buffer.from(await response.arrayBuffer());
  return renderQrPng(encodeLicenceQr(licence.credential));
}

function toJpeg(png: Buffer): Buffer {
  const image = PNG.sync.read(png);
  return jpeg.encode({ data: image.data, width: image.width, height: image.height }, 90).data;
}

const verifyArgs = (input: string, ...extra: string[]) => [input, '--bundle', bundleFile, '--anchors', anchorsFile, '--now', nowIso, ...extra];

async function verifyRun(args: string[], overrides: Partial<CliIo> = {}): Promise<{ code: number; io: CapturedIo }> {
  const captured = io(overrides);
  return { code: await run(args, 'verify', captured), io: captured };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verifier-cli-'));
  t = await createTestContext();
  valid = await issue({ creditCode: EXAMPLE_CREDIT_CODE });
  revoked = await issue();
  expect((await t.call('POST', `/v1/licences/${revoked.id}/revoke`, { body: { reason: 'fraud' } })).status).toBe(200);
  const longTerm = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject: businessSubject({ name: '杭州长期经营有限公司' }), validUntil: null } });
  expect(longTerm.status).toBe(201);
  forever = (await longTerm.json()) as Licence;
  const bundle = await (await t.call('GET', '/verifier-bundle', { token: null })).text();
  const anchors = await (await t.call('GET', '/.well-known/trust-anchor.json', { token: null })).text();
  bundleFile = join(dir, 'bundle.json');
  anchorsFile = join(dir, 'anchors.json');
  writeFileSync(bundleFile, bundle);
  writeFileSync(anchorsFile, anchors);
  const png = await qrPng(valid);
  pngFile = join(dir, 'licence.png');
  jpegFile = join(dir, 'licence.jpg');
  writeFileSync(pngFile, png);
  writeFileSync(jpegFile, toJpeg(png));
  writeFileSync(join(dir, 'revoked.png'), await qrPng(revoked));
  writeFileSync(join(dir, 'forever.png'), await qrPng(forever));
  nowIso = new Date(t.clock.now() + 60_000).toISOString();
});

afterAll(() => {
  t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('verify', () => {
  it('reads the service QR from a PNG: VALID, exit 0, English output with the licence fields', async () => {
    const { code, io: out } = await verifyRun(verifyArgs(pngFile));
    expect(out.err).toBe('');
    expect(code).toBe(0);
    expect(out.out).toContain(`✔ ${MESSAGES.en.verdict.VALID.title}`);
    expect(out.out).toContain('Business licence (营业执照)');
    expect(out.out).toContain('杭州示例科技有限公司');
    expect(out.out).toContain('91330106MA2CFX7K5Y');
    expect(out.out).toContain(CLI_TEXTS.en.fresh.status(ageText(60, 'en'), durationText(86_400, 'en')));
    expect(out.out).toContain(`${CLI_TEXTS.en.heading.source}: PNG ${pngFile}`);
    // Checks and results are worded as the web app words them (one catalogue, verifier/messages.ts).
    for (const name of ['format', 'signature', 'issuerListed', 'revocation', 'statusFreshness'] as const) {
      expect(out.out).toMatch(new RegExp(`✔ ${MESSAGES.en.check[name]} +${MESSAGES.en.result.ok}`));
    }
  });

  it('reads a JPEG of the same QR', async () => {
    const { code, io: out } = await verifyRun(verifyArgs(jpegFile, '--json'));
    expect(code).toBe(0);
    expect((JSON.parse(out.out) as VerifyResult).verdict).toBe('VALID');
  });

  it('gives REVOKED and exit 10 for a revoked licence', async () => {
    const { code, io: out } = await verifyRun(verifyArgs(join(dir, 'revoked.png')));
    expect(code).toBe(10);
    expect(out.out).toContain(`✘ ${MESSAGES.en.verdict.REVOKED.title}`);
    expect(out.out).toContain('ERR_LICENCE_REVOKED');
  });

  it('gives INVALID and exit 15 for a tampered JWS, and shows no licence fields', async () => {
    const [header, payload, signature] = valid.credential.split('.') as [string, string, string];
    const middle = Math.floor(signature.length / 2);
    const flipped = `${signature.slice(0, middle)}${signature[middle] === 'A' ? 'B' : 'A'}${signature.slice(middle + 1)}`;
    const { code, io: out } = await verifyRun(verifyArgs(`${header}.${payload}.${flipped}`));
    expect(code).toBe(15);
    expect(out.out).toContain(MESSAGES.en.verdict.INVALID.title);
    expect(out.out).toContain(`${CLI_TEXTS.en.heading.reason}: ${MESSAGES.en.code.ERR_JWS_SIGNATURE}`);
    expect(out.out).toContain('ERR_JWS_SIGNATURE');
    expect(out.out).not.toContain('杭州示例科技有限公司');
    // Garbage that is not a path goes to the library too: INVALID, not a file error.
    expect((await verifyRun(verifyArgs('not-a-licence'))).code).toBe(15);
  });

  it('a licence without expiry from its printed QR: VALID, exit 0, 长期 and its licence identifier shown', async () => {
    const en = await verifyRun(verifyArgs(join(dir, 'forever.png')));
    expect(en.code).toBe(0);
    expect(en.io.out).toContain('杭州长期经营有限公司');
    expect(en.io.out).toMatch(/Valid \(有效期\): \d{4}-\d{2}-\d{2} – no expiry \(long-term\)/);
    expect(en.io.out).toContain(`Licence identifier (证照标识): ${forever.licenceIdentifier}\n`);
    const zh = await verifyRun(verifyArgs(join(dir, 'forever.png'), '--lang', 'zh'));
    expect(zh.io.out).toMatch(/有效期 \(Valid\): \d{4}-\d{2}-\d{2} – 长期/);
    const json = JSON.parse((await verifyRun(verifyArgs(join(dir, 'forever.png'), '--json'))).io.out) as VerifyResult;
    expect(json.licence).toMatchObject({ identifier: { value: forever.licenceIdentifier } });
    expect(json.licence).not.toHaveProperty('lastDay');
  });

  it('gives STATUS_UNKNOWN and exit 16 when the bundle is stale', async () => {
    const later = new Date(t.clock.now() + 2 * 86_400_000).toISOString();
    const { code, io: out } = await verifyRun([valid.credential, '--bundle', bundleFile, '--anchors', anchorsFile, '--now', later, '--json']);
    expect(code).toBe(16);
    const result = JSON.parse(out.out) as VerifyResult;
    expect(result.verdict).toBe('STATUS_UNKNOWN');
    expect(result.checks.find((c) => c.name === 'statusFreshness')?.code).toBe('ERR_STATUS_LIST_STALE');
    // --max-status-age tightens the limit.
    expect((await verifyRun(verifyArgs(valid.credential, '--max-status-age', '10'))).code).toBe(16);
  });

  it('prints the library result as JSON with --json', async () => {
    const { code, io: out } = await verifyRun(verifyArgs(encodeLicenceQr(valid.credential), '--json'));
    expect(code).toBe(0);
    const result = JSON.parse(out.out) as VerifyResult;
    expect(result.verdict).toBe('VALID');
    expect(result.checks).toHaveLength(12);
    expect(result.licence?.holder).toBe('杭州示例科技有限公司');
    expect(result.trustLists[0]?.sequence).toBeGreaterThanOrEqual(1);
  });

  it('speaks Chinese with --lang zh or a zh locale, English otherwise', async () => {
    const zh = await verifyRun(verifyArgs(pngFile, '--lang', 'zh'));
    expect(zh.io.out).toContain(`✔ ${MESSAGES.zh.verdict.VALID.title}  VALID`);
    expect(zh.io.out).toContain('营业执照 (Business licence)');
    expect(zh.io.out).toContain(CLI_TEXTS.zh.heading.checks);
    const byLocale = await verifyRun(verifyArgs(join(dir, 'revoked.png')), { env: { LANG: 'en_US.UTF-8', LC_ALL: 'zh_CN.UTF-8', XDG_STATE_HOME: stateHome() } });
    expect(byLocale.code).toBe(10);
    expect(byLocale.io.out).toContain(MESSAGES.zh.verdict.REVOKED.title);
    // Revoked for fraud: the signed reasons document says which legal act (撤销), offline.
    expect(byLocale.io.out).toContain(MESSAGES.zh.reason.rescinded.title);
    expect(byLocale.io.out).toContain(MESSAGES.zh.reason.rescinded.detail);
    const english = await verifyRun(verifyArgs(pngFile), { env: { LANG: 'C.UTF-8', XDG_STATE_HOME: stateHome() } });
    expect(english.io.out).toContain(CLI_TEXTS.en.heading.checks);
    expect(english.io.out).not.toContain(CLI_TEXTS.zh.heading.checks);
  });

  it('reads the input from stdin with -', async () => {
    const stdin = new TextEncoder().encode(`${encodeLicenceQr(valid.credential)}\n`);
    expect((await verifyRun(verifyArgs('-'), { readStdin: async () => stdin })).code).toBe(0);
    const image = new Uint8Array(readFileSync(pngFile));
    expect((await verifyRun(verifyArgs('-'), { readStdin: async () => image })).code).toBe(0);
  });

  it('remembers the highest trust list sequence and refuses an older list on a later run', async () => {
    const state = join(dir, 'replay.state.json');
    expect((await verifyRun(verifyArgs(valid.credential, '--state', state))).code).toBe(0);
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { trustListSequences: Record<string, number> };
    const [anchorId, sequence] = Object.entries(saved.trustListSequences)[0]!;
    expect(sequence).toBeGreaterThanOrEqual(1);
    // Without --state, the state is per installation ($XDG_STATE_HOME/elicence/verifier-state.json).
    expect((await verifyRun(verifyArgs(valid.credential))).code).toBe(0);
    expect(statSync(defaultState()).isFile()).toBe(true);
    // A newer list was seen since: this bundle's list is now a replay.
    writeFileSync(state, JSON.stringify({ version: 1, trustListSequences: { [anchorId]: sequence + 1 } }));
    const { code, io: out } = await verifyRun(verifyArgs(valid.credential, '--state', state, '--json'));
    expect(code).toBe(14);
    expect((JSON.parse(out.out) as VerifyResult).checks.find((c) => c.name === 'trustList')?.code).toBe('ERR_TRUST_LIST_REPLAYED');
    // A corrupt state file is an error, not a silent reset.
    writeFileSync(state, '{"version":1,"trustListSequences":{"x":-1}}');
    expect((await verifyRun(verifyArgs(valid.credential, '--state', state))).code).toBe(65);
  });

  it('remembers the newest status lists used and refuses an older copy on a later run (STATUS_UNKNOWN, exit 16)', async () => {
    const state = join(dir, 'status-replay.state.json');
    expect((await verifyRun(verifyArgs(valid.credential, '--state', state))).code).toBe(0);
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { statusListsSeen: Record<string, number>; statusVersionsSeen: Record<string, number> };
    const urls = Object.keys(saved.statusListsSeen);
    expect(urls.map((u) => u.split('/').slice(-2, -1)[0]).sort()).toEqual(['revocation', 'suspension']);
    expect(Object.keys(saved.statusVersionsSeen).sort()).toEqual([...urls].sort());
    const revocationUrl = urls.find((u) => u.includes('/revocation/'))!;
    // A newer revocation list (a higher version) was seen since (it could revoke this licence): the bundle's copy is a replay.
    writeFileSync(state, JSON.stringify({ ...saved, statusVersionsSeen: { ...saved.statusVersionsSeen, [revocationUrl]: saved.statusVersionsSeen[revocationUrl]! + 1 } }));
    const { code, io: out } = await verifyRun(verifyArgs(valid.credential, '--state', state, '--json'));
    expect(code).toBe(16);
    expect((JSON.parse(out.out) as VerifyResult).checks.find((c) => c.name === 'revocation')?.code).toBe('ERR_STATUS_LIST_REPLAYED');
    // A state from before versions knows only when the newest list was signed: a copy signed earlier is refused the same way.
    const { [revocationUrl]: _dropped, ...otherVersions } = saved.statusVersionsSeen;
    writeFileSync(
      state,
      JSON.stringify({ ...saved, statusVersionsSeen: otherVersions, statusListsSeen: { ...saved.statusListsSeen, [revocationUrl]: saved.statusListsSeen[revocationUrl]! + 1000 } }),
    );
    const older = await verifyRun(verifyArgs(valid.credential, '--state', state, '--json'));
    expect(older.code).toBe(16);
    expect((JSON.parse(older.io.out) as VerifyResult).checks.find((c) => c.name === 'revocation')?.code).toBe('ERR_STATUS_LIST_REPLAYED');
  });

  it('refuses bad arguments with exit 64 and the usage text', async () => {
    const cases: string[][] = [
      [],
      [pngFile, '--anchors', anchorsFile],
      [pngFile, '--bundle', bundleFile],
      verifyArgs(pngFile, '--lang', 'fr'),
      verifyArgs(pngFile, '--bogus'),
      verifyArgs(pngFile, 'second-input'),
      [pngFile, '--bundle', bundleFile, '--anchors', anchorsFile, '--now', 'yesterday'],
      [pngFile, '--bundle', bundleFile, '--anchors', anchorsFile, '--now', '2027-02-30T00:00:00Z'],
      verifyArgs(pngFile, '--max-status-age', '-5'),
      verifyArgs(pngFile, '--bundle'),
    ];
    for (const args of cases) {
      const { code, io: out } = await verifyRun(args);
      expect(code, args.join(' ')).toBe(64);
      expect(out.err).toContain('usage: npm run elicence -- verify');
    }
  });

  it('refuses missing, non-regular, oversized and unusable files with typed errors', async () => {
    const expectError = async (args: string[], exit: number, code: string) => {
      const { code: actual, io: out } = await verifyRun(args);
      expect(actual, args.join(' ')).toBe(exit);
      expect(out.err).toContain(code);
    };
    await expectError([pngFile, '--bundle', join(dir, 'missing.json'), '--anchors', anchorsFile], 66, 'ERR_FILE_NOT_FOUND');
    mkdirSync(join(dir, 'a-directory'), { recursive: true });
    await expectError([pngFile, '--bundle', join(dir, 'a-directory'), '--anchors', anchorsFile], 66, 'ERR_FILE_NOT_REGULAR');
    writeFileSync(join(dir, 'huge.json'), `{"keys":[${' '.repeat(300 * 1024)}]}`);
    await expectError([pngFile, '--bundle', bundleFile, '--anchors', join(dir, 'huge.json')], 66, 'ERR_FILE_TOO_LARGE');
    await expectError(verifyArgs(join(dir, 'no-such-image.png')), 66, 'ERR_FILE_NOT_FOUND');
    writeFileSync(join(dir, 'private.json'), JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA', d: 'BBBB' }] }));
    await expectError([pngFile, '--bundle', bundleFile, '--anchors', join(dir, 'private.json')], 65, 'ERR_JWKS_PRIVATE_KEY');
    const blank = new PNG({ width: 64, height: 64 });
    blank.data.fill(255);
    writeFileSync(join(dir, 'blank.png'), PNG.sync.write(blank));
    await expectError(verifyArgs(join(dir, 'blank.png')), 65, 'ERR_QR_NOT_FOUND');
    writeFileSync(join(dir, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 1, 2, 3]));
    await expectError(verifyArgs(join(dir, 'broken.jpg')), 65, 'ERR_IMAGE_UNREADABLE');
  });

  it('uses several --bundle files together: one per province, a Nanjing licence verifies in Zhejiang', async () => {
    const world = await makeWorld();
    const split = (anchorList: string, authorities: { slug: string }[]) =>
      world.bundleWith({ trustLists: [anchorList], statusLists: world.statusLists.filter((s) => authorities.some((a) => s.url.includes(`/${a.slug}/`))) });
    const zhejiangFile = join(dir, 'zhejiang-bundle.json');
    const jiangsuFile = join(dir, 'jiangsu-bundle.json');
    const worldAnchors = join(dir, 'zhejiang-anchor.json');
    writeFileSync(zhejiangFile, JSON.stringify(split(world.zhejiangList, world.zhejiangAuthorities)));
    writeFileSync(jiangsuFile, JSON.stringify(split(world.jiangsuList, world.jiangsuAuthorities)));
    writeFileSync(worldAnchors, JSON.stringify({ keys: [world.zhejiang.key.publicJwk] }));
    const nanjingLicence = await issueLicence(world.nanjing);
    const at = ['--anchors', worldAnchors, '--now', new Date(NOW).toISOString(), '--state', join(dir, 'provinces-state.json'), '--json'];

    // Zhejiang's bundle alone does not carry Jiangsu's trust list.
    const alone = await verifyRun([nanjingLicence, '--bundle', zhejiangFile, ...at]);
    expect((JSON.parse(alone.io.out) as VerifyResult).verdict).toBe('UNTRUSTED_ISSUER');
    expect(alone.code).toBe(14);
    // Both: Zhejiang's list vouches for Jiangsu's (scope 32, BusinessLicence), Jiangsu's lists Nanjing.
    const both = await verifyRun([nanjingLicence, '--bundle', zhejiangFile, '--bundle', jiangsuFile, ...at]);
    expect((JSON.parse(both.io.out) as VerifyResult).verdict).toBe('VALID');
    expect(both.code).toBe(0);
  });

  it('a validly signed licence nested thousands of levels deep: INVALID with exit 15, human and --json, no stack trace', async () => {
    const world = await makeWorld();
    let deep: unknown = 'bottom';
    for (let i = 0; i < 3_500; i++) deep = { n: deep };
    const credential = licenceCredential(world.hangzhou);
    const jws = await signCompact(world.hangzhou.keys[0]!.signer, { ...credential, credentialSubject: { ...credential.credentialSubject, nested: deep } }, 'vc+jwt', 'vc');
    const worldBundle = join(dir, 'deep-bundle.json');
    const worldAnchors = join(dir, 'deep-anchors.json');
    writeFileSync(worldBundle, JSON.stringify(world.bundle));
    writeFileSync(worldAnchors, JSON.stringify({ anchorId: world.zhejiang.id, keys: [world.zhejiang.key.publicJwk] }));
    const args = [jws, '--bundle', worldBundle, '--anchors', worldAnchors, '--now', new Date(NOW).toISOString(), '--state', join(dir, 'deep.state.json')];
    const human = await verifyRun(args);
    expect(human.code).toBe(15);
    expect(human.io.err).toBe('');
    expect(human.io.out).toContain('ERR_JSON_TOO_DEEP');
    const json = await verifyRun([...args, '--json']);
    expect(json.code).toBe(15);
    expect((JSON.parse(json.io.out) as VerifyResult).checks.find((c) => c.name === 'format')?.code).toBe('ERR_JSON_TOO_DEEP');
  });

  it('runs as a real process through the elicence dispatcher, with the verdict as exit code', () => {
    const cli = join(process.cwd(), 'src/cli/main.ts');
    const runCli = (input: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', cli, 'verify', input, '--bundle', bundleFile, '--anchors', anchorsFile, '--now', nowIso, '--lang', 'en'], {
        cwd: process.cwd(),
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', XDG_STATE_HOME: stateHome() },
        timeout: 30_000,
      });
    const ok = runCli(pngFile);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`✔ ${MESSAGES.en.verdict.VALID.title}`);
    const bad = runCli(join(dir, 'revoked.png'));
    expect(bad.status).toBe(10);
    expect(bad.stdout).toContain(MESSAGES.en.verdict.REVOKED.title);
  }, 60_000);
});

describe('sync', () => {
  let server: ReturnType<typeof serve>;
  let base: string;
  let forgedServer: ReturnType<typeof serve>;
  let forgedBase: string;
  let forged: VerifierBundle;

  const listen = async (fetch: (request: Request) => Response | Promise<Response>) => {
    const s = serve({ fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => s.once('listening', resolve));
    return { s, base: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
  };

  beforeAll(async () => {
    ({ s: server, base } = await listen(t.app.fetch));
    const genuine = JSON.parse(readFileSync(bundleFile, 'utf8')) as VerifierBundle;
    // One status list with a signature byte changed: a forged piece.
    const [h, p, sig] = genuine.statusLists[0]!.jws.split('.') as [string, string, string];
    const i = Math.floor(sig.length / 2);
    forged = {
      ...genuine,
      statusLists: [{ ...genuine.statusLists[0]!, jws: `${h}.${p}.${sig.slice(0, i)}${sig[i] === 'A' ? 'B' : 'A'}${sig.slice(i + 1)}` }, ...genuine.statusLists.slice(1)],
    };
    ({ s: forgedServer, base: forgedBase } = await listen(() => Response.json(forged)));
  });

  afterAll(() => {
    server.close();
    forgedServer.close();
  });

  const syncRun = async (args: string[]) => {
    const captured = io();
    return { code: await run(args, 'sync', captured), io: captured };
  };

  it('fetches a bundle from a loopback server, checks it, writes it; it then verifies', async () => {
    const out = join(dir, 'synced.json');
    const first = await syncRun([base, '--anchors', anchorsFile, '--out', out]);
    expect(first.io.err).toBe('');
    expect(first.code).toBe(0);
    expect(first.io.out).toContain('full bundle');
    expect(first.io.out).toMatch(/trust lists: 1/);
    expect(first.io.out).toMatch(/status lists: 2 from 1 issuer/);
    const state = JSON.parse(readFileSync(defaultState(), 'utf8')) as { syncs: Record<string, { url: string; etag: string }> };
    expect(state.syncs[out]!.url).toBe(`${base}/verifier-bundle`);
    expect(state.syncs[out]!.etag).toMatch(/^W\//);
    expect((await verifyRun([pngFile, '--bundle', out, '--anchors', anchorsFile])).code).toBe(0);

    // Nothing changed: 304, the file is left alone.
    const before = readFileSync(out, 'utf8');
    const second = await syncRun([`${base}/verifier-bundle`, '--anchors', anchorsFile, '--out', out]);
    expect(second.code).toBe(0);
    expect(second.io.out).toContain('not modified');
    expect(readFileSync(out, 'utf8')).toBe(before);

    // A suspension: the next sync gets a delta of status patches (no list in full) and applies it.
    t.clock.advance(120_000);
    expect((await t.call('POST', `/v1/licences/${valid.id}/suspend`, { body: { reason: 'investigation' } })).status).toBe(200);
    const third = await syncRun([base, '--anchors', anchorsFile, '--out', out]);
    expect(third.io.err).toBe('');
    expect(third.code).toBe(0);
    expect(third.io.out).toMatch(/delta with \d piece\(s\) \(\d status patch\(es\)\), merged/);
    expect(third.io.out).toMatch(/status lists: 2 from 1 issuer/);
    const merged = parseBundle(readFileSync(out));
    expect(merged.trustLists).toHaveLength(1);
    // Kept: the copies at the cut (attested by its manifest) and the tail that brings them up to date.
    expect(merged.statusLists).toHaveLength(0);
    expect(merged.statusCopies!.flatMap((g) => g.lists)).toHaveLength(2);
    expect(merged.statusPatches).toHaveLength(1);
    const suspended = await verifyRun([pngFile, '--bundle', out, '--anchors', anchorsFile]);
    expect(suspended.code).toBe(11);
    expect(suspended.io.out).toContain(MESSAGES.en.verdict.SUSPENDED.title);
  });

  it('hole 7: a status list of an authority not (yet) on the trust list is skipped with a note; the rest is stored', async () => {
    const genuine = JSON.parse(readFileSync(bundleFile, 'utf8')) as VerifierBundle;
    const world = await makeWorld();
    const unlisted = world.statusLists.find((l) => l.url.includes('320100'))!;
    const { s: extraServer, base: extraBase } = await listen(() => Response.json({ ...genuine, statusLists: [...genuine.statusLists, unlisted] }));
    try {
      const out = join(dir, 'with-unlisted.json');
      const synced = await syncRun([extraBase, '--anchors', anchorsFile, '--out', out, '--state', join(dir, 'hole7.state.json')]);
      expect(synced.io.err).toBe('');
      expect(synced.code).toBe(0);
      expect(synced.io.out).toContain(`warning: status list ${unlisted.url}: skipped, its issuer is not on an accepted trust list (ERR_ISSUER_NOT_LISTED)`);
      const written = JSON.parse(readFileSync(out, 'utf8')) as VerifierBundle;
      expect(written.statusLists.map((l) => l.url).sort()).toEqual(genuine.statusLists.map((l) => l.url).sort());
      expect((await verifyRun([pngFile, '--bundle', out, '--anchors', anchorsFile, '--now', nowIso, '--state', join(dir, 'hole7-verify.state.json')])).code).toBe(0);
    } finally {
      extraServer.close();
    }
  });

  it('refuses a bundle with a forged piece and leaves the previous file untouched', async () => {
    const out = join(dir, 'forged.json');
    writeFileSync(out, 'previous content');
    const { code, io: captured } = await syncRun([forgedBase, '--anchors', anchorsFile, '--out', out]);
    expect(code).toBe(65);
    expect(captured.err).toContain('ERR_BUNDLE_REFUSED');
    expect(captured.err).toContain('ERR_JWS_SIGNATURE');
    expect(readFileSync(out, 'utf8')).toBe('previous content');
    // Signed by an anchor that is not pinned: refused too.
    writeFileSync(join(dir, 'other-anchor.json'), JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }] }));
    const other = await syncRun([base, '--anchors', join(dir, 'other-anchor.json'), '--out', out]);
    expect(other.code).toBe(65);
    expect(other.io.err).toMatch(/no pinned anchor holds/);
    // A trust list older than the sequence already recorded (a rollback): refused.
    const rollbackState = join(dir, 'rollback.state.json');
    const seen = JSON.parse(readFileSync(defaultState(), 'utf8')) as { trustListSequences: Record<string, number> };
    const anchorId = Object.keys(seen.trustListSequences)[0]!;
    writeFileSync(rollbackState, JSON.stringify({ version: 1, trustListSequences: { [anchorId]: 999 } }));
    const rollback = await syncRun([base, '--anchors', anchorsFile, '--out', out, '--state', rollbackState]);
    expect(rollback.code).toBe(65);
    expect(rollback.io.err).toContain('ERR_TRUST_LIST_REPLAYED');
    expect(readFileSync(out, 'utf8')).toBe('previous content');
  });

  it('refuses bad sync arguments with exit 64, and an unreachable server with 69', async () => {
    for (const args of [
      [base, '--anchors', anchorsFile],
      [base, '--out', 'x.json'],
      ['file:///etc/passwd', '--anchors', anchorsFile, '--out', 'x.json'],
      ['http://user:pw@127.0.0.1/', '--anchors', anchorsFile, '--out', 'x.json'],
      [base, '--anchors', anchorsFile, '--out', 'x.json', '--timeout', '0'],
    ]) {
      const { code, io: captured } = await syncRun(args);
      expect(code, args.join(' ')).toBe(64);
      expect(captured.err).toContain('usage: npm run elicence -- sync');
    }
    const closed = await listen(() => new Response('gone', { status: 503 }));
    const failed = await syncRun([closed.base, '--anchors', anchorsFile, '--out', join(dir, 'never.json')]);
    closed.s.close();
    expect(failed.code).toBe(69);
    expect(failed.io.err).toContain('HTTP 503');
    // A response over the byte cap is cut off.
    const capped = await syncRun([base, '--anchors', anchorsFile, '--out', join(dir, 'never.json'), '--max-bytes', '1024', '--full']);
    expect(capped.code).toBe(69);
    expect(capped.io.err).toContain('--max-bytes');
  });
});
