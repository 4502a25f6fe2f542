/**
 * Human output of `verify`: the verdict as a banner, the reason in plain words (with the failing
 * checks' codes for the record), the licence's display fields with bilingual labels, every check,
 * and how fresh the trust and status data are, worded as the web app words them (verifier/messages.ts).
 * Only signed data is shown: the library leaves `licence` out unless the signature verified with a
 * listed issuer key.
 */

import {
  type AuthorisationDisplay,
  ageText,
  durationText,
  type LicenceDisplay,
  MESSAGES,
  type Messages,
  reasonOf,
  type Verdict,
  type VerifyResult,
} from '../../../verifier/index.js';
import { parseDateTimeMs } from '../../core/dates.js';
import { CLI_TEXTS, type Lang } from './locale.js';

export interface HumanContext {
  lang: Lang;
  colour: boolean;
  now: number;
  maxStatusAgeSeconds: number;
  source: string;
  bundleGeneratedAt?: string;
}

const COLOURS: Record<Verdict, string> = {
  VALID: '32',
  REVOKED: '31',
  SUSPENDED: '31',
  EXPIRED: '31',
  NOT_YET_VALID: '33',
  UNTRUSTED_ISSUER: '31',
  INVALID: '31',
  STATUS_UNKNOWN: '33',
};

const MARK = { ok: '✔', fail: '✘', skip: '·' } as const;

/** Terminal columns: CJK and full-width characters take two. */
function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += char.codePointAt(0)! >= 0x2e80 ? 2 : 1;
  return width;
}

/**
 * Characters that change how a terminal lays out or reads what follows: C0 and C1 controls (ESC starts
 * cursor moves, screen clears, colours, hyperlinks; CR and LF start lines), the bidi controls and the
 * line and paragraph separators. Signed text (a company's or an agent's name, any subject field) is
 * written by an issuing clerk or a holder: shown as \u{..} escapes, it can neither forge nor hide the
 * verdict banner.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const LAYOUT_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/** One output line with every layout control shown as an escape. */
const visible = (line: string) => line.replace(LAYOUT_CONTROLS, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);

const padTo = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - displayWidth(text)));

function bilingual(label: { zh: string; en: string }, lang: Lang): string {
  if (label.zh === label.en) return label.zh;
  return lang === 'zh' ? `${label.zh} (${label.en})` : `${label.en} (${label.zh})`;
}

function value(v: unknown, lang: Lang): string {
  if (Array.isArray(v)) return v.map((item) => value(item, lang)).join(lang === 'zh' ? '、' : '; ');
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Seconds from a dateTime the verifier produced to `now`, as "3 h ago". */
const ageOf = (text: string, now: number, lang: Lang) => ageText((now - (parseDateTimeMs(text) ?? Number.NaN)) / 1000, lang);

function licenceLines(licence: LicenceDisplay, lang: Lang): string[] {
  const both = (key: keyof Messages['field']) => bilingual({ zh: MESSAGES.zh.field[key], en: MESSAGES.en.field[key] }, lang);
  const issuerName = licence.issuer.listedName ? bilingual(licence.issuer.listedName, lang) : licence.issuer.name;
  const lines = [
    `${both('type')}: ${bilingual(licence.type.name, lang)} [${licence.type.code}]${licence.bound ? ` — ${MESSAGES[lang].boundCopy}` : ''}`,
    ...(licence.holder === undefined ? [] : [`${both('holder')}: ${licence.holder}`]),
    ...(licence.identifier === undefined
      ? []
      : [`${both('identifier')}: ${licence.identifier.value}${licence.identifier.flag === undefined ? '' : `  ⚠ ${MESSAGES[lang].identifierFlag[licence.identifier.flag]}`}`]),
    `${both('validity')}: ${licence.firstDay} – ${licence.lastDay ?? (lang === 'zh' ? '长期' : 'no expiry (long-term)')}`,
    `${both('issuer')}: ${issuerName}${licence.issuer.jurisdiction ? ` [${licence.issuer.jurisdiction}]` : ''}`,
    `    ${licence.issuer.id}`,
    `${both('issuedAt')}: ${licence.issuedAt}`,
    `${both('id')}: ${licence.id}`,
    ...(licence.supersedes === undefined ? [] : [`${both('supersedes')}: ${licence.supersedes}`]),
    '',
    ...licence.fields.map((f) => `${bilingual(f.label, lang)}: ${value(f.value, lang)}`),
  ];
  return lines.map((line) => (line === '' ? '' : `  ${line}`));
}

function authorisationLines(a: AuthorisationDisplay, lang: Lang): string[] {
  const both = (key: keyof Messages['authorisation']) => bilingual({ zh: MESSAGES.zh.authorisation[key], en: MESSAGES.en.authorisation[key] }, lang);
  const field = (key: keyof Messages['field']) => bilingual({ zh: MESSAGES.zh.field[key], en: MESSAGES.en.field[key] }, lang);
  const words = MESSAGES[lang].authorisation;
  const issuerName = a.issuer.listedName ? bilingual(a.issuer.listedName, lang) : a.issuer.name;
  const lines = [
    `${both('company')}: ${a.company.name}`,
    `${field('creditCode')}: ${a.company.creditCode}`,
    `${both('licence')}: ${bilingual(a.licence.type.name, lang)} [${a.licence.type.code}] ${a.licence.identifier}${a.licence.lastDay === undefined ? '' : ` (– ${a.licence.lastDay})`}`,
    `${both('agent')}: ${a.agent.name}`,
    `${both('idNumber')}: ${a.agent.idNumberMasked}`,
    `${both('matters')}: ${a.matters === 'all' ? words.allMatters : a.matters.join(lang === 'zh' ? '、' : ', ')}`,
    `${both('period')}: ${a.period.firstDay} – ${a.period.lastDay}`,
    `${field('issuer')}: ${issuerName}${a.issuer.jurisdiction ? ` [${a.issuer.jurisdiction}]` : ''}`,
    `    ${a.issuer.id}`,
    `${field('issuedAt')}: ${a.issuedAt}`,
    `${field('id')}: ${a.id}`,
  ];
  return lines.map((line) => `  ${line}`);
}

/** How it was shown, the proof's time against this clock, and this clock's fault only when provable. */
function presentationLines(result: VerifyResult, lang: Lang): string[] {
  const m = MESSAGES[lang];
  const shown = m.presentation[result.presentation];
  const out = [`${m.check.presentation}: ${shown.title} (${result.presentation}) — ${shown.detail}`];
  const proof = result.liveProof;
  if (proof) {
    out.push(`  ${m.liveProof.shown(ageText(proof.differenceSeconds, lang), `${proof.windowSeconds} ${MESSAGES[lang].freshness.units.s}`)}, ${proof.shownAt}`);
    if (proof.clockBehind) out.push(`  ⚠ ${m.liveProof.clockBehind(proof.clockBehind.newestSignedAt)}`);
  }
  return out;
}

export function formatHuman(result: VerifyResult, context: HumanContext): string {
  const { lang } = context;
  const m = MESSAGES[lang];
  const t = CLI_TEXTS[lang];
  const verdict = m.verdict[result.verdict];
  const mark = result.verdict === 'VALID' ? '✔' : result.verdict === 'STATUS_UNKNOWN' ? '?' : '✘';
  const title = lang === 'zh' ? `${mark} ${verdict.title}  ${result.verdict}` : `${mark} ${verdict.title}`;
  const rule = '═'.repeat(48);
  const banner = `  ${title}`;
  const legalAct = result.reason === undefined ? [] : [`  ${m.reason[result.reason].title} (${result.reason})`];
  const out: string[] = [rule, banner, ...legalAct, rule, `${t.heading.reason}: ${reasonOf(result, lang)}`];
  for (const check of result.checks.filter((c) => c.result === 'fail')) {
    out.push(`  ${MARK.fail} ${m.check[check.name]}: ${check.code} ${check.message}`);
  }
  out.push(...presentationLines(result, lang), '');

  if (result.authorisation) out.push(MESSAGES[lang].authorisation.heading, ...authorisationLines(result.authorisation, lang), '');
  if (result.licence) out.push(`${bilingual({ zh: CLI_TEXTS.zh.heading.licence, en: CLI_TEXTS.en.heading.licence }, lang)}`, ...licenceLines(result.licence, lang), '');

  out.push(t.heading.checks);
  const width = Math.max(...result.checks.map((c) => displayWidth(m.check[c.name])));
  for (const check of result.checks) {
    const name = padTo(m.check[check.name], width + 1);
    out.push(`  ${MARK[check.result]} ${name} ${m.result[check.result]}${check.result === 'ok' || check.result === 'skip' ? `  ${check.message}` : `  ${check.code}`}`);
  }
  out.push('');

  out.push(t.heading.freshness);
  if (result.trustLists.length === 0) out.push(`  ${t.fresh.noTrustList}`);
  for (const list of result.trustLists) {
    const age = ageOf(list.issuedAt, context.now, lang);
    out.push(`  ${t.fresh.trustList(list.anchorId, list.sequence, age, list.expiresAt, list.inGrace)}`);
  }
  out.push(`  ${result.statusAge === undefined ? t.fresh.noStatus : t.fresh.status(ageText(result.statusAge, lang), durationText(context.maxStatusAgeSeconds, lang))}`);
  if (context.bundleGeneratedAt) {
    out.push(`  ${t.fresh.bundle(context.bundleGeneratedAt, ageOf(context.bundleGeneratedAt, context.now, lang))}`);
  }
  out.push(`${t.heading.source}: ${context.source}`);
  // Every line made inert (data never makes a line of its own), then the banner coloured: the only escape written.
  const lines = out.map(visible);
  if (context.colour) lines[1] = `\u001b[1;${COLOURS[result.verdict]}m${banner}\u001b[0m`;
  return `${lines.join('\n')}\n`;
}
