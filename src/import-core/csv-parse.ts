/**
 * CSV text to records (RFC 4180): fields separated by the delimiter, records by CRLF, LF or CR, quoted
 * fields with "" for a quote and line breaks inside. A quote inside an unquoted field, text after a
 * closing quote and an unclosed quote are errors (the file is malformed, so nothing is guessed). Rows
 * may have any number of cells; an empty line is a record of one empty cell. One parser for the command
 * line and the browser, so both read a file the same way.
 */

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly record: number,
  ) {
    super(message);
  }
}

export function parseCsvText(text: string, delimiter: string): string[][] {
  const records: string[][] = [];
  const n = text.length;
  const d = delimiter.charCodeAt(0);
  let record: string[] = [];
  let i = 0;
  while (i < n) {
    let field: string;
    if (text.charCodeAt(i) === 34 /* " */) {
      const parts: string[] = [];
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) throw new CsvSyntaxError(`quoted field not terminated (record ${records.length + 1})`, records.length + 1);
        parts.push(text.slice(from, q));
        if (text.charCodeAt(q + 1) === 34) {
          parts.push('"');
          from = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      field = parts.join('');
      const next = text.charCodeAt(i);
      if (i < n && next !== d && next !== 10 && next !== 13) {
        throw new CsvSyntaxError(`invalid closing quote: found "${text[i]}" after a quoted field (record ${records.length + 1})`, records.length + 1);
      }
    } else {
      const start = i;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === d || c === 10 || c === 13) break;
        if (c === 34) throw new CsvSyntaxError(`invalid opening quote: a quote inside an unquoted field (record ${records.length + 1})`, records.length + 1);
        i++;
      }
      field = text.slice(start, i);
    }
    record.push(field);
    if (i >= n) break;
    const c = text.charCodeAt(i);
    if (c === d) {
      i++;
      if (i >= n) record.push('');
      continue;
    }
    // A line break ends the record.
    i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
    records.push(record);
    record = [];
  }
  if (record.length > 0) records.push(record);
  return records;
}
