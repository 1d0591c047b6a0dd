import { describe, expect, it } from 'vitest';
import { createChannelPacer, type PacerClock } from '../../src/slack/outbound/channel-pacer.ts';

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

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setImmediate(r));
  if (!check()) throw new Error('condition never held');
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

    // A clock whose sleeps end only when the test says so: the pause lands while a post sleeps.
    const sleeps: Array<{ ms: number; wake: () => void }> = [];
    const held: PacerClock = { now: () => clock.t, sleep: (ms) => new Promise<void>((wake) => sleeps.push({ ms, wake })) };
    const gated = createChannelPacer(1000, held);
    await gated.turn('C1');
    const waiting = gated.turn('C1');
    await waitUntil(() => sleeps.length === 1);
    expect(sleeps[0]!.ms).toBe(1000);
    gated.pause('C1', 10_000);
    clock.t += 1000;
    sleeps[0]!.wake();
    await waitUntil(() => sleeps.length === 2);
    expect(sleeps[1]!.ms).toBe(9000);
    clock.t += 9000;
    sleeps[1]!.wake();
    await waiting;
    expect(clock.t).toBe(18_000);
  });

  it('queues a reserved post again behind a pause that covers its slot, instead of releasing them all at its end', () => {
    const clock = virtualClock(0);
    const pacer = createChannelPacer(1000, clock);
    expect(['a', 'b', 'c'].map((k) => pacer.reserve('C1', k))).toEqual([0, 1000, 2000]);
    pacer.pause('C1', 60_000);
    expect(['a', 'b', 'c'].map((k) => pacer.reserve('C1', k))).toEqual([60_000, 61_000, 62_000]);
    expect(pacer.holds('b')).toBe(true);
    pacer.release('C1', 'b');
    expect(pacer.holds('b')).toBe(false);
  });

  it('does nothing with a zero interval', async () => {
    const clock = virtualClock(0);
    const pacer = createChannelPacer(0, clock);
    expect([pacer.reserve('C1', 'a'), pacer.reserve('C1', 'b')]).toEqual([0, 0]);
    await Promise.all([pacer.turn('C1'), pacer.turn('C1')]);
    expect(clock.t).toBe(0);
  });
});
