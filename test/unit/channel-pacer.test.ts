import { describe, expect, it } from 'vitest';
import { createChannelPacer, type PacerClock } from '../../src/approvals/channel-pacer.ts';

/** Virtual time: a sleep advances the clock by exactly what it asked for. */
function virtualClock(start = 1_000_000): PacerClock & { t: number } {
  const clock = {
    t: start,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
    },
  };
  return clock;
}

describe('channel pacer', () => {
  it('gives a burst for one channel one slot per interval, and a key keeps its slot until its turn', async () => {
    const clock = virtualClock();
    const pacer = createChannelPacer(1000, clock);
    expect(['a', 'b', 'c'].map((k) => pacer.reserve('C1', k))).toEqual([0, 1000, 2000]);
    expect(pacer.reserve('C1', 'b')).toBe(1000);
    clock.t += 400;
    expect(pacer.reserve('C1', 'c')).toBe(1600);
    await pacer.turn('C1', 'c');
    // After its turn the key is a new post again and queues behind the others.
    expect(pacer.reserve('C1', 'c')).toBe(2600);
  });

  it('lets posts go in arrival order, each one interval after the previous actually went out', async () => {
    const clock = virtualClock();
    const pacer = createChannelPacer(1000, clock);
    const sent: Array<[string, number]> = [];
    const post = (name: string) => pacer.turn('C1').then(() => sent.push([name, clock.t - 1_000_000]));
    await Promise.all([post('a'), post('b'), post('c')]);
    expect(sent).toEqual([['a', 0], ['b', 1000], ['c', 2000]]);

    // A post that went out late pushes the next one back, however early that one was planned.
    clock.t += 2500;
    await post('late');
    await post('next');
    expect(sent.slice(3)).toEqual([['late', 4500], ['next', 5500]]);
  });

  it('takes back the last slot given out when its post is not needed after all; an earlier one stays a gap', () => {
    const clock = virtualClock(0);
    const pacer = createChannelPacer(1000, clock);
    expect(['a', 'b', 'c'].map((k) => pacer.reserve('C1', k))).toEqual([0, 1000, 2000]);
    pacer.release('C1', 'c');
    expect(pacer.reserve('C1', 'd')).toBe(2000);
    pacer.release('C1', 'b');
    expect(pacer.reserve('C1', 'e')).toBe(3000);
    pacer.release('C1', 'unknown');
    expect(pacer.reserve('C1', 'b')).toBe(4000);
  });

  it('keeps channels independent', async () => {
    const clock = virtualClock(0);
    const pacer = createChannelPacer(1000, clock);
    expect([pacer.reserve('C1', 'a'), pacer.reserve('C2', 'b'), pacer.reserve('C1', 'c')]).toEqual([0, 0, 1000]);
    await pacer.turn('C1');
    await pacer.turn('C2');
    expect(clock.t).toBe(0);
  });

  it('holds every post back after a Retry-After, including ones already waiting for their turn', async () => {
    const clock = virtualClock(5000);
    const pacer = createChannelPacer(1000, clock);
    pacer.pause('C1', 3000);
    expect(pacer.reserve('C1', 'a')).toBe(3000);
    await pacer.turn('C1', 'a');
    expect(clock.t).toBe(8000);

    const waiting = pacer.turn('C1');
    pacer.pause('C1', 10_000);
    await waiting;
    expect(clock.t).toBe(18_000);
  });

  it('does nothing with a zero interval', async () => {
    const clock = virtualClock(0);
    const pacer = createChannelPacer(0, clock);
    expect([pacer.reserve('C1', 'a'), pacer.reserve('C1', 'b')]).toEqual([0, 0]);
    await Promise.all([pacer.turn('C1'), pacer.turn('C1')]);
    expect(clock.t).toBe(0);
  });
});
