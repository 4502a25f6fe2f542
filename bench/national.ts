/**
 * National scale (`npm run bench -- national`; docs/results.md "National status data"): a synthetic
 * nation built with the real status-list, patch, signing and bundle code (no database for the bulk):
 * 185,000,000 licences over 3,000 issuing authorities in 31 provinces (sizes log-normal, as counties
 * are), 1.5% revoked and 0.2% suspended at random indices, each revoked bit with a reason; a national
 * root federating the provinces, each province listing its authorities. Then one simulated day: 90,000
 * new licences and 40,000 status changes spread at random, the trust lists re-signed on their schedule
 * (7-day lists, re-signed at half life, staggered), and each authority's daily cut.
 *
 * Printed, each next to its floor and the ratio (bytes are what an HTTP client receives with
 * Accept-Encoding: gzip, i.e. GZIP level 6 of the response body; floors use GZIP level 9):
 * - initial national status data (compact copies + manifests, reasons included) vs n·H(p) per purpose;
 * - initial trust lists (root, provinces, 3,000 authorities) vs gzip of their canonical payload JSON;
 * - one day's delta for an inspector in sync vs the bits naming the changed indices + 64 B per signer;
 * - applying that delta in Node (every signature verified, every patch applied and digest-checked);
 * - a status lookup once loaded; the peak memory of a Node verifier holding the nation (a child
 *   process); and in Chromium (the built web app on loopback): first sync, daily delta, a verdict after
 *   it, and the IndexedDB storage.
 * NATIONAL_SCALE (default 1) scales the licence counts for a quick run; NATIONAL_CHROMIUM=0 skips Chromium;
 * NATIONAL_KEEP=1 keeps the bundle files it wrote (their folder is printed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { JWK } from 'jose';
import { type BundleStatusCopies, type BundleStatusPatch, type BundleTrustList, buildBundle, packBundle, parseBundle, serializeBundle } from '../src/core/bundle.js';
import { canonicalJson } from '../src/core/canonical-json.js';
import { buildLicenceCredential, signLicenceCredential } from '../src/core/credential.js';
import { generateSigningJwk, type JwsSigner, publicJwk, signCompact, signerFromPrivateJwk } from '../src/core/jws-sign.js';
import { buildStatusListCredential, encodeStatusList, type StatusPurpose } from '../src/core/status-list.js';
import { buildStatusPatch, signStatusPatch } from '../src/core/status-patch.js';
import { buildStatusReasons, reasonOfNumber, signStatusReasons } from '../src/core/status-reasons.js';
import { bitstringBytes, encodeStatusCopy, positionOf, type SparseStatusList } from '../src/core/status-set.js';
import { resolveStatus, statusSources } from '../src/core/trust/status-state.js';
import { acceptTrustLists, buildTrustList, signTrustList, type TrustListPayload } from '../src/core/trust-list.js';
import { statusListSizeFor } from '../src/services/status-allocation.js';
import { mergeBundlesReport, prepare, verify } from '../verifier/index.js';
import { ROOT } from './lib/load.js';

const SCALE = Number(process.env.NATIONAL_SCALE ?? '1');
const CHROMIUM = process.env.NATIONAL_CHROMIUM === '0' ? undefined : '/usr/bin/chromium';
const LICENCES = Math.round(185_000_000 * SCALE);
const AUTHORITIES = 3_000;
const REVOKED = 0.015;
const SUSPENDED = 0.002;
const NEW_LICENCES = Math.round(90_000 * SCALE);
const STATUS_CHANGES = Math.round(40_000 * SCALE);
const BASE_LIST_SIZE = 131_072;
const DAY = 86_400_000;
const TRUST_TTL = 7 * DAY;
/** Day 0's cut; the inspector syncs right after it, and again right after day 1's. */
const T0 = Date.parse('2026-06-01T00:00:00Z');
const T1 = T0 + DAY;
const PROVINCES = [
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
];
const LICENCE_TYPES = ['BusinessLicence', 'FoodBusinessLicence'];

// A seeded generator, so every run builds the same nation.
let seed = 0x9e3779b9;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}
const below = (n: number) => Math.floor(random() * n);
function gauss(): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

interface Key {
  signer: JwsSigner;
  publicJwk: JWK;
}

interface List {
  url: string;
  purpose: StatusPurpose;
  size: number;
  allocated: number;
  set: Uint32Array;
  reasons?: Uint8Array;
  version: number;
  /** When the list was opened (ms). */
  created: number;
}

interface Authority {
  province: string;
  code: string;
  slug: string;
  did: string;
  base: string;
  key: Key;
  licences: number;
  lists: List[];
}

interface Province {
  code: string;
  host: string;
  anchorId: string;
  key: Key;
  authorities: Authority[];
  sequence: number;
  issuedAt: number;
  jws: string;
}

const H = (p: number) => (p <= 0 || p >= 1 ? 0 : -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p)));
/** log2 C(n, m): the bits any coding of m indices among n needs. */
function log2Choose(n: number, m: number): number {
  let bits = 0;
  for (let i = 0; i < m; i++) bits += Math.log2((n - i) / (i + 1));
  return bits;
}
const gz = (text: string, level = 6) => gzipSync(text, { level }).length;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const ms = (t: number) => (t >= 1000 ? `${(t / 1000).toFixed(2)} s` : `${t.toFixed(1)} ms`);
const rows: string[][] = [];
function row(figure: string, measured: string, floor: string, ratio: string, must: string, aim: string): void {
  rows.push([figure, measured, floor, ratio, must, aim]);
  console.log(`  ${figure}: ${measured}${floor ? ` (floor ${floor}, ratio ${ratio})` : ''}  [must ${must}; aim ${aim}]`);
}

async function makeKey(): Promise<Key> {
  const { privateJwk, publicJwk: pub } = await generateSigningJwk('EdDSA');
  return { signer: await signerFromPrivateJwk(privateJwk), publicJwk: publicJwk(pub) };
}

/** `m` distinct random indices below `n`, sorted. */
function randomSet(n: number, m: number): Uint32Array {
  const bitmap = new Uint8Array(n / 8);
  let placed = 0;
  while (placed < m) {
    const i = below(n);
    const mask = 0x80 >>> (i & 7);
    if (bitmap[i >>> 3]! & mask) continue;
    bitmap[i >>> 3]! |= mask;
    placed++;
  }
  const out = new Uint32Array(m);
  let k = 0;
  for (let b = 0; b < bitmap.length; b++) {
    let byte = bitmap[b]!;
    while (byte) {
      const bit = Math.clz32(byte) - 24;
      out[k++] = b * 8 + bit;
      byte &= ~(0x80 >>> bit);
    }
  }
  return out;
}

/** A reason for a revocation: deregistered most often, then penalties, replacements, rescissions. */
function reasonCode(): number {
  const r = random();
  return r < 0.55 ? 3 : r < 0.8 ? 1 : r < 0.9 ? 4 : r < 0.95 ? 2 : 5;
}

function buildNation(keys: Key[], provinceKeys: Key[]): { provinces: Province[]; authorities: Authority[] } {
  const weights = Array.from({ length: AUTHORITIES }, () => Math.exp(gauss() * 1.0));
  const total = weights.reduce((a, b) => a + b, 0);
  const provinces: Province[] = PROVINCES.map((code, i) => ({
    code,
    host: `elicence.p${code}.gov.example`,
    anchorId: `did:web:trust.p${code}.gov.example`,
    key: provinceKeys[i]!,
    authorities: [],
    sequence: 1,
    issuedAt: 0,
    jws: '',
  }));
  const authorities: Authority[] = [];
  for (let i = 0; i < AUTHORITIES; i++) {
    const province = provinces[i % provinces.length]!;
    const n = Math.floor(i / provinces.length);
    const code = `${province.code}${String(1 + Math.floor(n / 20)).padStart(2, '0')}${String(1 + (n % 20)).padStart(2, '0')}`;
    const slug = `${code}-amr`;
    const licences = Math.max(200, Math.round((weights[i]! * LICENCES) / total));
    const authority: Authority = {
      province: province.code,
      code,
      slug,
      did: `did:web:${province.host}:authorities:${slug}`,
      base: `https://${province.host}/status/${slug}/`,
      key: keys[i]!,
      licences,
      lists: [],
    };
    for (const purpose of ['revocation', 'suspension'] as const) {
      let left = licences;
      for (let seq = 1; left > 0 || seq === 1; seq++) {
        const size = statusListSizeFor(seq, BASE_LIST_SIZE);
        const allocated = Math.min(size, left);
        left -= allocated;
        const count = Math.round(allocated * (purpose === 'revocation' ? REVOKED : SUSPENDED));
        const set = randomSet(size, count);
        authority.lists.push({
          url: `${authority.base}${purpose}/${seq}`,
          purpose,
          size,
          allocated,
          set,
          ...(purpose === 'revocation' ? { reasons: Uint8Array.from(set, () => reasonCode()) } : {}),
          version: count + Math.round(count * 0.3),
          created: T0 - 365 * DAY,
        });
      }
    }
    province.authorities.push(authority);
    authorities.push(authority);
  }
  return { provinces, authorities };
}

const iso = (t: number) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function provinceList(province: Province, issuedAt: number): Promise<string> {
  const payload = await buildTrustList({
    anchor: { id: province.anchorId, name: { zh: `${province.code}省市场监督管理局`, en: `Province ${province.code} AMR` }, jurisdiction: `${province.code}0000` },
    sequence: province.sequence,
    issuedAt: new Date(issuedAt),
    expiresAt: new Date(issuedAt + TRUST_TTL),
    authorities: province.authorities.map((a) => ({
      id: a.did,
      name: { zh: `${a.code}市场监督管理局`, en: `${a.code} AMR` },
      jurisdiction: a.code,
      status: 'active' as const,
      licenceTypes: LICENCE_TYPES,
      keys: [{ jwk: a.key.publicJwk, validFrom: '2025-01-01T00:00:00Z' }],
    })),
  });
  return signTrustList(province.key.signer, payload);
}

async function rootList(root: Key, provinces: Province[], issuedAt: number): Promise<string> {
  const payload = await buildTrustList({
    anchor: { id: 'did:web:trust.gov.example', name: { zh: '全国电子证照信任根', en: 'National e-licence trust root' } },
    sequence: 1,
    issuedAt: new Date(issuedAt),
    expiresAt: new Date(issuedAt + TRUST_TTL),
    authorities: [],
    federatedAnchors: provinces.map((p) => ({
      id: p.anchorId,
      name: { zh: `${p.code}省市场监督管理局`, en: `Province ${p.code} AMR` },
      keys: [{ jwk: p.key.publicJwk, validFrom: '2025-01-01T00:00:00Z' }],
      scope: { issuerPrefixes: [`did:web:${p.host}:`], jurisdictions: [p.code] },
    })),
  });
  return signTrustList(root.signer, payload);
}

const payloadOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as TrustListPayload;

/** Each authority's manifest (every list with its digest) and its lists as compact copies. */
async function manifests(authorities: Authority[], at: number, only?: (a: Authority) => List[]): Promise<BundleStatusCopies[]> {
  const groups: BundleStatusCopies[] = [];
  for (const a of authorities) {
    const payload = await buildStatusPatch({
      issuer: a.did,
      base: a.base,
      issuedAt: new Date(at),
      changed: [],
      unchanged: a.lists.map((l) => ({ url: l.url, version: l.version, list: l })),
    });
    const jws = await signStatusPatch(a.key.signer, payload);
    const lists = only ? only(a) : a.lists;
    if (lists.length > 0) groups.push({ jws, fetchedAt: iso(at), lists: lists.map((l) => encodeStatusCopy(l.url, l)) });
  }
  return groups;
}

/** The same lists as W3C lists with reasons documents (the first protocol), for comparison. */
async function w3cBytes(authorities: Authority[], at: number): Promise<{ bytes: number; lists: number }> {
  const pieces: Array<{ url: string; jws: string; fetchedAt: string }> = [];
  const reasons: Array<{ url: string; jws: string; fetchedAt: string }> = [];
  for (const a of authorities) {
    for (const l of a.lists) {
      const encodedList = await encodeStatusList(bitstringBytes(l));
      const credential = buildStatusListCredential({
        url: l.url,
        issuer: { id: a.did, name: `${a.code}市场监督管理局` },
        purpose: l.purpose,
        encodedList,
        issuedAt: new Date(at),
        validUntil: new Date(at + 2 * DAY),
        ttlMs: 300_000,
        version: l.version,
      });
      pieces.push({ url: l.url, jws: await signCompact(a.key.signer, credential, 'vc+jwt', 'vc'), fetchedAt: iso(at) });
      if (l.reasons) {
        const doc = buildStatusReasons({
          issuer: a.did,
          list: { url: l.url, version: l.version, encodedList },
          entries: Array.from(l.set, (index, i) => ({ index, reason: reasonOfNumber(l.reasons![i]!) })),
          issuedAt: new Date(at),
        });
        reasons.push({ url: `${l.url}/reasons`, jws: await signStatusReasons(a.key.signer, doc), fetchedAt: iso(at) });
      }
    }
  }
  const text = JSON.stringify(packBundle(buildBundle({ trustLists: [], statusLists: pieces, statusReasons: reasons, generatedAt: new Date(at) })));
  return { bytes: gz(text), lists: pieces.length };
}

interface Day {
  /** Per list URL: the day's flipped indices, in the order applied. */
  flips: Map<string, Set<number>>;
  newLists: List[];
  changedLists: number;
}

/** One day: new licences (allocating slots, opening lists), status changes at random, versions bumped. */
function simulateDay(authorities: Authority[]): Day {
  const cumulative = new Float64Array(authorities.length);
  let sum = 0;
  authorities.forEach((a, i) => {
    sum += a.licences;
    cumulative[i] = sum;
  });
  const pick = () => {
    const r = random() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return authorities[lo]!;
  };
  const day: Day = { flips: new Map(), newLists: [], changedLists: 0 };
  for (let i = 0; i < NEW_LICENCES; i++) {
    const a = pick();
    a.licences++;
    for (const purpose of ['revocation', 'suspension'] as const) {
      const lists = a.lists.filter((l) => l.purpose === purpose);
      const last = lists[lists.length - 1]!;
      if (last.allocated < last.size) last.allocated++;
      else {
        const seq = lists.length + 1;
        const size = statusListSizeFor(seq, BASE_LIST_SIZE);
        const list: List = {
          url: `${a.base}${purpose}/${seq}`,
          purpose,
          size,
          allocated: 1,
          set: new Uint32Array(0),
          ...(purpose === 'revocation' ? { reasons: new Uint8Array(0) } : {}),
          version: 0,
          created: T0 + below(DAY),
        };
        a.lists.push(list);
        day.newLists.push(list);
      }
    }
  }
  const flip = (list: List, index: number) => {
    let set = day.flips.get(list.url);
    if (!set) {
      set = new Set();
      day.flips.set(list.url, set);
    }
    if (set.has(index)) set.delete(index);
    else set.add(index);
    list.version++;
  };
  const currentlySet = (list: List, index: number) => positionOf(list, index) >= 0 !== (day.flips.get(list.url)?.has(index) ?? false);
  const byAllocated = (lists: List[]) => {
    let r = random() * lists.reduce((n, l) => n + l.allocated, 0);
    for (const l of lists) {
      r -= l.allocated;
      if (r < 0) return l;
    }
    return lists[lists.length - 1]!;
  };
  const reasonsAdded = new Map<string, Map<number, number>>();
  for (let i = 0; i < STATUS_CHANGES; i++) {
    const a = pick();
    const r = random();
    const purpose: StatusPurpose = r < 0.55 ? 'revocation' : 'suspension';
    const list = byAllocated(a.lists.filter((l) => l.purpose === purpose));
    if (r >= 0.85 && list.set.length > 0) {
      // Reinstate a suspended licence.
      const index = list.set[below(list.set.length)]!;
      if (currentlySet(list, index)) flip(list, index);
      continue;
    }
    let index = below(list.size);
    while (currentlySet(list, index)) index = below(list.size);
    flip(list, index);
    if (purpose === 'revocation') {
      let added = reasonsAdded.get(list.url);
      if (!added) {
        added = new Map();
        reasonsAdded.set(list.url, added);
      }
      added.set(index, reasonCode());
    }
  }
  // Apply the day's flips to the lists (with the reasons of the bits set).
  for (const a of authorities) {
    for (const l of a.lists) {
      const flips = day.flips.get(l.url);
      if (!flips || flips.size === 0) continue;
      day.changedLists++;
      const merged = new Map<number, number>();
      l.set.forEach((index, i) => {
        merged.set(index, l.reasons?.[i] ?? 0);
      });
      for (const index of flips) {
        if (merged.has(index)) merged.delete(index);
        else merged.set(index, reasonsAdded.get(l.url)?.get(index) ?? 0);
      }
      const sorted = [...merged.keys()].sort((x, y) => x - y);
      l.set = Uint32Array.from(sorted);
      if (l.reasons) l.reasons = Uint8Array.from(sorted, (index) => merged.get(index)!);
    }
  }
  return day;
}

async function main(): Promise<void> {
  console.log(`national status data: ${LICENCES.toLocaleString('en')} licences, ${AUTHORITIES} authorities, ${PROVINCES.length} provinces (scale ${SCALE})`);
  const started = performance.now();
  const root = await makeKey();
  const provinceKeys = await Promise.all(PROVINCES.map(() => makeKey()));
  const keys: Key[] = [];
  for (let i = 0; i < AUTHORITIES; i++) keys.push(await makeKey());
  const { provinces, authorities } = buildNation(keys, provinceKeys);
  const before = new Map(
    authorities.flatMap((a) =>
      a.lists.map((l) => [l.url, { version: l.version, list: { size: l.size, set: l.set, ...(l.reasons ? { reasons: l.reasons } : {}) } as SparseStatusList }]),
    ),
  );
  const listCount = authorities.reduce((n, a) => n + a.lists.length, 0);
  const largest = authorities.reduce((m, a) => (a.licences > m.licences ? a : m));
  console.log(
    `  built in ${ms(performance.now() - started)}: ${listCount} lists (largest authority ${largest.licences.toLocaleString('en')} licences in ${largest.lists.length / 2} lists per purpose)`,
  );

  // Trust lists: each province's issued at a staggered time in the 3.5 days before the cut, re-signed at half life.
  const rootIssuedAt = T0 - 2 * DAY;
  const rootJws = await rootList(root, provinces, rootIssuedAt);
  for (const [i, p] of provinces.entries()) {
    p.issuedAt = T0 - Math.round(((i + 0.5) / provinces.length) * (TRUST_TTL / 2));
    p.jws = await provinceList(p, p.issuedAt);
  }
  const trustEntries = (): BundleTrustList[] => [
    { url: 'https://trust.gov.example/trust-list', jws: rootJws, fetchedAt: iso(rootIssuedAt) },
    ...provinces.map((p) => ({ url: `https://trust.p${p.code}.gov.example/trust-list`, jws: p.jws, fetchedAt: iso(p.issuedAt) })),
  ];
  const anchors = { anchorId: 'did:web:trust.gov.example', keys: [root.publicJwk] };

  // Day 0: every authority's manifest and copies: the full bundle of the patch protocol.
  let t = performance.now();
  const copies0 = await manifests(authorities, T0);
  const full = buildBundle({ trustLists: trustEntries(), statusLists: [], statusCopies: copies0, statusPatches: [], generatedAt: new Date(T0) });
  const fullText = JSON.stringify(packBundle(full));
  console.log(`  day 0 signed and encoded in ${ms(performance.now() - t)}: full bundle ${mb(fullText.length)} of JSON`);
  const statusText = JSON.stringify(packBundle({ ...full, trustLists: [] }));
  const trustText = JSON.stringify(packBundle({ ...full, statusCopies: [] }));

  // Floors.
  let statusFloorBits = 0;
  const perPurpose = { revocation: { n: 0, set: 0 }, suspension: { n: 0, set: 0 } };
  for (const a of authorities) {
    for (const l of a.lists) {
      perPurpose[l.purpose].n += l.size;
      perPurpose[l.purpose].set += l.set.length;
    }
  }
  for (const p of Object.values(perPurpose)) statusFloorBits += p.n * H(p.set / p.n);
  console.log(
    `  published entries: revocation ${perPurpose.revocation.set.toLocaleString('en')} set of ${perPurpose.revocation.n.toLocaleString('en')}, suspension ${perPurpose.suspension.set.toLocaleString('en')} of ${perPurpose.suspension.n.toLocaleString('en')}`,
  );
  const statusFloor = statusFloorBits / 8;
  const trustFloor = gz(
    trustEntries()
      .map((e) => canonicalJson(payloadOf(e.jws)))
      .join('\n'),
    9,
  );
  const statusBytes = gz(statusText);
  const trustBytes = gz(trustText);
  console.log('\nInitial sync (patch protocol, full):');
  row('initial national status data (copies + manifests, reasons included)', mb(statusBytes), mb(statusFloor), (statusBytes / statusFloor).toFixed(2), '<= 10 MB', '<= 1.5x');
  row('initial trust lists (root, 31 provinces, 3,000 authorities)', kb(trustBytes), kb(trustFloor), (trustBytes / trustFloor).toFixed(2), '<= 2 MB', '<= 1.2x');
  t = performance.now();
  const w3c = await w3cBytes(authorities, T0);
  const reasonsRaw = authorities.reduce((n, a) => n + a.lists.reduce((m, l) => m + (l.reasons ? Math.ceil((l.set.length * 3) / 8) : 0), 0), 0);
  console.log(
    `  for comparison: the same ${w3c.lists} lists as W3C lists + reasons documents (first protocol): ${mb(w3c.bytes)} (${(w3c.bytes / statusFloor).toFixed(2)}x the floor; built in ${ms(performance.now() - t)}); reasons alone, packed: ${mb(reasonsRaw)}; compact JWS instead of jwsParts: ${mb(gz(JSON.stringify({ ...full, trustLists: [] })))} status, ${kb(gz(JSON.stringify({ ...full, statusCopies: [] })))} trust`,
  );

  // Day 1.
  t = performance.now();
  const day = simulateDay(authorities);
  const dueLists = provinces.filter((p) => p.issuedAt + TRUST_TTL / 2 > T0 && p.issuedAt + TRUST_TTL / 2 <= T1);
  for (const p of dueLists) {
    p.sequence++;
    p.issuedAt += TRUST_TTL / 2;
    p.jws = await provinceList(p, p.issuedAt);
  }
  const cuts: BundleStatusPatch[] = [];
  let deltaFloorBits = 0;
  for (const a of authorities) {
    const changed: Parameters<typeof buildStatusPatch>[0]['changed'] = [];
    const unchanged: Parameters<typeof buildStatusPatch>[0]['unchanged'] = [];
    for (const l of a.lists) {
      const was = before.get(l.url);
      const from = was?.version ?? 0;
      const flips = day.flips.get(l.url);
      if (l.version > from) {
        const indices = flips ? [...flips].sort((x, y) => x - y) : [];
        changed.push({ url: l.url, from, to: l.version, indices, after: l });
        deltaFloorBits += log2Choose(l.size, indices.length);
      } else unchanged.push({ url: l.url, version: from });
    }
    const payload = await buildStatusPatch({ issuer: a.did, base: a.base, issuedAt: new Date(T1), changed, unchanged });
    cuts.push({ jws: await signStatusPatch(a.key.signer, payload), fetchedAt: iso(T1) });
  }
  const newListUrls = new Set(day.newLists.map((l) => l.url));
  const withNewLists = authorities.filter((a) => a.lists.some((l) => newListUrls.has(l.url)));
  const newCopies = await manifests(withNewLists, T1, (a) => a.lists.filter((l) => newListUrls.has(l.url)));
  const delta = buildBundle({
    trustLists: trustEntries().filter((e) => dueLists.some((p) => e.jws === p.jws)),
    statusLists: [],
    statusPatches: cuts,
    statusCopies: newCopies,
    generatedAt: new Date(T1),
  });
  const deltaText = JSON.stringify(packBundle(delta));
  const deltaBytes = gz(deltaText);
  const signers = AUTHORITIES + dueLists.length + withNewLists.length;
  const deltaFloor = deltaFloorBits / 8 + 64 * (AUTHORITIES + dueLists.length);
  console.log(
    `\nOne day (${NEW_LICENCES.toLocaleString('en')} new licences, ${STATUS_CHANGES.toLocaleString('en')} status changes), simulated and cut in ${ms(performance.now() - t)}:`,
  );
  console.log(
    `  ${day.changedLists} of ${listCount + day.newLists.length} lists changed, ${day.newLists.length} opened; ${dueLists.length} trust lists re-signed; ${signers} signatures in the delta`,
  );
  row("one day's delta for an inspector in sync (everything included)", kb(deltaBytes), kb(deltaFloor), (deltaBytes / deltaFloor).toFixed(2), '<= 1 MB', '<= 1.5x');
  const changedW3c = (w3c.bytes / listCount) * day.changedLists;
  const trustPart = gz(JSON.stringify(packBundle({ ...delta, statusPatches: [], statusCopies: [] })));
  console.log(
    `  of which trust lists ${kb(trustPart)}; the first protocol would re-send every changed list and reasons document in full: about ${mb(changedW3c + trustPart)} (day-0 average size per list)`,
  );

  // The inspector's Node verifier: load, prepare, apply the delta.
  t = performance.now();
  const state0 = parseBundle(fullText);
  const loadMs = performance.now() - t;
  const options = { anchors, now: T1 + 60_000 };
  t = performance.now();
  await prepare(state0, { anchors, now: T0 + 60_000 });
  const prepareMs = performance.now() - t;
  t = performance.now();
  const received = parseBundle(deltaText);
  const report = await mergeBundlesReport(state0, received, options);
  const applyMs = performance.now() - t;
  if (report.refetch.length > 0) throw new Error(`the delta left ${report.refetch.length} lists to fetch again`);
  console.log(`\nNode verifier (this process): parse ${ms(loadMs)}, verify every piece of the full bundle ${ms(prepareMs)}`);
  row('applying the delta in Node (verify signatures + patch + digests)', ms(applyMs), '', '', '<= 5 s', '<= 1 s');

  // Correctness: the merged copies are exactly the nation's lists after the day.
  const merged = report.bundle;
  const view = await acceptTrustLists(merged.trustLists, { anchors, now: T1 + 60_000 });
  const sources = statusSources(merged);
  const byUrl = new Map(authorities.flatMap((a) => a.lists.map((l) => [l.url, { a, l }])));
  const sample = [...byUrl.values()].filter((_, i) => i % Math.max(1, Math.floor(byUrl.size / 400)) === 0);
  for (const { a, l } of sample) {
    const resolved = await resolveStatus(sources, view, { url: l.url, issuerId: a.did });
    if (!resolved.ok || resolved.list.set.length !== l.set.length || resolved.list.set.some((v, i) => v !== l.set[i])) {
      throw new Error(`list ${l.url} differs after applying the delta: ${JSON.stringify(resolved.ok ? resolved.list.version : resolved)}`);
    }
  }
  t = performance.now();
  await prepare(merged, options);
  const preparedMs = performance.now() - t;

  // Lookups once loaded: resolve (memoised) + binary search, for random licences.
  const urls = [...byUrl.values()];
  const queries = Array.from({ length: 100_000 }, () => {
    const { a, l } = urls[below(urls.length)]!;
    return { url: l.url, issuerId: a.did, index: below(l.size) };
  });
  let hits = 0;
  t = performance.now();
  for (const q of queries) {
    const resolved = await resolveStatus(sources, view, q);
    if (resolved.ok && positionOf(resolved.list, q.index) >= 0) hits++;
  }
  const lookupUs = ((performance.now() - t) * 1000) / queries.length;
  row('status lookup for one licence once loaded', `${lookupUs.toFixed(2)} us`, '', '', '<= 1 ms', '<= 50 us');

  // A whole verify() of a licence of the largest authority (signature included), after the delta.
  const target = largest.lists.find((l) => l.purpose === 'revocation' && l.set.length > 0)!;
  const suspension = largest.lists.find((l) => l.purpose === 'suspension')!;
  const credential = buildLicenceCredential({
    id: '0195a1b2-7c00-7d41-9a6e-3f5b2c8d1e07',
    type: 'BusinessLicence',
    issuer: { id: largest.did, name: `${largest.code}市场监督管理局` },
    validFrom: new Date('2026-01-01T00:00:00Z'),
    validUntil: new Date('2031-01-01T00:00:00Z'),
    subject: {
      creditCode: '91330106MA2H3K7X1M',
      name: '示例科技有限公司',
      entityType: '有限责任公司',
      legalRepresentative: '王建国',
      registeredCapital: '1000万元人民币',
      establishedOn: '2019-04-18',
      address: '示例地址1号',
      businessScope: '技术服务',
    },
    status: { revocation: { listUrl: target.url, index: target.set[0]! }, suspension: { listUrl: suspension.url, index: 7 } },
    issuedAt: new Date('2026-01-02T00:00:00Z'),
  });
  const licence = await signLicenceCredential(largest.key.signer, credential);
  const verdicts: string[] = [];
  const verifyTimes: number[] = [];
  for (let i = 0; i < 50; i++) {
    const v0 = performance.now();
    verdicts.push((await verify(licence, merged, options)).verdict);
    verifyTimes.push(performance.now() - v0);
  }
  verifyTimes.sort((x, y) => x - y);
  console.log(
    `  (${hits} of ${queries.length} random indices set; re-verifying the merged state ${ms(preparedMs)}; a whole verify() of a revoked licence, signature included: median ${ms(verifyTimes[25]!)}, verdict ${verdicts[0]})`,
  );

  // Peak memory of a Node verifier holding the nation: its own process, bundled (no tsx in it).
  const dir = mkdtempSync(join(tmpdir(), 'elicence-national-'));
  try {
    const stateFile = join(dir, 'bundle.json');
    writeFileSync(stateFile, serializeBundle(merged));
    writeFileSync(join(dir, 'anchors.json'), JSON.stringify(anchors));
    writeFileSync(join(dir, 'licence.txt'), licence);
    writeFileSync(join(dir, 'day0.json'), fullText);
    writeFileSync(join(dir, 'delta.json'), deltaText);
    const script = join(dir, 'verifier.mjs');
    await build({ entryPoints: [join(ROOT, 'bench/national-verifier.ts')], bundle: true, platform: 'node', format: 'esm', outfile: script, logLevel: 'silent' });
    const runVerifier = (flags: string[], mode = 'hold') => {
      const child = spawnSync(process.execPath, [...flags, script, mode, dir, String(T1 + 60_000)], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`verifier process failed: ${child.stderr}`);
      return child.stdout.trim().split('\n').at(-1)!;
    };
    const small = JSON.parse(runVerifier(['--max-semi-space-size=2'])) as { maxRssBytes: number };
    const cold = JSON.parse(runVerifier([], 'apply')) as { applyMs: number; refetch: number; maxRssBytes: number };
    console.log(
      `  cold, in a fresh process as the CLI's sync does it (read day 0's bundle and the delta, verify both, apply): ${ms(cold.applyMs)} (max RSS ${mb(cold.maxRssBytes)})`,
    );
    const measured = JSON.parse(runVerifier([])) as {
      maxRssBytes: number;
      baselineRssBytes: number;
      heapUsedBytes: number;
      verdict: string;
      loadMs: number;
      prepareMs: number;
      afterLoad: { maxRss: number };
    };
    row('peak memory of the Node verifier holding the nation (max RSS)', mb(measured.maxRssBytes), '', '', '<= 300 MB', '<= 150 MB');
    console.log(
      `  (a node process of its own, default V8 settings: ${mb(measured.baselineRssBytes)} RSS before loading, peak ${mb(measured.afterLoad.maxRss)} once parsed; bundle file ${mb(serializeBundle(merged).length)}; heap ${mb(measured.heapUsedBytes)} after; load ${ms(measured.loadMs)}, verify every piece ${ms(measured.prepareMs)}, verdict ${measured.verdict}; with node --max-semi-space-size=2: ${mb(small.maxRssBytes)})`,
    );
    if (CHROMIUM && existsSync(CHROMIUM)) {
      const { chromiumFigures } = await import('./national-chromium.js');
      const figures = await chromiumFigures({ anchors, fullText, deltaText, licence, t0: T0, t1: T1 });
      console.log('\nChromium (the built web app, Node-generated data on loopback, gzip on the wire):');
      for (const line of figures) console.log(`  ${line}`);
    } else {
      console.log('\nChromium: skipped (NATIONAL_CHROMIUM=0 or no /usr/bin/chromium)');
    }
  } finally {
    if (process.env.NATIONAL_KEEP) console.log(`  (files kept in ${dir})`);
    else rmSync(dir, { recursive: true, force: true });
  }

  console.log('\n| figure | measured | floor | ratio | must | aim |\n| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\ntotal ${ms(performance.now() - started)}`);
}

await main();
