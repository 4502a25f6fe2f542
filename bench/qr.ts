/**
 * QR format EL1 benchmark: the size table of docs/qr-format.md (QR versions at levels L/M/Q for the
 * built-in licence types, without and with a licence identifier (GB/T 36904), beside the raw JWS in byte
 * mode, the naive floor), the measurement behind
 * the choice of numeric mode (the same bytes as base45 in alphanumeric mode), and encode/decode speed.
 * Also EL2 (live presentation, section 11): the QR versions of the bound copies of the same licences
 * (issued now, with identifiers) and of an agent authorisation, each with a slot and a device proof,
 * beside the same credential in EL1 (a static copy) and without EL2's dictionary and key lifting.
 * Standalone: `npx tsx bench/qr.ts`; a bench runner calls `main()` or `runQrBench()`.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import QRCode, { type QRCodeSegment } from 'qrcode';
import { formatLicenceIdentifier } from '../src/core/licence-identifier.js';
import { decodeLicenceQr, decodeLiveQr, encodeLicenceQr, encodeLiveQr, LICENCE_QR_MODE, LICENCE_QR_PREFIX, liveSlotOf } from '../src/core/qr/index.js';
import { digitsToBytes } from '../src/core/qr/numeric.js';
import { creditCode, HANGZHOU, realisticLicences, signLicence, withLicenceIdentifier } from '../tests/fixtures/licences.js';
import { agentAuthorisation, boundCopyOf, deviceKeyFromJwk, statusEntry } from '../tests/fixtures/live.js';
import { qrSegmentsFor } from '../tests/helpers/qr-render.js';

const LEVELS = ['L', 'M', 'Q'] as const;

export interface QrSizeRow {
  type: string;
  jwsLength: number;
  qrTextLength: number;
  mode: string;
  /** EL1 text, as rendered (alphanumeric prefix + numeric digits). */
  versions: Record<(typeof LEVELS)[number], number | '>40'>;
  /** The same EL1 bytes as RFC 9285 base45 in alphanumeric mode: the runner-up mode. */
  base45Versions: Record<(typeof LEVELS)[number], number | '>40'>;
  /** The raw compact JWS in byte mode: the naive floor. */
  rawJwsVersions: Record<(typeof LEVELS)[number], number | '>40'>;
  encodeOpsPerSecond: number;
  decodeOpsPerSecond: number;
  decodeLenientOpsPerSecond: number;
}

function versionAt(segments: string | QRCodeSegment[], level: (typeof LEVELS)[number]): number | '>40' {
  try {
    return QRCode.create(segments, { errorCorrectionLevel: level }).version;
  } catch {
    return '>40';
  }
}

function versions(segments: string | QRCodeSegment[]) {
  return { L: versionAt(segments, 'L'), M: versionAt(segments, 'M'), Q: versionAt(segments, 'Q') };
}

const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

/** RFC 9285 base45, only to measure the alphanumeric alternative. */
function base45(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 2) {
    if (i + 1 < bytes.length) {
      const v = bytes[i]! * 256 + bytes[i + 1]!;
      out += BASE45[v % 45]! + BASE45[Math.floor(v / 45) % 45]! + BASE45[Math.floor(v / 2025)]!;
    } else {
      out += BASE45[bytes[i]! % 45]! + BASE45[Math.floor(bytes[i]! / 45)]!;
    }
  }
  return out;
}

/** Operations per second: the median of five timed batches, each about `durationMs / 5` long. */
function opsPerSecond(action: () => void, durationMs: number): number {
  for (let i = 0; i < 50; i++) action();
  const rates: number[] = [];
  for (let batch = 0; batch < 5; batch++) {
    let count = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < durationMs / 5) {
      for (let i = 0; i < 20; i++) action();
      count += 20;
      elapsed = performance.now() - start;
    }
    rates.push((count * 1000) / elapsed);
  }
  return rates.sort((a, b) => a - b)[2]!;
}

export async function runQrBench(options: { durationMs?: number } = {}): Promise<QrSizeRow[]> {
  const durationMs = options.durationMs ?? 1000;
  const rows: QrSizeRow[] = [];
  // The fixed test key: Ed25519 signatures are deterministic, so the size table is reproducible.
  const testKey = JSON.parse(readFileSync(new URL('../tests/vectors/qr-test-key.json', import.meta.url), 'utf8')).privateJwk;
  const plain = await realisticLicences('EdDSA', testKey);
  // The same licences as issued now: with a licence identifier (a 4-character type code, serial 12345).
  const identified = await Promise.all(
    plain.map(async (licence, i) => {
      const typeCode = licence.label.startsWith('Food') ? 'SPJY' : 'YYZZ';
      const credential = withLicenceIdentifier(licence.credential, formatLicenceIdentifier({ typeCode, authorityCode: '11330100DC00000024', serial: 12345 + i, version: 1 }));
      return { ...licence, label: `${licence.label} + identifier`, credential, jws: await signLicence(credential, testKey) };
    }),
  );
  for (const licence of [...plain, ...identified]) {
    const text = encodeLicenceQr(licence.jws);
    const bytes = digitsToBytes(text.slice(LICENCE_QR_PREFIX.length));
    rows.push({
      type: licence.label,
      jwsLength: licence.jws.length,
      qrTextLength: text.length,
      mode: `alphanumeric "${LICENCE_QR_PREFIX}" + ${LICENCE_QR_MODE}`,
      versions: versions(qrSegmentsFor(text)),
      base45Versions: versions([{ data: LICENCE_QR_PREFIX + base45(bytes), mode: 'alphanumeric' }]),
      rawJwsVersions: versions([{ data: new TextEncoder().encode(licence.jws), mode: 'byte' }]),
      encodeOpsPerSecond: opsPerSecond(() => encodeLicenceQr(licence.jws), durationMs),
      decodeOpsPerSecond: opsPerSecond(() => decodeLicenceQr(text), durationMs),
      decodeLenientOpsPerSecond: opsPerSecond(() => decodeLicenceQr(text, { canonical: false }), durationMs),
    });
  }
  return rows;
}

export interface LiveQrRow {
  type: string;
  jwsLength: number;
  qrTextLength: number;
  /** EL2 text: body, slot, proof. */
  versions: Record<(typeof LEVELS)[number], number | '>40'>;
  /** The same bound JWS as EL1 (shown statically). */
  staticVersions: Record<(typeof LEVELS)[number], number | '>40'>;
  decodeOpsPerSecond: number;
}

const statusUrlOf = (purpose: string) => `${HANGZHOU.publicUrl}/status/${HANGZHOU.slug}/${purpose}/1`;

/** EL2 sizes: bound copies of the licences as issued now, and an agent authorisation, each with a slot and a proof. */
export async function runLiveQrBench(options: { durationMs?: number } = {}): Promise<LiveQrRow[]> {
  const durationMs = options.durationMs ?? 1000;
  const testKey = JSON.parse(readFileSync(new URL('../tests/vectors/qr-test-key.json', import.meta.url), 'utf8')).privateJwk;
  const vector = JSON.parse(readFileSync(new URL('../tests/vectors/qr-live-bound-copy.json', import.meta.url), 'utf8'));
  const device = await deviceKeyFromJwk(vector.devicePrivateJwk);
  const iat = Date.parse('2026-06-01T00:00:00Z') / 1000;
  const slot = liveSlotOf((iat + 3600) * 1000);
  const plain = await realisticLicences('EdDSA', testKey);
  const credentials: Array<[string, Record<string, unknown>]> = plain.map((licence, i) => {
    const typeCode = licence.label.startsWith('Food') ? 'SPJY' : 'YYZZ';
    const credential = withLicenceIdentifier(licence.credential, formatLicenceIdentifier({ typeCode, authorityCode: '11330100DC00000024', serial: 12345 + i, version: 1 }));
    const own = statusEntry('revocation', 77_123 + i, statusUrlOf('revocation'));
    return [`${licence.label} bound copy`, boundCopyOf(credential, device.publicJwk, { iat, ownRevocation: own })];
  });
  credentials.push([
    'AgentAuthorisation (3 matters)',
    agentAuthorisation({
      uuid: '0197d5c0-1a2b-7c3d-8e4f-5a6b7c8d9e0f',
      issuer: { id: HANGZHOU.did, name: HANGZHOU.name },
      validFrom: '2026-06-01T00:00:00Z',
      validUntil: '2027-06-01T00:00:00Z',
      licence: {
        id: 'urn:uuid:0195a1b2-7c00-7d41-9a6e-3f5b2c8d1e07',
        identifier: 'YYZZ11330100DC00000024000001234501P',
        type: 'BusinessLicence',
        validUntil: '2036-03-15T00:00:00Z',
      },
      company: { name: '杭州云栖智算科技有限公司', creditCode: creditCode('91330106MA2H3K7X1') },
      agent: { name: '李四', idNumberMasked: '3301**********1234' },
      matters: ['tax-filing', 'permit-renewal', 'bank-account'],
      status: [
        statusEntry('revocation', 101_234, statusUrlOf('revocation')),
        statusEntry('revocation', 94_567, statusUrlOf('revocation')),
        statusEntry('suspension', 120_033, statusUrlOf('suspension')),
      ],
      device: device.publicJwk,
      iat,
    }),
  ]);
  const rows: LiveQrRow[] = [];
  for (const [type, credential] of credentials) {
    const jws = await signLicence(credential, testKey);
    const signature = await device.sign(new Uint8Array(44));
    const text = encodeLiveQr({ jws, slot, signature });
    rows.push({
      type,
      jwsLength: jws.length,
      qrTextLength: text.length,
      versions: versions(qrSegmentsFor(text)),
      staticVersions: versions(qrSegmentsFor(encodeLicenceQr(jws))),
      decodeOpsPerSecond: opsPerSecond(() => decodeLiveQr(text, { canonical: false }), durationMs),
    });
  }
  return rows;
}

export function formatLiveQrBench(rows: LiveQrRow[]): string {
  return [
    '| EL2 live QR | JWS length | QR text length | EL2 version L/M/Q | same JWS as EL1 L/M/Q | decode ops/s (canonical: false) |',
    '| --- | ---: | ---: | :---: | :---: | ---: |',
    ...rows.map((r) => `| ${r.type} | ${r.jwsLength} | ${r.qrTextLength} | ${fmt(r.versions)} | ${fmt(r.staticVersions)} | ${Math.round(r.decodeOpsPerSecond)} |`),
  ].join('\n');
}

const fmt = (v: Record<string, number | string>) => `${v.L}/${v.M}/${v.Q}`;

export function formatQrBench(rows: QrSizeRow[]): string {
  const lines = [
    '| type | JWS length | QR text length | mode | EL1 version L/M/Q | base45 alnum L/M/Q | raw JWS byte mode L/M/Q |',
    '| --- | ---: | ---: | --- | :---: | :---: | :---: |',
    ...rows.map((r) => `| ${r.type} | ${r.jwsLength} | ${r.qrTextLength} | ${r.mode} | ${fmt(r.versions)} | ${fmt(r.base45Versions)} | ${fmt(r.rawJwsVersions)} |`),
    '',
    '| type | encode ops/s | decode ops/s | decode ops/s (canonical: false) |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.type} | ${Math.round(r.encodeOpsPerSecond)} | ${Math.round(r.decodeOpsPerSecond)} | ${Math.round(r.decodeLenientOpsPerSecond)} |`),
  ];
  return lines.join('\n');
}

export async function main(): Promise<QrSizeRow[]> {
  const rows = await runQrBench();
  console.log(formatQrBench(rows));
  const live = await runLiveQrBench();
  console.log(`\n${formatLiveQrBench(live)}`);
  const reference = live[0]!;
  // The budget of issue 24: the reference business licence's bound copy, live, at level M.
  console.log(`\nEL2 budget: reference business licence bound copy at level M is version ${reference.versions.M} (budget 25)`);
  if (typeof reference.versions.M !== 'number' || reference.versions.M > 25) process.exitCode = 1;
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
