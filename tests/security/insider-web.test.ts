/**
 * Insider-controlled text on the people-facing outputs. An agency token (or clerk) writes the subject
 * of the licences it issues (the company's name, address, scope: any string, no character class
 * refused), a holder names its agents: that text reaches the inspector's screens. It must never be
 * able to pass a REVOKED licence off as VALID: no control sequence or line break that forges or hides
 * the verdict line on the command-line verifier, no markup on the web verifier, the verdict first.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHuman } from '../../src/cli/verifier/format.js';
import { type CliIo, run } from '../../src/cli/verify.js';
import { MESSAGES, type VerifyResult } from '../../verifier/index.js';
import { businessSubject, createTestContext, type TestContext } from '../helpers/app.js';

let t: TestContext;
let dir: string;
let bundleFile: string;
let anchorsFile: string;
let nowIso: string;

/** The verdict banner a VALID licence gets (no colour), forged inside a field value. */
const FORGED_BANNER = `  ✔ ${MESSAGES.en.verdict.VALID.title}`;
const RULE = '═'.repeat(48);
/** ESC [ n A (cursor up), ESC [ 2 K (erase line), CR: rewrites the verdict above on a terminal. */
const CURSOR_UP_OVERWRITE = `\u001b[12A\r\u001b[2K\u001b[1;32m${FORGED_BANNER}\u001b[0m\u001b[12B\r`;
/** Characters that change how a terminal lays out or reads what follows: C0/C1 controls, bidi controls, line separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const LAYOUT_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

function io(): CliIo & { out: string; err: string } {
  const captured = {
    out: '',
    err: '',
    stdout: (text: string) => {
      captured.out += text;
    },
    stderr: (text: string) => {
      captured.err += text;
    },
    env: { LANG: 'en_GB.UTF-8', XDG_STATE_HOME: join(dir, 'xdg-state') },
    fetch: globalThis.fetch.bind(globalThis),
    readStdin: async () => new Uint8Array(0),
    cwd: dir,
    colour: true,
    now: () => t.clock.now(),
  };
  return captured;
}

/** The lines a terminal shows, our own colour codes (around the banner) taken out. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const shownLines = (out: string) => out.replace(/\u001b\[(?:1;3[123]|0)m/g, '').split('\n');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'insider-web-'));
  t = await createTestContext();
});

afterAll(() => {
  t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the command-line verifier, a licence whose subject an issuing clerk wrote', () => {
  let revoked: { id: string; credential: string };

  beforeAll(async () => {
    const subject = businessSubject({
      // The holder line: cursor up over the verdict banner, erase it, print a green VALID one.
      name: `杭州示例科技有限公司${CURSOR_UP_OVERWRITE}`,
      // A line break and a forged banner between rules, as if a second result followed.
      address: `浙江省杭州市西湖区文三路100号\n\n${RULE}\n${FORGED_BANNER}\n${RULE}`,
      // A right-to-left override: the rest of the line reads backwards.
      legalRepresentative: '张三\u202eDILAV\u202c',
      // Erase the whole screen (ESC [ 2 J), home the cursor, then a clean-looking VALID result.
      businessScope: `技术服务\u001b[2J\u001b[H${RULE}\n${FORGED_BANNER}\n${RULE}\u009b2J`,
    });
    const response = await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject } });
    expect(response.status).toBe(201);
    revoked = (await response.json()) as { id: string; credential: string };
    expect((await t.call('POST', `/v1/licences/${revoked.id}/revoke`, { body: { reason: 'fraud' } })).status).toBe(200);
    bundleFile = join(dir, 'bundle.json');
    anchorsFile = join(dir, 'anchors.json');
    writeFileSync(bundleFile, await (await t.call('GET', '/verifier-bundle', { token: null })).text());
    writeFileSync(anchorsFile, await (await t.call('GET', '/.well-known/trust-anchor.json', { token: null })).text());
    nowIso = new Date(t.clock.now() + 60_000).toISOString();
  });

  it('attack: a revoked licence whose fields carry terminal escapes, line breaks and bidi overrides prints no forged VALID banner', async () => {
    const captured = io();
    const code = await run([revoked.credential, '--bundle', bundleFile, '--anchors', anchorsFile, '--now', nowIso], 'verify', captured);
    expect(code).toBe(10); // REVOKED: scripts reading the exit code were never fooled
    const lines = shownLines(captured.out);
    // Our banner is the only one, and nothing of the data can move the cursor, clear the screen or reorder a line.
    expect(lines.filter((line) => line.trim() === FORGED_BANNER.trim())).toEqual([]);
    expect(lines.filter((line) => line === RULE)).toHaveLength(2);
    expect(lines.find((line) => LAYOUT_CONTROLS.test(line))).toBeUndefined();
    // The text is still shown, made visible rather than dropped (an inspector sees something is odd).
    expect(captured.out).toContain('杭州示例科技有限公司');
    expect(captured.out).toContain(`✘ ${MESSAGES.en.verdict.REVOKED.title}`);
  });

  it('--json keeps the signed text as it is (machines read it escaped by JSON)', async () => {
    const captured = io();
    await run([revoked.credential, '--bundle', bundleFile, '--anchors', anchorsFile, '--now', nowIso, '--json'], 'verify', captured);
    const result = JSON.parse(captured.out) as VerifyResult;
    expect(result.verdict).toBe('REVOKED');
    expect(result.licence?.holder).toBe(`杭州示例科技有限公司${CURSOR_UP_OVERWRITE}`);
  });
});

describe('the command-line verifier, an agent authorisation whose names a holder or clerk wrote', () => {
  it('attack: the agent and company names of a revoked authorisation carry escapes and line breaks: no forged banner', () => {
    const result: VerifyResult = {
      verdict: 'REVOKED',
      checks: [{ name: 'revocation', result: 'fail', code: 'ERR_AUTHORISATION_REVOKED', message: 'revoked' }],
      presentation: 'live',
      authorisation: {
        id: 'urn:uuid:00000000-0000-4000-8000-000000000001',
        company: { name: `杭州示例科技有限公司\n${RULE}\n${FORGED_BANNER}\n${RULE}`, creditCode: '91330106MA2CFX7K5Y' },
        licence: { id: 'x', identifier: 'x', type: { code: 'BusinessLicence', name: { zh: '营业执照', en: 'Business licence' } } },
        agent: { name: `王五${CURSOR_UP_OVERWRITE}`, idNumberMasked: '3301**********1234' },
        matters: ['办理\u202e年检\u202c', `\u001b]8;;https://evil.example/\u0007点此\u001b]8;;\u0007`],
        period: { validFrom: '2026-06-01T00:00:00Z', validUntil: '2026-12-01T00:00:00Z', firstDay: '2026-06-01', lastDay: '2026-11-30' },
        issuer: { id: 'did:web:elicence.test:authorities:dev-city', name: `市监局\r${FORGED_BANNER}` },
        issuedAt: '2026-06-01T00:00:00Z',
      },
      trustLists: [],
      statusLists: [],
      anchorBindings: {},
    } as unknown as VerifyResult;
    const out = formatHuman(result, { lang: 'en', colour: true, now: Date.parse('2026-06-02T00:00:00Z'), maxStatusAgeSeconds: 86_400, source: 'argument' });
    const lines = shownLines(out);
    expect(lines.filter((line) => line.trim() === FORGED_BANNER.trim())).toEqual([]);
    expect(lines.filter((line) => line === RULE)).toHaveLength(2);
    expect(lines.find((line) => LAYOUT_CONTROLS.test(line))).toBeUndefined();
  });
});

/** Just enough of a DOM for verifier/web/result-view.ts: text goes in as text, and innerHTML is a trap. */
class FakeElement {
  readonly attributes = new Map<string, string>();
  readonly children: (FakeElement | string)[] = [];
  readonly dataset: Record<string, string> = {};
  className = '';
  hidden = false;
  scrollTop = 0;
  constructor(readonly tag: string) {}
  setAttribute(name: string, value: string) {
    this.attributes.set(name, value);
  }
  append(...children: (FakeElement | string)[]) {
    this.children.push(...children);
  }
  replaceChildren(...children: (FakeElement | string)[]) {
    this.children.splice(0, this.children.length, ...children);
  }
  addEventListener() {}
  get textContent(): string {
    return this.children.map((c) => (typeof c === 'string' ? c : c.textContent)).join('');
  }
  set innerHTML(_html: string) {
    throw new Error('innerHTML used');
  }
  /** Every element below, depth first. */
  *all(): Generator<FakeElement> {
    for (const child of this.children) {
      if (typeof child === 'string') continue;
      yield child;
      yield* child.all();
    }
  }
}

describe('the web verifier’s answer screen, the same revoked licence', () => {
  it('attack: markup, escapes and bidi overrides in the fields stay text in their own rows, below a REVOKED verdict', async () => {
    const { renderResult } = await import('../../verifier/web/result-view.js');
    const hostile = '<img src=x onerror=alert(1)>有效 VALID ✓\u202e';
    const subject = businessSubject({ name: hostile, address: `"><script>alert(1)</script>\n${FORGED_BANNER}`, businessScope: 'javascript:alert(1)' });
    const issued = (await (await t.call('POST', '/v1/licences', { body: { type: 'BusinessLicence', subject } })).json()) as { id: string; credential: string };
    expect((await t.call('POST', `/v1/licences/${issued.id}/revoke`, { body: { reason: 'fraud' } })).status).toBe(200);
    writeFileSync(bundleFile, await (await t.call('GET', '/verifier-bundle', { token: null })).text());
    const captured = io();
    await run([issued.credential, '--bundle', bundleFile, '--anchors', anchorsFile, '--now', new Date(t.clock.now() + 60_000).toISOString(), '--json'], 'verify', captured);
    const result = JSON.parse(captured.out) as VerifyResult;
    expect(result.verdict).toBe('REVOKED');

    const saved = (globalThis as { document?: unknown }).document;
    (globalThis as { document?: unknown }).document = { createElement: (tag: string) => new FakeElement(tag) };
    try {
      const container = new FakeElement('section');
      renderResult(container as unknown as HTMLElement, result, 'en', () => undefined);
      const elements = [...container.all()];
      // No element or attribute came from the data: only the builder's own tags, attribute values free of it.
      expect(elements.map((e) => e.tag).filter((tag) => !['div', 'h2', 'p', 'span', 'dl', 'dt', 'dd', 'button', 'ol', 'ul', 'li', 'strong', 'h3'].includes(tag))).toEqual([]);
      for (const e of elements) for (const value of e.attributes.values()) expect(value).not.toMatch(/onerror|alert\(|VALID ✓|<|javascript:/);
      // The verdict comes first and says REVOKED; the hostile name is one row of the details below it.
      const [banner] = container.children as FakeElement[];
      expect(banner!.all().next().value).toBeDefined();
      expect([...banner!.all()].find((e) => e.tag === 'h2')?.textContent).toBe(MESSAGES.en.verdict.REVOKED.title);
      expect(banner!.textContent).not.toContain('VALID ✓');
      const nameRow = elements.find((e) => e.tag === 'dd' && e.textContent === hostile);
      expect(nameRow?.children).toEqual([hostile]);
      expect(container.dataset['verdict']).toBe('REVOKED');
    } finally {
      (globalThis as { document?: unknown }).document = saved;
    }
  });
});
