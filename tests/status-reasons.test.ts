/**
 * Status reasons (src/core/status-reasons.ts): the reason codes and their input aliases, the packed
 * 3-bit form, the known-answer vector of docs/trust-list.md, and every refusal of a reasons document
 * (another authority's key, another issuer, another list, another version or other bits), each of which
 * leaves the reason `unspecified` and never changes anything else.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseBundle } from '../src/core/bundle.js';
import { generateSigningJwk, type JwsSigner, publicJwk, signCompact, signerFromPrivateJwk } from '../src/core/jws-sign.js';
import { Bitstring, buildStatusListCredential, encodeStatusList, type ParsedStatusList, parseStatusListCredential } from '../src/core/status-list.js';
import {
  buildStatusReasons,
  canonicalRevocationReason,
  encodedListDigest,
  openStatusReasons,
  packReasons,
  REVOCATION_REASON_INPUTS,
  REVOCATION_REASONS,
  type RevocationReason,
  revocationReasonOf,
  STATUS_REASONS,
  signStatusReasons,
} from '../src/core/status-reasons.js';

const vector = JSON.parse(readFileSync(new URL('./vectors/status-reasons.json', import.meta.url), 'utf8'));
const { privateJwk } = JSON.parse(readFileSync(new URL('./vectors/qr-test-key.json', import.meta.url), 'utf8'));
const ISSUER = vector.issuer as string;
const URL_1 = vector.list.url as string;

/** The vector's list, signed by `signer` as the authority publishes it (version and encodedList as given). */
async function listOf(options: { encodedList?: string; version?: number; url?: string; issuer?: string; purpose?: 'revocation' | 'suspension' } = {}): Promise<ParsedStatusList> {
  const credential = buildStatusListCredential({
    url: options.url ?? URL_1,
    issuer: { id: options.issuer ?? ISSUER, name: '杭州市市场监督管理局' },
    purpose: options.purpose ?? 'revocation',
    encodedList: options.encodedList ?? vector.list.encodedList,
    issuedAt: new Date(vector.issuedAt),
    validUntil: new Date(Date.parse(vector.issuedAt) + 48 * 3_600_000),
    ttlMs: 300_000,
    // `version: undefined` given: a list signed before versions existed.
    ...('version' in options ? (options.version === undefined ? {} : { version: options.version }) : { version: vector.list.version }),
  });
  return parseStatusListCredential(JSON.parse(JSON.stringify(credential)));
}

const vectorSigner = () => signerFromPrivateJwk(privateJwk);
const vectorKey = () => ({ ...publicJwk(privateJwk), kid: vector.header.kid });

async function reasonsJws(signer: JwsSigner, overrides: Partial<Parameters<typeof buildStatusReasons>[0]> = {}): Promise<string> {
  return signStatusReasons(
    signer,
    buildStatusReasons({
      issuer: ISSUER,
      list: { url: URL_1, version: vector.list.version, encodedList: vector.list.encodedList },
      entries: vector.entries,
      issuedAt: new Date(vector.issuedAt),
      ...overrides,
    }),
  );
}

describe('reason codes', () => {
  test('the codes, and the API values of before accepted as aliases', () => {
    expect(STATUS_REASONS).toEqual(['penalty', 'rescinded', 'deregistered', 'superseded', 'other', 'suspended', 'unspecified']);
    for (const code of REVOCATION_REASONS) expect(canonicalRevocationReason(code)).toBe(code);
    expect(canonicalRevocationReason('fraud')).toBe('rescinded');
    expect(canonicalRevocationReason('cancelled')).toBe('rescinded');
    expect(canonicalRevocationReason('holder_request')).toBe('deregistered');
    for (const other of ['suspended', 'unspecified', 'investigation', 'FRAUD', '', 'toString', '__proto__', null, 3]) expect(canonicalRevocationReason(other)).toBeUndefined();
    // superseded is a code, but only an amendment sets it: the revoke API does not take it.
    expect(REVOCATION_REASON_INPUTS).not.toContain('superseded');
    expect([...REVOCATION_REASON_INPUTS].sort()).toEqual(['cancelled', 'deregistered', 'fraud', 'holder_request', 'other', 'penalty', 'rescinded']);
  });

  test('3-bit packing: most significant bit first, zero-padded', () => {
    expect([...packReasons(['penalty', 'superseded', 'rescinded'])]).toEqual([0b0011_0001, 0b0000_0000]);
    expect([...packReasons([])]).toEqual([]);
    expect([...packReasons(['other', 'other', 'other'])]).toEqual([0b1011_0110, 0b1000_0000]);
  });
});

describe('known-answer vector (docs/trust-list.md)', () => {
  test('the fixed key, list and reasons give the exact JWS', async () => {
    const list = await listOf();
    expect([...Array(list.bits.length).keys()].filter((i) => list.bits.get(i))).toEqual([7, 94567, 120000]);
    const payload = buildStatusReasons({
      issuer: ISSUER,
      list: { url: URL_1, version: vector.list.version, encodedList: vector.list.encodedList },
      entries: [...vector.entries].reverse(), // any order in, index order out
      issuedAt: new Date(vector.issuedAt),
    });
    expect(payload).toEqual(vector.payload);
    expect(Object.keys(payload)).toEqual(['type', 'issuer', 'statusListCredential', 'statusListVersion', 'encodedListDigest', 'count', 'encodedReasons', 'iat']);
    expect(Buffer.from(payload.encodedReasons.slice(1), 'base64url').toString('hex')).toBe(vector.packedReasonsHex);
    expect(payload.encodedListDigest).toBe(encodedListDigest(vector.list.encodedList));
    const jws = await signStatusReasons(await vectorSigner(), payload);
    expect(jws).toBe(vector.jws);
    expect(JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8'))).toEqual(vector.header);
  });

  test('opens against the list it describes: each set bit its reason, others none', async () => {
    const opened = await openStatusReasons(vector.jws, await listOf(), vectorKey());
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(opened.reasons).toMatchObject({ issuer: ISSUER, statusListCredential: URL_1, statusListVersion: 7, count: 3, issuedAt: Date.parse(vector.issuedAt) });
    expect(opened.reasons.reasonAt(7)).toBe('penalty');
    expect(opened.reasons.reasonAt(94567)).toBe('superseded');
    expect(opened.reasons.reasonAt(120000)).toBe('rescinded');
    for (const index of [0, 6, 8, 94566, 131071, 131072, -1, 1.5]) expect(opened.reasons.reasonAt(index)).toBeUndefined();
    expect(revocationReasonOf(opened, 94567)).toBe('superseded');
    // Keys as a list (matched by kid, or by thumbprint when a key has none), or as a function.
    expect((await openStatusReasons(vector.jws, await listOf(), [publicJwk(privateJwk)])).ok).toBe(true);
    expect((await openStatusReasons(vector.jws, await listOf(), () => publicJwk(privateJwk))).ok).toBe(true);
  });
});

describe('refusals give reason unspecified, never another verdict', () => {
  const refused = async (jws: string, list: ParsedStatusList, code: string, keys: Parameters<typeof openStatusReasons>[2] = vectorKey()) => {
    const opened = await openStatusReasons(jws, list, keys);
    expect(opened.ok).toBe(false);
    if (!opened.ok) expect(opened.error.code).toBe(code);
    expect(revocationReasonOf(opened, 7)).toBe('unspecified');
  };

  test('a document signed by another authority (a key the verifier trusts, but for someone else) is refused', async () => {
    const other = await generateSigningJwk('EdDSA');
    const otherSigner = await signerFromPrivateJwk(other.privateJwk);
    // The other authority states reasons for this authority's list: its kid is not among the issuer's keys.
    const forged = await reasonsJws(otherSigner, { entries: vector.entries.map((e: { index: number }) => ({ index: e.index, reason: 'superseded' })) });
    await refused(forged, await listOf(), 'ERR_JWS_SIGNATURE');
    // The same, claiming the issuer's kid: the signature does not verify with the issuer's key.
    const [, payload] = forged.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: vector.header.kid, typ: 'status-reasons+jwt' })).toString('base64url');
    const signature = Buffer.from(await otherSigner.sign(new TextEncoder().encode(`${header}.${payload}`))).toString('base64url');
    await refused(`${header}.${payload}.${signature}`, await listOf(), 'ERR_JWS_SIGNATURE');
    // Offered only the other authority's key, the issuer's genuine document is refused too.
    await refused(vector.jws, await listOf(), 'ERR_JWS_SIGNATURE', { ...other.publicJwk, kid: other.kid });
  });

  test('a genuine document for another issuer or another list does not apply', async () => {
    const signer = await vectorSigner();
    await refused(await reasonsJws(signer, { issuer: 'did:web:elicence.ningbo.gov.cn:authorities:330200-amr' }), await listOf(), 'ERR_STATUS_REASONS_MISMATCH');
    const list2 = 'https://elicence.hangzhou.gov.cn/status/330100-amr/revocation/2';
    await refused(await reasonsJws(signer, { list: { url: list2, version: 7, encodedList: vector.list.encodedList } }), await listOf(), 'ERR_STATUS_REASONS_MISMATCH');
    // A suspension list never has reasons.
    const suspension = await listOf({ purpose: 'suspension' });
    await refused(vector.jws, suspension, 'ERR_STATUS_REASONS_MISMATCH');
  });

  test('a document for an older (or newer) version of the list is stale', async () => {
    const signer = await vectorSigner();
    // The list moved on: version 8 revokes index 9 as well. The version-7 document no longer applies.
    const bits = (await listOf()).bits;
    const newer = new Bitstring(new Uint8Array(bits.bytes));
    newer.set(9);
    const list8 = await listOf({ version: 8, encodedList: await encodeStatusList(newer) });
    await refused(vector.jws, list8, 'ERR_STATUS_REASONS_STALE');
    // A version-8 document opened against the version-7 list is refused the same way.
    const doc8 = await reasonsJws(signer, {
      list: { url: URL_1, version: 8, encodedList: list8.encodedList },
      entries: [...vector.entries, { index: 9, reason: 'deregistered' }],
    });
    await refused(doc8, await listOf(), 'ERR_STATUS_REASONS_STALE');
    const opened8 = await openStatusReasons(doc8, list8, vectorKey());
    expect(opened8.ok && [opened8.reasons.reasonAt(9), opened8.reasons.reasonAt(7)]).toEqual(['deregistered', 'penalty']);
    // Same version number but other bits (a list re-signed from another read): the digest decides.
    await refused(await reasonsJws(signer, { list: { url: URL_1, version: 7, encodedList: list8.encodedList } }), await listOf(), 'ERR_STATUS_REASONS_STALE');
    // A list signed before versions existed cannot be bound to.
    await refused(vector.jws, await listOf({ version: undefined }), 'ERR_STATUS_REASONS_STALE');
  });

  test('malformed documents and wrong types are refused', async () => {
    const signer = await vectorSigner();
    const list = await listOf();
    const sign = (payload: unknown, typ = 'status-reasons+jwt') => signCompact(signer, payload, typ);
    await refused(await sign(vector.payload, 'vc+jwt'), list, 'ERR_JWS_HEADER');
    await refused(await sign({ ...vector.payload, count: 2 }), list, 'ERR_STATUS_REASONS_MALFORMED');
    await refused(await sign({ ...vector.payload, encodedReasons: 'uMQE' }), list, 'ERR_STATUS_REASONS_MALFORMED'); // padding bit set
    await refused(await sign({ ...vector.payload, encodedReasons: 'MQA' }), list, 'ERR_STATUS_REASONS_MALFORMED');
    await refused(await sign({ ...vector.payload, type: 'BitstringStatusListCredential' }), list, 'ERR_STATUS_REASONS_MALFORMED');
    await refused(await sign({ ...vector.payload, statusListVersion: -1 }), list, 'ERR_STATUS_REASONS_MALFORMED');
    // Right shape, wrong count for the list's bits.
    const four = await reasonsJws(signer, { entries: [...vector.entries, { index: 9, reason: 'other' }] });
    await refused(four, list, 'ERR_STATUS_REASONS_STALE');
    await refused('not.a.jws', list, 'ERR_JWS_MALFORMED');
  });
});

describe('property: any reasons round-trip through a document', () => {
  test('build, sign, open: every set bit gives back its reason', async () => {
    const signer = await vectorSigner();
    const reason = fc.constantFrom<RevocationReason | 'unspecified'>(...REVOCATION_REASONS, 'unspecified');
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.record({ index: fc.integer({ min: 0, max: 131_071 }), reason }), { selector: (e) => e.index, maxLength: 60 }), async (entries) => {
        const bits = new Bitstring(131_072);
        for (const e of entries) bits.set(e.index);
        const encodedList = await encodeStatusList(bits);
        const list = await listOf({ encodedList, version: 3 });
        const jws = await reasonsJws(signer, { list: { url: URL_1, version: 3, encodedList }, entries });
        const opened = await openStatusReasons(jws, list, vectorKey());
        expect(opened.ok).toBe(true);
        for (const e of entries) expect(revocationReasonOf(opened, e.index)).toBe(e.reason);
      }),
      { numRuns: 40 },
    );
  });
});

describe('bundle', () => {
  test('statusReasons is optional: old bundles stay valid, new ones carry the documents', () => {
    const base = { version: 1, generatedAt: '2026-06-01T00:00:00Z', trustLists: [], statusLists: [] };
    expect(parseBundle(JSON.stringify(base))).toEqual(base);
    const entry = { url: `${URL_1}/reasons`, jws: vector.jws, fetchedAt: '2026-06-01T00:00:00Z' };
    expect(parseBundle(JSON.stringify({ ...base, statusReasons: [entry] }))).toEqual({ ...base, statusReasons: [entry] });
    expect(() => parseBundle(JSON.stringify({ ...base, statusReasons: [{ ...entry, jws: 'x' }] }))).toThrow(
      expect.objectContaining({ code: 'ERR_BUNDLE_MALFORMED', field: 'statusReasons[0].jws' }),
    );
    expect(() => parseBundle(JSON.stringify({ ...base, statusReasons: {} }))).toThrow(expect.objectContaining({ code: 'ERR_BUNDLE_MALFORMED', field: 'statusReasons' }));
  });
});
