/** An admin's page: licence types (list, register), signing keys (list, rotate), the audit log (verify, head); and the anchor operator's trust register. */
import type { AuditHead, AuditVerification } from '../../services/audit.js';
import type { PublishedKey } from '../../services/keys.js';
import type { StoredLicenceType } from '../../services/licence-types.js';
import type { LiveSession } from '../../services/sessions.js';
import type { RegisteredAuthority } from '../../services/trust/register.js';
import { chinaDateTime } from '../china-dates.js';
import type { Lang, Messages } from '../i18n.js';
import { Csrf, Page, ProblemBox } from '../layout.js';

interface Base {
  m: Messages;
  lang: Lang;
  url: URL;
  live: LiveSession;
}

export interface AdminData {
  types: readonly StoredLicenceType[];
  keys: readonly PublishedKey[];
  head: AuditHead;
  recent: { seq: number; at: number; action: string; actor: string; subjectId: string | null }[];
  verification?: AuditVerification | undefined;
  notice?: string | undefined;
  problem?: { field: string; text: string } | undefined;
  values?: Record<string, string | undefined>;
}

export function AdminPage({ m, lang, url, live, data }: Base & { data: AdminData }) {
  const a = m.admin;
  const v = data.values ?? {};
  return (
    <Page m={m} lang={lang} title={a.title} url={url} live={live}>
      <h1>{a.title}</h1>
      {data.notice ? (
        <p class="notice" role="status">
          {data.notice}
        </p>
      ) : null}
      <ProblemBox title={m.error.title} items={data.problem ? [{ text: data.problem.text, href: `#t-${data.problem.field}` }] : []} />
      <section aria-labelledby="types">
        <h2 id="types">{a.types}</h2>
        <ul>
          {data.types.map((t) => (
            <li>
              {t.name[lang]} <span class="code">{t.code}</span> {t.builtIn ? `(${a.builtIn})` : ''}
            </li>
          ))}
        </ul>
        <form method="post" action="/console/admin/types" class="panel" novalidate>
          <Csrf live={live} />
          <label for="t-code">{a.typeCode}</label>
          <input type="text" id="t-code" name="code" value={v['code'] ?? ''} autocomplete="off" spellcheck={false} />
          <div class="row">
            <div>
              <label for="t-nameZh">{a.typeNameZh}</label>
              <input type="text" id="t-nameZh" name="nameZh" value={v['nameZh'] ?? ''} />
            </div>
            <div>
              <label for="t-nameEn">{a.typeNameEn}</label>
              <input type="text" id="t-nameEn" name="nameEn" value={v['nameEn'] ?? ''} />
            </div>
            <div>
              <label for="t-schemaVersion">{a.schemaVersion}</label>
              <input type="text" id="t-schemaVersion" name="schemaVersion" value={v['schemaVersion'] ?? '1.0'} />
            </div>
          </div>
          <div class="row">
            <div>
              <label for="t-catalogueCode">{a.catalogueCode}</label>
              <input type="text" id="t-catalogueCode" name="catalogueCode" value={v['catalogueCode'] ?? ''} autocomplete="off" spellcheck={false} />
            </div>
            <div>
              <label for="t-numberField">{a.numberField}</label>
              <input type="text" id="t-numberField" name="numberField" value={v['numberField'] ?? ''} autocomplete="off" spellcheck={false} />
            </div>
            <div>
              <label for="t-holderNameField">{a.holderNameField}</label>
              <input type="text" id="t-holderNameField" name="holderNameField" value={v['holderNameField'] ?? ''} autocomplete="off" spellcheck={false} />
            </div>
          </div>
          <label class="check">
            <input type="checkbox" name="uniquePerHolder" value="1" {...(v['uniquePerHolder'] === '1' ? { checked: true } : {})} /> {a.uniquePerHolder}
          </label>
          <label for="t-schema">{a.schema}</label>
          <textarea id="t-schema" name="schema" rows={10} class="code" spellcheck={false}>
            {v['schema'] ?? ''}
          </textarea>
          <button type="submit">{a.register}</button>
        </form>
      </section>
      <section aria-labelledby="keys">
        <h2 id="keys">{a.keys}</h2>
        <table>
          <tbody>
            {data.keys.map((k) => (
              <tr>
                <td class="code">{k.kid}</td>
                <td>{k.alg}</td>
                <td>{k.status === 'active' ? a.active : a.published}</td>
                <td>{chinaDateTime(k.validFrom)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <form method="post" action="/console/admin/keys/rotate">
          <Csrf live={live} />
          <button type="submit" class="secondary">
            {a.rotate}
          </button>
        </form>
      </section>
      <section aria-labelledby="audit">
        <h2 id="audit">{a.audit}</h2>
        {data.verification ? (
          <p class={data.verification.ok ? 'notice' : 'problem'} role="status">
            {data.verification.ok ? a.auditOk(data.verification.entries) : a.auditBroken(data.verification.firstBrokenSeq, data.verification.reason)}
          </p>
        ) : null}
        <p>
          {a.head}: <span class="code">{`${data.head.seq}:${data.head.hash}`}</span>
        </p>
        <form method="post" action="/console/admin/audit/verify">
          <Csrf live={live} />
          <button type="submit" class="secondary">
            {a.verify}
          </button>
        </form>
        <h3>{a.recent}</h3>
        <table>
          <tbody>
            {data.recent.map((e) => (
              <tr>
                <td>{e.seq}</td>
                <td>{chinaDateTime(e.at)}</td>
                <td class="code">{e.action}</td>
                <td class="code">{e.actor}</td>
                <td class="code">{e.subjectId ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Page>
  );
}

export function TrustPage({
  m,
  lang,
  url,
  live,
  register,
  trustList,
}: Base & { register: readonly RegisteredAuthority[]; trustList?: { seq: number; issuedAt: number; expiresAt: number } | undefined }) {
  const a = m.admin;
  return (
    <Page m={m} lang={lang} title={a.register_} url={url} live={live}>
      <h1>{a.register_}</h1>
      <p>
        {a.trustList}: {trustList ? `#${trustList.seq} · ${chinaDateTime(trustList.issuedAt)} – ${chinaDateTime(trustList.expiresAt)}` : a.none}
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">{a.colAuthority}</th>
            <th scope="col">{a.colJurisdiction}</th>
            <th scope="col">{a.colStatus}</th>
            <th scope="col">{a.colTypes}</th>
          </tr>
        </thead>
        <tbody>
          {register.map((r) => (
            <tr>
              <td>
                {r.name[lang]}
                <br />
                <span class="code hint">{r.id}</span>
              </td>
              <td>{r.jurisdiction}</td>
              <td>{r.status}</td>
              <td>{r.licenceTypes.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  );
}
