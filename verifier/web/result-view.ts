/**
 * The answer screen: the verdict in large type on its colour (green / red / amber), the reason in
 * plain words, how it was shown (live from the bound device, or static) with the proof's time against
 * this device's clock, the licence's or the agent authorisation's details when the signature verified
 * (a licence identifier flagged when that does not check out, the verdict unchanged), and the checks
 * behind the verdict behind a second tap.
 */
import { type AuthorisationDisplay, ageText, type LicenceDisplay, MESSAGES, reasonOf, type Verdict, type VerifyResult } from '../index.js';
import { type Child, el } from './dom.js';
import { jurisdictionText, type Lang, TEXTS } from './i18n.js';

const TONE: Record<Verdict, 'good' | 'bad' | 'warn'> = {
  VALID: 'good',
  REVOKED: 'bad',
  INVALID: 'bad',
  UNTRUSTED_ISSUER: 'bad',
  EXPIRED: 'bad',
  SUSPENDED: 'warn',
  STATUS_UNKNOWN: 'warn',
  NOT_YET_VALID: 'warn',
};

const ICON: Record<'good' | 'bad' | 'warn', string> = { good: '✓', bad: '✕', warn: '!' };

function valueText(value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join('；');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The licence identifier, and beside it why it does not check out, if it does not. */
function identifierValue(identifier: NonNullable<LicenceDisplay['identifier']>, lang: Lang): HTMLElement {
  return el(
    'span',
    { id: 'licence-identifier', 'data-flag': identifier.flag ?? '' },
    el('span', { class: 'identifier' }, identifier.value),
    identifier.flag === undefined ? null : el('span', { class: 'identifier-flag', role: 'note' }, `⚠ ${MESSAGES[lang].identifierFlag[identifier.flag]}`),
  );
}

function details(licence: LicenceDisplay, lang: Lang): HTMLElement {
  const t = TEXTS[lang];
  const label = MESSAGES[lang].field;
  const scopeField = licence.fields.find((f) => f.key === 'businessScope' || f.key === 'businessItems');
  const issuerName = licence.issuer.listedName?.[lang] ?? licence.issuer.name;
  const rows: Array<[string, string | HTMLElement]> = [
    [label.holder, licence.holder ?? ''],
    [label.creditCode, licence.creditCode ?? ''],
    [label.identifier, licence.identifier === undefined ? '' : identifierValue(licence.identifier, lang)],
    [label.type, licence.bound ? `${licence.type.name[lang]}${lang === 'zh' ? `（${MESSAGES.zh.boundCopy}）` : ` (${MESSAGES.en.boundCopy})`}` : licence.type.name[lang]],
    [label.validity, el('span', {}, el('span', { class: 'nowrap' }, licence.firstDay), ` ${t.to} `, el('span', { class: 'nowrap' }, licence.lastDay ?? t.longTerm))],
    [label.issuer, issuerName],
    [label.jurisdiction, jurisdictionText(licence.issuer.jurisdiction, lang)],
  ];
  if (scopeField) rows.push([label.scope, valueText(scopeField.value)]);
  // Fields shown above: the credit code, the holder's name (the field the type declares) and the scope.
  const shown = new Set(['creditCode', ...(licence.holderField === undefined ? [] : [licence.holderField]), ...(scopeField ? [scopeField.key] : [])]);
  for (const field of licence.fields) if (!shown.has(field.key)) rows.push([field.label[lang], valueText(field.value)]);
  rows.push([label.issuedAt, licence.issuedAt.replace('T', ' ').replace('Z', ' UTC')], [label.id, licence.id]);
  return el('dl', { class: 'details' }, ...rows.filter(([, v]) => v !== '').flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

/** The agent authorisation (授权用证): the company, its licence, the agent, the matters, the period. */
function authorisationDetails(a: AuthorisationDisplay, lang: Lang): HTMLElement {
  const t = TEXTS[lang];
  const words = MESSAGES[lang].authorisation;
  const label = MESSAGES[lang].field;
  const rows: Array<[string, string | HTMLElement]> = [
    [words.company, a.company.name],
    [label.creditCode, a.company.creditCode],
    [words.licence, `${a.licence.type.name[lang]} ${a.licence.identifier}`],
    [words.agent, el('span', { id: 'agent-name' }, a.agent.name)],
    [words.idNumber, a.agent.idNumberMasked],
    [words.matters, el('span', { id: 'matters' }, a.matters === 'all' ? words.allMatters : a.matters.join(lang === 'zh' ? '、' : ', '))],
    [words.period, el('span', {}, el('span', { class: 'nowrap' }, a.period.firstDay), ` ${t.to} `, el('span', { class: 'nowrap' }, a.period.lastDay))],
    [label.issuer, a.issuer.listedName?.[lang] ?? a.issuer.name],
    [label.jurisdiction, jurisdictionText(a.issuer.jurisdiction, lang)],
    [label.issuedAt, a.issuedAt.replace('T', ' ').replace('Z', ' UTC')],
    [label.id, a.id],
  ];
  return el(
    'div',
    { class: 'authorisation', id: 'authorisation' },
    el('h3', { class: 'details-heading' }, words.heading),
    el('dl', { class: 'details' }, ...rows.filter(([, v]) => v !== '').flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
  );
}

/** How it was shown, the proof's time against this clock, and this clock's fault only when it is provable. */
function presentationLine(result: VerifyResult, lang: Lang): HTMLElement {
  const m = MESSAGES[lang];
  const shown = m.presentation[result.presentation];
  const proof = result.liveProof;
  return el(
    'div',
    { class: `presentation presentation-${result.presentation}`, id: 'presentation', 'data-presentation': result.presentation },
    el('strong', {}, shown.title),
    ' ',
    el('span', {}, shown.detail),
    proof
      ? el('div', { class: 'live-time', id: 'live-time' }, m.liveProof.shown(ageText(proof.differenceSeconds, lang), `${proof.windowSeconds} ${MESSAGES[lang].freshness.units.s}`))
      : null,
    proof?.clockBehind ? el('div', { class: 'clock-warning', id: 'clock-warning', role: 'note' }, `⚠ ${m.liveProof.clockBehind(proof.clockBehind.newestSignedAt)}`) : null,
  );
}

function checksList(result: VerifyResult, lang: Lang): HTMLElement {
  const m = MESSAGES[lang];
  const ages: Child[] = [];
  if (result.trustListAge !== undefined) ages.push(el('li', {}, `${m.freshness.trustList}: ${ageText(result.trustListAge, lang)}`));
  if (result.statusAge !== undefined) ages.push(el('li', {}, `${m.freshness.statusLists}: ${ageText(result.statusAge, lang)}`));
  return el(
    'div',
    { class: 'checks', id: 'checks', hidden: '' },
    el(
      'ol',
      {},
      ...result.checks.map((check) =>
        el(
          'li',
          { class: `check check-${check.result}`, 'data-check': check.name },
          el('span', { class: 'check-name' }, m.check[check.name]),
          el('span', { class: 'check-result' }, m.result[check.result]),
          check.result === 'fail' ? el('span', { class: 'check-code' }, `${check.code}: ${check.message}`) : null,
        ),
      ),
    ),
    ages.length ? el('ul', { class: 'ages' }, ...ages) : null,
  );
}

export function renderResult(container: HTMLElement, result: VerifyResult, lang: Lang, onAgain: () => void): void {
  const t = TEXTS[lang];
  const tone = TONE[result.verdict];
  const toggle = el('button', { type: 'button', class: 'secondary', id: 'toggle-checks', 'aria-expanded': 'false' }, t.showChecks);
  const again = el('button', { type: 'button', class: 'primary', id: 'again' }, t.again);
  const checks = checksList(result, lang);
  toggle.addEventListener('click', () => {
    const open = checks.hidden;
    checks.hidden = !open;
    toggle.textContent = open ? t.hideChecks : t.showChecks;
    toggle.setAttribute('aria-expanded', String(open));
  });
  again.addEventListener('click', onAgain);
  container.className = `result tone-${tone}`;
  container.dataset.verdict = result.verdict;
  container.replaceChildren(
    el(
      'div',
      { class: 'verdict-banner', role: 'alert' },
      el('div', { class: 'verdict-icon', 'aria-hidden': 'true' }, ICON[tone]),
      el('h2', { class: 'verdict', id: 'verdict' }, MESSAGES[lang].verdict[result.verdict].title),
      lang === 'zh' ? el('div', { class: 'verdict-code' }, result.verdict) : null,
      result.reason === undefined ? null : el('p', { class: 'legal-act', id: 'legal-act', 'data-reason': result.reason }, MESSAGES[lang].reason[result.reason].title),
      el('p', { class: 'reason', id: 'reason' }, reasonOf(result, lang)),
    ),
    presentationLine(result, lang),
    result.authorisation ? authorisationDetails(result.authorisation, lang) : result.licence ? details(result.licence, lang) : el('p', { class: 'no-details' }, t.noDetails),
    el('div', { class: 'result-actions' }, toggle, again),
    checks,
  );
  container.hidden = false;
  container.scrollTop = 0;
}
