import { describe, expect, it } from 'vitest';
import { createChannelPacer } from '../../src/approvals/channel-pacer.ts';

describe('channel pacer', () => {
  it('gives a burst for one channel one slot per interval, and lets each go when its slot comes', () => {
    let t = 1_000_000;
    const pacer = createChannelPacer(1000, () => t);
    expect(['a', 'b', 'c'].map((k) => pacer.reserve('C1', k))).toEqual([0, 1000, 2000]);
    expect(pacer.reserve('C1', 'b')).toBe(1000);
    t += 1000;
    expect(pacer.reserve('C1', 'b')).toBe(0);
    expect(pacer.reserve('C1', 'c')).toBe(1000);
  });

  it('keeps channels independent', () => {
    const pacer = createChannelPacer(1000, () => 0);
    expect([pacer.reserve('C1', 'a'), pacer.reserve('C2', 'b'), pacer.reserve('C1', 'c')]).toEqual([0, 0, 1000]);
  });

  it('holds new posts back after a Retry-After', () => {
    const pacer = createChannelPacer(1000, () => 5000);
    pacer.pause('C1', 3000);
    expect(pacer.reserve('C1', 'a')).toBe(3000);
  });

  it('does nothing with a zero interval', () => {
    const pacer = createChannelPacer(0, () => 0);
    expect([pacer.reserve('C1', 'a'), pacer.reserve('C1', 'b')]).toEqual([0, 0]);
  });
});
