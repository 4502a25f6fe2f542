/**
 * Status patches in the command line (docs/verifier.md): `verify` answers STATUS_UNKNOWN (exit 16) when
 * a patch skips a version, is signed by another authority, names a wrong digest, or is replayed after
 * the reinstating patch was seen (the state keeps the version); `sync` refuses a bundle whose patch is
 * forged, and keeps only the pinned anchor's own authorities with --province-only.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, run } from '../src/cli/verify.js';
import { packBundle, parseBundle, type VerifierBundle } from '../src/core/bundle.js';
import { MESSAGES, statusSeenKey, type VerifyResult } from '../verifier/index.js';
import { type PatchKit, patchKit, type RefusedPatchBundles, refusedPatchBundles } from './fixtures/patches.js';
import { issueLicence, makeWorld, NOW, type World } from './fixtures/world.js';

interface CapturedIo extends CliIo {
  out: string;
  err: string;
}

let world: World;
let kit: PatchKit;
let bundles: RefusedPatchBundles;
let dir: string;
let anchorsFile: string;
let server: Server;
let base: string;
let served: { body: unknown; form: boolean } = { body: {}, form: true };

function io(): CapturedIo {
  const captured: CapturedIo = {
    out: '',
    err: '',
    stdout: (text) => {
      captured.out += text;
    },
    stderr: (text) => {
      captured.err += text;
    },
    env: { LANG: 'en_GB.UTF-8', XDG_STATE_HOME: join(dir, 'state') },
    fetch: globalThis.fetch.bind(globalThis),
    readStdin: async () => new Uint8Array(0),
    cwd: dir,
    colour: false,
    now: () => NOW,
  };
  return captured;
}

function file(name: string, bundle: VerifierBundle): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(packBundle(bundle)));
  return path;
}

async function verifyWith(bundle: string, state: string, licence = kit.licence): Promise<{ code: number; result: VerifyResult }> {
  const captured = io();
  const code = await run([licence, '--bundle', bundle, '--anchors', anchorsFile, '--json', '--state', join(dir, state)], 'verify', captured);
  expect(captured.err).toBe('');
  return { code, result: JSON.parse(captured.out) as VerifyResult };
}

const checkOf = (result: VerifyResult, name: string) => result.checks.find((c) => c.name === name)!;

beforeAll(async () => {
  world = await makeWorld();
  kit = await patchKit(world);
  bundles = await refusedPatchBundles(world, kit);
  dir = mkdtempSync(join(tmpdir(), 'verifier-cli-patches-'));
  anchorsFile = join(dir, 'anchors.json');
  writeFileSync(anchorsFile, JSON.stringify({ anchorId: world.zhejiang.id, keys: [world.zhejiang.key.publicJwk] }));
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'elicence-bundle': 'full', ...(served.form ? { 'elicence-bundle-form': 'patches' } : {}) });
    res.end(JSON.stringify(served.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('verify with status patches', () => {
  it('a skipped version, another authority, a wrong digest: STATUS_UNKNOWN, exit 16', async () => {
    const skipped = await verifyWith(file('skipped.json', bundles.skipped), 'a.json');
    expect(skipped.code).toBe(16);
    expect(checkOf(skipped.result, 'revocation').code).toBe('ERR_STATUS_PATCH_GAP');
    const other = await verifyWith(file('other.json', bundles.otherAuthority), 'b.json');
    expect(other.code).toBe(16);
    expect(checkOf(other.result, 'statusFreshness').code).toBe('ERR_STATUS_LIST_STALE');
    const wrong = await verifyWith(file('wrong.json', bundles.wrongDigest), 'c.json');
    expect(wrong.code).toBe(16);
    expect(checkOf(wrong.result, 'suspension').code).toBe('ERR_STATUS_PATCH_MISMATCH');
  });

  it('suspend -> reinstate -> replayed suspend patch: the state keeps version 22, the replay is STATUS_UNKNOWN', async () => {
    const first = await verifyWith(file('reinstated.json', bundles.reinstated), 'replay.json');
    expect(first.code).toBe(0);
    const state = JSON.parse(readFileSync(join(dir, 'replay.json'), 'utf8')) as { statusVersionsSeen: Record<string, number> };
    // Remembered per issuer and URL: another authority's pieces naming the URL cannot raise it.
    expect(state.statusVersionsSeen[statusSeenKey(kit.hangzhou.id, kit.suspensionUrl)]).toBe(22);
    const replayed = await verifyWith(file('replayed.json', bundles.replayed), 'replay.json');
    expect(replayed.code).toBe(16);
    expect(checkOf(replayed.result, 'suspension').code).toBe('ERR_STATUS_LIST_REPLAYED');
  });
});

describe('sync with status patches', () => {
  it('refuses a bundle whose patch is signed by another authority, and writes nothing', async () => {
    served = { body: packBundle(bundles.otherAuthority), form: true };
    const captured = io();
    const out = join(dir, 'refused.json');
    const code = await run([base, '--anchors', anchorsFile, '--out', out, '--state', join(dir, 'sync-a.json')], 'sync', captured);
    expect(code).toBe(65);
    expect(captured.err).toContain('ERR_KEY_UNKNOWN');
    expect(() => readFileSync(out)).toThrow();
  });

  it('--province-only keeps the pinned anchor own authorities; a Nanjing licence then says why it has no status', async () => {
    const nanjingLicence = await issueLicence(world.nanjing);
    served = { body: JSON.parse(JSON.stringify(world.bundle)), form: true };
    const out = join(dir, 'province.json');
    const captured = io();
    const code = await run([base, '--anchors', anchorsFile, '--out', out, '--province-only', '--state', join(dir, 'sync-b.json')], 'sync', captured);
    expect(captured.err).toBe('');
    expect(code).toBe(0);
    expect(captured.out).toMatch(/other provinces left out: province-only/);
    const kept = parseBundle(readFileSync(out));
    expect(kept.statusLists.some((l) => l.url.includes('320100'))).toBe(false);
    expect(kept.statusLists.some((l) => l.url.includes('330100'))).toBe(true);
    const verified = io();
    expect(await run([nanjingLicence, '--bundle', out, '--anchors', anchorsFile, '--json', '--state', join(dir, 'sync-b.json')], 'verify', verified)).toBe(16);
    const result = JSON.parse(verified.out) as VerifyResult;
    expect(checkOf(result, 'revocation')).toMatchObject({ code: 'ERR_STATUS_LIST_MISSING' });
    expect(checkOf(result, 'revocation').message).toContain('not synced in province-only mode');
    expect(result.statusNotSynced).toBe('province-only');
    // The human output says so in words (the one catalogue, also the web app's).
    const human = io();
    await run([nanjingLicence, '--bundle', out, '--anchors', anchorsFile, '--state', join(dir, 'sync-b.json')], 'verify', human);
    expect(human.out).toContain(MESSAGES.en.notSyncedProvinceOnly);
    // A full sync of the same deployment keeps Nanjing's lists.
    const full = io();
    expect(await run([base, '--anchors', anchorsFile, '--out', join(dir, 'all.json'), '--state', join(dir, 'sync-c.json')], 'sync', full)).toBe(0);
    expect(parseBundle(readFileSync(join(dir, 'all.json'))).statusLists.some((l) => l.url.includes('320100'))).toBe(true);
  });
});
