/**
 * Style sheet of the printable licence card (src/app/card.ts): a phone-friendly screen layout, and
 * print layouts for A4 portrait, A5 portrait and an A6 landscape wall card (148 x 105 mm). The QR's printed
 * size is computed per licence (see `printedQrMillimetres` in card.ts) and passed in here.
 */

export type CardFormat = 'a4' | 'a5' | 'card';

export interface CardPage {
  /** CSS `@page` size. */
  pageSize: string;
  /** Page margin, mm. */
  marginMm: number;
}

export const CARD_PAGES: Record<CardFormat, CardPage> = {
  a4: { pageSize: 'A4 portrait', marginMm: 14 },
  a5: { pageSize: 'A5 portrait', marginMm: 9 },
  card: { pageSize: '148mm 105mm', marginMm: 5 },
};

const BASE = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#eef0f3;color:#111;font-family:"Noto Serif CJK SC","Source Han Serif SC","Songti SC",SimSun,serif;line-height:1.45}
.sans,.fields th,.meta,.status,figcaption{font-family:system-ui,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif}
.sheet{position:relative;background:#fff;margin:1.5rem auto;max-width:210mm;padding:10mm 12mm;border:3px double #b71c1c;overflow:hidden}
.head{text-align:center;margin-bottom:4mm}
.head h1{margin:0;font-size:2rem;letter-spacing:.4em;text-indent:.4em;color:#b71c1c;font-weight:700}
.head .en{margin:0;font-size:.95rem;letter-spacing:.08em;color:#333}
.head .idline{margin:1mm 0 0;font-size:.75rem;color:#555;font-family:ui-monospace,"DejaVu Sans Mono",monospace;word-break:break-all}
.status{margin:0 0 4mm;padding:.6em .9em;border-radius:2px;font-weight:700}
.status .zh{font-size:1.25rem}
.status .line{display:block;font-weight:400;font-size:.85rem}
.status.ok{border:1px solid #2e7d32;color:#1b5e20;background:#f1f8f1;font-size:.85rem;font-weight:400;padding:.35em .9em}
.status.ok .zh{font-size:inherit;font-weight:700}
.status.void{border:3px solid #b71c1c;color:#fff;background:#b71c1c}
.void-mark{position:absolute;left:-10%;right:-10%;top:38%;text-align:center;transform:rotate(-28deg);font-size:2.6rem;font-weight:900;letter-spacing:.15em;color:rgba(183,28,28,.22);border-top:6px solid rgba(183,28,28,.22);border-bottom:6px solid rgba(183,28,28,.22);pointer-events:none;white-space:nowrap;font-family:system-ui,"Noto Sans CJK SC",sans-serif}
.layout{display:grid;grid-template-columns:1fr auto;grid-template-areas:"fields fields" "meta qr";column-gap:0;row-gap:4mm;align-items:start}
.fields{grid-area:fields;border-collapse:collapse;width:100%}
.fields th,.fields td{text-align:left;vertical-align:top;padding:1.6mm 2mm;border-bottom:1px solid #ddd}
.fields th{width:10.5em;font-weight:700;font-size:.92rem;white-space:nowrap}
.fields th .en,.meta .en{display:block;font-weight:400;font-size:.7rem;color:#555;white-space:normal}
.fields td{font-size:1rem;word-break:break-word;overflow-wrap:anywhere}
.fields td.code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;letter-spacing:.05em}
.fields td.long{font-size:.9rem}
.fields td.vlong{font-size:.8rem}
.fields .iso,.meta .iso{color:#555;font-size:.8rem;font-family:ui-monospace,"DejaVu Sans Mono",monospace}
figure.qr{grid-area:qr;margin:0;padding:3mm 0 0 6mm;border-top:2px solid #b71c1c;text-align:center;align-self:stretch}
figure.qr svg{display:block;margin:0 auto}
figcaption{font-size:.72rem;color:#333;margin-top:1mm}
.meta{grid-area:meta;display:grid;grid-template-columns:1fr 1fr;gap:3mm 6mm;align-content:start;padding-top:3mm;border-top:2px solid #b71c1c;font-size:.85rem;align-self:stretch}
.meta div:first-child{grid-column:1/-1}
.meta div b{display:block}
.meta .did{display:block;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.68rem;word-break:break-all}
@media screen and (max-width:40rem){
  .sheet{margin:0;border-width:0 0 3px;padding:4vw}
  .head h1{font-size:1.6rem;letter-spacing:.25em;text-indent:.25em}
  .layout{grid-template-columns:1fr;grid-template-areas:"qr" "fields" "meta"}
  figure.qr{border:0;padding:0 0 2mm}
  .fields th,.fields td{display:block;width:auto;border:0;padding:0 1mm}
  .fields th{padding-top:2.5mm}
  .fields tr{display:block;border-bottom:1px solid #ddd;padding-bottom:2mm}
  .meta{grid-template-columns:1fr}
  .void-mark{font-size:1.8rem}
}
@media print{
  body{background:#fff}
  .sheet{margin:0;max-width:none;border-width:3px;page-break-inside:avoid;break-inside:avoid}
  .status.void,.void-mark,.sheet,.head h1{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
`;

/** The style sheet for one card: the shared rules plus the format's page and QR size in millimetres. */
export function cardCss(format: CardFormat, qrMillimetres: number): string {
  const page = CARD_PAGES[format];
  const qr = `figure.qr svg{width:${qrMillimetres}mm;height:${qrMillimetres}mm}`;
  const a5 = `.sheet{min-height:${210 - 2 * page.marginMm - 3}mm;padding:5mm 6mm;border-width:2px}.head{margin-bottom:2mm}.head h1{font-size:17pt}.head .en{font-size:8pt}.head .idline{font-size:6.5pt}
  .status,.status.ok{margin:0 0 2mm;font-size:7.5pt}.status .zh{font-size:10pt}.status .line{font-size:7pt}
  .fields th,.fields td{padding:.7mm 1.5mm}.fields th{font-size:7.5pt;width:10em}.fields th .en,.meta .en{font-size:5.5pt}
  .fields td{font-size:8.5pt}.fields td.long{font-size:7.5pt}.fields td.vlong{font-size:6.3pt}.fields .iso,.meta .iso{font-size:6pt}
  .meta{font-size:7pt;gap:1.5mm 3mm}.meta .did{font-size:5.5pt}figcaption{font-size:6pt}.void-mark{font-size:26pt}`;
  const printSheet =
    format === 'a5'
      ? a5
      : format === 'a4'
        ? `.sheet{min-height:${297 - 2 * page.marginMm - 3}mm;padding:9mm 10mm}.head h1{font-size:24pt}
  .fields th,.fields td{padding:1.1mm 2mm}.fields th{font-size:10pt;width:12em}.fields th .en,.meta .en{font-size:7pt}
  .fields td{font-size:11pt}.fields td.long{font-size:10pt}.fields td.vlong{font-size:8.5pt}.meta{font-size:9pt}`
        : `body{line-height:1.25}.sheet{height:${105 - 2 * page.marginMm}mm;padding:2.5mm 3.5mm;border-width:2px}
  .head{margin-bottom:1mm}.head h1{font-size:14pt}.head .en{font-size:6.5pt}.head .idline{font-size:5.5pt;margin:0}
  .status,.status.ok{margin:0 0 1mm;padding:.6mm 2mm;font-size:6.5pt}.status .zh,.status.ok .zh{font-size:8pt}.status .line{font-size:6pt;display:inline}.status .line::before{content:" · "}
  .layout{grid-template-areas:"fields qr" "fields meta";row-gap:1.5mm}
  figure.qr{border:0;padding:0 0 0 3mm}.meta{grid-template-columns:1fr;gap:1mm;margin-left:3mm;padding-top:1mm;border-top-width:1px;font-size:6.3pt}
  .fields th,.fields td{padding:.45mm 1mm}.fields th{font-size:6.5pt;width:11em}.fields th .en{font-size:5pt;line-height:1.1}
  .fields td{font-size:7.5pt}.fields td.long{font-size:6.3pt}.fields td.vlong{font-size:5pt}.fields .iso{font-size:5.5pt}
  figcaption{font-size:5.5pt}.meta .en{font-size:5pt}.meta .did{font-size:5pt}.meta .iso{font-size:5.5pt}
  .meta div b{display:inline}.meta b .en{display:inline;margin:0 1mm}.head .idline{display:none}.void-mark{font-size:22pt;top:42%}`;
  return `${BASE}
@page{size:${page.pageSize};margin:${page.marginMm}mm}
${qr}
@media screen and (max-width:40rem){figure.qr svg{width:min(80vw,22rem);height:auto}}
@media print{${printSheet}}
`;
}
