/**
 * A CSV reader for roster files (RFC 4180, plus what spreadsheets actually export): optional
 * UTF-8 byte-order mark, CRLF or LF line ends, quoted fields with `""` escapes and line breaks,
 * and `;` as the separator when the header line has semicolons but no commas (Excel in many
 * locales). A malformed record is reported with its line number and reading resumes on the next
 * line, so one bad row never hides the rest of the file.
 */

export type CsvRecord =
  | { line: number; fields: string[]; error?: undefined }
  | { line: number; fields?: undefined; error: string };

export function detectSeparator(text: string): ',' | ';' {
  const end = text.indexOf('\n');
  const header = end < 0 ? text : text.slice(0, end);
  return header.includes(';') && !header.includes(',') ? ';' : ',';
}

/** Every non-blank record of `text`, in order. */
export function* readCsv(input: string): Generator<CsvRecord> {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const separator = detectSeparator(text);
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let error: string | undefined;
    let quotedField = false;
    let atFieldStart = true;
    record: for (;;) {
      if (i >= text.length) break;
      const c = text[i]!;
      if (atFieldStart && c === '"') {
        quotedField = true;
        atFieldStart = false;
        i++;
        for (;;) {
          if (i >= text.length) {
            error = 'a quoted field is not closed';
            break record;
          }
          const q = text[i]!;
          if (q === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (q === '\n') line++;
          field += q;
          i++;
        }
        continue;
      }
      if (c === separator) {
        fields.push(field);
        field = '';
        quotedField = false;
        atFieldStart = true;
        i++;
        continue;
      }
      if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
        i += c === '\r' ? 2 : 1;
        line++;
        break;
      }
      if (quotedField || c === '"') {
        error = quotedField ? 'text after a closing quote' : 'a quote inside an unquoted field';
        break;
      }
      field += c;
      atFieldStart = false;
      i++;
    }
    if (error !== undefined) {
      // Resume after the current line; an unclosed quote has consumed the rest of the file.
      const next = text.indexOf('\n', i);
      i = next < 0 ? text.length : next + 1;
      line = error === 'a quoted field is not closed' ? line : line + 1;
      yield { line: start, error };
      continue;
    }
    fields.push(field);
    if (fields.length === 1 && fields[0]!.trim() === '' && !quotedField) continue;
    yield { line: start, fields };
  }
}
