// Fitting mail text into Slack's limits: measuring it as Slack will see it after
// mrkdwn escaping, and cutting it on line, word or grapheme boundaries, never inside
// a surrogate pair. Pure functions; the message and modal builders budget with them.
import { escapeMrkdwn } from './text.ts';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Length after escapeMrkdwn, in UTF-16 units (never less than Slack's character count). */
export function escapedCost(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c === 38 ? 5 : c === 60 || c === 62 ? 4 : 1;
  }
  return n;
}

/** Code points of `s` from index `from`: what a reader counts as characters left out. */
export function codePointsFrom(s: string, from = 0): number {
  let n = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

export interface Cut {
  end: number;
  cost: number;
}

/**
 * The longest piece of `raw` from `pos` whose escaped length fits `avail`,
 * ending after a line break or a space when that keeps at least half the room,
 * else at a grapheme boundary (code point boundary inside absurdly long clusters).
 */
export function takeChunk(raw: string, pos: number, avail: number): Cut {
  // Escaping never shortens text, so the piece is at most `avail` units long.
  const window = raw.slice(pos, pos + avail + 16);
  let used = 0;
  let end = pos;
  let lineCut: Cut | null = null;
  let spaceCut: Cut | null = null;
  outer: for (const { segment } of graphemes.segment(window)) {
    const pieces = segment.length > 16 ? Array.from(segment) : [segment];
    for (const piece of pieces) {
      const cost = escapedCost(piece);
      if (used + cost > avail) break outer;
      used += cost;
      end += piece.length;
      if (piece.includes('\n')) lineCut = { end, cost: used };
      else if (/^\s+$/u.test(piece)) spaceCut = { end, cost: used };
    }
  }
  if (end === raw.length) return { end, cost: used };
  if (lineCut && lineCut.cost >= avail / 2) return lineCut;
  if (spaceCut && spaceCut.cost >= avail / 2) return spaceCut;
  return { end, cost: used };
}

export interface Split {
  /** Escaped pieces, each ≤ the chunk size. */
  chunks: string[];
  /** Raw end index of each chunk. */
  ends: number[];
  /** Characters (code points) of `raw` not in any chunk. */
  omitted: number;
  cost: number;
}

const MIN_TAIL = 100;

/** `raw` escaped and split into at most `maxChunks` pieces of `chunk` units, `total` units in all. */
export function splitEscaped(raw: string, o: { chunk: number; maxChunks: number; total: number }): Split {
  const chunks: string[] = [];
  const ends: number[] = [];
  let pos = 0;
  let used = 0;
  while (pos < raw.length && chunks.length < o.maxChunks) {
    const avail = Math.min(o.chunk, o.total - used);
    if (avail <= 0) break;
    const cut = takeChunk(raw, pos, avail);
    if (cut.end === pos) break;
    // A budget-limited tail of a few characters helps nobody; the note says what is missing.
    if (cut.end < raw.length && avail < o.chunk && avail < MIN_TAIL) break;
    chunks.push(escapeMrkdwn(raw.slice(pos, cut.end)));
    ends.push(cut.end);
    used += cut.cost;
    pos = cut.end;
  }
  return { chunks, ends, omitted: codePointsFrom(raw, pos), cost: used };
}

/** Escaped `raw` in at most `max` units, cut with '…' when longer. */
export function fit(raw: string, max: number): string {
  if (escapedCost(raw) <= max) return escapeMrkdwn(raw);
  const cut = takeChunk(raw, 0, max - 1);
  return `${escapeMrkdwn(raw.slice(0, cut.end)).trimEnd()}…`;
}

/** Sum of the `text` strings of every text object in `value` (blocks, views…). */
export function blockTextLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + blockTextLength(v), 0);
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  for (const [k, v] of Object.entries(value)) n += k === 'text' && typeof v === 'string' ? v.length : blockTextLength(v);
  return n;
}

/** As many of `items` (already fitted) as fit in `max` units joined by ", ", leaving room for " and N more". */
export function fitList(items: readonly string[], max: number): { shown: string[]; more: number } {
  const shown: string[] = [];
  let used = 0;
  for (const [i, s] of items.entries()) {
    const left = items.length - i - 1;
    const reserve = left > 0 ? ` and ${count(left)} more`.length : 0;
    if (used + s.length + 2 + reserve > max) break;
    shown.push(s);
    used += s.length + 2;
  }
  return { shown, more: items.length - shown.length };
}

export const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();
export const isBlank = (s: string): boolean => s.trim() === '';
export const count = (n: number): string => n.toLocaleString('en-US');
export const plural = (n: number, one: string, many: string): string => `${count(n)} ${n === 1 ? one : many}`;
export const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');
