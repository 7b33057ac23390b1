/**
 * Redis-style glob patterns (`*`, `?`, `[abc]`, `[^a]`, `\x`) as regular expressions over
 * JavaScript characters. To select exactly what Redis selects (SCAN MATCH, PSUBSCRIBE), use
 * `globMatcher`, which matches bytes as Redis does.
 */
export function globToRegExp(pattern: string): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) {
      out += escapeRegExp(pattern[++i]!);
    } else if (c === '*') {
      out += '[\\s\\S]*';
    } else if (c === '?') {
      out += '[\\s\\S]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^');
      if (negate) body = body.slice(1);
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, (x) => `\\${x}`)}]`;
      i = end;
    } else {
      out += escapeRegExp(c);
    }
  }
  return new RegExp(`${out}$`);
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * A matcher with Redis's semantics: Redis compares bytes, so `?` matches one byte and `é` (two
 * bytes in UTF-8) needs `??`. Pattern and subject are both matched as their UTF-8 bytes.
 */
export function globMatcher(pattern: string): (subject: string) => boolean {
  const regex = globToRegExp(asBytes(pattern));
  return (subject) => regex.test(asBytes(subject));
}

/** The UTF-8 bytes of `text` as a latin1 string (one character per byte); ASCII is unchanged. */
function asBytes(text: string): string {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return Buffer.from(text, 'utf8').toString('latin1');
  }
  return text;
}
