import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { storableJson, storableParsedJson } from '../../src/db/text.ts';

describe('storableParsedJson', () => {
  it('fixes U+0000 and lone surrogates that arrive as escapes, in values and keys', () => {
    const source = '{"a\\u0000b": ["x\\u0000y", "\\ud800z", "\\uDC00", "😀"]}';
    expect(storableParsedJson(JSON.parse(source), source)).toEqual({ ab: ['xy', '\uFFFDz', '\uFFFD', '😀'] });
  });

  it('does not take an escaped backslash before "ud800" for the high half of a pair', () => {
    // The text \\ud800\udc80 is a backslash, "ud800", then a lone low surrogate.
    for (const source of ['["\\\\ud800\\udc80"]', '["\\\\uD83D\\uDE00"]', '["\\\\\\\\ud800\\udc80"]']) {
      const fixed = storableParsedJson(JSON.parse(source) as string[], source);
      expect(fixed[0]).toMatch(/\uFFFD$/);
    }
    // An odd run of backslashes: the last one starts a real escape, so the pair is whole.
    const paired = '["\\\\\\ud83d\\ude00"]';
    expect(storableParsedJson(JSON.parse(paired) as string[], paired)).toEqual(['\\😀']);
  });

  it('returns the parsed value itself when the text has nothing to fix', () => {
    const source = '{"text": "caf\\u00e9 \\ud83d\\ude00 ok", "n": [1, null, true]}';
    const parsed = JSON.parse(source) as unknown;
    expect(storableParsedJson(parsed, source)).toBe(parsed);
  });

  it('agrees with storableJson on any JSON text, raw or with everything beyond ASCII escaped', () => {
    // Lone surrogates included; Python's json.dumps escapes every non-ASCII unit, in pairs for emoji.
    const tricky = fc.constantFrom('\u0000', '\ud83d', '\ude00', '😀', '\\', '"', 'é', 'u0000');
    const anyString = fc.string({ unit: fc.oneof(tricky, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) });
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(anyString, anyString), fc.constantFrom('raw', 'lower', 'upper'), (value, extra, style) => {
        const raw = JSON.stringify({ value, extra });
        const source = style === 'raw' ? raw : escapeBeyondAscii(raw, style === 'upper');
        expect(storableParsedJson(JSON.parse(source), source)).toEqual(storableJson(JSON.parse(source)));
      }),
      { numRuns: 500 },
    );
  });
  it('agrees with storableJson on text where backslashes and letters look like surrogate escapes', () => {
    // Whole tokens and nothing else that needs fixing, so a backslash, then "ud800", then a
    // lone low surrogate is common: the text \\ud800\udc80 must not pass for a pair.
    const token = fc.constantFrom('\\', 'ud800', 'uD83D', 'udc80', '\udc80', '\ude00', '😀', 'a');
    fc.assert(
      fc.property(fc.string({ unit: token, maxLength: 8 }), fc.constantFrom('raw', 'lower', 'upper'), (text, style) => {
        const raw = JSON.stringify([text]);
        const source = style === 'raw' ? raw : escapeBeyondAscii(raw, style === 'upper');
        expect(storableParsedJson(JSON.parse(source), source)).toEqual(storableJson(JSON.parse(source)));
      }),
      { numRuns: 1000 },
    );
  });

});

/** The same JSON with every unit beyond ASCII as a `\u` escape, in lower or upper case (JSON.stringify's own escapes too). */
function escapeBeyondAscii(json: string, upper: boolean): string {
  const escaped = json.replace(/[^\x00-\x7e]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return upper ? escaped.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => `\\u${hex.toUpperCase()}`) : escaped;
}
