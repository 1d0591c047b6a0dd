import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blockTextLength, codePointsFrom, escapedCost, fit, fitList, splitEscaped, takeChunk } from '../../src/slack/blocks/text-fitting.ts';
import { clip, escapeMrkdwn } from '../../src/slack/blocks/text.ts';

const isWellFormed = (s: string) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const mailText = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '\n', '&', '<', '>', 'é', '👍', '👩‍👩‍👧', '\u0301'), maxLength: 400 });

describe('escapedCost', () => {
  it('counts what escapeMrkdwn makes of the text', () => {
    fc.assert(fc.property(mailText, (s) => escapedCost(s) === escapeMrkdwn(s).length));
  });
});

describe('codePointsFrom', () => {
  it('counts a surrogate pair once and a lone surrogate once', () => {
    expect(codePointsFrom('a👍b')).toBe(3);
    expect(codePointsFrom('a\ud83d')).toBe(2);
    expect(codePointsFrom('a👍b', 1)).toBe(2);
  });
});

describe('takeChunk', () => {
  it('prefers a line break, then a space, when that keeps at least half the room', () => {
    expect(takeChunk('hello world\nand more text here', 0, 20)).toEqual({ end: 12, cost: 12 });
    expect(takeChunk('hello world and more text here', 0, 20)).toEqual({ end: 16, cost: 16 });
  });

  it('never cuts a grapheme cluster or a surrogate pair', () => {
    const family = '👩‍👩‍👧';
    const cut = takeChunk(`ab${family}cd`, 0, 4);
    expect(cut.end).toBe(2);
  });
});

describe('splitEscaped', () => {
  it('keeps every character, in order, when the budget allows, each chunk within its size', () => {
    fc.assert(
      fc.property(mailText, fc.integer({ min: 20, max: 200 }), (raw, chunk) => {
        const split = splitEscaped(raw, { chunk, maxChunks: 1000, total: Number.POSITIVE_INFINITY });
        expect(split.omitted).toBe(0);
        expect(split.chunks.map(unescape).join('')).toBe(raw);
        for (const c of split.chunks) {
          expect(c.length).toBeLessThanOrEqual(chunk);
          expect(isWellFormed(c)).toBe(true);
        }
      }),
    );
  });

  it('counts what a limited budget leaves out', () => {
    fc.assert(
      fc.property(mailText, fc.integer({ min: 1, max: 5 }), (raw, maxChunks) => {
        const split = splitEscaped(raw, { chunk: 30, maxChunks, total: 120 });
        const shown = split.chunks.map(unescape).join('');
        expect(raw.startsWith(shown)).toBe(true);
        expect(codePointsFrom(shown) + split.omitted).toBe(codePointsFrom(raw));
        expect(split.cost).toBeLessThanOrEqual(120);
      }),
    );
  });
});

describe('fit', () => {
  it('returns the escaped text when it fits, else a cut ending in … within the limit', () => {
    expect(fit('a < b', 20)).toBe('a &lt; b');
    fc.assert(
      fc.property(mailText, fc.integer({ min: 2, max: 100 }), (raw, max) => {
        const out = fit(raw, max);
        expect(out.length).toBeLessThanOrEqual(max);
        if (escapedCost(raw) <= max) expect(out).toBe(escapeMrkdwn(raw));
        else expect(out.endsWith('…')).toBe(true);
        expect(isWellFormed(out)).toBe(true);
      }),
    );
  });
});

describe('clip', () => {
  it('cuts to the limit in UTF-16 units on a code point boundary, ellipsis included', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('ab👍cd', 3)).toBe('ab…');
    expect(clip('abcdef', 4, '')).toBe('abcd');
    fc.assert(
      fc.property(mailText, fc.integer({ min: 1, max: 100 }), (raw, max) => {
        const out = clip(raw, max);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(raw.startsWith(out.endsWith('…') && out.length < raw.length ? out.slice(0, -1) : out)).toBe(true);
        expect(isWellFormed(out)).toBe(true);
      }),
    );
  });
});

describe('fitList', () => {
  it('shows what fits and counts the rest, leaving room to say how many', () => {
    expect(fitList(['a@x.com', 'b@x.com', 'c@x.com'], 100)).toEqual({ shown: ['a@x.com', 'b@x.com', 'c@x.com'], more: 0 });
    const { shown, more } = fitList(['a@x.com', 'b@x.com', 'c@x.com'], 22);
    expect(shown).toEqual(['a@x.com']);
    expect(more).toBe(2);
    expect(`${shown.join(', ')} and ${more} more`.length).toBeLessThanOrEqual(22);
  });
});

describe('blockTextLength', () => {
  it('sums the text of every text object, nested', () => {
    expect(blockTextLength([{ type: 'section', text: { type: 'mrkdwn', text: 'abc' }, fields: [{ type: 'plain_text', text: 'de' }] }])).toBe(5);
  });
});
