/**
 * The offline verifier: `verify(input, bundle, options)` turns QR text or a compact JWS, a verifier
 * bundle and pinned anchor keys into a verdict with one entry per check. It never throws: any bad
 * input, bundle or option is itself a verdict. Pure core only, so it runs in Node, browsers and Workers.
 */
import { SIGNING_ALGORITHMS } from '../src/core/algorithms.js';
import type { VerifierBundle } from '../src/core/bundle.js';
import { VC_JWT_CTY, VC_JWT_TYP } from '../src/core/credential.js';
import { formatDateTime } from '../src/core/dates.js';
import { ElicenceError } from '../src/core/errors.js';
import { type DecodedJws, decodeJws, type JwsPolicy, verifyJwsSignature } from '../src/core/jws-verify.js';
import { reasonOfNumber, type StatusReason, SUSPENDED_REASON, UNSPECIFIED_REASON } from '../src/core/status-reasons.js';
import { positionOf } from '../src/core/status-set.js';
import { type ResolvedStatusList, resolveStatus, statusSources } from '../src/core/trust/status-state.js';
import { type Acceptance, acceptTrustLists, type TrustedKey, type TrustView } from '../src/core/trust-list.js';
import { licenceDisplay } from './display.js';
import { jwsFromInput } from './input.js';
import { type ParsedLicence, parseLicence } from './licence.js';
import { type ResolvedOptions, resolveOptions, type VerifyOptions } from './options.js';
import { bundleOf } from './parsed.js';
import { CHECK_NAMES, type Check, type CheckCode, type CheckName, type LicenceDisplay, type StatusListUsed, type Verdict, type VerifyResult, verdictOf } from './verdict.js';

const LICENCE_POLICY: JwsPolicy = { typ: VC_JWT_TYP, cty: VC_JWT_CTY, maxLength: 64 * 1024 };

/** Collects check outcomes and the verdict each failure implies. */
class Report {
  private readonly checks = new Map<CheckName, Check>();
  private readonly implied = new Map<CheckName, Verdict>();
  licence: LicenceDisplay | undefined;
  statusAge: number | undefined;
  trustListAge: number | undefined;
  statusLists: StatusListUsed[] = [];
  trust: TrustView | undefined;
  revocationReason: StatusReason | undefined;
  statusNotSynced: 'province-only' | undefined;

  ok(name: CheckName, message: string): void {
    this.checks.set(name, { name, result: 'ok', code: 'OK', message });
  }

  skip(name: CheckName, message: string): void {
    this.checks.set(name, { name, result: 'skip', code: 'SKIPPED', message });
  }

  fail(name: CheckName, code: CheckCode, message: string, verdict: Verdict): void {
    this.checks.set(name, { name, result: 'fail', code, message });
    this.implied.set(name, verdict);
  }

  /** Takes over the named checks (and their verdicts, ages) from a report built on the side. */
  adopt(other: Report, names: readonly CheckName[]): void {
    for (const name of names) {
      const check = other.checks.get(name);
      if (check) this.checks.set(name, check);
      const verdict = other.implied.get(name);
      if (verdict !== undefined) this.implied.set(name, verdict);
    }
    this.statusAge = other.statusAge;
    this.statusLists = other.statusLists;
    this.revocationReason = other.revocationReason;
    this.statusNotSynced = other.statusNotSynced;
  }

  result(): VerifyResult {
    const checks = CHECK_NAMES.map((name): Check => this.checks.get(name) ?? { name, result: 'skip', code: 'SKIPPED', message: 'not reached' });
    const verdict = verdictOf(checks, this.implied);
    // Which legal act ended the licence: a separate field, the verdict stays REVOKED or SUSPENDED.
    const reason = verdict === 'REVOKED' ? (this.revocationReason ?? UNSPECIFIED_REASON) : verdict === 'SUSPENDED' ? SUSPENDED_REASON : undefined;
    return {
      verdict,
      ...(reason === undefined ? {} : { reason }),
      ...(this.statusNotSynced === undefined ? {} : { statusNotSynced: this.statusNotSynced }),
      checks,
      ...(this.licence ? { licence: this.licence } : {}),
      ...(this.statusAge === undefined ? {} : { statusAge: this.statusAge }),
      ...(this.trustListAge === undefined ? {} : { trustListAge: this.trustListAge }),
      trustLists: (this.trust?.lists ?? []).map((l) => ({
        anchorId: l.anchorId,
        sequence: l.sequence,
        issuedAt: l.payload.issuedAt,
        expiresAt: l.payload.expiresAt,
        inGrace: l.inGrace,
        ...(l.federation ? { vouchedBy: l.federation.vouchedBy } : {}),
      })),
      statusLists: this.statusLists,
      anchorBindings: this.trust?.anchorBindings ?? {},
    };
  }
}

function codeOf(error: unknown): CheckCode {
  return error instanceof ElicenceError ? error.code : 'ERR_INTERNAL';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Format and algorithm: strict JWS parsing, then the licence's shape. */
function readLicence(report: Report, input: unknown): { decoded: DecodedJws; licence: ParsedLicence } | undefined {
  if (typeof input !== 'string') {
    report.fail('format', 'ERR_INPUT', 'input must be QR text or a compact JWS string', 'INVALID');
    return undefined;
  }
  let decoded: DecodedJws;
  try {
    decoded = decodeJws(jwsFromInput(input), LICENCE_POLICY);
  } catch (error) {
    if (codeOf(error) === 'ERR_JWS_ALGORITHM') {
      report.skip('format', 'payload not read: the algorithm is refused');
      report.fail('algorithm', 'ERR_JWS_ALGORITHM', messageOf(error), 'INVALID');
    } else {
      report.fail('format', codeOf(error), messageOf(error), 'INVALID');
    }
    return undefined;
  }
  report.ok('algorithm', `${decoded.header.alg} (allowed: ${SIGNING_ALGORITHMS.join(', ')})`);
  try {
    const licence = parseLicence(decoded.payload);
    report.ok('format', `compact JWS, vc+jwt, ${licence.type}`);
    return { decoded, licence };
  } catch (error) {
    report.fail('format', codeOf(error), messageOf(error), 'INVALID');
    return undefined;
  }
}

/** Trust list, issuer listed, key valid, type authorised; returns the acceptance and key to verify with. */
async function checkTrust(
  report: Report,
  licence: ParsedLicence,
  kid: string,
  bundle: VerifierBundle,
  options: ResolvedOptions,
): Promise<{ acceptance: Acceptance; key: TrustedKey | undefined } | undefined> {
  const trust = await acceptTrustLists(bundle.trustLists, {
    anchors: options.anchors,
    now: options.now,
    graceSeconds: options.graceSeconds,
    skewSeconds: options.skewSeconds,
    minSequences: options.minSequences,
    anchorBindings: options.anchorBindings,
  });
  report.trust = trust;
  const refused = trust.problems.map((p) => `${p.code}: ${p.message}`).join('; ');
  if (trust.lists.length === 0) {
    const first = trust.problems[0];
    report.fail('trustList', first?.code ?? 'ERR_NO_TRUST_LIST', first ? refused : 'the bundle holds no trust list', 'UNTRUSTED_ISSUER');
    return undefined;
  }
  const names = trust.lists.map((l) => `${l.anchorId} #${l.sequence}${l.inGrace ? ' (expired, in grace period)' : ''}${l.federation ? ` via ${l.federation.vouchedBy}` : ''}`);
  const notes = trust.notes.length > 0 ? `; ${trust.notes.join('; ')}` : '';
  report.ok('trustList', `accepted ${names.join(', ')}${refused ? `; refused ${refused}` : ''}${notes}`);

  const acceptance = trust.accept({ issuerId: licence.issuerId, kid, issuedAt: licence.issuedAt, licenceType: licence.type });
  const rules = ['issuerListed', 'keyValid', 'typeAuthorised'] as const;
  const failedAt = acceptance.ok ? rules.length : rules.indexOf(acceptance.rule);
  rules.forEach((rule, i) => {
    if (i < failedAt) report.ok(rule, passMessage(rule, licence, kid));
    else if (i === failedAt && !acceptance.ok) report.fail(rule, acceptance.code, acceptance.message, 'UNTRUSTED_ISSUER');
    else report.skip(rule, 'not checked: an earlier trust rule failed');
  });
  const list = acceptance.list;
  if (list) report.trustListAge = Math.floor((options.now - list.issuedAt) / 1000);
  const key = acceptance.ok ? acceptance.key : acceptance.authority?.keys.get(kid);
  return { acceptance, key };
}

function passMessage(rule: 'issuerListed' | 'keyValid' | 'typeAuthorised', licence: ParsedLicence, kid: string): string {
  if (rule === 'issuerListed') return `${licence.issuerId} is listed and active`;
  if (rule === 'keyValid') return `key ${kid} was valid when the licence was signed`;
  return `${licence.type} is authorised for this issuer`;
}

function checkValidity(report: Report, licence: ParsedLicence, options: ResolvedOptions): void {
  const skew = options.skewSeconds * 1000;
  if (options.now + skew < licence.validFrom) {
    report.fail('validityWindow', 'ERR_LICENCE_NOT_YET_VALID', `valid from ${formatDateTime(licence.validFrom)}`, 'NOT_YET_VALID');
  } else if (licence.issuedAt > options.now + skew) {
    report.fail('validityWindow', 'ERR_LICENCE_NOT_YET_VALID', `signed in the future (${formatDateTime(licence.issuedAt)})`, 'NOT_YET_VALID');
  } else if (licence.validUntil !== undefined && options.now - skew > licence.validUntil) {
    report.fail('validityWindow', 'ERR_LICENCE_EXPIRED', `expired at ${formatDateTime(licence.validUntil)}`, 'EXPIRED');
  } else {
    report.ok('validityWindow', `${formatDateTime(licence.validFrom)} to ${licence.validUntil === undefined ? 'no expiry' : formatDateTime(licence.validUntil)}`);
  }
}

/**
 * Which legal act a set revocation bit is, from the issuer's signed reasons for exactly this copy of the
 * list (its reasons document, or the reasons its patches and copy carry under their digests;
 * docs/trust-list.md, "Status reasons"); `unspecified` when there are none. Never another verdict.
 */
function revocationReason(list: ResolvedStatusList, position: number): StatusReason {
  const code = list.reasons?.[position];
  return code === undefined ? UNSPECIFIED_REASON : reasonOfNumber(code);
}

async function checkStatus(report: Report, licence: ParsedLicence, bundle: VerifierBundle, trust: TrustView, acceptance: Acceptance, options: ResolvedOptions): Promise<void> {
  const found: Array<{ list: ResolvedStatusList; purpose: 'revocation' | 'suspension' }> = [];
  const sources = statusSources(bundle);
  for (const purpose of ['revocation', 'suspension'] as const) {
    const entry = licence.status[purpose];
    const lookup = await resolveStatus(sources, trust, { url: entry.listUrl, issuerId: licence.issuerId });
    if (!lookup.ok) {
      const elsewhere = lookup.code === 'ERR_STATUS_LIST_MISSING' && options.provinceOnly && acceptance.list?.federation !== undefined;
      const message = elsewhere ? `not synced in province-only mode: ${licence.issuerId} is listed by ${acceptance.list!.anchorId}, not by a pinned anchor` : lookup.message;
      if (elsewhere) report.statusNotSynced = 'province-only';
      report.fail(purpose, lookup.code, message, 'STATUS_UNKNOWN');
      continue;
    }
    const list = lookup.list;
    if (list.purpose !== undefined && list.purpose !== purpose) {
      report.fail(purpose, 'ERR_STATUS_LIST_INVALID', `no usable ${purpose} list ${entry.listUrl}: list purpose is ${list.purpose}, not ${purpose}`, 'STATUS_UNKNOWN');
      continue;
    }
    const seen = options.statusListsSeen[entry.listUrl];
    const seenVersion = options.statusVersionsSeen[entry.listUrl];
    if (seen !== undefined && list.attestedAt < seen && (list.version === undefined || seenVersion === undefined)) {
      // An older copy than one already seen could hide a revocation made since: never use it. A list
      // whose version the device has seen is guarded by its version instead (below): the same version
      // is the same bits, however old the statement of it the device now holds (its age is judged by
      // the freshness check), and a device keeps only the statements it needs.
      report.fail(
        purpose,
        'ERR_STATUS_LIST_REPLAYED',
        `the ${purpose} list is older (${formatDateTime(list.attestedAt)}) than one already seen (${formatDateTime(seen)})`,
        'STATUS_UNKNOWN',
      );
      continue;
    }
    if (seenVersion !== undefined && (list.version === undefined || list.version < seenVersion)) {
      // A replayed patch or copy cannot move a list back (a reinstated licence stays reinstated).
      report.fail(purpose, 'ERR_STATUS_LIST_REPLAYED', `the ${purpose} list is version ${list.version ?? 'unknown'}, below version ${seenVersion} already seen`, 'STATUS_UNKNOWN');
      continue;
    }
    report.statusLists.push({ url: entry.listUrl, purpose, issuedAt: list.attestedAt, ...(list.version === undefined ? {} : { version: list.version }) });
    found.push({ list, purpose });
    const position = entry.index < list.size ? positionOf(list, entry.index) : -1;
    if (entry.index >= list.size) {
      report.fail(purpose, 'ERR_STATUS_INDEX_OUT_OF_RANGE', `index ${entry.index} is beyond the list's ${list.size} entries`, 'STATUS_UNKNOWN');
    } else if (position >= 0) {
      const revoked = purpose === 'revocation';
      if (revoked) report.revocationReason = revocationReason(list, position);
      const because = revoked ? ` (reason: ${report.revocationReason})` : '';
      report.fail(purpose, revoked ? 'ERR_LICENCE_REVOKED' : 'ERR_LICENCE_SUSPENDED', `${purpose} bit ${entry.index} is set${because}`, revoked ? 'REVOKED' : 'SUSPENDED');
    } else {
      report.ok(purpose, `bit ${entry.index} is clear`);
    }
  }
  if (found.length === 0) {
    report.skip('statusFreshness', 'no status list to judge');
    return;
  }
  const skew = options.skewSeconds * 1000;
  const maxAge = options.maxStatusAgeSeconds * 1000;
  const problems: string[] = [];
  let oldest = 0;
  for (const { list, purpose } of found) {
    const age = options.now - list.attestedAt;
    oldest = Math.max(oldest, age);
    if (age > maxAge) problems.push(`${purpose} list is ${Math.floor(age / 1000)} s old (limit ${options.maxStatusAgeSeconds} s)`);
    else if (list.validUntil !== undefined && options.now > list.validUntil + skew) problems.push(`${purpose} list expired at ${formatDateTime(list.validUntil)}`);
    else if (age < -skew) problems.push(`${purpose} list is signed in the future`);
  }
  report.statusAge = Math.max(0, Math.floor(oldest / 1000));
  if (problems.length > 0) report.fail('statusFreshness', 'ERR_STATUS_LIST_STALE', problems.join('; '), 'STATUS_UNKNOWN');
  else if (found.length < 2) report.skip('statusFreshness', 'only one status list available');
  else report.ok('statusFreshness', `status lists are ${report.statusAge} s old (limit ${options.maxStatusAgeSeconds} s)`);
}

async function run(report: Report, input: unknown, bundleInput: unknown, rawOptions: VerifyOptions): Promise<void> {
  let options: ResolvedOptions;
  try {
    options = resolveOptions(rawOptions);
  } catch (error) {
    report.fail('format', 'ERR_INPUT', `bad options: ${messageOf(error)}`, 'INVALID');
    return;
  }
  const read = readLicence(report, input);
  if (!read) return;
  const { decoded, licence } = read;
  checkValidity(report, licence, options);

  const bundle = bundleOf(bundleInput);
  if (!bundle.ok) {
    report.fail('trustList', codeOf(bundle.error), messageOf(bundle.error), 'UNTRUSTED_ISSUER');
    report.skip('signature', 'no trusted key to check against');
    return;
  }
  const trust = await checkTrust(report, licence, decoded.header.kid, bundle.value, options);
  if (!trust?.key) {
    report.skip('signature', 'no trusted key to check against');
    return;
  }
  // Start the signature check (it runs on WebCrypto's worker threads) and do the rest meanwhile;
  // nothing below is reported unless the signature holds.
  const signature = verifyJwsSignature(decoded, trust.key.jwk).then(
    () => undefined,
    (error: unknown) => error,
  );
  const display = licenceDisplay(licence, trust.acceptance.authority);
  const status = new Report();
  if (trust.acceptance.ok) await checkStatus(status, licence, bundle.value, report.trust!, trust.acceptance, options);
  const signatureError = await signature;
  if (signatureError !== undefined) {
    report.fail('signature', codeOf(signatureError), messageOf(signatureError), 'INVALID');
    return;
  }
  report.ok('signature', `verified with ${decoded.header.kid}`);
  report.licence = display;
  if (trust.acceptance.ok) report.adopt(status, ['revocation', 'suspension', 'statusFreshness']);
}

/**
 * Verifies a licence offline. `input`: QR text (`EL1:` prefix), a compact JWS or
 * `data:application/vc+jwt,<jws>`; `bundle`: a verifier bundle (object, JSON text or bytes);
 * `options`: pinned anchors, clock and policy. Never throws.
 */
export async function verify(input: unknown, bundle: unknown, options: VerifyOptions): Promise<VerifyResult> {
  const report = new Report();
  try {
    await run(report, input, bundle, options);
  } catch (error) {
    report.fail('format', 'ERR_INTERNAL', `unexpected failure: ${messageOf(error)}`, 'INVALID');
  }
  return report.result();
}
