/**
 * Holder access (docs/holder-app.md), as an insider would attack it: business A's holder session must
 * see A's licences at A's authority and nothing else (B's licences at the same authority, and the
 * licences another authority issued to A's very credit code, are 404); a holder token opens no agency
 * route; rotation ends the old code and its sessions; guessing codes is rate limited per client and per
 * authority; codes are stored hashed and never logged.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { qrCheckCode } from '../src/core/check-code.js';
import { holderAccess, holderSessions } from '../src/db/schema.js';
import { HOLDER_CODE_FAILURES_PER_AUTHORITY, HOLDER_CODE_FAILURES_PER_CLIENT, HOLDER_CODE_WINDOW_MS } from '../src/holder/routes.js';
import { createAuthority } from '../src/services/authorities.js';
import { sha256Hex } from '../src/services/hashing.js';
import { groupedHolderCode, HOLDER_SESSION_IDLE_MS, parseHolderCode } from '../src/services/holder-access.js';
import { ACTIONS, createToken } from '../src/services/tokens.js';
import { businessSubject, createTestContext, foodSubject, type TestContext } from './helpers/app.js';
import { freshCreditCode } from './shared/subjects.js';

let t: TestContext;
let otherToken: string;
const A = freshCreditCode();
const B = freshCreditCode();
const ids: { aBusiness: string; aFood: string; b: string; aElsewhere: string } = { aBusiness: '', aFood: '', b: '', aElsewhere: '' };

interface Access {
  code: string;
  link: string;
  generation: number;
  rotated: boolean;
  holder: { creditCode: string };
}

async function issue(subject: Record<string, unknown>, type = 'BusinessLicence', token = t.token): Promise<string> {
  const res = await t.call('POST', '/v1/licences', { body: { type, subject }, token });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

async function holderAccessFor(licenceId: string, token = t.token): Promise<Access> {
  const res = await t.call('POST', `/v1/licences/${licenceId}/holder-access`, { token });
  expect(res.status).toBe(201);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return (await res.json()) as Access;
}

/** The exchange as a browser at `address` sends it (the peer address is what the limiter keys on). */
function exchange(code: string, address?: string): Promise<Response> {
  const init = { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) };
  return Promise.resolve(address ? t.app.request('/holder/v1/session', init, { incoming: { socket: { remoteAddress: address } } }) : t.app.request('/holder/v1/session', init));
}

async function session(code: string): Promise<string> {
  const res = await exchange(code);
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

/** A fresh, well-formed code nobody was given. */
const guess = (authorityId = 'dev-city') => `${authorityId}.${'A'.repeat(25)}${String.fromCharCode(65 + Math.floor(Math.random() * 26))}`;

beforeAll(async () => {
  t = await createTestContext();
  ids.aBusiness = await issue(businessSubject({ creditCode: A, name: '甲公司' }));
  ids.aFood = await issue(foodSubject({ creditCode: A, operatorName: '甲公司' }), 'FoodBusinessLicence');
  ids.b = await issue(businessSubject({ creditCode: B, name: '乙公司' }));
  await createAuthority(t.deps, { id: 'other-city', name: { zh: '宁波市市场监督管理局', en: 'Ningbo AMR' }, jurisdiction: '330200', creditCode: freshCreditCode() }, 'test');
  otherToken = (await createToken(t.deps, { authorityId: 'other-city', name: 'other', actions: [...ACTIONS] }, 'test')).token;
  // Another authority's licence for the same business (same credit code).
  ids.aElsewhere = await issue(businessSubject({ creditCode: A, name: '甲公司宁波' }), 'BusinessLicence', otherToken);
});

afterAll(() => t.close());
afterEach(() => vi.restoreAllMocks());

describe('holder access', () => {
  it('creates one code per holder and authority: 128 random bits after the authority, stored only as its SHA-256, audited without it', async () => {
    const access = await holderAccessFor(ids.aBusiness);
    expect(access.code).toMatch(/^dev-city\.[A-Z2-7]{26}$/);
    expect(access.link).toBe(`https://elicence.test/holder/#c=${encodeURIComponent(access.code)}`);
    expect(access.holder.creditCode).toBe(A);
    const rows = await t.store.db.select().from(holderAccess);
    const row = rows.find((r) => r.holderCreditCode === A && r.authorityId === 'dev-city')!;
    expect(row.codeHash).toBe(sha256Hex(access.code));
    expect(JSON.stringify(rows)).not.toContain(access.code.split('.')[1]);
    const audit = t.store.sqlite.prepare("SELECT action, content_json, subject_id FROM audit_log WHERE action LIKE 'holder-access.%'").all() as {
      content_json: string;
      subject_id: string;
    }[];
    expect(audit.length).toBeGreaterThanOrEqual(1);
    expect(audit.at(-1)!.subject_id).toBe(`urn:uscc:${A}`);
    expect(JSON.stringify(audit)).not.toContain(access.code.split('.')[1]);
  });

  it('reads codes as people type them: case, spaces and dashes of the printed groups do not matter', async () => {
    const { code } = await holderAccessFor(ids.aBusiness);
    const grouped = groupedHolderCode(code);
    expect(grouped).toMatch(/^dev-city\.([A-Z2-7]{4}-){6}[A-Z2-7]{2}$/);
    const [authority, groups] = grouped.split('.') as [string, string];
    expect(parseHolderCode(` ${authority}.${groups.toLowerCase().replace(/-/g, ' ')} `)?.canonical).toBe(code);
    expect((await exchange(grouped.toLowerCase())).status).toBe(201);
    expect(parseHolderCode('dev-city.TOO-SHORT')).toBeUndefined();
    expect(parseHolderCode(`no-dot${'A'.repeat(26)}`)).toBeUndefined();
  });

  it("A's session lists exactly A's licences at this authority, with status, China dates, identifier, history, QR text and check code", async () => {
    const token = await session((await holderAccessFor(ids.aFood)).code);
    const res = await t.call('GET', '/holder/v1/licences', { token });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('no-store');
    const body = (await res.json()) as {
      holder: { creditCode: string };
      authority: { id: string };
      items: {
        id: string;
        status: string;
        validity: { from: string; until: string | null };
        licenceIdentifier: string;
        qrText: string;
        checkCode: string;
        history: { action: string }[];
      }[];
    };
    expect(body.holder.creditCode).toBe(A);
    expect(body.authority.id).toBe('dev-city');
    expect(body.items.map((i) => i.id).sort()).toEqual([ids.aBusiness, ids.aFood].sort());
    const business = body.items.find((i) => i.id === ids.aBusiness)!;
    expect(business.status).toBe('active');
    expect(business.validity.from).toBe('2026-06-01');
    expect(business.licenceIdentifier).toMatch(/^[0-9A-Z]{30,}$/);
    expect(business.qrText.startsWith('EL1:')).toBe(true);
    expect(business.checkCode.replace(' ', '')).toBe(qrCheckCode(business.qrText));
    expect(business.history.map((e) => e.action)).toEqual(['licence.issued']);
    expect(JSON.stringify(business.history)).not.toMatch(/actor|staff|elk_/);
  });

  it("A's session gets 404 for B's licence (same authority) and for A's own credit code at another authority, on every holder route", async () => {
    const token = await session((await holderAccessFor(ids.aBusiness)).code);
    for (const id of [ids.b, ids.aElsewhere, '00000000-0000-7000-8000-000000000000']) {
      for (const suffix of ['', '/credential', '/qr.svg', '/qr.png', '/card', '/card?format=a5']) {
        const res = await t.call('GET', `/holder/v1/licences/${id}${suffix}`, { token });
        expect([id, suffix, res.status]).toEqual([id, suffix, 404]);
      }
    }
    // A's own licence through the same routes.
    for (const [suffix, type] of [
      ['/credential', 'application/vc+jwt'],
      ['/qr.svg', 'image/svg+xml'],
      ['/qr.png', 'image/png'],
      ['/card?format=card', 'text/html'],
    ] as const) {
      const res = await t.call('GET', `/holder/v1/licences/${ids.aBusiness}${suffix}`, { token });
      expect([suffix, res.status, res.headers.get('content-type')?.split(';')[0]]).toEqual([suffix, 200, type]);
    }
    // The other authority's holder code for A sees only that authority's licence.
    const elsewhere = await session((await holderAccessFor(ids.aElsewhere, otherToken)).code);
    const list = (await (await t.call('GET', '/holder/v1/licences', { token: elsewhere })).json()) as { items: { id: string }[] };
    expect(list.items.map((i) => i.id)).toEqual([ids.aElsewhere]);
    expect((await t.call('GET', `/holder/v1/licences/${ids.aBusiness}`, { token: elsewhere })).status).toBe(404);
  });

  it('a holder session opens no /v1 route (every documented agency route answers 401) and cannot change anything', async () => {
    const token = await session((await holderAccessFor(ids.aBusiness)).code);
    const doc = (await (await t.call('GET', '/openapi.json', { token: null })).json()) as { paths: Record<string, Record<string, unknown>> };
    const agency = Object.entries(doc.paths).filter(([path]) => path.startsWith('/v1/'));
    expect(agency.length).toBeGreaterThan(20);
    const failures: string[] = [];
    for (const [path, item] of agency) {
      for (const method of Object.keys(item)) {
        t.clock.advance(120_000); // a fresh auth-failure window per route: this is about access, not throttling
        const concrete = path.replace(/\{[^}]+\}/g, (name) => (name === '{id}' ? ids.aBusiness : 'x'));
        const res = await t.call(method.toUpperCase(), concrete, { token, ...(method === 'get' || method === 'delete' ? {} : { body: {} }) });
        if (res.status !== 401) failures.push(`${method.toUpperCase()} ${path}: ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
    // The holder API writes only the session, its devices and its agents (issue 24): never a licence.
    const holderOps = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/holder/'))
      .flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`))
      .filter((op) => !op.startsWith('GET '));
    expect(holderOps.sort()).toEqual([
      'DELETE /holder/v1/devices/{id}',
      'DELETE /holder/v1/session',
      'POST /holder/v1/agent-authorisations/refresh',
      'POST /holder/v1/agent-invitations/accept',
      'POST /holder/v1/agents',
      'POST /holder/v1/agents/{id}/revoke',
      'POST /holder/v1/devices',
      'POST /holder/v1/session',
    ]);
    for (const action of ['revoke', 'suspend', 'amend', 'holder-access']) {
      expect((await t.call('POST', `/holder/v1/licences/${ids.aBusiness}/${action}`, { token, body: {} })).status).toBe(404);
    }
    const still = (await (await t.call('GET', `/v1/licences/${ids.aBusiness}`)).json()) as { status: string };
    expect(still.status).toBe('active');
  });

  it('an agency token, no token, or a made-up session: 401 on the holder API', async () => {
    for (const token of [t.token, null, `hs_${'x'.repeat(43)}`]) {
      t.clock.advance(120_000);
      expect((await t.call('GET', '/holder/v1/licences', { token })).status).toBe(401);
      expect((await t.call('GET', `/holder/v1/licences/${ids.aBusiness}/qr.png`, { token })).status).toBe(401);
    }
  });

  it('rotation (asked for any licence of the holder) refuses the old code and ends its sessions; the new code works', async () => {
    const first = await holderAccessFor(ids.aBusiness);
    const oldSession = await session(first.code);
    expect((await t.call('GET', '/holder/v1/licences', { token: oldSession })).status).toBe(200);
    const second = await holderAccessFor(ids.aFood);
    expect(second.rotated).toBe(true);
    expect(second.generation).toBe(first.generation + 1);
    expect(second.code).not.toBe(first.code);
    t.clock.advance(120_000);
    expect((await t.call('GET', '/holder/v1/licences', { token: oldSession })).status).toBe(401);
    expect((await exchange(first.code)).status).toBe(401);
    const fresh = await session(second.code);
    expect((await t.call('GET', '/holder/v1/licences', { token: fresh })).status).toBe(200);
    const ended = await t.store.db.select().from(holderSessions);
    expect(ended.find((s) => s.id === sha256Hex(oldSession))?.revokedAt).not.toBeNull();
    // B's code is untouched by A's rotation.
    const b = await holderAccessFor(ids.b);
    expect(b.generation).toBe(1);
  });

  it('sessions end on sign-out and after 30 idle days', async () => {
    const { code } = await holderAccessFor(ids.aBusiness);
    const out = await session(code);
    expect((await t.call('DELETE', '/holder/v1/session', { token: out })).status).toBe(204);
    t.clock.advance(120_000);
    expect((await t.call('GET', '/holder/v1/licences', { token: out })).status).toBe(401);
    const idle = await session(code);
    t.clock.advance(HOLDER_SESSION_IDLE_MS + 1);
    expect((await t.call('GET', '/holder/v1/licences', { token: idle })).status).toBe(401);
  });

  it('ended sessions are purged a month after they ended, when the holder next signs in; recent ones stay for the record', async () => {
    const rows = () => t.store.sqlite.prepare('SELECT id FROM holder_sessions WHERE holder_credit_code = ?').all(B) as { id: string }[];
    const { code } = await holderAccessFor(ids.b);
    const signedOut = await session(code);
    expect((await t.call('DELETE', '/holder/v1/session', { token: signedOut })).status).toBe(204);
    const idle = await session(code);
    t.clock.advance(HOLDER_SESSION_IDLE_MS + 2 * 86_400_000);
    // 32 days on: the signed-out one ended 32 days ago, the idle one 2 days ago.
    expect(rows().map((r) => r.id)).toEqual(expect.arrayContaining([sha256Hex(signedOut), sha256Hex(idle)]));
    const current = await session(code);
    const after = rows().map((r) => r.id);
    expect(after).not.toContain(sha256Hex(signedOut));
    expect(after).toEqual(expect.arrayContaining([sha256Hex(idle), sha256Hex(current)]));
    expect((await t.call('GET', '/holder/v1/licences', { token: current })).status).toBe(200);
  });

  it('brute force is rate limited per client address (before any lookup: even the right code is refused) and per authority', async () => {
    t.clock.advance(HOLDER_CODE_WINDOW_MS * 2);
    const { code } = await holderAccessFor(ids.aBusiness);
    for (let i = 0; i < HOLDER_CODE_FAILURES_PER_CLIENT; i++) expect((await exchange(guess(), '198.51.100.7')).status).toBe(401);
    const blocked = await exchange(code, '198.51.100.7');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another client is not held back by this one.
    expect((await exchange(code, '198.51.100.8')).status).toBe(201);

    // Many clients, one authority: past the authority's limit, every exchange for it waits.
    t.clock.advance(HOLDER_CODE_WINDOW_MS * 2);
    for (let i = 0; i < HOLDER_CODE_FAILURES_PER_AUTHORITY; i++) {
      const res = await exchange(guess(), `203.0.113.${i % 250}`);
      expect(res.status).toBe(401);
    }
    expect((await exchange(code, '192.0.2.1')).status).toBe(429);
    // Another authority's holders are not affected.
    const elsewhere = await holderAccessFor(ids.aElsewhere, otherToken);
    expect((await exchange(elsewhere.code, '192.0.2.2')).status).toBe(201);
    // The window passes.
    t.clock.advance(HOLDER_CODE_WINDOW_MS + 1);
    expect((await exchange(code, '192.0.2.1')).status).toBe(201);
  });

  it('codes never reach the logs: not on create, exchange, a failed exchange, nor in an error message', async () => {
    const lines: string[] = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    }
    t.clock.advance(HOLDER_CODE_WINDOW_MS * 2);
    const { code } = await holderAccessFor(ids.aBusiness);
    const secret = code.split('.')[1]!;
    await session(code);
    const wrong = await exchange(`${code.slice(0, -1)}${code.endsWith('A') ? 'B' : 'A'}`);
    expect(wrong.status).toBe(401);
    const bodies = [await wrong.text(), await (await exchange('not a code at all')).text()];
    expect(bodies.join('\n')).not.toContain(secret);
    expect(lines.join('\n')).not.toContain(secret);
  });
});
