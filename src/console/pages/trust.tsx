/**
 * The anchor operator's pages: the trust register (authorities: add, suspend, reinstate, withdraw, a
 * key withdrawn, keys re-read; publish a list) and the federated provinces (register, scope, refresh)
 * with how fresh each province's data is here.
 */
import type { LiveSession } from '../../services/sessions.js';
import type { PeerFreshness } from '../../services/trust/peer-freshness.js';
import type { PeerAnchor } from '../../services/trust/peers.js';
import type { RegisteredAuthority } from '../../services/trust/register.js';
import { chinaDateTime } from '../china-dates.js';
import type { Lang, Messages } from '../i18n.js';
import { Csrf, Page, ProblemBox } from '../layout.js';

interface Base {
  m: Messages;
  lang: Lang;
  url: URL;
  live: LiveSession;
  notice?: string | undefined;
  problem?: { field: string; text: string } | undefined;
  values?: Record<string, string | undefined>;
}

const Notice = ({ text }: { text: string | undefined }) =>
  text ? (
    <p class="notice" role="status">
      {text}
    </p>
  ) : null;

/** A one-button form posting `id` (and `kid`) to an action of the register. */
function ActionForm({ live, action, id, kid, label, text }: { live: LiveSession; action: string; id: string; kid?: string; label: string; text: string }) {
  return (
    <form method="post" action={action} class="inline">
      <Csrf live={live} />
      <input type="hidden" name="id" value={id} />
      {kid ? <input type="hidden" name="kid" value={kid} /> : null}
      <button type="submit" class="secondary" aria-label={label}>
        {text}
      </button>
    </form>
  );
}

export function TrustPage({
  m,
  lang,
  url,
  live,
  register,
  trustList,
  notice,
  problem,
  values,
}: Base & { register: readonly RegisteredAuthority[]; trustList?: { seq: number; issuedAt: number; expiresAt: number } | undefined }) {
  const a = m.admin;
  const t = m.trust;
  const v = values ?? {};
  const source = v['keySource'] ?? 'hosted';
  return (
    <Page m={m} lang={lang} title={a.register_} url={url} live={live}>
      <h1>{a.register_}</h1>
      <Notice text={notice} />
      <ProblemBox title={m.error.title} items={problem ? [{ text: problem.text, href: `#r-${problem.field.split(/[.[]/)[0]}` }] : []} />
      <p>
        {a.trustList}: {trustList ? `#${trustList.seq} · ${chinaDateTime(trustList.issuedAt)} – ${chinaDateTime(trustList.expiresAt)}` : a.none}
      </p>
      <form method="post" action="/console/trust/lists">
        <Csrf live={live} />
        <button type="submit">{t.publish}</button>
      </form>
      <table>
        <thead>
          <tr>
            <th scope="col">{a.colAuthority}</th>
            <th scope="col">{a.colJurisdiction}</th>
            <th scope="col">{a.colStatus}</th>
            <th scope="col">{a.colTypes}</th>
            <th scope="col">{t.keysOf}</th>
            <th scope="col">
              <span class="visually-hidden">{m.licence.actions}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {register.map((r, i) => (
            <tr>
              <td>
                {r.name[lang]}
                <br />
                <span class="code hint">{r.id}</span>
              </td>
              <td>{r.jurisdiction}</td>
              <td>{t.statuses[r.status] ?? r.status}</td>
              <td>
                {r.status === 'withdrawn' ? (
                  r.licenceTypes.join(', ')
                ) : (
                  <form method="post" action="/console/trust/authorities/types" novalidate>
                    <Csrf live={live} />
                    <input type="hidden" name="id" value={r.id} />
                    <label for={`types-${i}`} class="visually-hidden">
                      {`${t.types} ${r.name[lang]}`}
                    </label>
                    <textarea id={`types-${i}`} name="licenceTypes" rows={Math.max(2, r.licenceTypes.length)} class="code" spellcheck={false}>
                      {r.licenceTypes.join('\n')}
                    </textarea>
                    <button type="submit" class="secondary" aria-label={`${t.saveTypes} ${r.name[lang]}`}>
                      {t.saveTypes}
                    </button>
                  </form>
                )}
              </td>
              <td>
                <ul class="plain">
                  {r.keys.map((k) => (
                    <li>
                      <span class="code">{k.jwk.kid}</span> {t.statuses[k.status] ?? k.status}
                      {k.status === 'active' && r.status !== 'withdrawn' ? (
                        <ActionForm
                          live={live}
                          action="/console/trust/authorities/withdraw-key"
                          id={r.id}
                          kid={k.jwk.kid}
                          label={`${t.withdrawKey} ${k.jwk.kid}`}
                          text={t.withdrawKey}
                        />
                      ) : null}
                    </li>
                  ))}
                </ul>
              </td>
              <td class="actions">
                {r.status === 'active' ? (
                  <ActionForm live={live} action="/console/trust/authorities/suspend" id={r.id} label={`${t.suspend} ${r.name[lang]}`} text={t.suspend} />
                ) : null}
                {r.status === 'suspended' ? (
                  <ActionForm live={live} action="/console/trust/authorities/reinstate" id={r.id} label={`${t.reinstate} ${r.name[lang]}`} text={t.reinstate} />
                ) : null}
                {r.status !== 'withdrawn' ? (
                  <ActionForm live={live} action="/console/trust/authorities/withdraw" id={r.id} label={`${t.withdraw} ${r.name[lang]}`} text={t.withdraw} />
                ) : null}
                {r.status !== 'withdrawn' && r.source?.startsWith('http') ? (
                  <ActionForm live={live} action="/console/trust/authorities/refresh-keys" id={r.id} label={`${t.refreshKeys} ${r.name[lang]}`} text={t.refreshKeys} />
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2 id="add">{t.add}</h2>
      <form method="post" action="/console/trust/authorities" class="panel" novalidate>
        <Csrf live={live} />
        <label for="r-id">{t.id}</label>
        <input type="text" id="r-id" name="id" value={v['id'] ?? ''} autocomplete="off" spellcheck={false} />
        <div class="row">
          <div>
            <label for="r-name">{t.nameZh}</label>
            <input type="text" id="r-name" name="nameZh" value={v['nameZh'] ?? ''} />
          </div>
          <div>
            <label for="r-nameEn">{t.nameEn}</label>
            <input type="text" id="r-nameEn" name="nameEn" value={v['nameEn'] ?? ''} />
          </div>
        </div>
        <div class="row">
          <div>
            <label for="r-jurisdiction">{t.jurisdiction}</label>
            <input type="text" id="r-jurisdiction" name="jurisdiction" value={v['jurisdiction'] ?? ''} inputmode="numeric" autocomplete="off" />
          </div>
          <div>
            <label for="r-creditCode">{t.creditCode}</label>
            <input type="text" id="r-creditCode" name="creditCode" value={v['creditCode'] ?? ''} autocomplete="off" spellcheck={false} />
          </div>
        </div>
        <label for="r-licenceTypes">{t.types}</label>
        <textarea id="r-licenceTypes" name="licenceTypes" rows={3} class="code" spellcheck={false}>
          {v['licenceTypes'] ?? ''}
        </textarea>
        <fieldset id="r-keys">
          <legend>{t.keySource}</legend>
          {(['hosted', 'jwks', 'jwksUrl'] as const).map((kind) => (
            <label class="check">
              <input type="radio" name="keySource" value={kind} {...(source === kind ? { checked: true } : {})} /> {t[kind]}
            </label>
          ))}
          <label for="r-jwks">{t.jwksText}</label>
          <textarea id="r-jwks" name="jwks" rows={4} class="code" spellcheck={false}>
            {v['jwks'] ?? ''}
          </textarea>
          <label for="r-jwksUrl">{t.jwksUrlText}</label>
          <input type="url" id="r-jwksUrl" name="jwksUrl" value={v['jwksUrl'] ?? ''} autocomplete="off" spellcheck={false} />
        </fieldset>
        <button type="submit">{t.submit}</button>
      </form>
    </Page>
  );
}

const lines = (list: readonly string[] | undefined) => (list ?? []).join('\n');

export function ProvincesPage({
  m,
  lang,
  url,
  live,
  now,
  provinces,
  notice,
  problem,
  values,
}: Base & { now: number; provinces: readonly { peer: PeerAnchor; freshness: PeerFreshness }[] }) {
  const p = m.provinces;
  const v = values ?? {};
  const when = (at: number | null) => (at === null ? p.never : `${chinaDateTime(at)} (${p.ago(Math.floor((now - at) / 60_000))})`);
  return (
    <Page m={m} lang={lang} title={p.title} url={url} live={live}>
      <h1>{p.title}</h1>
      <Notice text={notice} />
      <ProblemBox title={m.error.title} items={problem ? [{ text: problem.text, href: `#p-${problem.field.split(/[.[]/)[0]}` }] : []} />
      {provinces.length === 0 ? <p>{p.none}</p> : null}
      {provinces.map(({ peer, freshness: f }, i) => (
        <section aria-labelledby={`province-${i}`} class="panel province" data-state={f.state}>
          <h2 id={`province-${i}`}>
            {peer.name[lang]} <span class="code hint-inline">{peer.id}</span>
          </h2>
          <dl class="facts">
            <dt>{p.colFreshness}</dt>
            <dd class={`freshness ${f.state}`}>
              <strong>{p.states[f.state] ?? f.state}</strong>
            </dd>
            <dt>{p.lastSuccess}</dt>
            <dd>{when(f.lastSuccessAt)}</dd>
            {f.lastError ? (
              <>
                <dt>{p.lastError}</dt>
                <dd class="code">{f.lastError}</dd>
              </>
            ) : null}
            <dt>{p.trustList}</dt>
            <dd>
              {f.trustList
                ? `#${f.trustList.sequence} · ${chinaDateTime(f.trustList.issuedAt)}${f.trustList.expiresAt === null ? '' : ` · ${p.expires} ${chinaDateTime(f.trustList.expiresAt)}`} · ${p.statusLists(f.statusLists)}`
                : p.never}
            </dd>
            <dt>{p.bundleUrl}</dt>
            <dd class="code">{peer.bundleUrl}</dd>
          </dl>
          <form method="post" action="/console/trust/provinces/refresh" class="inline">
            <Csrf live={live} />
            <input type="hidden" name="id" value={peer.id} />
            <button type="submit" aria-label={`${p.refresh} ${peer.name[lang]}`}>
              {p.refresh}
            </button>
          </form>
          <form method="post" action="/console/trust/provinces/scope" novalidate>
            <Csrf live={live} />
            <input type="hidden" name="id" value={peer.id} />
            <fieldset>
              <legend>{`${p.scope} · ${peer.name[lang]}`}</legend>
              <div class="row">
                <div>
                  <label for={`s-${i}-prefixes`}>{p.prefixes}</label>
                  <textarea id={`s-${i}-prefixes`} name="issuerPrefixes" rows={2} class="code" spellcheck={false}>
                    {lines(peer.scope.issuerPrefixes)}
                  </textarea>
                </div>
                <div>
                  <label for={`s-${i}-jurisdictions`}>{p.jurisdictions}</label>
                  <textarea id={`s-${i}-jurisdictions`} name="jurisdictions" rows={2} class="code" spellcheck={false}>
                    {lines(peer.scope.jurisdictions)}
                  </textarea>
                </div>
                <div>
                  <label for={`s-${i}-types`}>{p.types}</label>
                  <textarea id={`s-${i}-types`} name="licenceTypes" rows={2} class="code" spellcheck={false}>
                    {lines(peer.scope.licenceTypes)}
                  </textarea>
                </div>
              </div>
              <button type="submit" class="secondary">
                {p.saveScope}
              </button>
            </fieldset>
          </form>
        </section>
      ))}
      <h2 id="add">{p.add}</h2>
      <form method="post" action="/console/trust/provinces" class="panel" novalidate>
        <Csrf live={live} />
        <label for="p-id">{p.id}</label>
        <input type="text" id="p-id" name="id" value={v['id'] ?? ''} autocomplete="off" spellcheck={false} />
        <div class="row">
          <div>
            <label for="p-name">{p.nameZh}</label>
            <input type="text" id="p-name" name="nameZh" value={v['nameZh'] ?? ''} />
          </div>
          <div>
            <label for="p-nameEn">{p.nameEn}</label>
            <input type="text" id="p-nameEn" name="nameEn" value={v['nameEn'] ?? ''} />
          </div>
        </div>
        <label for="p-jwksUrl">{p.keysUrl}</label>
        <input type="url" id="p-jwksUrl" name="jwksUrl" value={v['jwksUrl'] ?? ''} autocomplete="off" spellcheck={false} />
        <label for="p-keys">{p.keysJson}</label>
        <textarea id="p-keys" name="keys" rows={3} class="code" spellcheck={false}>
          {v['keys'] ?? ''}
        </textarea>
        <label for="p-bundleUrl">{p.bundleUrl}</label>
        <input type="url" id="p-bundleUrl" name="bundleUrl" value={v['bundleUrl'] ?? ''} autocomplete="off" spellcheck={false} />
        <div class="row">
          <div>
            <label for="p-scope">{p.prefixes}</label>
            <textarea id="p-scope" name="issuerPrefixes" rows={2} class="code" spellcheck={false}>
              {v['issuerPrefixes'] ?? ''}
            </textarea>
          </div>
          <div>
            <label for="p-jurisdictions">{p.jurisdictions}</label>
            <textarea id="p-jurisdictions" name="jurisdictions" rows={2} class="code" spellcheck={false}>
              {v['jurisdictions'] ?? ''}
            </textarea>
          </div>
          <div>
            <label for="p-licenceTypes">{p.types}</label>
            <textarea id="p-licenceTypes" name="licenceTypes" rows={2} class="code" spellcheck={false}>
              {v['licenceTypes'] ?? ''}
            </textarea>
          </div>
        </div>
        <button type="submit">{p.submit}</button>
      </form>
    </Page>
  );
}
