/**
 * Who may speak for whom: every federation hole found in review, as a regression test through the
 * verifier library and the CLI (docs/trust-list.md states the rules). Each scenario is an insider's
 * attack: a party holding some trusted key tries to speak for another anchor's authorities.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, run } from '../src/cli/verify.js';
import { type VerifyResult, verify } from '../verifier/index.js';
import { holeScenarios, makeAnhui, narrowingScope, pinnedZhejiang, type Scenario } from './fixtures/federation-holes.js';
import { makeWorld, NOW, signTrustListFor, type World } from './fixtures/world.js';

let w: World;
let scenarios: Scenario[];
let dir: string;

beforeAll(async () => {
  w = await makeWorld();
  scenarios = await holeScenarios(w);
  dir = mkdtempSync(join(tmpdir(), 'federation-holes-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectOutcome(result: VerifyResult, scenario: Pick<Scenario, 'verdict' | 'check' | 'code'>): void {
  expect(result.verdict).toBe(scenario.verdict);
  if (scenario.check) expect(result.checks.find((c) => c.name === scenario.check)?.code).toBe(scenario.code);
}

interface Captured extends CliIo {
  out: string;
  err: string;
}

function cliIo(): Captured {
  const io: Captured = {
    out: '',
    err: '',
    stdout: (text) => {
      io.out += text;
    },
    stderr: (text) => {
      io.err += text;
    },
    env: { LANG: 'en_GB.UTF-8', XDG_STATE_HOME: join(dir, 'xdg') },
    fetch: globalThis.fetch.bind(globalThis),
    readStdin: async () => new Uint8Array(0),
    cwd: dir,
    colour: false,
    now: () => NOW,
  };
  return io;
}

/** `elicence verify --json` on files written for the scenario, with its own state file. */
async function cliVerify(name: string, licence: string, bundle: unknown, anchors: unknown, extra: string[] = []): Promise<{ code: number; result: VerifyResult }> {
  const bundleFile = join(dir, `${name}.bundle.json`);
  const anchorsFile = join(dir, `${name}.anchors.json`);
  writeFileSync(bundleFile, JSON.stringify(bundle));
  writeFileSync(anchorsFile, JSON.stringify(anchors));
  const io = cliIo();
  const code = await run([licence, '--bundle', bundleFile, '--anchors', anchorsFile, '--now', new Date(NOW).toISOString(), '--json', ...extra], 'verify', io);
  expect(io.err).toBe('');
  return { code, result: JSON.parse(io.out) as VerifyResult };
}

describe('federation holes, through the verifier library', () => {
  it.each([1, 2, 4, 6])('hole %i', async (hole) => {
    for (const scenario of scenarios.filter((s) => s.hole === hole)) {
      const result = await verify(scenario.licence, scenario.bundle, { anchors: scenario.anchors, now: scenario.now ?? NOW });
      expectOutcome(result, scenario);
    }
  });

  it('hole 4: the impostor list is never accepted, so it cannot raise the sequence remembered for the real anchor', async () => {
    const scenario = scenarios.find((s) => s.hole === 4)!;
    const result = await verify(scenario.licence, scenario.bundle, { anchors: scenario.anchors, now: NOW });
    expect(result.trustLists.find((t) => t.anchorId === w.zhejiang.id)?.sequence).toBe(7);
    expect(result.checks.find((c) => c.name === 'trustList')?.message).toMatch(/pinned for did:web:trust.ah.example/);
  });

  it('hole 3: a narrowed scope applies at once in a long-running process', async () => {
    const { broad, narrowed, licence } = await narrowingScope(w);
    const options = { anchors: pinnedZhejiang(w), now: NOW };
    expect((await verify(licence, broad, options)).verdict).toBe('VALID');
    expectOutcome(await verify(licence, narrowed, options), { verdict: 'UNTRUSTED_ISSUER', check: 'typeAuthorised', code: 'ERR_TYPE_NOT_AUTHORISED' });
    // And back: the broad list verifies again (the cached forms are per vouching entry, not per anchor).
    expect((await verify(licence, broad, options)).verdict).toBe('VALID');
  });

  it('hole 7: status lists of an authority on no accepted list change nothing for the others', async () => {
    const unlisted = w.statusLists.filter((s) => s.url.includes('320100'));
    const bundle = w.bundleWith({ trustLists: [w.zhejiangList], statusLists: [...unlisted, ...w.statusLists] });
    expect((await verify(scenarios.find((s) => s.hole === 2)!.licence, bundle, { anchors: pinnedZhejiang(w), now: NOW })).verdict).toBe('VALID');
  });

  it('a bare JWKS binds to the id of the first list it accepts, and the binding holds from then on', async () => {
    const anhui = await makeAnhui();
    const genuine = scenarios.find((s) => s.hole === 2)!.licence;
    const bare = [{ keys: [w.zhejiang.key.publicJwk] }, { keys: [anhui.key.publicJwk] }];
    const first = await verify(genuine, w.bundle, { anchors: bare, now: NOW });
    expect(first.verdict).toBe('VALID');
    expect(first.anchorBindings).toEqual({ [w.zhejiang.key.kid]: w.zhejiang.id });
    // Later, Anhui's key signs under Zhejiang's id: with the binding remembered, Anhui cannot take it.
    const impostor = await signTrustListFor({ ...w.zhejiang, key: anhui.key }, { sequence: 50, authorities: [] });
    const later = await verify(genuine, w.bundleWith({ trustLists: [impostor, w.zhejiangList, w.jiangsuList] }), { anchors: bare, now: NOW, anchorBindings: first.anchorBindings });
    expect(later.verdict).toBe('VALID');
    expect(later.trustLists.map((t) => `${t.anchorId}#${t.sequence}`)).toEqual([`${w.zhejiang.id}#7`, `${w.jiangsu.id}#3`]);
    // Without the remembered binding both bare key sets claim Zhejiang's id: neither may have it.
    const contested = await verify(genuine, w.bundleWith({ trustLists: [impostor, w.zhejiangList] }), { anchors: bare, now: NOW });
    expect(contested.verdict).toBe('UNTRUSTED_ISSUER');
  });
});

describe('federation holes, through the CLI', () => {
  it.each([1, 2, 4, 6])('hole %i', async (hole) => {
    for (const [i, scenario] of scenarios.filter((s) => s.hole === hole).entries()) {
      const { result } = await cliVerify(`hole${hole}-${i}`, scenario.licence, scenario.bundle, scenario.anchors, ['--state', join(dir, `hole${hole}-${i}.state.json`)]);
      expectOutcome(result, scenario);
    }
  });

  it('hole 4: the state keeps the real anchor’s sequence, not the impostor’s', async () => {
    const scenario = scenarios.find((s) => s.hole === 4)!;
    const state = join(dir, 'hole4-state.json');
    await cliVerify('hole4-state', scenario.licence, scenario.bundle, scenario.anchors, ['--state', state]);
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { trustListSequences: Record<string, number> };
    expect(saved.trustListSequences[w.zhejiang.id]).toBe(7);
    // So the genuine list is not refused as a replay on the next run.
    const again = await cliVerify('hole4-again', scenario.licence, w.bundle, scenario.anchors, ['--state', state]);
    expect(again.result.verdict).toBe('VALID');
  });

  it('hole 3: in one long-running process, the narrowed scope applies at once', async () => {
    const { broad, narrowed, licence } = await narrowingScope(w);
    const state = ['--state', join(dir, 'hole3.state.json')];
    expect((await cliVerify('hole3-broad', licence, broad, pinnedZhejiang(w), state)).result.verdict).toBe('VALID');
    expectOutcome((await cliVerify('hole3-narrow', licence, narrowed, pinnedZhejiang(w), state)).result, {
      verdict: 'UNTRUSTED_ISSUER',
      check: 'typeAuthorised',
      code: 'ERR_TYPE_NOT_AUTHORISED',
    });
  });

  it('hole 5: the replay memory is per installation, so an old bundle under another file name is refused', async () => {
    const licence = scenarios.find((s) => s.hole === 2)!.licence;
    const newer = await signTrustListFor(
      w.zhejiang,
      { sequence: 8, federate: [{ anchor: w.jiangsu, jurisdictions: ['32'], licenceTypes: ['BusinessLicence'] }] },
      w.zhejiangAuthorities,
    );
    // No --state: the installation's default state, whatever the bundle file is called.
    expect((await cliVerify('today', licence, w.bundleWith({ trustLists: [newer, w.jiangsuList] }), pinnedZhejiang(w))).result.verdict).toBe('VALID');
    const replay = await cliVerify('saved-under-another-name', licence, w.bundle, pinnedZhejiang(w));
    expectOutcome(replay.result, { verdict: 'UNTRUSTED_ISSUER', check: 'trustList', code: 'ERR_TRUST_LIST_REPLAYED' });
    expect(replay.code).toBe(14);
  });

  it('hole 5: a legacy <bundle>.state.json is merged into the installation state on first use', async () => {
    const licence = scenarios.find((s) => s.hole === 2)!.licence;
    const bundleFile = join(dir, 'legacy-bundle.json');
    writeFileSync(`${bundleFile}.state.json`, JSON.stringify({ version: 1, trustListSequences: { [w.zhejiang.id]: 12 } }));
    writeFileSync(bundleFile, JSON.stringify(w.bundle));
    writeFileSync(join(dir, 'legacy.anchors.json'), JSON.stringify(pinnedZhejiang(w)));
    const io = cliIo();
    io.env = { LANG: 'en_GB.UTF-8', XDG_STATE_HOME: join(dir, 'xdg-legacy') };
    const code = await run([licence, '--bundle', bundleFile, '--anchors', join(dir, 'legacy.anchors.json'), '--now', new Date(NOW).toISOString(), '--json'], 'verify', io);
    expect(code).toBe(14);
    expect((JSON.parse(io.out) as VerifyResult).checks.find((c) => c.name === 'trustList')?.code).toBe('ERR_TRUST_LIST_REPLAYED');
    const state = JSON.parse(readFileSync(join(dir, 'xdg-legacy', 'elicence', 'verifier-state.json'), 'utf8')) as { trustListSequences: Record<string, number>; merged: string[] };
    expect(state.trustListSequences[w.zhejiang.id]).toBe(12);
    expect(state.merged).toEqual([`${bundleFile}.state.json`]);
  });
});
