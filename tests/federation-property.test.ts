/**
 * Property tests of who may speak for whom: for random federated provinces with random scopes, each
 * listing random authorities (the pinned anchor's own DIDs among them, with keys and statuses of their
 * choosing),
 *   1. no federated list changes the verdict of a licence whose issuer the pinned anchor lists directly;
 *   2. no authority entry outside its federated anchor's issuerPrefixes and jurisdictions is ever accepted.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AuthorityStatus, acceptTrustLists } from '../src/core/trust-list.js';
import { verify } from '../verifier/index.js';
import { type Anchor, type Authority, issueLicence, type Key, makeKey, makeWorld, NOW, REVOKED_INDEX, signTrustListFor, type World } from './fixtures/world.js';

let w: World;
let keys: Key[];
let provinces: Anchor[];
let licences: Array<{ jws: string; expected: string }>;

const NAMESPACES = ['did:web:elicence.zj.example:', 'did:web:elicence.js.example:', 'did:web:elicence.ah.example:', 'did:web:elicence.fj.example:'];
// The pinned anchor's own namespace is in the pool too: a vouching entry granted by mistake must still not let a
// federated list speak for the DIDs the pinned anchor lists itself (direct wins).
const PREFIXES = [
  'did:web:elicence.zj.example:',
  'did:web:elicence.js.example:',
  'did:web:elicence.ah.example:',
  'did:web:elicence.fj.example:',
  'did:web:elicence.js.example:authorities:',
];
const JURISDICTIONS = ['330100', '330200', '320100', '320500', '340100', '350100'];
const SCOPES = ['32', '34', '35', '3201', '33'];
const STATUSES: AuthorityStatus[] = ['active', 'suspended', 'withdrawn'];

beforeAll(async () => {
  w = await makeWorld();
  keys = [...(await Promise.all([0, 1, 2].map(() => makeKey()))), w.hangzhou.keys[1]!, w.nanjing.keys[0]!];
  provinces = [
    w.jiangsu,
    { id: 'did:web:trust.ah.example', name: { zh: '安徽', en: 'Anhui' }, jurisdiction: '340000', key: await makeKey(), namespace: 'did:web:elicence.ah.example:' },
    { id: 'did:web:trust.fj.example', name: { zh: '福建', en: 'Fujian' }, jurisdiction: '350000', key: await makeKey('ES256'), namespace: 'did:web:elicence.fj.example:' },
  ];
  const genuine = await issueLicence(w.hangzhou);
  const revoked = await issueLicence(w.hangzhou, { revocationIndex: REVOKED_INDEX });
  const food = await issueLicence(w.ningbo, { type: 'FoodBusinessLicence' });
  licences = [];
  for (const jws of [genuine, revoked, food]) {
    licences.push({
      jws,
      expected: (await verify(jws, w.bundleWith({ trustLists: [w.zhejiangList] }), { anchors: { anchorId: w.zhejiang.id, keys: [w.zhejiang.key.publicJwk] }, now: NOW })).verdict,
    });
  }
});

const entry = fc.record({
  // The pinned anchor's own DIDs are in the pool: the attack is to list them.
  id: fc.oneof(
    fc.constantFrom(...[0, 1, 2].map((i) => `did:web:elicence.zj.example:authorities:${['330100-amr', '330200-amr', '330300-amr'][i]}`)),
    fc.constantFrom(...NAMESPACES).map((n) => `${n}authorities:x`),
  ),
  jurisdiction: fc.constantFrom(...JURISDICTIONS),
  status: fc.constantFrom(...STATUSES),
  key: fc.nat(4),
  types: fc.subarray(['BusinessLicence', 'FoodBusinessLicence'], { minLength: 1 }),
});

const federation = fc.record({
  province: fc.nat(2),
  prefixes: fc.subarray(PREFIXES, { minLength: 1, maxLength: 1 }),
  jurisdictions: fc.subarray(SCOPES, { minLength: 1 }),
  types: fc.option(fc.subarray(['BusinessLicence', 'FoodBusinessLicence'], { minLength: 1 }), { nil: undefined }),
  entries: fc.array(entry, { maxLength: 4 }),
});

/** Zhejiang's list federating the chosen provinces, and each province's list of random entries. */
type Federation = typeof federation extends fc.Arbitrary<infer V> ? V : never;

async function build(federations: Federation[]) {
  const unique = federations.filter((f, i) => federations.findIndex((g) => g.province === f.province) === i);
  const zhejiangList = await signTrustListFor(
    w.zhejiang,
    {
      sequence: 20,
      federate: unique.map((f) => ({ anchor: provinces[f.province]!, jurisdictions: f.jurisdictions, issuerPrefixes: f.prefixes, ...(f.types ? { licenceTypes: f.types } : {}) })),
    },
    w.zhejiangAuthorities,
  );
  const lists = [zhejiangList];
  for (const f of unique) {
    const authorities: Authority[] = [];
    for (const e of f.entries) {
      if (authorities.some((a) => a.id === e.id)) continue;
      authorities.push({
        slug: 'x',
        id: e.id,
        name: { zh: '某市', en: 'Some city' },
        jurisdiction: e.jurisdiction,
        status: e.status,
        licenceTypes: e.types,
        keys: [keys[e.key]!],
        publicUrl: 'https://x.example',
      });
    }
    lists.push(await signTrustListFor(provinces[f.province]!, { sequence: 5, authorities }));
  }
  return { lists, unique };
}

// Overlapping prefixes are refused when a list is built (parse rule), so choose disjoint ones per run.
const disjoint = (fs: Array<{ prefixes: string[] }>) =>
  fs.every((f, i) => fs.every((g, j) => i === j || !f.prefixes.some((p) => g.prefixes.some((q) => p.startsWith(q) || q.startsWith(p)))));

describe('federation properties', () => {
  it('no federated list changes the verdict of a licence the pinned anchor’s own authority issued', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(federation, { minLength: 1, maxLength: 3 }).filter(disjoint), async (federations) => {
        const { lists } = await build(federations);
        const bundle = w.bundleWith({ trustLists: lists });
        for (const licence of licences) {
          const result = await verify(licence.jws, bundle, { anchors: { anchorId: w.zhejiang.id, keys: [w.zhejiang.key.publicJwk] }, now: NOW });
          expect(result.verdict).toBe(licence.expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('no entry outside a federated anchor’s issuerPrefixes and jurisdictions is ever accepted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(federation, { minLength: 1, maxLength: 3 }).filter(disjoint), fc.nat(4), async (federations, keyIndex) => {
        const { lists } = await build(federations);
        const view = await acceptTrustLists(
          lists.map((jws) => ({ jws })),
          { anchors: { anchorId: w.zhejiang.id, keys: [w.zhejiang.key.publicJwk] }, now: NOW },
        );
        for (const list of view.lists) {
          if (!list.federation) continue;
          const scope = list.federation.scope;
          for (const authority of list.authorities.values()) {
            expect(scope.issuerPrefixes!.some((p) => authority.id.startsWith(p))).toBe(true);
            expect(scope.jurisdictions.some((j) => authority.jurisdiction.startsWith(j))).toBe(true);
          }
        }
        // Whatever a federated list says, a query is accepted only through an allowed speaker.
        for (const f of federations) {
          for (const e of f.entries) {
            const acceptance = view.accept({ issuerId: e.id, kid: keys[keyIndex]!.kid, issuedAt: Date.parse('2026-01-01T00:00:00Z'), licenceType: 'BusinessLicence' });
            if (!acceptance.ok) continue;
            if (acceptance.list.federation) {
              expect(acceptance.list.federation.scope.issuerPrefixes!.some((p) => e.id.startsWith(p))).toBe(true);
              expect(w.zhejiangAuthorities.some((a) => a.id === e.id)).toBe(false);
            } else {
              expect(acceptance.list.anchorId).toBe(w.zhejiang.id);
            }
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
