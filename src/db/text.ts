import { createHash } from 'node:crypto';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * PostgreSQL text and jsonb cannot hold U+0000, and JSON may carry unpaired UTF-16
 * surrogates: store what a person would see instead of failing the insert forever.
 */
export function storableText(value: string): string {
  return value.replace(/\u0000/g, '').replace(LONE_SURROGATE, '\uFFFD');
}

/** storableText applied to every string inside a JSON value. */
export function storableJson<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map(storableJson) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storableJson(v)])) as T;
  }
  return value;
}

/**
 * In parsed JSON, U+0000 and lone surrogates can only come from `\u` escapes (raw control
 * characters are not JSON, and decoding UTF-8 never yields a surrogate), so text without
 * such an escape parses to storable values and skips the walk over every string. A low
 * surrogate escape counts as paired only after a high one whose backslash starts an
 * escape (an even run of backslashes before it); `\\ud800` is literal text. Matching too
 * much only costs the walk.
 */
const UNSTORABLE_ESCAPE =
  /\\u0000|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<!(?<!\\)(?:\\\\)*\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F]/;

/** storableJson for a value parsed from `source`, skipped when `source` cannot hold anything to fix. */
export function storableParsedJson<T>(value: T, source: string): T {
  return UNSTORABLE_ESCAPE.test(source) ? storableJson(value) : value;
}

/** An id short enough for a btree index entry; long ids are replaced by their hash (equality is all we need). */
export function indexableKey(value: string): string {
  const text = storableText(value);
  return text.length <= 200 ? text : `sha256:${createHash('sha256').update(text).digest('hex')}`;
}
