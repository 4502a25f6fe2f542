/**
 * The holder notice (领证通知书): the one page that shows a new holder code, printed for the business.
 * The link carries the code in its fragment and is drawn as a QR code (an image from a data: URL, so
 * nothing of it is fetched again); the code is also printed in groups of four for typing by hand.
 */
import type { LiveSession } from '../../services/sessions.js';
import type { Lang, Messages } from '../i18n.js';
import { Page } from '../layout.js';

export interface HolderNoticeData {
  licenceId: string;
  holderName: string | null;
  creditCode: string;
  authorityName: string;
  /** The code grouped for reading (parseHolderCode reads it back). */
  groupedCode: string;
  link: string;
  /** The link's QR code as an SVG document. */
  qrSvg: string;
  createdAt: string;
  rotated: boolean;
}

export function HolderNoticePage({ m, lang, url, live, data }: { m: Messages; lang: Lang; url: URL; live: LiveSession; data: HolderNoticeData }) {
  const t = m.holderAccess;
  const qr = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(data.qrSvg)}`;
  return (
    <Page m={m} lang={lang} title={t.noticeTitle} url={url} live={live}>
      <div class="notice no-print" role="status">
        {data.rotated ? <p>{t.rotated}</p> : null}
        <p>{t.once}</p>
      </div>
      <article class="holder-notice" aria-labelledby="notice-title">
        <h1 id="notice-title">{t.noticeTitle}</h1>
        <p>{t.noticeIntro}</p>
        <dl class="fields">
          <dt>{t.holder}</dt>
          <dd>{data.holderName ?? data.creditCode}</dd>
          <dt>{t.creditCode}</dt>
          <dd class="code">{data.creditCode}</dd>
          <dt>{t.authority}</dt>
          <dd>{data.authorityName}</dd>
          <dt>{t.createdAt}</dt>
          <dd>{data.createdAt}</dd>
        </dl>
        <figure>
          <img src={qr} alt={t.qrAlt} width={256} height={256} />
        </figure>
        <dl class="fields">
          <dt>{t.link}</dt>
          <dd class="code holder-link">{data.link}</dd>
          <dt>{t.code}</dt>
          <dd class="code holder-code">{data.groupedCode}</dd>
        </dl>
        <p>{t.keep}</p>
      </article>
      <p class="no-print">
        <a class="button secondary" href={`/console/licences/${data.licenceId}`}>
          {t.back}
        </a>
      </p>
    </Page>
  );
}
