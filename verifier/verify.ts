/**
 * The offline verifier: `verify(input, bundle, options)` turns QR text or a compact JWS, a verifier
 * bundle and pinned anchor keys into a verdict with one entry per check. It never throws: any bad
 * input, bundle or option is itself a verdict. Pure core only, so it runs in Node, browsers and Workers.
 * Licences, bound copies (a licence bound to a holder device) and agent authorisations, each shown
 * statically or live (EL2, a proof by the device key): docs/verifier.md.
 */
import { SIGNING_ALGORITHMS } from '../src/core/algorithms.js';
import type { VerifierBundle } from '../src/core/bundle.js';
import { VC_JWT_CTY, VC_JWT_TYP } from '../src/core/credential.js';
import { formatDateTime } from '../src/core/dates.js';
import { ElicenceError } from '../src/core/errors.js';
import { type DecodedJws, decodeJws, type JwsPolicy, verifyJwsSignature } from '../src/core/jws-verify.js';
import { licenceIdentifierProblem, parseLicenceIdentifier } from '../src/core/licence-identifier.js';
import { liveSlotMidpointMs, verifyLiveProof } from '../src/core/qr/index.js';
import { reasonOfNumber, type StatusReason, SUSPENDED_REASON, UNSPECIFIED_REASON } from '../src/core/status-reasons.js';
import { positionOf } from '../src/core/status-set.js';
import { namedStatusLists, type ResolvedStatusList, resolveStatus, type StatusSources, statusSources } from '../src/core/trust/status-state.js';
import { type Acceptance, acceptTrustLists, type TrustedKey, type TrustView } from '../src/core/trust-list.js';
import { AGENT_AUTHORISATION_TYPE, oneYearAfter, parseAgentAuthorisation } from './authorisation.js';
import { authorisationDisplay, licenceDisplay } from './display.js';
import { type Presented, presentedFromInput } from './input.js';
import { type ParsedLicence, parseLicence, type StatusEntry } from './licence.js';
import { type ResolvedOptions, resolveOptions, type VerifyOptions } from './options.js';
import { bundleOf } from './parsed.js';
import {
  type AuthorisationDisplay,
  CHECK_NAMES,
  type Check,
  type CheckCode,
  type CheckName,
  type LicenceDisplay,
  type LiveProofInfo,
  type Presentation,
  type StatusListUsed,
  statusSeenKey,
  VERDICT_PRECEDENCE,
  type Verdict,
  type VerifyResult,
  verdictOf,
} from './verdict.js';

const LICENCE_POLICY: JwsPolicy = { typ: VC_JWT_TYP, cty: VC_JWT_CTY, maxLength: 64 * 1024 };

/** Collects check outcomes and the verdict each failure implies. */
class Report {
  private readonly checks = new Map<CheckName, Check>();
  private readonly implied = new Map<CheckName, Verdict>();
  licence: LicenceDisplay | undefined;
  authorisation: AuthorisationDisplay | undefined;
  presentation: Presentation = 'static';
  liveProof: LiveProofInfo | undefined;
  /** Which revocation entry was set: the licence's (a legal act with a reason) or the copy's / authorisation's own. */
  revokedOwn = false;
  /** The verification time, once the options are read. */
  now: number | undefined;
  statusAge: number | undefined;
  trustListAge: number | undefined;
  statusLists: StatusListUsed[] = [];
  trust: TrustView | undefined;
  revocationReason: StatusReason | undefined;
  statusNotSynced: 'province-only' | undefined;

  ok(name: CheckName, message: string): void {
    this.checks.set(name, { name, result: 'ok', code: 'OK', message });
  }

  skip(name: CheckName, message: string, code: CheckCode = 'SKIPPED'): void {
    this.checks.set(name, { name, result: 'skip', code, message });
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
    this.revokedOwn = other.revokedOwn;
    this.statusNotSynced = other.statusNotSynced;
  }

  result(): VerifyResult {
    const checks = CHECK_NAMES.map((name): Check => this.checks.get(name) ?? { name, result: 'skip', code: 'SKIPPED', message: 'not reached' });
    const verdict = verdictOf(checks, this.implied);
    // Which legal act ended the licence: a separate field, the verdict stays REVOKED or SUSPENDED.
    // A removed device or a revoked authorisation is no legal act on the licence: no reason then.
    const revokedReason = this.revocationReason ?? (this.revokedOwn ? undefined : UNSPECIFIED_REASON);
    const reason = verdict === 'REVOKED' ? revokedReason : verdict === 'SUSPENDED' ? SUSPENDED_REASON : undefined;
    return {
      verdict,
      ...(reason === undefined ? {} : { reason }),
      ...(this.statusNotSynced === undefined ? {} : { statusNotSynced: this.statusNotSynced }),
      checks,
      presentation: this.presentation,
      ...(this.liveProof ? { liveProof: this.liveProof } : {}),
      ...(this.licence ? { licence: this.licence } : {}),
      ...(this.authorisation ? { authorisation: this.authorisation } : {}),
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
function readLicence(report: Report, input: unknown): { decoded: DecodedJws; licence: ParsedLicence; presented: Presented } | undefined {
  if (typeof input !== 'string') {
    report.fail('format', 'ERR_INPUT', 'input must be QR text or a compact JWS string', 'INVALID');
    return undefined;
  }
  let decoded: DecodedJws;
  let presented: Presented;
  try {
    presented = presentedFromInput(input);
    decoded = decodeJws(presented.jws, LICENCE_POLICY);
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
    const type = decoded.payload.type;
    const licence = Array.isArray(type) && type[1] === AGENT_AUTHORISATION_TYPE ? parseAgentAuthorisation(decoded.payload) : parseLicence(decoded.payload);
    const what =
      licence.kind === 'boundCopy' ? `${licence.type}, bound to a device` : licence.kind === 'agentAuthorisation' ? `${licence.type} for a ${licence.trustType}` : licence.type;
    report.ok('format', `compact JWS, vc+jwt, ${what}${presented.live ? ', live (EL2)' : ''}`);
    return { decoded, licence, presented };
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

  // An agent authorisation is accepted from an issuer trusted for the licence type it names (no entry of its own).
  const acceptance = trust.accept({ issuerId: licence.issuerId, kid, issuedAt: licence.issuedAt, licenceType: licence.trustType });
  const rules = ['issuerListed', 'keyValid', 'typeAuthorised'] as const;
  const failedAt = acceptance.ok ? rules.length : rules.indexOf(acceptance.rule);
  rules.forEach((rule, i) => {
    if (i < failedAt) report.ok(rule, passMessage(rule, licence, kid));
    else if (i === failedAt && !acceptance.ok) report.fail(rule, acceptance.code, acceptance.message, 'UNTRUSTED_ISSUER');
    else report.skip(rule, 'not checked: an earlier trust rule failed');
  });
  if (acceptance.ok && licence.authorisation) checkLicenceAuthority(report, licence, acceptance);
  const list = acceptance.list;
  if (list) report.trustListAge = Math.floor((options.now - list.issuedAt) / 1000);
  const key = acceptance.ok ? acceptance.key : acceptance.authority?.keys.get(kid);
  return { acceptance, key };
}

/**
 * An agent authorisation names a licence its issuer issued: when the trust list gives the issuer's
 * credit code, the licence identifier (GB/T 36904) must be a well-formed one (shape and check
 * character: the issuer copies it from a licence it assigned it to) whose issuing-authority segment is
 * that code. A trusted authority authorising for another authority's licence (whose status it cannot
 * speak for) is INVALID, and so is one that disguises that licence's identifier (a changed check
 * character, a trailing space, lower case) so that it escapes the comparison yet reads as that licence.
 */
function checkLicenceAuthority(report: Report, licence: ParsedLicence, acceptance: Acceptance): void {
  const identifier = licence.authorisation!.licence.identifier;
  const own = acceptance.authority?.creditCode;
  if (own === undefined) return;
  const problem = licenceIdentifierProblem(identifier);
  if (problem !== undefined) {
    report.fail(
      'typeAuthorised',
      'ERR_AUTHORISATION_FOREIGN_LICENCE',
      `the licence identifier ${JSON.stringify(identifier)} is not a well-formed licence identifier (${problem}), so it cannot be shown to be one the issuer ${licence.issuerId} (${own}) assigned`,
      'INVALID',
    );
    return;
  }
  const named = parseLicenceIdentifier(identifier, 'credentialSubject.licence.identifier').authorityCode;
  if (named !== own) {
    report.fail(
      'typeAuthorised',
      'ERR_AUTHORISATION_FOREIGN_LICENCE',
      `the licence ${identifier} was issued by the authority with credit code ${named}, not by the issuer ${licence.issuerId} (${own}): it cannot authorise for it`,
      'INVALID',
    );
  }
}

function passMessage(rule: 'issuerListed' | 'keyValid' | 'typeAuthorised', licence: ParsedLicence, kid: string): string {
  if (rule === 'issuerListed') return `${licence.issuerId} is listed and active`;
  if (rule === 'keyValid') return `key ${kid} was valid when the licence was signed`;
  if (licence.kind === 'agentAuthorisation') return `${licence.trustType} is authorised for this issuer, so its agent authorisations are`;
  return `${licence.type} is authorised for this issuer`;
}

function checkValidity(report: Report, licence: ParsedLicence, options: ResolvedOptions): void {
  const skew = options.skewSeconds * 1000;
  if (options.now + skew < licence.validFrom) {
    report.fail('validityWindow', 'ERR_LICENCE_NOT_YET_VALID', `valid from ${formatDateTime(licence.validFrom)}`, 'NOT_YET_VALID');
  } else if (licence.issuedAt > options.now + skew) {
    report.fail('validityWindow', 'ERR_LICENCE_NOT_YET_VALID', `signed in the future (${formatDateTime(licence.issuedAt)})`, 'NOT_YET_VALID');
  } else if (licence.validUntil !== undefined && options.now - skew > licence.validUntil) {
    if (licence.kind === 'boundCopy') {
      report.presentation = 'bindingExpired';
      // The binding's own term (iat + 30 days) or the licence's, whichever ended first: say which.
      const binding = licence.validUntil === licence.issuedAt + BINDING_MS;
      const because = binding ? 'its device binding ended; the holder app renews it when online' : 'the licence itself expired';
      report.fail('validityWindow', binding ? 'ERR_BINDING_EXPIRED' : 'ERR_LICENCE_EXPIRED', `bound copy expired at ${formatDateTime(licence.validUntil)}: ${because}`, 'EXPIRED');
    } else {
      report.fail('validityWindow', 'ERR_LICENCE_EXPIRED', `expired at ${formatDateTime(licence.validUntil)}`, 'EXPIRED');
    }
  } else if (licence.authorisation?.licence.validUntil !== undefined && options.now - skew > licence.authorisation.licence.validUntil) {
    report.fail('validityWindow', 'ERR_LICENCE_EXPIRED', `the licence expired at ${formatDateTime(licence.authorisation.licence.validUntil)}`, 'EXPIRED');
  } else {
    report.ok('validityWindow', `${formatDateTime(licence.validFrom)} to ${licence.validUntil === undefined ? 'no expiry' : formatDateTime(licence.validUntil)}`);
  }
  if (licence.authorisation) checkAuthorisationPeriod(report, licence);
}

const BINDING_MS = 30 * 86_400_000;

/**
 * An authorisation never outlives its licence, nor one calendar year: the issuer refuses to sign one
 * (400), so one that says otherwise is forged or mis-issued, and INVALID whatever the clock says.
 */
function checkAuthorisationPeriod(report: Report, licence: ParsedLicence): void {
  const until = licence.validUntil!;
  const licenceUntil = licence.authorisation!.licence.validUntil;
  if (licenceUntil !== undefined && until > licenceUntil) {
    report.fail(
      'validityWindow',
      'ERR_AUTHORISATION_PERIOD',
      `the authorisation runs to ${formatDateTime(until)}, past its licence's validity (${formatDateTime(licenceUntil)})`,
      'INVALID',
    );
  } else if (until > oneYearAfter(licence.validFrom)) {
    report.fail(
      'validityWindow',
      'ERR_AUTHORISATION_PERIOD',
      `the authorisation runs from ${formatDateTime(licence.validFrom)} to ${formatDateTime(until)}, more than one year`,
      'INVALID',
    );
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

type EntryRole = 'licence' | 'own';

function highest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/** One status entry's outcome: its bit clear, set, or a problem (with the verdict it implies). */
type EntryOutcome =
  | { kind: 'clear'; message: string }
  | { kind: 'set'; code: CheckCode; message: string; verdict: Verdict }
  | { kind: 'problem'; code: CheckCode; message: string; verdict: Verdict };

/**
 * For a bound copy or an agent authorisation, a status list it names that does not resolve for its
 * issuer but does for another accepted authority: the credential points at someone else's list
 * (another company's licence), and is INVALID naming that list and its issuer.
 */
async function foreignIssuer(sources: StatusSources, trust: TrustView, url: string, issuerId: string): Promise<string | undefined> {
  for (const named of namedStatusLists(sources)) {
    if (named.url !== url || named.issuerId === issuerId) continue;
    const other = await resolveStatus(sources, trust, { url, issuerId: named.issuerId });
    if (other.ok) return named.issuerId;
  }
  return undefined;
}

async function checkEntry(
  report: Report,
  licence: ParsedLicence,
  entry: StatusEntry,
  role: EntryRole,
  sources: StatusSources,
  trust: TrustView,
  acceptance: Acceptance,
  options: ResolvedOptions,
  found: Array<{ list: ResolvedStatusList; purpose: 'revocation' | 'suspension' }>,
): Promise<EntryOutcome> {
  const { purpose } = entry;
  const lookup = await resolveStatus(sources, trust, { url: entry.listUrl, issuerId: licence.issuerId });
  if (!lookup.ok) {
    if (licence.kind !== 'licence') {
      const other = await foreignIssuer(sources, trust, entry.listUrl, licence.issuerId);
      if (other !== undefined) {
        return {
          kind: 'problem',
          code: 'ERR_STATUS_ISSUER_MISMATCH',
          message: `status list ${entry.listUrl} is issued by ${other}, not by the issuer ${licence.issuerId}`,
          verdict: 'INVALID',
        };
      }
    }
    const elsewhere = lookup.code === 'ERR_STATUS_LIST_MISSING' && options.provinceOnly && acceptance.list?.federation !== undefined;
    const message = elsewhere ? `not synced in province-only mode: ${licence.issuerId} is listed by ${acceptance.list!.anchorId}, not by a pinned anchor` : lookup.message;
    if (elsewhere) report.statusNotSynced = 'province-only';
    return { kind: 'problem', code: lookup.code, message, verdict: 'STATUS_UNKNOWN' };
  }
  const list = lookup.list;
  if (list.purpose !== undefined && list.purpose !== purpose) {
    return {
      kind: 'problem',
      code: 'ERR_STATUS_LIST_INVALID',
      message: `no usable ${purpose} list ${entry.listUrl}: list purpose is ${list.purpose}, not ${purpose}`,
      verdict: 'STATUS_UNKNOWN',
    };
  }
  // Remembered per issuer and URL (a bare URL key: a state from before keys had the issuer).
  const seenKey = statusSeenKey(licence.issuerId, entry.listUrl);
  const seen = highest(options.statusListsSeen[seenKey], options.statusListsSeen[entry.listUrl]);
  const seenVersion = highest(options.statusVersionsSeen[seenKey], options.statusVersionsSeen[entry.listUrl]);
  if (seen !== undefined && list.attestedAt < seen && (list.version === undefined || seenVersion === undefined)) {
    // An older copy than one already seen could hide a revocation made since: never use it. A list
    // whose version the device has seen is guarded by its version instead (below): the same version
    // is the same bits, however old the statement of it the device now holds (its age is judged by
    // the freshness check), and a device keeps only the statements it needs.
    return {
      kind: 'problem',
      code: 'ERR_STATUS_LIST_REPLAYED',
      message: `the ${purpose} list is older (${formatDateTime(list.attestedAt)}) than one already seen (${formatDateTime(seen)})`,
      verdict: 'STATUS_UNKNOWN',
    };
  }
  if (seenVersion !== undefined && (list.version === undefined || list.version < seenVersion)) {
    // A replayed patch or copy cannot move a list back (a reinstated licence stays reinstated).
    return {
      kind: 'problem',
      code: 'ERR_STATUS_LIST_REPLAYED',
      message: `the ${purpose} list is version ${list.version ?? 'unknown'}, below version ${seenVersion} already seen`,
      verdict: 'STATUS_UNKNOWN',
    };
  }
  if (!report.statusLists.some((used) => used.url === entry.listUrl)) {
    report.statusLists.push({
      url: entry.listUrl,
      issuerId: licence.issuerId,
      seenKey,
      purpose,
      issuedAt: list.attestedAt,
      ...(list.version === undefined ? {} : { version: list.version }),
    });
    found.push({ list, purpose });
  }
  if (entry.index >= list.size) {
    return { kind: 'problem', code: 'ERR_STATUS_INDEX_OUT_OF_RANGE', message: `index ${entry.index} is beyond the list's ${list.size} entries`, verdict: 'STATUS_UNKNOWN' };
  }
  const whose =
    role === 'own' ? (licence.kind === 'agentAuthorisation' ? "the authorisation's own " : "the bound copy's own ") : licence.kind === 'licence' ? '' : "the licence's ";
  if (positionOf(list, entry.index) < 0) return { kind: 'clear', message: `${whose}bit ${entry.index} is clear` };
  if (purpose === 'suspension') return { kind: 'set', code: 'ERR_LICENCE_SUSPENDED', message: `${whose}suspension bit ${entry.index} is set`, verdict: 'SUSPENDED' };
  if (role === 'own') {
    report.revokedOwn = true;
    const agent = licence.kind === 'agentAuthorisation';
    const what = agent ? 'the authorisation was revoked' : 'its device was removed';
    return { kind: 'set', code: agent ? 'ERR_AUTHORISATION_REVOKED' : 'ERR_DEVICE_REMOVED', message: `${whose}revocation bit ${entry.index} is set: ${what}`, verdict: 'REVOKED' };
  }
  report.revocationReason = revocationReason(list, positionOf(list, entry.index));
  return { kind: 'set', code: 'ERR_LICENCE_REVOKED', message: `${whose}revocation bit ${entry.index} is set (reason: ${report.revocationReason})`, verdict: 'REVOKED' };
}

/**
 * Revocation and suspension: every entry the credential carries (a licence's two; a bound copy's or an
 * authorisation's own revocation entry too). ANY set revocation bit revokes (a set suspension bit
 * suspends); the check reports the most severe outcome among its entries.
 */
async function checkStatus(report: Report, licence: ParsedLicence, bundle: VerifierBundle, trust: TrustView, acceptance: Acceptance, options: ResolvedOptions): Promise<void> {
  const found: Array<{ list: ResolvedStatusList; purpose: 'revocation' | 'suspension' }> = [];
  const sources = statusSources(bundle);
  const entries: Array<{ entry: StatusEntry; role: EntryRole }> = [
    ...(licence.kind === 'agentAuthorisation' && licence.ownRevocation ? [{ entry: licence.ownRevocation, role: 'own' as const }] : []),
    { entry: licence.status.revocation, role: 'licence' },
    { entry: licence.status.suspension, role: 'licence' },
    ...(licence.kind === 'boundCopy' && licence.ownRevocation ? [{ entry: licence.ownRevocation, role: 'own' as const }] : []),
  ];
  for (const purpose of ['revocation', 'suspension'] as const) {
    const outcomes: EntryOutcome[] = [];
    for (const { entry, role } of entries) {
      if (entry.purpose === purpose) outcomes.push(await checkEntry(report, licence, entry, role, sources, trust, acceptance, options, found));
    }
    const failures = outcomes.filter((o): o is Exclude<EntryOutcome, { kind: 'clear' }> => o.kind !== 'clear');
    // The most severe failure decides (a foreign list beats a set bit beats missing data).
    const rank = (o: Exclude<EntryOutcome, { kind: 'clear' }>) => VERDICT_PRECEDENCE.indexOf(o.verdict);
    const worst = failures.sort((a, b) => rank(a) - rank(b))[0];
    if (worst) report.fail(purpose, worst.code, failures.map((f) => f.message).join('; '), worst.verdict);
    else report.ok(purpose, outcomes.map((o) => o.message).join('; '));
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

/**
 * How the credential was shown. A proof (EL2) is checked with the credential's cnf key only (ES256 on
 * P-256, pinned); it counts as live when its slot's middle is within `liveWindowSeconds` of this
 * verifier's clock. A proof that does not verify is INVALID; an agent authorisation is accepted only
 * live. The issuer's signature is checked elsewhere: nothing here is shown unless that holds.
 */
async function checkPresentation(report: Report, licence: ParsedLicence, presented: Presented, options: ResolvedOptions): Promise<void> {
  const agent = licence.kind === 'agentAuthorisation';
  const notLive = (message: string, code: CheckCode = 'SKIPPED') => {
    if (agent) report.fail('presentation', 'ERR_PRESENTATION_NOT_LIVE', `${message}: an agent authorisation is accepted only when shown live from the agent's device`, 'INVALID');
    else report.skip('presentation', message, code);
  };
  const live = presented.live;
  if (live === undefined) {
    notLive(licence.cnf ? 'static: a bound credential shown without a live proof (a copy of its QR or JWS)' : 'static: nothing proves who shows it');
    return;
  }
  if (licence.cnf === undefined) {
    report.presentation = 'proofFailed';
    report.fail('presentation', 'ERR_PROOF_INVALID', 'a live proof on a credential that is bound to no device key (no cnf)', 'INVALID');
    return;
  }
  const shownAt = liveSlotMidpointMs(live.slot);
  const differenceMs = options.now - shownAt;
  const difference = Math.round(differenceMs / 1000);
  report.liveProof = { slot: live.slot, shownAt: formatDateTime(shownAt), differenceSeconds: difference, windowSeconds: options.liveWindowSeconds };
  if (!(await verifyLiveProof(presented.jws, live.slot, live.signature, licence.cnf))) {
    report.presentation = 'proofFailed';
    report.fail(
      'presentation',
      'ERR_PROOF_INVALID',
      "the live proof does not verify with the credential's device key (another device, another credential or a changed slot)",
      'INVALID',
    );
    return;
  }
  if (Math.abs(differenceMs) > options.liveWindowSeconds * 1000) {
    const when = difference > 0 ? `${difference} s ago` : `${-difference} s in the future`;
    notLive(`static: a valid proof from ${when}, outside the ${options.liveWindowSeconds} s window (a screenshot or a proof made in advance)`, 'ERR_PROOF_OUTSIDE_WINDOW');
    return;
  }
  if (report.presentation !== 'bindingExpired') report.presentation = 'live';
  report.ok(
    'presentation',
    `live: shown from the device holding the bound key ${Math.abs(difference)} s ${difference >= 0 ? 'ago' : 'ahead'} (window ${options.liveWindowSeconds} s)`,
  );
}

/**
 * The newest signed time among the genuine pieces (every trust list a pinned or vouched-for anchor key
 * signed, even one this clock refuses as not yet valid, and the status lists used): a verifier clock
 * earlier than that is provably behind.
 */
function noteClock(report: Report): void {
  if (!report.liveProof || report.now === undefined) return;
  const signedLists = (report.trust?.pieces ?? []).flatMap((piece) => (piece.status !== 'refused' ? [piece.list] : piece.genuine && piece.list ? [piece.list] : []));
  const times = [...signedLists.map((l) => l.issuedAt), ...report.statusLists.map((l) => l.issuedAt)];
  const newest = Math.max(...times, Number.NEGATIVE_INFINITY);
  if (report.now < newest) report.liveProof.clockBehind = { newestSignedAt: formatDateTime(newest) };
}

async function run(report: Report, input: unknown, bundleInput: unknown, rawOptions: VerifyOptions): Promise<void> {
  let options: ResolvedOptions;
  try {
    options = resolveOptions(rawOptions);
  } catch (error) {
    report.fail('format', 'ERR_INPUT', `bad options: ${messageOf(error)}`, 'INVALID');
    return;
  }
  report.now = options.now;
  const read = readLicence(report, input);
  if (!read) return;
  const { decoded, licence, presented } = read;
  checkValidity(report, licence, options);
  await checkPresentation(report, licence, presented, options);

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
  const status = new Report();
  if (trust.acceptance.ok) await checkStatus(status, licence, bundle.value, report.trust!, trust.acceptance, options);
  const signatureError = await signature;
  if (signatureError !== undefined) {
    report.fail('signature', codeOf(signatureError), messageOf(signatureError), 'INVALID');
    return;
  }
  report.ok('signature', `verified with ${decoded.header.kid}`);
  if (licence.authorisation) report.authorisation = authorisationDisplay(licence, trust.acceptance.authority);
  else report.licence = licenceDisplay(licence, trust.acceptance.authority);
  if (trust.acceptance.ok) report.adopt(status, ['revocation', 'suspension', 'statusFreshness']);
}

/**
 * Verifies a licence, a bound copy or an agent authorisation offline. `input`: QR text (`EL1:`, or
 * `EL2:` for a live presentation), a compact JWS or
 * `data:application/vc+jwt,<jws>`; `bundle`: a verifier bundle (object, JSON text or bytes);
 * `options`: pinned anchors, clock and policy. Never throws.
 */
export async function verify(input: unknown, bundle: unknown, options: VerifyOptions): Promise<VerifyResult> {
  const report = new Report();
  try {
    await run(report, input, bundle, options);
    noteClock(report);
  } catch (error) {
    report.fail('format', 'ERR_INTERNAL', `unexpected failure: ${messageOf(error)}`, 'INVALID');
  }
  return report.result();
}
